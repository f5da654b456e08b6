"""`export`, `import` and `reports --format` through the CLI: round trips, contacts, protection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lookup.cli import app

SAMPLES = Path(__file__).parents[1] / "blocklists" / "data"
READABLE = ["txt", "csv", "json", "vcard", "vcard4", "fritzbox", "ncid", "freepbx", "callblocker", "yacb", "spamblocker"]
PREFIX_FORMATS = {"txt", "csv", "json", "yacb", "spamblocker", "ncid", "callblocker"}


def run(*args: str, input: str | None = None):
    r = CliRunner().invoke(app, list(args), input=input)
    assert "Traceback" not in r.output, r.output
    return r


def listed(kind: str = "block", db: str | None = None) -> set[str]:
    args = ["lists", "--json", "--kind", kind] + (["--db", db] if db else [])
    return {json.loads(line)["pattern"] for line in run(*args).stdout.splitlines()}


def seed() -> None:
    for n in ("+1 876 881 2345", "+44 909 879 0000", "+1 415 555 0199"):
        assert run("block", n, "--reason", "test").exit_code == 0
    assert run("block", "+1202555*").exit_code == 0


@pytest.mark.parametrize("fmt", READABLE)
def test_round_trip_through_files(fmt: str, tmp_path) -> None:
    seed()
    out = tmp_path / f"list.{fmt}"
    r = run("export", "--format", fmt, "-o", str(out))
    assert r.exit_code == 0, r.output
    other = str(tmp_path / "other.db")
    r = run("import", str(out), "--format", fmt, "--db", other)
    assert r.exit_code == 0, r.output
    expected = listed()
    if fmt not in PREFIX_FORMATS:
        expected = {p for p in expected if not p.endswith("*")}
        assert "prefix range" in run("export", "--format", fmt, "-o", str(out)).stderr
    assert listed(db=other) == expected
    assert "0 new" in run("import", str(out), "--format", fmt, "--db", other).stdout


def test_callkit_is_sorted_int64s(tmp_path) -> None:
    seed()
    out = run("export", "-f", "callkit").stdout.split()
    assert out == sorted(out, key=int) and all(x.isdigit() for x in out) and len(out) == 3


def test_contacts_become_the_allowlist() -> None:
    r = run("import", str(SAMPLES / "vcard_spam_contact_many_tel.vcf"), "--format", "contacts_vcard")
    assert r.exit_code == 0 and "allow-list" in r.stdout
    allowed = listed("allow")
    assert allowed and not listed("block")
    number = sorted(allowed)[0]
    [obj] = [json.loads(line) for line in run("lookup", number, "--json", "--offline").stdout.splitlines()]
    assert obj["verdict"] == "allowed"


def test_real_samples_import() -> None:
    assert run("import", str(SAMPLES / "ncidd.blacklist")).exit_code == 0
    assert run("import", str(SAMPLES / "callblocker_blocklist_main.json")).exit_code == 0
    assert len(listed()) > 10


def test_import_never_blocks_own_or_allowlisted_numbers(tmp_path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('own_numbers = ["+1 415 555 0100"]\n')
    run("allow", "+1 415 555 0101")
    lst = tmp_path / "friend.txt"
    lst.write_text("+14155550100\n+14155550101\n+14155550102\nnot a number\n")
    r = run("import", str(lst), "--config", str(cfg))
    assert r.exit_code == 0
    assert listed() == {"+14155550102"}
    assert "not blocked: 2 number(s)" in r.stderr and "skipped 1 line" in r.stderr


def test_bad_files_are_one_line_errors(tmp_path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                    "<phonebooks><phonebook><contact><telephony><number>&b;</number></telephony></contact></phonebook></phonebooks>")
    for args in (["import", str(bomb), "--format", "fritzbox"], ["import", str(tmp_path / "missing.txt")],
                 ["export", "-f", "txt", "--include", "everything"], ["import", str(bomb), "--format", "nosuch"]):
        r = run(*args)
        assert r.exit_code == 2, (args, r.output)
        assert len(r.stderr.strip().splitlines()) == 1


def test_reports_for_the_ftc() -> None:
    run("report", "+1 415 555 0199", "-c", "robocall", "--note", "car warranty", "--at", "2026-11-20 14:05")
    text = run("reports", "--format", "ftc").stdout
    assert "415" in text and "robocall" in text.lower() and "car warranty" in text
    csv_text = run("reports", "--format", "csv").stdout
    assert csv_text.splitlines()[0] == ("Company_Phone_Number,Created_Date,Violation_Date,Consumer_City,Consumer_State,"
                                        "Consumer_Area_Code,Subject,Recorded_Message_Or_Robocall")
    assert csv_text.splitlines()[1].startswith("4155550199,")


def test_export_reported_and_since() -> None:
    seed()
    run("report", "+1 212 555 0148", "-c", "scam")
    both = run("export", "-f", "txt", "--include", "blocked,reported").stdout.split()
    assert "+12125550148" in both and "+18768812345" in both
    assert run("export", "-f", "txt", "--since", "2999-01-01").stdout.split() == []


FTC_DATA = Path(__file__).parents[1] / "data" / "ftc"


def test_sync_files_then_offline_lookup_and_dataset_export() -> None:
    files = sorted(str(p) for p in FTC_DATA.glob("*.csv"))
    r = run("sync", "ftc", *files)
    assert r.exit_code == 0, r.output
    assert "rows added" in r.stdout and "not the FTC complaint CSV" in r.stderr
    again = run("sync", "ftc", "--file", files[0])
    assert " 0 rows added" in again.stdout
    [obj] = [json.loads(line) for line in run("lookup", "202-555-0143", "--offline", "--json").stdout.splitlines()]
    ftc = next(s for s in obj["sources"] if s["name"] == "ftc_gov")
    assert ftc["status"] == "found" and ftc["reports"] >= 2
    assert any(x["signal"] == "complaints:ftc_gov" and x["weight"] > 0 for x in obj["reasons"])
    out = run("export", "-f", "txt", "--include", "datasets", "--min-complaints", "2", "--days", "3650").stdout.split()
    assert "+12025550143" in out


def test_own_reports_round_trip_through_the_ftc_layout(tmp_path) -> None:
    run("report", "+1 415 555 0177", "-c", "robocall", "--at", "2026-11-20 14:05")
    shared = tmp_path / "our-reports.csv"
    assert run("reports", "--format", "csv", "-o", str(shared)).exit_code == 0
    other = str(tmp_path / "neighbour.db")
    r = run("sync", "ftc", str(shared), "--db", other)
    assert r.exit_code == 0 and "1 rows added" in r.stdout.replace(",", "")
    [obj] = [json.loads(line) for line in run("lookup", "+1 415 555 0177", "--offline", "--json", "--db", other).stdout.splitlines()]
    assert next(s for s in obj["sources"] if s["name"] == "ftc_gov")["status"] == "found"


def test_sync_usage_errors() -> None:
    assert run("sync", "ftc", "/nonexistent.csv").exit_code == 2
    r = run("sync", "fcc", "--since", "last week")
    assert r.exit_code == 2 and "--since: not a date" in r.stderr
