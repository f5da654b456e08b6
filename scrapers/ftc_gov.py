"""FTC Do-Not-Call complaints: the daily CSV files, synced into ``complaints`` and read offline.

``https://www.ftc.gov/sites/default/files/DNC_Complaint_Numbers_YYYY-MM-DD.csv``
(about 12k rows a weekday, the last five weeks or so online, none on weekends
and holidays). A body whose first line does not start with
``Company_Phone_Number`` is "no file that day" (an HTML 404 page), not a
failure. The FTC API has no filter by phone number, so there is no per-number
query: a :class:`~scrapers.base.DatasetSource`; at lookup time the engine reads
the synced rows' summaries and hands them to ``local_findings``.

Rows are normalised with :func:`lookup.numbers.nanp_e164` (no phonenumbers
parse per row) and keyed ``ftc:<hash of the raw fields>``, so importing a file
twice adds nothing. A row without a usable number is counted as skipped.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from typing import Any, Iterator, Mapping, Sequence, TextIO

from lookup.ftc_columns import FTC_COLUMNS
from lookup.text import describe_start
from lookup.models import Category, ComplaintSummary, EvidenceKind, Finding, Number, SourceKind, Status, iso_now
from lookup.verdict import complaint_spam
from scrapers.base import DatasetSource, DatasetView
from scrapers.community_parse import NANP_REGIONS, plural
from scrapers.complaints import (
    NotDatasetFile,
    RowTally,
    bounded_lines,
    is_nanp,
    nanp_field,
    row_id,
    top_values,
)

DATASET = "ftc"
COLUMNS = FTC_COLUMNS
FILE_DATE = re.compile(r"DNC_Complaint_Numbers_(\d{4}-\d{2}-\d{2})\.csv$", re.IGNORECASE)
MAX_HEADER_CHARS = 4096

# Subject (lower-cased needle) -> category. Decisions: impersonation, tech support and the
# "extended warranty" calls are the scams regulators warn about by name; debt-relief offers
# ride on debt (debt_collector is our nearest kind); "dropped call or no message" is a silent
# call. Any other named subject is an unwanted sales call (what DNC complaints are about).
SUBJECT_CATEGORIES: tuple[tuple[str, Category], ...] = (
    ("pretending", Category.SCAM),
    ("impersonat", Category.SCAM),
    ("computer", Category.SCAM),
    ("technical support", Category.SCAM),
    ("warrant", Category.SCAM),
    ("lotter", Category.SCAM),
    ("prize", Category.SCAM),
    ("sweepstake", Category.SCAM),
    ("debt", Category.DEBT_COLLECTOR),
    ("dropped call", Category.SILENT),
    ("no message", Category.SILENT),
    ("medical", Category.TELEMARKETER),
)
UNINFORMATIVE_SUBJECTS = frozenset({"", "no subject provided", "other"})


def file_name(day: date) -> str:
    return f"DNC_Complaint_Numbers_{day.isoformat()}.csv"


def file_day(name: str) -> str | None:
    """The ISO day a daily file's name carries, or None for other names."""
    match = FILE_DATE.search(name)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1)).isoformat()
    except ValueError:
        return None


def header_columns(line: str) -> tuple[int, ...]:
    """Indexes of :data:`COLUMNS` in the header ``line``; raise NotDatasetFile for anything else."""
    text = line.lstrip("\ufeff \t")
    if not text.lower().startswith(COLUMNS[0].lower()):
        if text.lstrip().startswith("<"):
            raise NotDatasetFile("not the FTC complaint CSV: an HTML or XML page")
        raise NotDatasetFile(f"not the FTC complaint CSV: {describe_start(text)}")
    names = [name.strip().lower() for name in next(csv.reader([text]))]
    missing = [c for c in COLUMNS if c.lower() not in names]
    if missing:
        raise NotDatasetFile(f"the FTC CSV header lacks {', '.join(missing)}", changed=True)
    return tuple(names.index(c.lower()) for c in COLUMNS)


def read_rows(stream: TextIO, tally: RowTally) -> Iterator[tuple[Any, ...]]:
    """Complaint rows (``db.datasets.COMPLAINT_COLUMNS`` order) from an FTC CSV text stream.

    Checks the header first (raises NotDatasetFile before yielding anything). A damaged file
    (``csv.Error``, e.g. a field past csv's size limit) ends the rows and sets ``tally.damaged``.
    """
    columns = header_columns(stream.readline(MAX_HEADER_CHARS))
    i_phone, i_created, i_violation, i_city, i_state, i_area, i_subject, i_robo = columns
    width = max(columns) + 1
    rows = skipped = 0
    try:
        for row in csv.reader(bounded_lines(stream)):
            if len(row) < width:
                if row:
                    rows += 1
                    skipped += 1
                continue
            rows += 1
            e164 = nanp_field(row[i_phone])
            if e164 is None:
                skipped += 1
                continue
            robo = row[i_robo][:1].upper()
            created = row[i_created]
            yield (
                row_id(DATASET, row, created[:10]),
                DATASET,
                e164,
                created.replace(" ", "T", 1) or None,
                row[i_violation].replace(" ", "T", 1) or None,
                row[i_city] or None,
                row[i_state] or None,
                row[i_area] or None,
                row[i_subject] or None,
                1 if robo == "Y" else 0 if robo == "N" else None,
                None,
            )
    except csv.Error as exc:
        tally.damaged = f"data row {rows + 1}: {exc}"
    finally:
        tally.rows += rows
        tally.skipped += skipped


def subject_category(subject: str | None) -> Category | None:
    low = (subject or "").strip().lower()
    if low in UNINFORMATIVE_SUBJECTS:
        return None
    for needle, category in SUBJECT_CATEGORIES:
        if needle in low:
            return category
    return Category.TELEMARKETER


def summary_categories(summary: ComplaintSummary) -> tuple[str, ...]:
    """Robocall first when any complaint says so, then the subjects' kinds by frequency;
    telemarketer when nothing more specific is known."""
    out: list[str] = [Category.ROBOCALL.value] if summary.robocalls else []
    for subject, _ in summary.subjects:
        category = subject_category(subject)
        if category is not None and category.value not in out:
            out.append(category.value)
    return tuple(out) or (Category.TELEMARKETER.value,)


def synced_days(state: Mapping[str, Any]) -> int:
    """How many days (or other files) of FTC data have been imported, from the sync state JSON."""
    days = state.get("days", {})
    files = state.get("files", {})
    done = sum(1 for d in days.values() if isinstance(d, dict) and d.get("status") == "done")
    return done + (len(files) if isinstance(files, dict) else 0)


class FtcGov(DatasetSource):
    name = "ftc_gov"
    title = "FTC Do-Not-Call complaints"
    kind = SourceKind.DATASET
    evidence = EvidenceKind.COMPLAINTS
    dataset = DATASET
    regions = NANP_REGIONS
    default_base_url = "https://www.ftc.gov"
    enable_hint = "run `whocalled sync ftc` to download the FTC's daily complaint files"
    # Complaints filed with a regulator by the people called; spoofed numbers collect some too.
    reliability = 0.7
    rate = 1.0
    # Numbers that collect DNC complaints (the IRS-impersonation favourite) and an unremarkable line.
    CANARIES = ("+18008291040", "+12024561111")

    def supports(self, number: Number) -> bool:
        return is_nanp(number)

    def file_url(self, day: date) -> str:
        return f"{self.base_url}/sites/default/files/{file_name(day)}"

    def local_findings(self, numbers: Sequence[Number], view: DatasetView) -> dict[str, Finding]:
        """One finding per covered number from the synced rows: found, not_found, or
        skipped when no FTC data was ever synced."""
        wanted = {n.e164: n for n in numbers if n.e164 and self.supports(n)}
        if not wanted:
            return {}
        state = view.state
        days = synced_days(state.state) if state else 0
        if state is None or days == 0:  # one time for the batch: a triage asks for thousands at once
            now = iso_now()
            return {
                key: self.finding(n, Status.SKIPPED, detail="FTC data not synced: run whocalled sync ftc", fetched_at=now)
                for key, n in wanted.items()
            }
        out: dict[str, Finding] = {}
        for key, number in wanted.items():
            summary = view.summaries.get(key)
            if summary is None:
                out[key] = self.finding(
                    number, Status.NOT_FOUND, **({"fetched_at": state.updated_at} if state.updated_at else {}),
                    detail=f"no FTC complaints in the synced data ({plural(days, 'day')} synced)",
                    facts={"complaints": 0, "days_synced": days},
                )
            else:
                out[key] = self.summary_finding(number, summary, today=view.today, fetched_at=state.updated_at)
        return out

    def summary_finding(
        self, number: Number, summary: ComplaintSummary, *, today: date, fetched_at: str | None = None
    ) -> Finding:
        """A finding dated when the data was synced (not now): that is when it was fetched."""
        share = summary.robocall_share
        latest = summary.latest[:10] if summary.latest else None
        top = next((s for s, _ in summary.subjects if s.strip().lower() not in UNINFORMATIVE_SUBJECTS), None)
        detail = plural(summary.complaints, "FTC complaint")
        if latest:
            detail += f", latest {latest}"
        if share is not None:
            detail += f", {round(share * 100)}% robocalls"
        if top:
            detail += f": {top}"
        dated = {"fetched_at": fetched_at} if fetched_at else {}
        return self.finding(
            number,
            Status.FOUND,
            spam=complaint_spam(summary.complaints, latest, today=today, robocall_share=share),
            reports=summary.complaints,
            categories=summary_categories(summary),
            last_reported=latest,
            detail=detail,
            facts={
                "complaints": summary.complaints,
                "latest": latest,
                "robocall_share": round(share, 2) if share is not None else None,
                "subjects": top_values(summary.subjects),
            },
            **dated,
        )
