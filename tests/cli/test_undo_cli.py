"""Issue 16: undo. `whocalled forget NUMBER` removes a number's stored calls, `whocalled
unreport ID` one of the user's reports; both say what they remove and ask first unless --yes.
Asking is checked on a real terminal (a pseudo-terminal around the console script's process);
without one and without --yes they stop with one line and exit 2, removing nothing."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db.store import Store
from lookup.cli import app

NUMBER = "+12025550143"
KEPT = "+13125550199"
START = datetime(2026, 3, 5, 14, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).parents[2]

runner = CliRunner()


def android_log(path: Path) -> str:
    """Two silent calls from NUMBER (an hour apart) and one from KEPT."""
    calls = [(NUMBER, timedelta(0)), (NUMBER, timedelta(hours=1)), (KEPT, timedelta(hours=2))]
    rows = "".join(
        f'<call number="{n}" duration="0" date="{int((START + after).timestamp() * 1000)}" type="3"'
        f' presentation="1" contact_name="(Unknown)" />\n'
        for n, after in calls
    )
    path.write_text(f"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count=\"3\">\n{rows}</calls>\n")
    return str(path)


def run(*args: str) -> str:
    r = runner.invoke(app, list(args))
    assert r.exit_code == 0 and "Traceback" not in r.output, r.output
    return r.stdout


def signals(number: str) -> set[str]:
    return {r["signal"] for r in json.loads(run("lookup", number, "--offline", "--json"))["reasons"]}


def stored_calls() -> dict[str | None, int]:
    with Store(os.environ["WHOCALLED_DB"]) as store:
        return dict(store.conn.execute("SELECT e164, COUNT(*) FROM calls GROUP BY e164").fetchall())


def on_terminal(args: list[str], answer: str) -> tuple[int, str]:
    """Run the console script with a pseudo-terminal as its stdin and output, answer its
    question, and return its exit code and everything it printed."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from lookup.cli import main; main()", *args],
        stdin=child, stdout=child, stderr=child, cwd=ROOT, env=os.environ.copy(),
    )
    os.close(child)
    out, answered, ends = b"", False, time.monotonic() + 60
    try:
        while time.monotonic() < ends:
            ready, _, _ = select.select([main], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(main, 4096)
                except OSError:  # the process ended and closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            if not answered and b"[y/N]" in out:
                os.write(main, answer.encode() + b"\n")
                answered = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=30)
    finally:
        os.close(main)
        if proc.poll() is None:
            proc.kill()
    assert answered, out.decode(errors="replace")
    return code, out.decode(errors="replace").replace("\r\n", "\n")


# ---------------------------------------------------------------- forget


def test_forget_with_yes_removes_the_numbers_calls_only(tmp_path) -> None:
    run("triage", android_log(tmp_path / "calls.xml"), "--offline")
    assert "repeated_silent" in signals(NUMBER)
    out = run("forget", "(202) 555-0143", "--yes")
    assert f"Removed 2 calls of {NUMBER}" in out and "2026-03-05 14:00" in out
    assert stored_calls() == {KEPT: 1}
    assert "repeated_silent" not in signals(NUMBER)
    assert "No calls of" in run("forget", NUMBER, "--yes")


def test_forget_without_a_terminal_or_yes_removes_nothing(tmp_path) -> None:
    run("triage", android_log(tmp_path / "calls.xml"), "--offline")
    r = runner.invoke(app, ["forget", NUMBER])
    assert r.exit_code == 2 and "add --yes" in r.output and len(r.output.strip().splitlines()) == 1
    assert stored_calls() == {NUMBER: 2, KEPT: 1}


@pytest.mark.parametrize("args, message", [
    pytest.param(["+1202555*", "--yes"], "not a range", id="range"),
    pytest.param(["hello", "--yes"], "hello", id="words"),
])
def test_forget_bad_input_is_one_line(tmp_path, args, message) -> None:
    run("triage", android_log(tmp_path / "calls.xml"), "--offline")
    r = runner.invoke(app, ["forget", *args])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output
    assert stored_calls() == {NUMBER: 2, KEPT: 1}


def test_forget_asks_on_a_terminal(tmp_path) -> None:
    run("triage", android_log(tmp_path / "calls.xml"), "--offline")
    code, out = on_terminal(["forget", NUMBER], "n")
    assert code == 0 and f"Remove 2 calls of {NUMBER}" in out and "Nothing was removed." in out
    assert stored_calls() == {NUMBER: 2, KEPT: 1}
    code, out = on_terminal(["forget", NUMBER], "y")
    assert code == 0 and f"Removed 2 calls of {NUMBER}" in out
    assert stored_calls() == {KEPT: 1}


# ---------------------------------------------------------------- unreport


def test_unreport_with_yes_takes_the_reports_weight_back() -> None:
    assert "Report #1 recorded" in run("report", NUMBER, "--category", "scam", "--note", "oops, my bank")
    run("report", KEPT, "--category", "robocall")
    assert "user_report" in signals(NUMBER)
    out = run("unreport", "1", "--yes")
    assert out.startswith("Removed report #1") and NUMBER in out and "scam" in out and "oops, my bank" in out
    assert "user_report" not in signals(NUMBER) and "user_report" in signals(KEPT)
    assert [r["id"] for r in map(json.loads, run("reports", "--json").splitlines())] == [2]


@pytest.mark.parametrize("args, message", [
    pytest.param(["1"], "add --yes", id="no-terminal"),
    pytest.param(["7", "--yes"], "there is no report #7", id="unknown-id"),
    pytest.param(["0", "--yes"], "0", id="zero"),
])
def test_unreport_refusals_remove_nothing(args, message) -> None:
    run("report", NUMBER, "--category", "scam")
    r = runner.invoke(app, ["unreport", *args])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output
    assert "user_report" in signals(NUMBER)


def test_unreport_asks_on_a_terminal() -> None:
    run("report", NUMBER, "--category", "telemarketer")
    code, out = on_terminal(["unreport", "1"], "n")
    assert code == 0 and "Remove report #1" in out and "Nothing was removed." in out
    assert "user_report" in signals(NUMBER)
    code, out = on_terminal(["unreport", "1"], "y")
    assert code == 0 and "Removed report #1" in out
    assert "user_report" not in signals(NUMBER)
