"""Issue 16: expected calls. A courier, a clinic or a bank calls from a number never seen
before; while the user expects it, a matching caller is "maybe the call you expect", call
back yes, never blocked as spam, and let through by the server's screen. Checked through
`triage --json`, `lookup --json` and `/api/v1/screen` on real-format logs and a real store."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from db.store import Store
from lookup.cli import app
from lookup.engine import Engine
from lookup.expect import EXPECTED, EXPECTED_POINTS, add_expectation
from lookup.models import Finding, History, Level, Status
from lookup.numbers import normalize_number
from lookup.server.app import create_app
from lookup.settings import Settings
from lookup.verdict import score

COURIER = "+12025550143"  # an unknown number of the courier's range
OTHER = "+12025550104"  # another number of the same thousands-block
START = datetime(2026, 3, 5, 14, 0, tzinfo=timezone.utc)  # daytime: no "at night"
MISSED = 3
SOON = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%d")

runner = CliRunner()


def android_log(path, calls: list[tuple[str, timedelta]]) -> str:
    """An SMS Backup & Restore calls XML of silent missed calls ``(number, after START)``."""
    rows = "".join(
        f'<call number="{n}" duration="0" date="{int((START + after).timestamp() * 1000)}"'
        f' type="{MISSED}" presentation="1" contact_name="(Unknown)" />\n'
        for n, after in calls
    )
    path.write_text(
        f"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count=\"{len(calls)}\">\n{rows}</calls>\n"
    )
    return str(path)


def run(*args: str) -> str:
    r = runner.invoke(app, list(args))
    assert r.exit_code == 0 and "Traceback" not in r.output, r.output
    return r.stdout


def triaged(log: str, *extra: str) -> dict[str, dict]:
    out = run("triage", log, "--offline", "--json", *extra)
    rows = map(json.loads, (line for line in out.splitlines() if line.startswith("{")))
    return {o["e164"]: o for o in rows if "waves" not in o}  # the last line lists the waves found


def looked_up(number: str) -> dict:
    return json.loads(run("lookup", number, "--offline", "--json"))


def reasons(obj: dict) -> dict[str, dict]:
    return {r["signal"]: r for r in obj["reasons"]}


def assert_expected(obj: dict, who: str) -> None:
    why = reasons(obj)
    assert why[EXPECTED]["weight"] == EXPECTED_POINTS
    assert f"Maybe the call you expect from {who}" in why[EXPECTED]["detail"]
    assert obj["call_back"] == "yes" and f"Maybe the call you expect from {who}" in obj["call_back_reason"]
    assert obj["verdict"] in ("likely_ok", "unknown")


def test_an_expected_courier_from_an_unknown_number(tmp_path) -> None:
    log = android_log(tmp_path / "calls-1.xml", [(COURIER, timedelta(0))])
    before = triaged(log)[COURIER]
    assert EXPECTED not in reasons(before) and before["call_back"] != "yes"
    assert "Expecting a call from DHL" in run("expect", "DHL", "--prefix", "+1 202 555", "--until", SOON)
    assert_expected(triaged(log)[COURIER], "DHL")
    assert_expected(looked_up(COURIER), "DHL")


def test_an_expected_caller_is_never_blocked_by_block_spam(tmp_path) -> None:
    # A wave: six numbers of one block call silently within two days (+30 each); the courier
    # and one other number call four times (+30 more): likely spam, both, without the expectation.
    calls = [(f"+1202555010{i}", timedelta(hours=5 * i)) for i in range(1, 7)]
    calls += [(n, timedelta(days=1, hours=h)) for n in (COURIER, OTHER) for h in (0, 2, 4, 6)]
    log = android_log(tmp_path / "calls-1.xml", calls)
    assert triaged(log)[COURIER]["verdict"] == "likely_spam"
    run("expect", "DHL", "--number", "(202) 555-0143", "--until", SOON)
    r = runner.invoke(app, ["triage", log, "--offline", "--block-spam"])
    assert r.exit_code == 0, r.output
    blocked = run("lists", "--kind", "block")
    assert OTHER in blocked and COURIER not in blocked
    assert_expected(looked_up(COURIER), "DHL")
    assert looked_up(OTHER)["verdict"] == "blocked"


@pytest.mark.parametrize(
    "scope, matching, not_matching",
    [
        pytest.param(["--prefix", "+4420"], "+44 20 7946 0000", "+44 161 496 0000", id="prefix"),
        pytest.param(["--prefix", "+4420*"], "+44 20 7946 0000", "+33 1 44 55 66 77", id="prefix-with-star"),
        pytest.param(["--country", "gb"], "+44 161 496 0000", "+33 1 44 55 66 77", id="country"),
        pytest.param([], "+1 202 555 0199", "+44 20 7946 0000", id="home-region-by-default"),
        pytest.param(["--number", "+44 20 7946 0000"], "+44 20 7946 0000", "+44 20 7946 0001", id="number"),
    ],
)
def test_which_callers_an_expectation_matches(scope, matching, not_matching) -> None:
    run("expect", "Clinic", *scope)
    assert_expected(looked_up(matching), "Clinic")
    other = looked_up(not_matching)
    assert EXPECTED not in reasons(other) and "expect from" not in other["call_back_reason"]


def test_a_closed_or_ended_expectation_no_longer_matches(tmp_path) -> None:
    run("expect", "DHL", "--prefix", "+1202555")
    listed = [json.loads(line) for line in run("expect", "--json").splitlines()]
    assert [(x["who"], x["scope"], x["pattern"]) for x in listed] == [("DHL", "prefix", "+1202555*")]
    assert_expected(looked_up(COURIER), "DHL")
    assert "Closed expectation #1 (DHL)" in run("expect", "--done", "1")
    assert EXPECTED not in reasons(looked_up(COURIER))
    assert "No open expectations" in run("expect")
    again = runner.invoke(app, ["expect", "--done", "1"])
    assert again.exit_code == 2 and "already closed" in again.output
    # One that ended by itself: stored with an end in the past (the CLI refuses to make one).
    with Store(tmp_path / "w.db") as store:
        settings = Settings(region="US", db_path=tmp_path / "w.db")
        add_expectation(store, settings, "Bank", number=COURIER, now=START - timedelta(days=30), until="2026-03-01")
    r = runner.invoke(app, ["lookup", COURIER, "--offline", "--json", "--db", str(tmp_path / "w.db")])
    assert r.exit_code == 0 and EXPECTED not in reasons(json.loads(r.stdout))


@pytest.mark.parametrize(
    "args, message",
    [
        pytest.param(["DHL", "--until", "2020-01-01"], "--until: 2020-01-01 is already past", id="past"),
        pytest.param(["DHL", "--until", "next friday"], "--until: not a date or time", id="not-a-date"),
        pytest.param(["DHL", "--country", "XX"], "--country: not a two-letter country code", id="country"),
        pytest.param(["DHL", "--number", "+1202*"], "--number takes one number, not a range", id="range-as-number"),
        pytest.param(["DHL", "--prefix", "hello"], "--prefix: not a number prefix", id="bad-prefix"),
        pytest.param(["DHL", "--prefix", "+44", "--country", "GB"], "at most one of", id="two-scopes"),
        pytest.param(["  "], "say who you expect a call from", id="nobody"),
        pytest.param(["--until", SOON], "say who you expect a call from", id="until-alone"),
        pytest.param(["DHL", "--done", "1"], "--done ID closes an expectation", id="done-with-who"),
        pytest.param(["--done", "7"], "there is no expectation #7", id="done-unknown"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message) -> None:
    run("expect", "Kept")
    r = runner.invoke(app, ["expect", *args])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1
    assert [json.loads(line)["who"] for line in run("expect", "--json").splitlines()] == ["Kept"]


def test_a_date_alone_lasts_to_the_end_of_that_day() -> None:
    obj = json.loads(run("expect", "DHL", "--until", SOON, "--json"))
    end = datetime.fromisoformat(obj["until_at"]).astimezone()  # the machine's local time
    assert end.strftime("%Y-%m-%d %H:%M") == f"{SOON} 23:59"
    default = json.loads(run("expect", "UPS", "--json"))
    days = (datetime.fromisoformat(default["until_at"]) - datetime.now(timezone.utc)).total_seconds() / 86400
    assert 6.9 < days <= 7.0


# ---------------------------------------------------------------- what rules an expectation out

US = Settings(region="US")


def spam_findings(e164: str) -> list[Finding]:
    return [Finding(s, e164, Status.FOUND, spam=1.0, reports=60) for s in ("shouldianswer_com", "tellows")]


def expectation(scope: dict, tmp_path):
    """The open expectations of a new store holding only this one."""
    with Store(tmp_path / f"x-{'-'.join(scope)}.db") as store:
        add_expectation(store, US, "DHL", **scope)
        from lookup.expect import open_expectations

        return open_expectations(store)


def test_a_named_number_wins_over_others_reports_but_a_country_does_not(tmp_path) -> None:
    n = normalize_number(COURIER, "US")
    heavy = dict(findings=spam_findings(COURIER), history=History(silent_calls=4), settings=US)
    assert score(n, **heavy).level is Level.LIKELY_SPAM
    named = score(n, **heavy, expected=expectation({"number": COURIER}, tmp_path))
    assert named.level is Level.UNKNOWN and named.call_back.value == "yes"  # 90 - 40 would be suspicious
    wide = score(n, **heavy, expected=expectation({"country": "US"}, tmp_path))
    assert wide.level is Level.LIKELY_SPAM and wide.call_back.value == "no"
    [doubt] = [e for e in wide.evidence if e.signal.startswith("expected")]
    assert doubt.weight == 0 and "too strong" in doubt.detail


@pytest.mark.parametrize(
    "setup, level",
    [
        pytest.param(["block", COURIER], "blocked", id="blocked"),
        pytest.param(["report", COURIER, "--category", "scam"], None, id="reported"),
    ],
)
def test_the_users_own_word_rules_an_expectation_out(setup, level) -> None:
    run(*setup)
    run("expect", "DHL", "--number", COURIER)
    obj = looked_up(COURIER)
    assert EXPECTED not in reasons(obj) and obj["call_back"] != "yes"
    assert level is None or obj["verdict"] == level


def test_a_forged_or_costly_number_is_not_the_expected_call(tmp_path) -> None:
    run("expect", "Clinic", "--prefix", "+1900")
    obj = looked_up("+1 900 555 0123")  # premium rate
    assert EXPECTED not in reasons(obj) and obj["call_back"] == "no"


# ---------------------------------------------------------------- the server's screen


async def test_screen_lets_an_expected_caller_through_with_the_reason(tmp_path, aiohttp_client) -> None:
    settings = Settings(region="US", deadline=2.0, screen_deadline=0.4, db_path=tmp_path / "s.db")
    with Store(tmp_path / "s.db") as store:
        store.save_findings(spam_findings(COURIER), lambda f: 30)
        client = await aiohttp_client(create_app(settings, store, Engine(store=store, settings=settings)))
        before = await (await client.get(f"/api/v1/screen/{COURIER}")).json()
        assert before["action"] == "block"
        add_expectation(store, settings, "the dentist", number=COURIER)
        after = await (await client.get(f"/api/v1/screen/{COURIER}")).json()
        assert after["action"] == "allow" and after["verdict"] == "unknown"
        assert "Maybe the call you expect from the dentist" in after["reason"]
        text = await (await client.get(f"/api/v1/screen/{COURIER}?format=text")).text()
        assert text == "allow"


class BrokenEngine(Engine):
    """The real engine whose lookups fail: the server answers from the number and what it holds
    in memory (the lists and the expected calls)."""

    async def lookup(self, inputs, **kwargs):  # type: ignore[override]
        raise RuntimeError("the database failed")

    def lookup_offline(self, inputs, region=None):  # type: ignore[override]
        raise RuntimeError("the database failed")


async def test_screen_honours_expectations_when_the_lookup_fails(tmp_path, aiohttp_client) -> None:
    expected, other = "+18768812345", "+18768812346"  # +1 876 (Jamaica) looks domestic: warn from the number alone
    settings = Settings(region="US", deadline=2.0, screen_deadline=0.4, db_path=tmp_path / "s.db")
    with Store(tmp_path / "s.db") as store:
        add_expectation(store, settings, "the hotel in Kingston", number=expected)
        client = await aiohttp_client(create_app(settings, store, BrokenEngine(store=store, settings=settings)))
        answer = await (await client.get(f"/api/v1/screen/{expected}")).json()
        assert answer["action"] == "allow" and answer["complete"] is False
        assert "Maybe the call you expect from the hotel in Kingston" in answer["reason"]
        assert (await (await client.get(f"/api/v1/screen/{other}")).json())["action"] == "warn"
