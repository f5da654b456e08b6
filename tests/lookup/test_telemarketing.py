"""Issue 16: France's ranges reserved for telemarketing (ARCEP, 2023) are recognised from the packaged
data: the number's facts carry the range, the verdict says "telemarketing (legal range)", never a
scam, and the advice is not to call back; through `lookup --json` and `triage --json`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from lookup.cli import app
from lookup.numbers import normalize_number
from lookup.telemarketing import load_ranges, read_ranges, telemarketing_prefix

FRENCH_RANGES = ["0162", "0163", "0270", "0271", "0377", "0378", "0424", "0425", "0568", "0569", "0948", "0949"]
NUMBER = "+33162123456"
START = datetime(2024, 3, 5, 14, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("start", FRENCH_RANGES)
def test_every_french_range_is_recognised_in_the_number_facts(start: str) -> None:
    number = normalize_number(f"{start}123456", "FR")
    assert number.valid and number.telemarketing == f"+33{start[1:]}"


def test_numbers_next_to_the_ranges_are_not_telemarketing() -> None:
    for raw in ("0161123456", "0164123456", "0612345678", "0947123456", "0950123456"):
        assert normalize_number(raw, "FR").telemarketing is None
    assert normalize_number("+12025550123", "US").telemarketing is None
    assert telemarketing_prefix(None) is None


def test_the_data_file_is_per_country_and_checked() -> None:
    ranges = load_ranges()
    assert ranges["FR"].authority == "ARCEP" and len(ranges["FR"].prefixes) == 12
    extra = read_ranges('[XX]\ncountry_code = 99\nauthority = "Test"\nprefixes = ["12"]\n')
    assert extra["XX"].prefixes == ("+9912",)
    with pytest.raises(ValueError, match=r"\[XX\].*prefixes"):
        read_ranges('[XX]\ncountry_code = 99\nprefixes = ["1-2"]\n')
    with pytest.raises(ValueError, match="country_code"):
        read_ranges("[XX]\nprefixes = []\n")


def android_log(path, calls: list[timedelta]) -> str:
    rows = "".join(
        f'<call number="{NUMBER}" duration="0" date="{int((START + after).timestamp() * 1000)}"'
        ' type="3" presentation="1" contact_name="(Unknown)" />\n'
        for after in calls
    )
    path.write_text(f"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count=\"{len(calls)}\">\n{rows}</calls>\n")
    return str(path)


def judge(log: str) -> tuple[dict, dict]:
    """The number's object from `triage --json`, then from `lookup --json`."""
    runner = CliRunner()
    r = runner.invoke(app, ["triage", log, "--offline", "--json"])
    assert r.exit_code == 0 and "Traceback" not in r.output, r.output
    triaged = next(o for o in map(json.loads, r.stdout.splitlines()) if o.get("e164") == NUMBER)
    r = runner.invoke(app, ["lookup", "01 62 12 34 56", "--offline", "--json"])
    assert r.exit_code == 0 and "Traceback" not in r.output, r.output
    return triaged, json.loads(r.stdout)


def test_a_french_0162_number_is_legal_telemarketing_not_worth_a_call_back(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WHOCALLED_REGION", "FR")
    for obj in judge(android_log(tmp_path / "calls-1.xml", [timedelta(0)])):
        assert obj["telemarketing"] == "+33162"
        why = {r["signal"]: r for r in obj["reasons"]}
        assert why["telemarketing_range"]["weight"] == 20 and why["telemarketing_range"]["source"] == "ARCEP"
        assert why["telemarketing_range"]["detail"].startswith("Telemarketing (legal range): 01 62 12 34 56")
        assert "France" in why["telemarketing_range"]["detail"] and "not a scam" in why["telemarketing_range"]["detail"]
        assert obj["verdict"] == "unknown" and obj["spam_score"] == 20
        assert obj["call_back"] == "no" and "sales call" in obj["call_back_reason"]


def test_repeated_telemarketing_is_suspicious_at_most(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WHOCALLED_REGION", "FR")
    calls = [timedelta(days=d, hours=d) for d in range(4)]  # four silent daytime calls at different hours
    for obj in judge(android_log(tmp_path / "calls-1.xml", calls)):
        assert obj["verdict"] == "suspicious" and obj["spam_score"] == 50  # 20 + 30 for the repeats
        assert obj["call_back"] == "no" and "telemarketing range" in obj["call_back_reason"]


def test_telemarketing_text_output_names_the_range(monkeypatch) -> None:
    monkeypatch.setenv("WHOCALLED_REGION", "FR")
    r = CliRunner().invoke(app, ["lookup", "0948 12 34 56", "--offline"])
    assert r.exit_code == 0 and "Traceback" not in r.output, r.output
    assert "Telemarketing (legal range)" in r.stdout and "09 48 12 34 56" in r.stdout
