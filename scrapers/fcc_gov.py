"""FCC unwanted-calls complaints (Socrata dataset ``vakf-fz8e``): a per-number query and the bulk CSV.

Per number: ``GET /resource/vakf-fz8e.json?caller_id_number=NPA-NXX-XXXX&$order=issue_date DESC&$limit=200``
(the number exactly in that dashed form). ``[]`` is not_found; a list of rows
gives the count, latest date, issues and call types (the field
``type_of_call_or_messge`` is misspelled upstream); anything but a list of
objects is layout_changed. An optional app token goes in ``X-App-Token`` and
never into a URL, a finding or a log.

Bulk: the CSV export (display-name headers such as "Caller ID Number",
"Date of Issue" as MM/DD/YYYY) and the SODA ``.csv`` pages (field-name
headers) both read into ``complaints`` as dataset ``fcc``, keyed by ticket id,
so re-imports add nothing. The source is of two kinds (:mod:`scrapers.base`):
per number online, and a :class:`~scrapers.base.DatasetSource` whose synced rows
answer ``lookup --offline`` (and a live lookup whose query failed) the way the
FTC's do; when both answer, the verdict counts the latest once. Bulk rows also
serve exports (``iter_complaint_numbers``).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import date, datetime, timezone
from typing import Any, Iterator, Sequence, TextIO
from urllib.parse import quote

from lookup.text import describe_start
from lookup.models import Category, ComplaintSummary, EvidenceKind, Finding, Number, SourceKind, Status
from lookup.verdict import complaint_spam
from scrapers.base import Case, DatasetSource, DatasetView, LayoutChanged, Page, Request, Source, SourceError
from scrapers.community_parse import NANP_REGIONS, clean_text, nanp_dashed, plural
from scrapers.complaints import (
    NotDatasetFile,
    RowTally,
    bounded_lines,
    is_nanp,
    nanp_field,
    row_id,
    top_values,
)

DATASET = "fcc"
RESOURCE = "vakf-fz8e"
LIMIT = 200
MAX_HEADER_CHARS = 8192

# CSV header (display name or field name, lower-cased) -> our key
BULK_HEADERS = {
    "ticket id": "id",
    "id": "id",
    "ticket created": "created",
    "ticket_created": "created",
    "date created": "created",
    "date_created": "created",
    "date of issue": "issue_date",
    "issue_date": "issue_date",
    "issue": "issue",
    "caller id number": "number",
    "caller_id_number": "number",
    "type of call or messge": "call_type",
    "type_of_call_or_messge": "call_type",
    "type of call or message": "call_type",
    "type_of_call_or_message": "call_type",
    "city": "city",
    "state": "state",
}
# Site words -> our categories, first match wins ("Autodialed Live Voice Call" is a robocall in law).
WORDS: tuple[tuple[str, Category], ...] = (
    ("robocall", Category.ROBOCALL),
    ("prerecorded", Category.ROBOCALL),
    ("autodial", Category.ROBOCALL),
    ("abandoned", Category.SILENT),
    ("telemarket", Category.TELEMARKETER),
    ("live voice", Category.TELEMARKETER),
)
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_TIMESTAMP_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M")


def iso_day(text: str | None) -> str | None:
    """``2016-05-01T00:00:00.000`` or ``05/01/2016`` -> ``2016-05-01``; None when unreadable."""
    text = (text or "").strip()
    try:
        if len(text) >= 10 and text[4] == "-":
            return date.fromisoformat(text[:10]).isoformat()
        match = _US_DATE.match(text)
        if match:
            month, day, year = (int(g) for g in match.groups())
            return date(year, month, day).isoformat()
    except ValueError:
        return None
    return None


def iso_timestamp(text: str | None) -> str | None:
    """A ticket's creation time (epoch seconds, ISO, or US date and time) as ISO, or None."""
    text = (text or "").strip()
    if not text:
        return None
    if text.isdigit() and len(text) <= 11:
        try:
            return datetime.fromtimestamp(int(text), timezone.utc).isoformat(timespec="seconds")
        except (ValueError, OverflowError, OSError):
            return None
    if len(text) >= 19 and text[4] == "-":
        return text[:19]
    for fmt in _TIMESTAMP_FORMATS:
        try:
            return datetime.strptime(text, fmt).isoformat(timespec="seconds")
        except ValueError:
            continue
    return iso_day(text)


def word_category(word: str | None) -> Category | None:
    low = (word or "").lower()
    return next((category for needle, category in WORDS if needle in low), None)


def is_robocall(issue: str, call_type: str) -> int | None:
    """1 when the issue or call type says robocall, 0 when the call type says otherwise, else None."""
    if word_category(issue) is Category.ROBOCALL or word_category(call_type) is Category.ROBOCALL:
        return 1
    return 0 if call_type.strip() else None


def bulk_columns(line: str) -> dict[str, int]:
    """Our key -> column index from a bulk CSV header; NotDatasetFile when it is not the FCC CSV."""
    text = line.lstrip("\ufeff \t")
    names = [name.strip().lower() for name in next(csv.reader([text]), [])]
    columns: dict[str, int] = {}
    for index, name in enumerate(names):
        key = BULK_HEADERS.get(name)
        if key and key not in columns:
            columns[key] = index
    if "number" not in columns:
        what = "an HTML or XML page" if text.lstrip().startswith("<") else describe_start(text)
        raise NotDatasetFile(f"not the FCC complaints CSV: {what}")
    if "issue_date" not in columns:
        raise NotDatasetFile("the FCC CSV header lacks the date of issue", changed=True)
    return columns


def read_bulk_rows(stream: TextIO, tally: RowTally, since: str | None = None) -> Iterator[tuple[Any, ...]]:
    """Complaint rows from an FCC CSV text stream (export or SODA page); rows whose date of
    issue is before ``since`` (ISO day) are counted as out of range. A damaged file ends the
    rows and sets ``tally.damaged``."""
    columns = bulk_columns(stream.readline(MAX_HEADER_CHARS))
    try:
        yield from bulk_rows(csv.reader(bounded_lines(stream)), tally, since, columns)
    except csv.Error as exc:
        tally.damaged = f"data row {tally.rows + 1}: {exc}"


def bulk_rows(
    reader: Iterator[list[str]], tally: RowTally, since: str | None, columns: dict[str, int]
) -> Iterator[tuple[Any, ...]]:
    width = max(columns.values()) + 1

    def cell(row: list[str], key: str) -> str:
        index = columns.get(key)
        return row[index].strip() if index is not None else ""

    for row in reader:
        if not row:
            continue
        tally.rows += 1
        if len(row) < width:
            tally.skipped += 1
            continue
        e164 = nanp_field(cell(row, "number"))
        if e164 is None:
            tally.skipped += 1
            continue
        day = iso_day(cell(row, "issue_date"))
        if since and day and day < since:
            tally.out_of_range += 1
            continue
        if day and (tally.latest is None or day > tally.latest):
            tally.latest = day
        ticket = cell(row, "id")
        issue, call_type = cell(row, "issue"), cell(row, "call_type")
        yield (
            f"{DATASET}:{ticket}" if ticket and len(ticket) <= 40 else row_id(DATASET, row, day or ""),
            DATASET,
            e164,
            iso_timestamp(cell(row, "created")) or day,
            day,
            cell(row, "city") or None,
            cell(row, "state") or None,
            None,
            issue or None,
            is_robocall(issue, call_type),
            call_type or None,
        )


def field_text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return clean_text(str(value))[:200] if value is not None else ""


def call_type_of(row: dict[str, Any]) -> str:
    """The call type under its misspelled upstream name, or the corrected one should it be fixed."""
    return field_text(row, "type_of_call_or_messge") or field_text(row, "type_of_call_or_message")


def error_message(body: str) -> str:
    """Socrata's ``{"error": true, "message": ...}`` text, cleaned and short (never a secret:
    the token travels in a header the API does not echo)."""
    try:
        data = json.loads(body[:65536])
    except (ValueError, RecursionError):
        return clean_text(body[:200])
    if isinstance(data, dict):
        return clean_text(str(data.get("message") or data.get("code") or ""))[:200]
    return ""


class FccGov(Source, DatasetSource):
    name = "fcc_gov"
    title = "FCC unwanted-call complaints"
    kind = SourceKind.LOOKUP  # asked per number online; also a dataset (``local_findings``)
    evidence = EvidenceKind.COMPLAINTS
    dataset = DATASET
    regions = NANP_REGIONS
    default_base_url = "https://opendata.fcc.gov"
    enable_hint = "works without a key; an app token ([sources.fcc_gov] app_token) raises the API's limits"
    # Same kind of evidence as the FTC's: first-hand complaints to a regulator.
    reliability = 0.7
    CANARIES = ("+18008291040", "+12024561111")  # a spoofed agency line, a plain public line
    ttl_found_days = 14.0

    def supports(self, number: Number) -> bool:
        return is_nanp(number)

    def headers(self) -> dict[str, str]:
        return {"X-App-Token": self.config.app_token} if self.config.app_token else {}

    def request(self, number: Number) -> Request:
        query = f"caller_id_number={nanp_dashed(number)}&$order={quote('issue_date DESC')}&$limit={LIMIT}"
        return Request(url=f"{self.base_url}/resource/{RESOURCE}.json?{query}", headers=self.headers(),
                       expect="json", robots=False)

    def export_url(self) -> str:
        return f"{self.base_url}/api/views/{RESOURCE}/rows.csv?accessType=DOWNLOAD"

    def page_url(self, since: str, offset: int, limit: int) -> str:
        """One page of the SODA CSV of complaints issued on or after ``since`` (ISO day)."""
        where = quote(f"issue_date >= '{since}T00:00:00.000'")
        return f"{self.base_url}/resource/{RESOURCE}.csv?$where={where}&$order=:id&$limit={limit}&$offset={offset}"

    def read(self, page: Page, number: Number) -> Finding:
        if page.status in (401, 403) and page.body.lstrip().startswith("{"):
            message = error_message(page.body) or "access refused"
            why = f"the FCC API refused the request (HTTP {page.status}): {message}"
            return self.failure(number, Status.ERROR, why)
        return super().read(page, number)

    def parse(self, page: Page, number: Number) -> Finding:
        if page.status == 404:
            raise LayoutChanged(f"HTTP 404 for dataset {RESOURCE} (has it moved?)")
        if page.status >= 400:
            raise SourceError(f"HTTP {page.status} from the FCC API: {error_message(page.body)}".rstrip(": "))
        try:
            rows = json.loads(page.body)
        except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
            raise LayoutChanged("the FCC answer is not JSON") from None
        if isinstance(rows, dict) and rows.get("error"):
            raise SourceError(f"FCC API error: {error_message(page.body)}")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise LayoutChanged("the FCC answer is not a list of complaint rows")
        if not rows:
            return self.finding(number, Status.NOT_FOUND, url=page.url, detail="no FCC complaints about this number",
                                facts={"complaints": 0})
        if not any("issue_date" in r or "caller_id_number" in r for r in rows):
            raise LayoutChanged("FCC rows lack issue_date and caller_id_number")
        return self.rows_finding(number, rows, page.url)

    def local_findings(self, numbers: Sequence[Number], view: DatasetView) -> dict[str, Finding]:
        """Findings from the synced bulk rows, dated when they were synced; nothing when FCC data
        was never synced (the live query is the source's first way to answer)."""
        state = view.state
        if state is None or not (state.rows or state.last_date):
            return {}
        out: dict[str, Finding] = {}
        dated = {"fetched_at": state.updated_at} if state.updated_at else {}
        for number in numbers:
            if not (number.e164 and self.supports(number)):
                continue
            summary = view.summaries.get(number.e164)
            if summary is None:
                out[number.e164] = self.finding(
                    number, Status.NOT_FOUND, detail="no FCC complaints in the synced data", facts={"complaints": 0},
                    **dated)
            else:
                out[number.e164] = self.summary_finding(number, summary, view.today, **dated)
        return out

    def summary_finding(self, number: Number, summary: ComplaintSummary, today: date, **dated: str) -> Finding:
        """A finding from the synced rows' summary (issues are stored as subjects)."""
        latest = summary.latest[:10] if summary.latest else None
        share = summary.robocall_share
        categories: list[str] = []
        for word, _ in [*summary.subjects, *summary.call_types]:
            category = word_category(word)
            if category is not None and category.value not in categories:
                categories.append(category.value)
        top = [pairs[0][0] for pairs in (summary.subjects, summary.call_types) if pairs]
        detail = plural(summary.complaints, "FCC complaint") + " in the synced data"
        detail += (f", latest {latest}" if latest else "") + (f": {', '.join(top)}" if top else "")
        return self.finding(
            number, Status.FOUND, reports=summary.complaints, last_reported=latest, detail=detail,
            spam=complaint_spam(summary.complaints, latest, today=today, robocall_share=share),
            categories=tuple(categories) or (Category.OTHER.value,),
            facts={"complaints": summary.complaints, "latest": latest, "synced": True,
                   "robocall_share": round(share, 2) if share is not None else None,
                   "issues": top_values(summary.subjects), "call_types": top_values(summary.call_types)},
            **dated,
        )

    def rows_finding(self, number: Number, rows: list[dict[str, Any]], url: str) -> Finding:
        issues = Counter(field_text(r, "issue") for r in rows)
        call_types = Counter(call_type_of(r) for r in rows)
        issues.pop("", None)
        call_types.pop("", None)
        days = [d for d in (iso_day(field_text(r, "issue_date")) for r in rows) if d]
        latest = max(days) if days else None
        known = [f for f in (is_robocall(field_text(r, "issue"), call_type_of(r)) for r in rows) if f is not None]
        share = sum(known) / len(known) if known else None
        count = len(rows)
        categories: list[str] = []
        for word, _ in [*issues.most_common(), *call_types.most_common()]:
            category = word_category(word)
            if category is not None and category.value not in categories:
                categories.append(category.value)
        top = [counter.most_common(1)[0][0] for counter in (issues, call_types) if counter]
        detail = plural(count, "FCC complaint") + ("+" if count >= LIMIT else "")
        detail += (f", latest {latest}" if latest else "") + (f": {', '.join(top)}" if top else "")
        today = datetime.now(timezone.utc).date()
        return self.finding(
            number, Status.FOUND, url=url, reports=count, last_reported=latest, detail=detail,
            spam=complaint_spam(count, latest, today=today, robocall_share=share),
            categories=tuple(categories) or (Category.OTHER.value,),
            facts={"complaints": count, "latest": latest, "limit_reached": count >= LIMIT,
                   "robocall_share": round(share, 2) if share is not None else None,
                   "issues": top_values(tuple(issues.most_common())),
                   "call_types": top_values(tuple(call_types.most_common()))},
        )

    CASES = (
        Case("found", "found.json", "+18664100458", {
            "status": "found", "reports": 3, "last_reported": "2016-05-25",
            "categories": ("telemarketer", "robocall", "silent"), "spam": (0.58, 0.59),  # 3, years old
            "detail": "3 FCC complaints, latest 2016-05-25: Telemarketing (including do not call and spoofing),"
                      " Live Voice",
            "facts": {"complaints": 3, "limit_reached": False, "robocall_share": 0.33},
        }, content_type="application/json"),
        Case("not-found", "empty.json", "+12025550123", {"status": "not_found", "reports": None},
             content_type="application/json"),
        Case("blocked", "captcha.html", "+18664100458", {"status": "blocked"}),
        Case("layout-changed", "layout_changed.json", "+18664100458", {"status": "layout_changed"},
             content_type="application/json"),
        Case("not-json", "not_json.txt", "+18664100458", {"status": "layout_changed"}, content_type="application/json"),
        Case("bad-token", "bad_token.json", "+18664100458", {"status": "error"}, http_status=403,
             content_type="application/json"),
        Case("bad-query", "bad_query.json", "+18664100458", {"status": "error"}, http_status=400,
             content_type="application/json"),
    )
