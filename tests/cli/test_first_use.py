"""What a new user ran into (issue 19): one-line usage errors, --version and completion,
numbers typed with spaces, an extension shown once, contradicting options refused, a source
that is turned off never asked, output files that cannot be written, and report times."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lookup.cli import app

runner = CliRunner()
SCRIPT = Path(sys.executable).with_name("whocalled")


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def script(*args: str) -> subprocess.CompletedProcess[str]:
    if not SCRIPT.exists():
        pytest.skip("the whocalled console script is not installed")
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "80"})


@pytest.mark.parametrize(
    "args, words",
    [
        (["report", "+12025550143"], ["report", "Missing option '--category'", "whocalled report --help"]),
        (["lookup", "--csv", "1"], ["lookup", "No such option: --csv"]),
        (["nosuch"], ["No such command 'nosuch'"]),
        (["triage", "--since"], ["triage", "--since"]),
    ],
    ids=["missing-option", "unknown-option", "unknown-command", "option-without-value"],
)
def test_usage_errors_are_one_line(args, words) -> None:
    result = script(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("whocalled: "), result.stderr
    assert all(w in lines[0] for w in words), lines[0]
    assert "─" not in result.stderr and "╭" not in result.stderr  # no box


def test_version_and_completion() -> None:
    result = script("--version")
    assert result.returncode == 0 and result.stdout.startswith("whocalled ") and result.stdout.split()[1][0].isdigit()
    helped = script("--help").stdout
    assert "--install-completion" in helped and "--version" in helped


def test_an_extension_is_shown_once_and_never_stored_with_the_number() -> None:
    first = run("lookup", "--offline", "202.555.0143 x123")
    assert first.stdout.count("ext. 123") == 1
    again = json.loads(run("lookup", "--offline", "--json", "+12025550143").stdout)
    assert "ext" not in again["international"] and again["extension"] is None


def test_a_number_typed_with_spaces_is_one_number() -> None:
    result = run("lookup", "--offline", "--json", "020", "7946", "0958", "-r", "GB")
    assert result.exit_code == 0
    assert [json.loads(line)["e164"] for line in result.stdout.splitlines()] == ["+442079460958"]
    two = run("lookup", "--offline", "--json", "+1", "202", "555", "0143", "2025550144")
    assert [json.loads(line)["e164"] for line in two.stdout.splitlines()] == ["+12025550143", "+12025550144"]
    reported = run("report", "030", "1234567", "-r", "DE", "-c", "scam")
    assert reported.exit_code == 0 and "+49301234567" in reported.stdout


def test_offline_and_refresh_contradict() -> None:
    result = run("lookup", "--offline", "--refresh", "+12025550143")
    assert result.exit_code == 2 and "contradict" in result.stderr


def test_a_source_that_is_turned_off_is_never_asked() -> None:
    result = run("lookup", "--source", "tellows", "+12025550143")  # no key: tellows is off
    assert result.exit_code == 2
    assert "'tellows' is turned off" in result.stderr and "api_key" in result.stderr


@pytest.mark.parametrize("where", ["folder", "missing-folder"])
def test_output_that_cannot_be_written_is_one_line(tmp_path, where) -> None:
    target = tmp_path if where == "folder" else tmp_path / "nope" / "x.csv"
    result = run("reports", "--format", "csv", "-o", str(target))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and str(target) in result.stderr


def test_a_report_without_a_time_keeps_when_it_was_made_and_shows_local_time(tmp_path, monkeypatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text('timezone = "America/New_York"\n')
    monkeypatch.setenv("WHOCALLED_CONFIG", str(config))
    assert run("report", "+12025550143", "-c", "robocall").exit_code == 0
    [obj] = [json.loads(line) for line in run("reports", "--json").stdout.splitlines()]
    assert obj["at"] is not None
    text = run("reports").stdout
    assert ("EST" in text or "EDT" in text) and "UTC" not in text


@pytest.mark.parametrize("content", [b"", b"\x00\xff\xfe junk \x89PNG\r\n"], ids=["empty", "binary"])
def test_sync_of_files_that_are_not_the_csv_is_bad_input(tmp_path, content) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    result = run("sync", "ftc", str(path))
    assert result.exit_code == 2
    assert "\ufffd" not in result.stderr and "\x00" not in result.stderr
    assert "file is empty" in result.stderr or "not text" in result.stderr
    folder = run("sync", "ftc", str(tmp_path))
    assert folder.exit_code == 2 and "is a folder" in folder.stderr


def test_an_offline_sync_says_why_once(tmp_path, monkeypatch) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on: every day is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "c.toml"
    config.write_text(f'[sources.ftc_gov]\nbase_url = "http://127.0.0.1:{port}"\n')
    monkeypatch.setenv("WHOCALLED_CONFIG", str(config))
    result = run("sync", "ftc", "--days", "10")
    lines = [line for line in result.stderr.splitlines() if line.startswith("whocalled:")]
    assert result.exit_code == 1
    assert len(lines) <= 2, lines  # not one line per day
    assert "summary" not in result.stdout and "failed" in result.stdout


def test_export_with_a_huge_day_count_and_import_of_a_folder(tmp_path) -> None:
    result = run("export", "--include", "datasets", "--days", "1000000", "-f", "txt")
    assert result.exit_code == 0
    folder = run("import", str(tmp_path))
    assert folder.exit_code == 2 and "is a folder" in folder.stderr
    missing = run("import", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_lookup_history_shows_local_time_and_plurals(tmp_path, monkeypatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text('timezone = "America/New_York"\n')
    monkeypatch.setenv("WHOCALLED_CONFIG", str(config))
    root = Path(__file__).parents[2]
    assert run("triage", "--offline", str(root / "examples" / "calls-example.xml")).exit_code == 0
    text = run("lookup", "--offline", "+18768812345").stdout
    line = next(line for line in text.splitlines() if "history:" in line)
    assert "3 silent calls" in line and "call(s)" not in line
    assert ("EST" in line or "EDT" in line) and "+00:00" not in line


def test_a_lookup_fits_an_80_column_terminal() -> None:
    from lookup.cli.render import render_result
    from lookup.engine import Engine
    from db.store import Store
    from lookup.settings import Settings

    with Store() as store:
        [result] = Engine(store=store, settings=Settings()).lookup_offline(["+1 876 881 2345"])
    text = render_result(result, width=80)
    assert all(len(line) <= 80 for line in text.splitlines() if "://" not in line), text
    assert "the bait of one-ring scams" in " ".join(text.split())  # wrapped, nothing cut
