"""The CLI through typer's CliRunner: exit codes, stdin, the JSON contract, errors without tracebacks."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lookup.cli import app

runner = CliRunner()


def run(*args: str, input: str | None = None):
    result = runner.invoke(app, list(args), input=input)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_lookup_json_contract() -> None:
    r = run("lookup", "+1 876 881 2345", "--json", "--offline")
    assert r.exit_code == 0
    [obj] = json_lines(r.stdout)
    for key in ("input", "e164", "valid", "region", "type", "location", "carrier", "time_zones", "verdict",
                "spam_score", "call_back", "reasons", "sources"):
        assert key in obj, key
    assert obj["e164"] == "+18768812345" and obj["region"] == "JM" and obj["verdict"] == "suspicious"
    assert obj["reasons"][0]["signal"] == "nanp_international" and obj["reasons"][0]["weight"] == 30
    assert set(obj["reasons"][0]) == {"signal", "detail", "source", "weight"}
    # offline with nothing synced: the FTC dataset says so, nothing else is asked
    assert [(x["name"], x["status"]) for x in obj["sources"]] == [("ftc_gov", "skipped")]
    assert obj["sources"][0]["detail"] == "FTC data not synced: run whocalled sync ftc"


def test_withheld_answers_with_null_e164() -> None:
    [obj] = json_lines(run("lookup", "Anonymous", "--json", "--offline").stdout)
    assert obj["e164"] is None and obj["withheld"] is True and obj["call_back"] == "no"


def test_bad_input_is_reported_and_others_still_answered() -> None:
    r = run("lookup", "hello", "202-555-0143", "--json", "--offline")
    assert r.exit_code == 2
    objs = json_lines(r.stdout)
    assert objs[0] == {"input": "hello", "error": "not a phone number: 'hello'"}
    assert objs[1]["e164"] == "+12025550143"


def test_bad_input_in_text_mode_is_one_line_on_stderr() -> None:
    r = run("lookup", "12", "202-555-0143", "--offline")
    assert r.exit_code == 2
    assert r.stderr.strip() == "whocalled: '12': too short for US: '12'"
    assert "+1 202-555-0143" in r.stdout


def test_stdin_one_number_per_line() -> None:
    r = run("lookup", "-", "--offline", "--json", input="202-555-0143\n\n# comment\n+44 20 7946 0958\n")
    assert [o["e164"] for o in json_lines(r.stdout)] == ["+12025550143", "+442079460958"]


def test_region_option() -> None:
    [obj] = json_lines(run("lookup", "020 7946 0958", "-r", "GB", "--json", "--offline").stdout)
    assert obj["e164"] == "+442079460958"


def test_cached_facts_are_reused(tmp_path) -> None:
    db = str(tmp_path / "x.db")
    first = json_lines(run("lookup", "+1 876 881 2345", "--json", "--offline", "--db", db).stdout)[0]
    second = json_lines(run("lookup", "+1 876 881 2345", "--json", "--offline", "--db", db).stdout)[0]
    assert first["carrier"] == second["carrier"] == "Digicel"


def test_block_allow_unlist_and_lookup(tmp_path) -> None:
    r = run("block", "+1202555*", "--reason", "spoofers")
    assert r.exit_code == 0 and "Blocked +1202555*" in r.stdout
    [obj] = json_lines(run("lookup", "202-555-0143", "--json", "--offline").stdout)
    assert obj["verdict"] == "blocked" and obj["call_back"] == "no"
    assert run("allow", "202-555-0143", "--reason", "pharmacy").exit_code == 0
    [obj] = json_lines(run("lookup", "202-555-0143", "--json", "--offline").stdout)
    assert obj["verdict"] == "allowed"
    lists = json_lines(run("lists", "--json").stdout)
    assert {(e["pattern"], e["kind"]) for e in lists} == {("+1202555*", "block"), ("+12025550143", "allow")}
    assert "Removed +1202555*" in run("unlist", "+1202555*").stdout
    r = run("unlist", "+1202555*")
    assert r.exit_code == 0 and "was not on your block or allow list" in r.stderr


def test_blocking_own_number_or_allowlisted_needs_force(tmp_path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('own_numbers = ["+1 202 555 0100"]\n')
    r = run("block", "+1202555*", "--config", str(cfg))
    assert r.exit_code == 2 and "your own number +12025550100" in r.stderr
    assert run("block", "+1202555*", "--config", str(cfg), "--force").exit_code == 0
    run("allow", "415-555-0199")
    r = run("block", "415-555-0199")
    assert r.exit_code == 2 and "allowlist" in r.stderr
    assert run("block", "415-555-0199", "--force").exit_code == 0


@pytest.mark.parametrize("args,message", [
    (["block", "hello"], "not a phone number"),
    (["block", "+4*"], "prefix needs"),
    (["report", "hello", "-c", "scam"], "not a phone number"),
    (["report", "202-555-0143", "-c", "scam", "--at", "yesterday-ish"], "--at: not a date"),
    (["report", "Anonymous", "-c", "scam"], "not a dialable number"),
    (["lookup"], "Missing argument"),
    (["lookup", "202-555-0143", "--source", "nosuch"], "unknown source 'nosuch'"),
])
def test_usage_errors_exit_2(args, message) -> None:
    r = run(*args)
    assert r.exit_code == 2
    assert message in r.output


def test_report_and_reports() -> None:
    r = run("report", "202-555-0143", "--category", "robocall", "--note", "car warranty", "--at", "2026-11-20 14:05")
    assert r.exit_code == 0 and "Report #1" in r.stdout
    [rep] = json_lines(run("reports", "--json").stdout)
    assert rep["e164"] == "+12025550143" and rep["category"] == "robocall" and rep["note"] == "car warranty"
    assert rep["at"].endswith("+00:00")
    [obj] = json_lines(run("lookup", "202-555-0143", "--json", "--offline").stdout)
    assert obj["reports"] == 1 and any(x["signal"] == "user_report" for x in obj["reasons"])


def test_bad_config_is_one_line(tmp_path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("region = [unclosed\n")
    r = run("lookup", "202-555-0143", "--config", str(cfg))
    assert r.exit_code == 2 and "is not valid TOML" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_db_that_is_not_sqlite(tmp_path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00\xffjunk" * 1000)
    r = run("lookup", "202-555-0143", "--db", str(junk), "--offline")
    assert r.exit_code == 2 and "cannot open database" in r.stderr
    assert junk.read_bytes() == b"\x00\xffjunk" * 1000


def test_config_show_masks_secrets(tmp_path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('region = "GB"\n[sources.tellows]\napi_key = "sekrit"\n')
    r = run("config", "show", "--config", str(cfg))
    assert r.exit_code == 0 and "sekrit" not in r.stdout
    shown = json.loads(r.stdout)
    assert shown["region"] == "GB" and shown["sources"]["tellows"]["api_key"] == "***"
    assert "database:" in run("config", "path").stdout


def test_human_output_has_verdict_advice_and_reasons() -> None:
    out = run("lookup", "+44 909 879 0000", "--offline").stdout
    assert "verdict:   likely spam" in out and "call back: no" in out and "Premium-rate number" in out


def test_run_async_never_formats_the_coroutines_value() -> None:
    """asyncio.run's SIGINT bookkeeping formats its main task's repr, result included: for a
    large triage report that cost 55 MB and a second. run_async keeps the value out of it."""
    from lookup.cli.common import run_async

    reprs = []

    class Big:
        def __repr__(self) -> str:
            reprs.append(1)
            return "Big()"

    async def make() -> Big:
        return Big()

    value = run_async(make())
    assert isinstance(value, Big)
    assert reprs == []
