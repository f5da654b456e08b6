"""The user's own spam reports, ready for the FTC: form text to paste, or the FTC complaint CSV.

The FTC complaint form (donotcall.gov / reportfraud.ftc.gov) asks for the date and time
of the call, the number that called, whether it was a prerecorded message (robocall) or
a live person, the subject of the call, and what happened. :func:`format_ftc_report`
gives one text block per report with exactly those. :func:`write_ftc_csv` writes the
FTC's daily complaint-data columns, so that reports can be shared and loaded again
with ``whocalled sync ftc --file``.

Subject: the FTC's own values (FORMATS.md section 1). A silent call is "Dropped call or
no message"; otherwise words in the note pick a specific subject (warranty, medical,
tech support, debt, impersonation); otherwise the category decides (a scam is an
impersonation call, a debt collector the debt subject, the rest "Other").
Robocall: "Y" when the category is robocall or the note speaks of a recorded message,
else "N" (a live person, or not known).
"""

from __future__ import annotations

import csv
import re
from datetime import datetime, timezone, tzinfo
from typing import Iterable, Iterator, Mapping, TextIO

from lookup.blocklists.common import clean_text
from lookup.ftc_columns import FTC_COLUMNS as COLUMNS
from lookup.models import Category, Number, Report
from lookup.text import safe_cell

# The FTC's own daily complaint-file layout, so `whocalled sync ftc --file` reads these back.
FTC_HEADER = COLUMNS

DROPPED = "Dropped call or no message"
IMPERSONATION = "Calls pretending to be government, businesses, or family and friends"
DEBT = "Reducing your debt (credit cards, mortgage, student loans)"
OTHER = "Other"
NO_SUBJECT = "No Subject Provided"

SUBJECT_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"warrant|vehicle service|extended (?:auto|car)|protection plan", re.I), "Warranties & protection plans"),
    (re.compile(r"medic|prescription|pharma|health (?:insurance|plan)|back brace", re.I), "Medical & prescriptions"),
    (re.compile(r"tech(?:nical)? support|computer|microsoft|virus|windows", re.I), "Computer & technical support"),
    (re.compile(r"debt|credit card|loan|mortgage|interest rate", re.I), DEBT),
    (re.compile(r"\birs\b|social security|government|police|sheriff|warrant for|grand(?:son|daughter|ma|pa)|pretend", re.I), IMPERSONATION),
)

SUBJECT_BY_CATEGORY: dict[Category, str] = {
    Category.SILENT: DROPPED,
    Category.SCAM: IMPERSONATION,
    Category.DEBT_COLLECTOR: DEBT,
    Category.ROBOCALL: OTHER,
    Category.TELEMARKETER: OTHER,
    Category.SURVEY: OTHER,
    Category.POLITICAL: OTHER,
    Category.OTHER: OTHER,
}

_RECORDED = re.compile(r"recorded|robo|automated|press \d|pre-?recorded", re.I)


def ftc_subject(report: Report) -> str:
    """The FTC ``Subject`` value for a report."""
    category = _category(report)
    if category is Category.SILENT:
        return DROPPED
    for pattern, subject in SUBJECT_WORDS:
        if report.note and pattern.search(report.note):
            return subject
    return SUBJECT_BY_CATEGORY.get(category, NO_SUBJECT) if category is not None else NO_SUBJECT


def is_robocall(report: Report) -> bool:
    """A prerecorded message (robocall) rather than a live person or unknown."""
    return _category(report) is Category.ROBOCALL or bool(report.note and _RECORDED.search(report.note))


def format_ftc_report(
    reports: Iterable[Report], numbers: Mapping[str, Number] | None = None, *, tz: tzinfo | None = None
) -> Iterator[str]:
    """One block of text per report (no trailing newline), in the order of the FTC form.

    Times are shown in ``tz`` (default: this computer's time zone) and in UTC.
    """
    for report in reports:
        number = (numbers or {}).get(report.e164)
        when = parse_time(report.at) or parse_time(report.created_at)
        lines = [f"Report about {display_number(report.e164, number)}"]
        if when is None:
            lines += ["  Date of the call:  (not recorded)", "  Time of the call:  (not recorded)"]
        else:
            local = when.astimezone(tz)
            lines += [
                f"  Date of the call:  {local:%Y-%m-%d}",
                f"  Time of the call:  {local:%H:%M} ({local:%Z}{'' if tz is timezone.utc else f', {when:%H:%M} UTC'})"
                + ("" if report.at else ", when the report was made"),
            ]
        lines += [
            f"  Number that called:  {form_number(report.e164)}",
            "  Robocall or live:  "
            + ("prerecorded message (robocall)" if is_robocall(report) else "live person or not known"),
            f"  Subject:  {ftc_subject(report)}",
            f"  What happened:  {clean_text(report.note, 2000) or '(no note)'}",
        ]
        yield "\n".join(lines)


def write_ftc_csv(
    reports: Iterable[Report],
    out: TextIO,
    *,
    consumer_city: str | None = None,
    consumer_state: str | None = None,
    consumer_area_code: str | None = None,
) -> int:
    """Write the reports as FTC complaint rows (header included); return the number of rows.

    ``Company_Phone_Number`` is 10 digits for NANP numbers (E.164 otherwise, empty when
    withheld); dates are ``YYYY-MM-DD HH:MM:SS`` in UTC; the consumer fields are the
    user's own city, full state name and area code when given.
    """
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FTC_HEADER)
    count = 0
    for report in reports:
        created = parse_time(report.created_at)
        violation = parse_time(report.at)
        writer.writerow(
            (
                ftc_number(report.e164),
                f"{created:%Y-%m-%d %H:%M:%S}" if created else "",
                f"{violation:%Y-%m-%d %H:%M:%S}" if violation else "",
                safe_cell(clean_text(consumer_city)),
                safe_cell(clean_text(consumer_state)),
                safe_cell(clean_text(consumer_area_code)),
                safe_cell(ftc_subject(report)),
                "Y" if is_robocall(report) else "N",
            )
        )
        count += 1
    return count


def parse_time(iso: str | None) -> datetime | None:
    """An aware UTC datetime for an ISO timestamp (UTC when it has no zone), ``None`` if unreadable."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def ftc_number(e164: str | None) -> str:
    if not e164 or not e164.startswith("+") or not e164[1:].isdigit():
        return ""
    return e164[2:] if len(e164) == 12 and e164.startswith("+1") else e164


def form_number(e164: str | None) -> str:
    """The number as the form wants it typed: 10 digits for the NANP."""
    return ftc_number(e164) or "withheld (no caller ID)"


def display_number(e164: str | None, number: Number | None) -> str:
    if not e164 or not e164.startswith("+"):
        return "a withheld number"
    if number is not None and number.national and number.is_nanp:
        return f"{number.national} ({e164})"
    if len(e164) == 12 and e164.startswith("+1"):
        return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]} ({e164})"
    if number is not None and number.international:
        return number.international
    return e164


def _category(report: Report) -> Category | None:
    try:
        return Category(report.category)
    except ValueError:
        return None
