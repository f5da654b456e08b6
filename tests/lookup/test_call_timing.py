"""Issue 16: the timing of the calls in the log (urgent redial, bot redial, same hour on several
days) in the verdict, read from real-format Android logs through `triage` and `lookup`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from typer.testing import CliRunner

from lookup.cli import app
from lookup.timing import count_same_time_days, read_timing

NUMBER = "+12015550123"
START = datetime(2024, 3, 5, 14, 0, tzinfo=timezone.utc)  # daytime, so no "at night"


def android_log(path, calls: list[tuple[timedelta, int, int]]) -> str:
    """An SMS Backup & Restore calls XML of ``(after START, type, duration)`` from NUMBER."""
    rows = "".join(
        f'<call number="{NUMBER}" duration="{duration}" date="{int((START + after).timestamp() * 1000)}"'
        f' type="{kind}" presentation="1" contact_name="(Unknown)" />\n'
        for after, kind, duration in calls
    )
    path.write_text(
        f"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count=\"{len(calls)}\">\n{rows}</calls>\n"
    )
    return str(path)


def judge(log: str) -> tuple[dict, dict]:
    """The number's JSON object from `triage --json`, then from `lookup --json` afterwards."""
    runner = CliRunner()
    r = runner.invoke(app, ["triage", log, "--offline", "--json"])
    assert r.exit_code == 0 and "Traceback" not in r.output, r.output
    triaged = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    r = runner.invoke(app, ["lookup", NUMBER, "--offline", "--json"])
    assert r.exit_code == 0 and "Traceback" not in r.output, r.output
    return next(o for o in triaged if o["e164"] == NUMBER), json.loads(r.stdout)


def reasons(obj: dict) -> dict[str, dict]:
    return {r["signal"]: r for r in obj["reasons"]}


MISSED, ANSWERED = 3, 1


def test_a_call_again_after_minutes_is_worth_a_call_back(tmp_path) -> None:
    log = android_log(tmp_path / "calls-1.xml", [(timedelta(0), MISSED, 0), (timedelta(minutes=3), MISSED, 0)])
    for obj in judge(log):
        why = reasons(obj)
        assert why["urgent_redial"]["weight"] == -20 and "needs you" in why["urgent_redial"]["detail"]
        assert "quick_redial" not in why and "same_time_days" not in why
        assert obj["verdict"] in ("unknown", "likely_ok") and obj["call_back"] == "yes"
        assert "tried again within minutes" in obj["call_back_reason"]


def test_a_redial_within_seconds_is_a_dialler(tmp_path) -> None:
    calls = [(timedelta(0), MISSED, 0), (timedelta(seconds=12), MISSED, 0), (timedelta(seconds=25), MISSED, 0)]
    for obj in judge(android_log(tmp_path / "calls-1.xml", calls)):
        why = reasons(obj)
        assert why["quick_redial"]["weight"] == 15 and "(2 times)" in why["quick_redial"]["detail"]
        assert "diallers retry that fast" in why["quick_redial"]["detail"]
        assert "urgent_redial" not in why
        assert obj["verdict"] == "suspicious" and obj["call_back"] == "caution"
        assert obj["call_back_reason"].startswith("Suspicious: if it claims to be your bank")


def test_a_bot_that_also_comes_back_minutes_later_gets_no_call_back_advice(tmp_path) -> None:
    calls = [(timedelta(0), MISSED, 0), (timedelta(seconds=10), MISSED, 0), (timedelta(minutes=5), MISSED, 0)]
    for obj in judge(android_log(tmp_path / "calls-1.xml", calls)):
        assert {"quick_redial", "urgent_redial"} <= set(reasons(obj))
        assert obj["call_back"] != "yes"


def test_silent_calls_at_the_same_hour_on_several_days_are_a_schedule(tmp_path) -> None:
    offsets = [timedelta(days=0, minutes=2), timedelta(days=1, minutes=10), timedelta(days=2, minutes=-5),
               timedelta(days=4, minutes=5)]
    log = android_log(tmp_path / "calls-1.xml", [(at, MISSED, 0) for at in offsets])
    for obj in judge(log):
        why = reasons(obj)
        assert why["same_time_days"]["weight"] == 20 and "4 different days" in why["same_time_days"]["detail"]
        assert "schedule of a calling machine" in why["same_time_days"]["detail"]
        assert obj["verdict"] == "suspicious" and obj["call_back"] == "caution"
        assert obj["call_back_reason"].startswith("Suspicious: if it claims to be your bank")


def test_calls_at_different_hours_or_a_person_who_got_through_are_no_pattern(tmp_path) -> None:
    calls = [(timedelta(days=0), MISSED, 0), (timedelta(days=1, hours=3), MISSED, 0),
             (timedelta(days=2, hours=-4), MISSED, 0), (timedelta(days=2, hours=-4, seconds=45), MISSED, 0),
             (timedelta(days=3), ANSWERED, 60), (timedelta(days=3, minutes=2), MISSED, 0)]
    for obj in judge(android_log(tmp_path / "calls-1.xml", calls)):
        # 45 s is neither a dialler's retry nor a person's; a missed call after an answered one is no redial
        assert not {"same_time_days", "quick_redial", "urgent_redial"} & set(reasons(obj))


def test_timing_read_across_midnight_and_only_after_a_silent_call() -> None:
    day = 86_400
    assert count_same_time_days([day - 300, 2 * day + 300, 4 * day - 120]) == 3  # 23:55, 00:05, 23:58
    assert count_same_time_days([0, day + 3600, 2 * day + 7200]) == 0
    assert count_same_time_days([0, 60, 120]) == 0  # one day is no schedule
    timing = read_timing([(0.0, False), (20.0, True), (140.0, False), (150.0, True), (175.0, True)])
    assert (timing.quick_redials, timing.urgent_redials) == (1, 1)  # 0 -> 20 s follows an answered call
