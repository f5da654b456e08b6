"""`whocalled triage`: silent missed calls from real-format logs, grouped, looked up, acted on."""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime, timezone
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from db.store import Store
from lookup.cli import app

DATA = Path(__file__).parents[1] / "calllogs" / "data"
ANDROID = DATA / "calls-20240310091245.xml"


def run(*args: str):
    r = CliRunner().invoke(app, list(args))
    assert "Traceback" not in r.output
    return r


def objects(out: str) -> dict[str, dict]:
    objs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {o["e164"] or "withheld": o for o in objs}


def test_android_log_silent_calls_grouped(tmp_path) -> None:
    r = run("triage", str(ANDROID), "--offline", "--json")
    assert r.exit_code == 0, r.output
    got = objects(r.stdout)
    # missed twice from Jamaica; a zero-second incoming call; withheld callers grouped together
    assert got["+18765550123"]["calls"]["silent_missed"] == 2
    assert got["+18765550123"]["verdict"] in ("suspicious", "likely_spam")
    assert {r["signal"] for r in got["+18765550123"]["reasons"]} >= {"nanp_international", "repeated_silent"}
    assert got["+12015550123"]["calls"]["silent_missed"] == 1
    assert got["withheld"]["call_back"] == "no"
    # a missed call followed by a voicemail is not silent; rejected/blocked are kept apart
    assert "+14155550199" not in got and "+18005550111" not in got and "+12125559876" not in got
    assert "skipped 4 rows" in r.stderr and "element 17" in r.stderr


def test_reimport_adds_nothing() -> None:
    run("triage", str(ANDROID), "--offline", "--json")
    with Store(os.environ["WHOCALLED_DB"]) as store:
        first = store.count_calls()
    run("triage", str(ANDROID), "--offline", "--json")
    with Store(os.environ["WHOCALLED_DB"]) as store:
        assert store.count_calls() == first > 10


def test_block_spam_blocks_likely_spam_only() -> None:
    run("report", "+1 876 555 0123", "-c", "scam")
    r = run("triage", str(ANDROID), "--offline", "--block-spam")
    assert r.exit_code == 0, r.output
    assert "Blocked 1 likely-spam number(s)." in r.stdout
    lists = [json.loads(line) for line in run("lists", "--json").stdout.splitlines()]
    assert [(e["pattern"], e["origin"]) for e in lists] == [("+18765550123", "triage")]
    assert lists[0]["reason"].startswith("triage ")
    assert "1 likely spam" in r.stdout


def test_contact_in_log_means_allowed_unless_blocked(tmp_path) -> None:
    log = tmp_path / "calls-1.xml"
    log.write_text(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count=\"2\">\n"
        '<call number="+18095550100" duration="0" date="1709622843000" type="3" presentation="1" contact_name="Tia Rosa" />\n'
        '<call number="+18095550100" duration="0" date="1709708327000" type="3" presentation="1" contact_name="Tia Rosa" />\n'
        "</calls>\n"
    )
    got = objects(run("triage", str(log), "--offline", "--json").stdout)
    assert got["+18095550100"]["verdict"] == "allowed" and got["+18095550100"]["name"] == "Tia Rosa"
    run("block", "+18095550100")
    got = objects(run("triage", str(log), "--offline", "--json").stdout)
    assert got["+18095550100"]["verdict"] == "blocked"


def test_caller_id_names_from_a_pbx_are_not_contacts(tmp_path) -> None:
    got = objects(run("triage", str(DATA / "Master.csv"), "--offline", "--json").stdout)
    assert got and all(o["verdict"] != "allowed" for o in got.values())


def test_since_filters_and_csv_output() -> None:
    r = run("triage", str(ANDROID), "--offline", "--csv", "--since", "2024-03-09")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert sorted(row["number"] for row in rows) == ["+12015550123", "withheld"]
    assert rows[0]["verdict"] and rows[0]["call_back"] and rows[0]["top_reason"]


def test_human_table_and_summary() -> None:
    r = run("triage", str(ANDROID), "--offline")
    assert "verdict" in r.stdout and "+1 876-555-0123" in r.stdout
    assert "silent missed calls from 2 numbers" in r.stdout and "from withheld numbers" in r.stdout
    assert "rejected or blocked calls kept apart" in r.stdout


def test_summary_counts_add_up_to_the_numbers_shown() -> None:
    """Each number is counted in exactly one bucket, so the counts add up to "from N numbers";
    suspicious numbers get their own count instead of vanishing from the line."""
    import re

    example = Path(__file__).parents[2] / "examples" / "calls-example.xml"
    r = run("triage", str(example), "--offline", "--json")
    levels = [o["verdict"] for k, o in objects(r.stdout).items() if k != "withheld"]
    summary = run("triage", str(example), "--offline").stdout.strip().splitlines()[-1]
    head = re.match(r"(\d+) silent missed calls from (\d+) numbers: ([^;.]*)", summary)
    assert head, summary
    counts = {name: int(n) for n, name in re.findall(r"(\d+) ([a-zA-Z ]+?)(?:,|$)", head[3])}
    assert sum(counts.values()) == int(head[2]) == len(levels)
    assert counts["likely spam"] == levels.count("likely_spam")
    assert counts.get("suspicious", 0) == levels.count("suspicious") > 0
    assert {"likely spam", "worth a call back", "unknown"} <= counts.keys()


def test_google_voice_takeout_folder() -> None:
    r = run("triage", str(DATA / "takeout"), "--offline", "--json")
    assert r.exit_code == 0, r.output
    assert "+17323215555" in objects(r.stdout)


def test_wrong_file_is_a_clear_error(tmp_path) -> None:
    junk = tmp_path / "photo.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 50)
    r = run("triage", str(junk), "--offline")
    assert r.exit_code == 2
    assert r.stderr.strip().startswith("whocalled: photo.jpg: not a call log I can read (tried: ")
    assert len(r.stderr.strip().splitlines()) == 1
    assert run("triage", str(tmp_path / "missing.xml")).exit_code == 2


def test_stored_call_keys_are_the_documented_call_key() -> None:
    """The row builder computes the key inline for speed; it must stay call_key() cut to 80 bits,
    or logs imported by an older version would be stored a second time."""
    from datetime import datetime, timedelta, timezone

    from lookup.calllogs.rules import call_key
    from lookup.models import Call, CallStatus, Direction
    from lookup.triage_read import _row

    berlin = timezone(timedelta(hours=1))
    calls = [
        Call("+12015550123", datetime(2026, 3, 1, 9, 30, 5, 123456, tzinfo=timezone.utc), Direction.INCOMING,
             CallStatus.MISSED, duration=0),
        Call(None, datetime(2026, 3, 1, 23, 0, tzinfo=berlin), Direction.INCOMING, CallStatus.REJECTED),
        Call("+4930123456", datetime(2026, 3, 2, 8, 0, tzinfo=berlin), Direction.OUTGOING, CallStatus.ANSWERED,
             duration=61, name="Oma", log_format="fritzbox_csv"),
    ]
    rows = [_row(c, None) for c in calls]
    assert [r[0] for r in rows] == [call_key(c)[:20] for c in calls]
    assert rows[1][2] == "2026-03-01T22:00:00+00:00"  # stored in UTC, whole seconds
    assert [r[9] for r in rows] == [1, 0, 0]  # only the unanswered incoming call is silent
    assert rows[2][11] == 1  # a name from a contact-bearing log marks a contact


def test_all_shows_every_caller_but_counts_only_silent_calls_as_silent() -> None:
    """--all lists answered calls and calls that left a voicemail too, without calling them
    silent: in the JSON, the CSV and the summary."""
    got = objects(run("triage", str(ANDROID), "--offline", "--json", "--all").stdout)
    maria, voicemail = got["+12125550148"]["calls"], got["+14155550199"]["calls"]
    assert (maria["silent_missed"], maria["other_incoming"]) == (0, 1)  # an answered call
    assert (voicemail["silent_missed"], voicemail["other_incoming"]) == (0, 2)  # missed, then a voicemail
    assert got["+18765550123"]["calls"]["silent_missed"] == 2
    rows = {row["number"]: row for row in csv.DictReader(io.StringIO(run("triage", str(ANDROID), "--offline", "--csv", "--all").stdout))}
    assert rows["+12125550148"]["silent_calls"] == "0" and rows["+18765550123"]["silent_calls"] == "2"
    summary = run("triage", str(ANDROID), "--offline", "--all").stdout.strip().splitlines()[-1]
    plain = run("triage", str(ANDROID), "--offline").stdout.strip().splitlines()[-1]
    assert summary.startswith("7 silent missed calls from 2 numbers:") and plain.startswith(summary.split(":")[0])
    assert "3 more numbers called without a silent call" in summary


def test_triage_reads_a_utf16_log(tmp_path) -> None:
    log = tmp_path / "calls.csv"
    log.write_bytes((DATA / "generic_calls.csv").read_text(encoding="utf-8-sig").encode("utf-16"))
    r = run("triage", str(log), "--offline", "--json")
    assert r.exit_code == 0, r.output
    plain = run("triage", str(DATA / "generic_calls.csv"), "--offline", "--json").stdout
    # the two runs may straddle a second: the time each run skipped its sources is its own
    assert objects(re.sub(r'"fetched_at": "[^"]*"', "\"fetched_at\": \"\"", r.stdout)) == objects(re.sub(r'"fetched_at": "[^"]*"', "\"fetched_at\": \"\"", plain))


def count_calls() -> int:
    with Store(os.environ["WHOCALLED_DB"]) as store:
        return store.count_calls()


def test_reading_logs_again_in_another_zone_adds_no_calls(tmp_path) -> None:
    """Logs that write local times without an offset are keyed by the time they wrote, so a
    change of `timezone` between two runs does not make the same calls new."""
    config = tmp_path / "whocalled.toml"
    logs = [str(DATA / "generic_calls.csv"), str(DATA / "Master.csv"), str(DATA / "fritzbox_de_7col.csv")]
    config.write_text('timezone = "America/New_York"\n')
    assert run("triage", *logs, "--offline", "--json", "--config", str(config)).exit_code == 0
    first = count_calls()
    config.write_text('timezone = "Europe/Berlin"\n')
    assert run("triage", *logs, "--offline", "--json", "--config", str(config)).exit_code == 0
    assert count_calls() == first > 20


def test_a_plain_list_has_no_call_times(tmp_path) -> None:
    """A list of numbers says nothing about when they called: no times, so no "at night"
    and no repeats, and re-reading the list after an edit adds only the new numbers."""
    log = tmp_path / "numbers.txt"
    log.write_text("+1 876 555 0123\n(212) 555-0177\n+1 876 555 0123\n")
    night = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc).timestamp()  # saved at night
    os.utime(log, (night, night))
    got = objects(run("triage", str(log), "--offline", "--json").stdout)
    jamaica = got["+18765550123"]
    assert (jamaica["calls"]["silent_missed"], jamaica["calls"]["first_at"], jamaica["calls"]["local_times"]) == (1, None, [])
    assert not {r["signal"] for r in jamaica["reasons"]} & {"night_calls", "repeated_silent"}
    assert count_calls() == 2
    log.write_text(log.read_text() + "415-555-0199\n")
    os.utime(log, (night + 3600, night + 3600))
    r = run("triage", str(log), "--offline")
    assert count_calls() == 3
    assert r.stdout.strip().splitlines()[-1].startswith("3 silent missed calls from 3 numbers")
    with Store(os.environ["WHOCALLED_DB"]) as store:
        assert store.histories(["+18765550123"])["+18765550123"].silent_calls == 0  # no repeat, ever


def test_a_hostile_field_costs_its_row_and_triage_runs_again(tmp_path) -> None:
    """A duration of inf, a date in year 9999 with an offset and a circled digit used to end
    triage with a traceback, and again at the same row on every re-run."""
    log = tmp_path / "calls.csv"
    log.write_text(
        "timestamp,number,duration,type\n"
        "2024-03-05T10:00:00Z,+1 876 555 0123,inf,missed\n"
        "9999-12-31T23:59:59-14:00,+1 876 555 0123,0,missed\n"
        "2024-03-05T11:00:00Z,+1 876 555 0123,①,missed\n"
        "2024-03-05T12:00:00Z,+1 876 555 0123,0,missed\n",
        encoding="utf-8",
    )
    for _ in range(2):
        r = run("triage", str(log), "--offline", "--json")
        assert r.exit_code == 0, r.output
        assert objects(r.stdout)["+18765550123"]["calls"]["silent_missed"] == 1
        warning = r.stderr.strip()
        assert len(warning.splitlines()) == 1 and "skipped 3 rows (line 2: bad duration 'inf'; line 3" in warning


def test_plain_list_calls_stored_by_older_versions_lose_their_times(tmp_path) -> None:
    """Older versions stamped list entries with the file's time (one row per read, silent,
    at night when saved at night). The migration leaves one timeless row per number, which
    a list read today finds again."""
    from sqlite_utils import Database

    from db.migrations import migrations

    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="m007_plain_lists_without_times")
    old = [("k1", "+18765550123", "2026-11-20T03:00:00+00:00"), ("k2", "+18765550123", "2026-11-21T02:00:00+00:00"),
           ("k3", "+12125550177", "2026-11-20T03:00:00+00:00"), ("k4", None, "2026-11-20T03:00:00+00:00")]
    for key, e164, at in old:
        db["calls"].insert({"key": key, "e164": e164, "at": at, "direction": "incoming", "status": "missed",
                            "raw_number": e164 or "Anonymous", "log_format": "plain_text", "silent": 1, "night": 1})
    db["calls"].insert({"key": "k5", "e164": "+18765550123", "at": "2026-11-22T03:00:00+00:00", "direction": "incoming",
                        "status": "missed", "duration": 0, "log_format": "android_xml", "silent": 1, "night": 1})
    db.conn.close()
    with Store(path) as store:
        rows = store.conn.execute("SELECT e164, at, silent, night FROM calls ORDER BY log_format, e164").fetchall()
        assert rows == [("+18765550123", "2026-11-22T03:00:00+00:00", 1, 1),  # a real call is left alone
                        (None, None, 0, 0), ("+12125550177", None, 0, 0), ("+18765550123", None, 0, 0)]
        assert store.histories(["+18765550123"])["+18765550123"].silent_calls == 1
    log = tmp_path / "numbers.txt"
    log.write_text("+1 876 555 0123\n(212) 555-0177\nAnonymous\n")
    run("triage", str(log), "--offline", "--db", str(path))
    with Store(path) as store:
        assert store.count_calls() == 4  # the list's numbers were known already
