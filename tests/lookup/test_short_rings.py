"""Issue 16: "rang under 5 s", from the logs that record how long an unanswered call rang (an
Asterisk CDR's NO ANSWER duration, a CSV's ring column), stored with the call and counted towards
spam when it keeps happening; through `triage --json` and `lookup --json`. Logs whose missed
calls carry no ring time (Android's duration is 0 for every missed call) give no such signal."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lookup.calllogs import read_calls
from lookup.cli import app

NUMBER = "+12125550148"
START = datetime(2024, 3, 4, 9, 0, 0)  # read in UTC: daytime, so no "at night"


def cdr(path: Path, calls: list[tuple[timedelta, int, str]]) -> str:
    """An Asterisk Master.csv of incoming calls from NUMBER: ``(after START, duration, disposition)``.
    The columns are cdr_csv's 16 in their order (accountcode ... amaflags), as FORMATS.md gives them
    from asterisk/asterisk's cdr/cdr_csv.c and as tests/calllogs/data/Master.csv has them; for a call
    nobody answered, ``duration`` runs from start to end and ``billsec`` is 0, which is what makes
    ``duration`` the ring time there."""
    lines = []
    for after, duration, disposition in calls:
        start, end = START + after, START + after + timedelta(seconds=duration)
        billsec = duration if disposition == "ANSWERED" else 0
        lines.append(
            f'"","2125550148","100","from-pstn","""2125550148"" <2125550148>","SIP/t-1","SIP/100-1","Dial",'
            f'"SIP/100,30","{start:%Y-%m-%d %H:%M:%S}","","{end:%Y-%m-%d %H:%M:%S}",{duration},{billsec},"{disposition}","DOCUMENTATION"'
        )
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def judge(log: str) -> tuple[dict, dict]:
    """The number's object from `triage --json`, then from `lookup --json`."""
    runner = CliRunner()
    r = runner.invoke(app, ["triage", log, "--offline", "--json", "--format", "asterisk_csv"])
    assert r.exit_code == 0 and "Traceback" not in r.output, r.output
    triaged = next(o for o in map(json.loads, r.stdout.splitlines()) if o.get("e164") == NUMBER)
    r = runner.invoke(app, ["lookup", NUMBER, "--offline", "--json"])
    assert r.exit_code == 0 and "Traceback" not in r.output, r.output
    return triaged, json.loads(r.stdout)


@pytest.fixture(autouse=True)
def _utc(tmp_path, monkeypatch) -> None:
    """The PBX's clock is UTC, whatever the machine's zone: the calls stay in the daytime."""
    config = tmp_path / "config.toml"
    config.write_text('timezone = "UTC"\n')
    monkeypatch.setenv("WHOCALLED_CONFIG", str(config))


def reasons(obj: dict) -> dict[str, dict]:
    return {r["signal"]: r for r in obj["reasons"]}


def test_repeated_short_rings_are_a_dialler_that_wants_a_call_back(tmp_path) -> None:
    hours = [timedelta(days=d, hours=2 * d) for d in range(3)]  # three days, different hours: no schedule
    log = cdr(tmp_path / "Master.csv", [(at, ring, "NO ANSWER") for at, ring in zip(hours, (2, 3, 4))])
    for obj in judge(log):
        why = reasons(obj)
        assert why["short_rings"]["weight"] == 20
        assert why["short_rings"]["detail"].startswith("3 of its silent calls rang for less than 5 seconds")
        assert obj["verdict"] == "suspicious" and obj["spam_score"] == 40  # 20 for the repeats, 20 for the rings
        assert obj["call_back"] == "no" and "so that you call back" in obj["call_back_reason"]


def test_long_rings_a_single_short_ring_or_a_busy_line_are_no_signal(tmp_path) -> None:
    calls = [(timedelta(0), 25, "NO ANSWER"), (timedelta(days=1, hours=3), 3, "NO ANSWER"),
             (timedelta(days=2, hours=5), 1, "BUSY"), (timedelta(days=3, hours=1), 0, "FAILED")]
    for obj in judge(cdr(tmp_path / "Master.csv", calls)):
        assert "short_rings" not in reasons(obj)
        assert obj["call_back"] != "no"


def test_the_ring_time_is_read_only_where_the_log_records_it(tmp_path) -> None:
    log = cdr(tmp_path / "Master.csv", [(timedelta(0), 3, "NO ANSWER"), (timedelta(hours=1), 40, "ANSWERED"),
                                        (timedelta(hours=2), 2, "BUSY")])
    assert [c.ring for c in read_calls(log, tz="UTC")] == [3, None, None]
    csv_log = tmp_path / "pbx.csv"
    csv_log.write_text("number,start,type,ring duration\n2125550148,2024-03-04 09:00,missed,0:04\n"
                       "2125550148,2024-03-04 10:00,missed,\n")
    calls = list(read_calls(csv_log, tz="UTC"))
    assert [(c.ring, c.duration) for c in calls] == [(4, None), (None, None)]  # a ring column is not the call's length
    android = tmp_path / "calls-1.xml"
    android.write_text("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count=\"1\">\n"
                       '<call number="2125550148" duration="0" date="1709542800000" type="3" presentation="1" />\n</calls>\n')
    assert [c.ring for c in read_calls(android)] == [None]


def test_short_rings_from_a_csv_with_a_ring_column(tmp_path) -> None:
    log = tmp_path / "pbx.csv"
    log.write_text("caller,timestamp,status,ring time\n"
                   "+12125550148,2024-03-04T09:00:00Z,missed,2\n+12125550148,2024-03-05T13:00:00Z,missed,1\n")
    r = CliRunner().invoke(app, ["triage", str(log), "--offline", "--json"])
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout.splitlines()[0])
    assert reasons(obj)["short_rings"]["detail"].startswith("2 of its silent calls")
    assert obj["verdict"] == "suspicious" and obj["call_back"] == "no"


def test_a_database_from_before_ring_times_upgrades_without_loss(tmp_path) -> None:
    from sqlite_utils import Database

    from db.migrations import migrations
    from db.store import Store

    path = tmp_path / "m008.db"
    db = Database(path)
    migrations.apply(db, stop_before="m011_call_ring_time")
    assert "ring_s" not in db["calls"].columns_dict
    db.close()
    old = ("k1", NUMBER, "2024-03-04T09:00:00+00:00", "incoming", "missed", 0, None, None, "asterisk_csv", 1, 0, 0)
    with Store(path) as store:
        assert store.save_calls([old]) == 1  # rows without a ring time are still taken
        rows = [(f"k{i}", NUMBER, f"2024-03-0{i}T09:00:00+00:00", "incoming", "missed", 0, None, None,
                 "asterisk_csv", 1, 0, 0, 2) for i in (2, 3)]
        assert store.save_calls(rows) == 2
        history = store.histories([NUMBER])[NUMBER]
        assert (history.silent_calls, history.short_rings) == (3, 2)  # the old call has no ring time
