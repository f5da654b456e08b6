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
    lines = [json.loads(line) for line in triage(log, "--json").splitlines()]
    got = {o["e164"]: o for o in lines[:-1]}
    assert len(got) == 8
    (wave,) = lines[-1]["waves"]  # the last line lists the waves found
    assert wave["block"] == "+12025550xxx" and wave["numbers"] == sorted(got) and wave["own_block"] is False
    assert wave["first_at"] == "2024-03-05T14:00:00+00:00" and wave["last_at"] == "2024-03-07T08:00:00+00:00"
    assert wave["command"] == "whocalled block '+12025550*'"
    for obj in got.values():
        why = {r["signal"]: r for r in obj["reasons"]}
        assert why["wave"]["weight"] == 30
        assert why["wave"]["detail"].startswith("One of 8 numbers from +12025550xxx") and "campaign" in why["wave"]["detail"]
        assert obj["verdict"] == "suspicious" and obj["call_back"] == "caution"
    text = triage(log)
    assert "Wave: 8 numbers from +12025550xxx called you silently within 7 days" in text
    assert "whocalled block '+12025550*'" in text and "your own number" not in text
    r = CliRunner().invoke(app, ["lookup", "+12025550103", "--offline", "--json"])
    looked = json.loads(r.stdout)
    assert {x["signal"]: x["detail"] for x in looked["reasons"]}["wave"].startswith("One of 8 numbers from +12025550xxx")
    assert looked["verdict"] == "suspicious" and looked["call_back"] == "caution"
    assert looked["call_back_reason"].startswith("Suspicious: if it claims to be your bank")


def test_too_few_numbers_or_too_many_days_make_no_wave(tmp_path) -> None:
    calls = spread(4, 6) + spread(5, 24 * 5, block="+120255530")  # 4 in two days; 5 over 20 days
    text = triage(android_log(tmp_path / "calls-1.xml", calls), "--json")
    assert not [r for line in text.splitlines() for r in json.loads(line)["reasons"] if r["signal"] == "wave"]
    assert "Wave:" not in triage(str(tmp_path / "calls-1.xml"))


def test_a_wave_in_your_own_block_says_so_apart_from_neighbour_spoofing(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WHOCALLED_OWN_NUMBERS", "+12025550199")
    log = android_log(tmp_path / "calls-1.xml", spread(6, 2))
    *numbers, waves = [json.loads(line) for line in triage(log, "--json").splitlines()]
    for obj in numbers:
        why = {r["signal"]: r["detail"] for r in obj["reasons"]}
        assert why["wave"].startswith("One of 6 numbers from +12025550xxx")
        assert why["neighbour_spoofing"].startswith("Same area code and exchange as your number +12025550199")
        if "night_calls" in why:  # 22:00 and 00:00: at night adds 10 and makes it likely spam
            assert (obj["verdict"], obj["spam_score"], obj["call_back"]) == ("likely_spam", 65, "no")
        else:
            assert (obj["verdict"], obj["spam_score"], obj["call_back"]) == ("suspicious", 55, "caution")
    r = CliRunner().invoke(app, ["lookup", "+12025550102", "--offline", "--json"])
    assert {x["signal"] for x in json.loads(r.stdout)["reasons"]} >= {"wave", "neighbour_spoofing"}
    assert [(w["block"], w["own_block"], len(w["numbers"])) for w in waves["waves"]] == [("+12025550xxx", True, 6)]
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


def configure(tmp_path, monkeypatch, text: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text)
    monkeypatch.setenv("WHOCALLED_CONFIG", str(config))


def test_the_wave_settings_change_what_makes_a_wave(tmp_path, monkeypatch) -> None:
    calls = spread(4, 6)  # four numbers of +12025550xxx within a day
    configure(tmp_path, monkeypatch, "[waves]\nnumbers = 4\nnanp_block_size = 100\n")
    *numbers, waves = [json.loads(line) for line in triage(android_log(tmp_path / "calls-1.xml", calls), "--json").splitlines()]
    assert [(w["block"], len(w["numbers"]), w["command"]) for w in waves["waves"]] == [
        ("+120255501xx", 4, "whocalled block '+120255501*'")]
    for obj in numbers:
        why = {r["signal"]: r for r in obj["reasons"]}
        assert why["wave"]["detail"].startswith("One of 4 numbers from +120255501xx that called you silently within 7 days")
        assert obj["verdict"] == "suspicious" and obj["call_back"] == "caution"
    assert "Wave: 4 numbers from +120255501xx called you silently within 7 days" in triage(str(tmp_path / "calls-1.xml"))


def test_a_shorter_wave_window_leaves_a_slow_campaign_out(tmp_path, monkeypatch) -> None:
    configure(tmp_path, monkeypatch, "[waves]\ndays = 1\n")
    log = android_log(tmp_path / "calls-1.xml", spread(8, 6))  # eight numbers over 42 hours: five within a day
    lines = [json.loads(line) for line in triage(log, "--json").splitlines()]
    assert lines[-1]["waves"][0]["numbers"] == [f"+120255501{i:02d}" for i in range(5)]
    configure(tmp_path, monkeypatch, "[waves]\ndays = 1\nnumbers = 6\n")
    assert all("e164" in obj for obj in map(json.loads, triage(log, "--json").splitlines()))  # no waves line


def test_bad_wave_settings_are_refused_in_one_line(tmp_path, monkeypatch) -> None:
    log = android_log(tmp_path / "calls-1.xml", spread(2, 1))
    for text, problem in [
        ("[waves]\nnumbers = 1\n", "waves.numbers must be from 2 to 1000, not 1"),
        ("[waves]\nblock_size = 50\n", "waves.block_size must be one of 10, 100, 1000, 10000, not 50"),
        ("[waves]\ndays = 2.5\n", "waves.days must be a whole number, not 2.5"),
        ("[waves]\nday = 3\n", "waves.day is not a setting (did you mean waves.days?)"),
        ("waves = 3\n", "waves must be a table ([waves]), not 3"),
    ]:
        configure(tmp_path, monkeypatch, text)
        r = CliRunner().invoke(app, ["triage", log, "--offline"])
        assert r.exit_code == 2 and "Traceback" not in r.output, r.output
        assert problem in r.output and len(r.output.strip().splitlines()) == 1, r.output
    configure(tmp_path, monkeypatch, "[waves]\nnumbers = 6\ndays = 3\nblock_size = 1000\n")
    r = CliRunner().invoke(app, ["config", "show"])
    assert json.loads(r.stdout)["waves"] == {"numbers": 6, "days": 3, "block_size": 1000, "nanp_block_size": 1000}
