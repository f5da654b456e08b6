"""The user's reports for the FTC: the complaint form's fields as text, and the FTC complaint CSV."""

from __future__ import annotations

import csv
import io
from datetime import timezone

import pytest

from lookup.blocklists import format_ftc_report, write_ftc_csv
from lookup.blocklists.ftc_report import FTC_HEADER, ftc_subject, is_robocall
from lookup.models import Category, Report

FTC_HEADER_LINE = (
    "Company_Phone_Number,Created_Date,Violation_Date,Consumer_City,Consumer_State,"
    "Consumer_Area_Code,Subject,Recorded_Message_Or_Robocall"
)

REPORTS = [
    Report("+12025550123", Category.ROBOCALL, "Recorded voice about my car warranty", "2024-05-01T14:32:10+00:00", "2024-05-01T15:00:00+00:00"),
    Report("+442079460123", Category.SILENT, None, None, "2024-05-02T09:00:00+00:00"),
    Report("", Category.SCAM, "Said he was from the IRS\nand wanted gift cards", "2024-05-03T01:02:03Z", "2024-05-03T02:00:00+00:00"),
]


def test_csv_has_the_exact_ftc_header_and_rows() -> None:
    out = io.StringIO()
    assert write_ftc_csv(REPORTS, out, consumer_state="Virginia", consumer_area_code="703") == 3
    lines = out.getvalue().splitlines()
    assert lines[0] == FTC_HEADER_LINE
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == FTC_HEADER
    assert rows[1] == ["2025550123", "2024-05-01 15:00:00", "2024-05-01 14:32:10", "", "Virginia", "703", "Warranties & protection plans", "Y"]
    assert rows[2] == ["+442079460123", "2024-05-02 09:00:00", "", "", "Virginia", "703", "Dropped call or no message", "N"]
    assert rows[3][0] == "" and rows[3][2] == "2024-05-03 01:02:03"
    assert rows[3][6] == "Calls pretending to be government, businesses, or family and friends"


SUBJECTS = [
    (Category.SILENT, "press 1 for warranty", "Dropped call or no message"),
    (Category.SCAM, None, "Calls pretending to be government, businesses, or family and friends"),
    (Category.DEBT_COLLECTOR, None, "Reducing your debt (credit cards, mortgage, student loans)"),
    (Category.TELEMARKETER, "lower your credit card interest rate", "Reducing your debt (credit cards, mortgage, student loans)"),
    (Category.ROBOCALL, "Windows tech support", "Computer & technical support"),
    (Category.OTHER, "free medical alert back brace", "Medical & prescriptions"),
    (Category.POLITICAL, None, "Other"),
    ("unheard-of", None, "No Subject Provided"),
]


@pytest.mark.parametrize("category,note,subject", SUBJECTS, ids=[f"{c}-{s[:12]}" for c, _, s in SUBJECTS])
def test_subject_mapping(category: str, note: str | None, subject: str) -> None:
    assert ftc_subject(Report("+12025550123", category, note)) == subject  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "category,note,robocall",
    [(Category.ROBOCALL, None, True), (Category.TELEMARKETER, "a prerecorded message", True), (Category.SCAM, "a man", False)],
    ids=["robocall", "note-says-recorded", "live"],
)
def test_robocall_flag(category: Category, note: str | None, robocall: bool) -> None:
    assert is_robocall(Report("+12025550123", category, note)) is robocall


def test_text_blocks_hold_what_the_form_asks() -> None:
    blocks = list(format_ftc_report(REPORTS, tz=timezone.utc))
    assert len(blocks) == 3
    first = blocks[0]
    assert first.splitlines()[0] == "Report about (202) 555-0123 (+12025550123)"
    assert "Date of the call:  2024-05-01" in first
    assert "Time of the call:  14:32 (UTC)" in first
    assert "Number that called:  2025550123" in first
    assert "Robocall or live:  prerecorded message (robocall)" in first
    assert "Subject:  Warranties & protection plans" in first
    assert "What happened:  Recorded voice about my car warranty" in first
    assert "when the report was made" in blocks[1] and "(no note)" in blocks[1]
    assert "Number that called:  withheld (no caller ID)" in blocks[2]
    assert "IRS and wanted gift cards" in blocks[2]  # one line, pasteable


def test_text_blocks_show_local_time_and_utc() -> None:
    from datetime import timedelta

    block = next(format_ftc_report(REPORTS[:1], tz=timezone(timedelta(hours=-4), "EDT")))
    assert "Date of the call:  2024-05-01" in block and "Time of the call:  10:32 (EDT, 14:32 UTC)" in block
