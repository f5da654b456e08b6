"""Issue 16: a wave of silent calls from many numbers of one block, found in real-format Android
logs by `triage` (its JSON, its text and the block command) and seen again by `lookup`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from typer.testing import CliRunner

from lookup.cli import app
from lookup.timing import find_wave, wave_block

START = datetime(2024, 3, 5, 14, 0, tzinfo=timezone.utc)


def android_log(path, calls: list[tuple[str, timedelta]]) -> str:
    """An SMS Backup & Restore calls XML of missed calls ``(number, after START)``."""
    rows = "".join(
        f'<call number="{number}" duration="0" date="{int((START + after).timestamp() * 1000)}"'
        ' type="3" presentation="1" contact_name="(Unknown)" />\n'
        for number, after in calls
    )
    path.write_text(f"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count=\"{len(calls)}\">\n{rows}</calls>\n")
    return str(path)


def triage(log: str, *extra: str):
    r = CliRunner().invoke(app, ["triage", log, "--offline", *extra])
    assert r.exit_code == 0 and "Traceback" not in r.output, r.output
    return r.stdout


def spread(count: int, hours: float, block: str = "+120255501") -> list[tuple[str, timedelta]]:
    """One silent call each from ``count`` numbers of a block, ``hours`` apart."""
    return [(f"{block}{i:02d}", timedelta(hours=hours * i)) for i in range(count)]


def test_eight_numbers_of_one_block_over_two_days_are_a_wave(tmp_path) -> None:
    log = android_log(tmp_path / "calls-1.xml", spread(8, 6))  # 0 h to 42 h
    got = {o["e164"]: o for o in map(json.loads, triage(log, "--json").splitlines())}
    assert len(got) == 8
    for obj in got.values():
        why = {r["signal"]: r for r in obj["reasons"]}
        assert why["wave"]["weight"] == 30
        assert why["wave"]["detail"].startswith("One of 8 numbers from +12025550xxx") and "campaign" in why["wave"]["detail"]
        assert obj["verdict"] == "suspicious" and obj["call_back"] == "caution"
    text = triage(log)
    assert "Wave: 8 numbers from +12025550xxx called you silently within 7 days" in text
    assert "whocalled block '+12025550*'" in text and "your own number" not in text
    r = CliRunner().invoke(app, ["lookup", "+12025550103", "--offline", "--json"])
    assert "wave" in {x["signal"] for x in json.loads(r.stdout)["reasons"]}


def test_too_few_numbers_or_too_many_days_make_no_wave(tmp_path) -> None:
    calls = spread(4, 6) + spread(5, 24 * 5, block="+120255530")  # 4 in two days; 5 over 20 days
    text = triage(android_log(tmp_path / "calls-1.xml", calls), "--json")
    assert not [r for line in text.splitlines() for r in json.loads(line)["reasons"] if r["signal"] == "wave"]
    assert "Wave:" not in triage(str(tmp_path / "calls-1.xml"))


def test_a_wave_in_your_own_block_says_so_apart_from_neighbour_spoofing(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WHOCALLED_OWN_NUMBERS", "+12025550199")
    log = android_log(tmp_path / "calls-1.xml", spread(6, 2))
    for line in triage(log, "--json").splitlines():
        signals = {r["signal"] for r in json.loads(line)["reasons"]}
        assert {"wave", "neighbour_spoofing"} <= signals
    text = triage(log)
    assert "Wave: 6 numbers from +12025550xxx" in text
    assert "This is your own number's block" in text and "neighbour spoofing" in text
    assert "Only if you are sure: whocalled block '+12025550*'" in text


def test_blocks_and_the_wave_window() -> None:
    assert wave_block("+12025550123") == "+12025550"  # NANP: a thousands-block of one exchange
    assert wave_block("+33162123456") == "+331621234"  # elsewhere: a block of 100
    assert wave_block("Withheld") is None and wave_block("+1202") is None
    day = 86_400.0
    calls = [(f"+1202555010{i}", i * day) for i in range(5)]  # five numbers over four days
    assert len(find_wave(calls)) == 5
    assert find_wave([(n, t * 2) for n, t in calls]) == frozenset()  # over eight days: no wave
    assert find_wave(calls[:1] * 6 + calls[1:4]) == frozenset()  # nine calls, four numbers
