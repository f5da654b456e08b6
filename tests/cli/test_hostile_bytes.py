"""Bytes that are not UTF-8 and digits that are not ASCII, as a shell passes them to the
console script: never a traceback, stored text is clean, and output is always valid UTF-8.
Runs the real console script in a process, as a user's shell does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("whocalled")


def run(tmp_path: Path, *args: bytes | str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "WHOCALLED_DB": str(tmp_path / "w.db"), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    argv = [str(SCRIPT), *[a if isinstance(a, bytes) else a.encode() for a in args]]
    return subprocess.run(argv, input=stdin, capture_output=True, env=env, timeout=60)


def check_clean(result: subprocess.CompletedProcess[bytes]) -> str:
    assert b"Traceback" not in result.stderr, result.stderr.decode("utf-8", "replace")
    result.stderr.decode("utf-8")  # valid UTF-8, or this raises
    return result.stdout.decode("utf-8")


pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="the whocalled console script is not installed")


def test_a_reason_and_a_note_with_bad_bytes_are_stored_clean(tmp_path) -> None:
    assert run(tmp_path, "block", "+12025550143", "--reason", b"\xff\x1b]0;x\x07 robo").returncode == 0
    assert run(tmp_path, "report", "+12025550143", "-c", "scam", "--note", b"\xfe\xffcalls").returncode == 0
    lists = check_clean(run(tmp_path, "lists"))
    assert "\ufffd" in lists and "robo" in lists and "\x1b" not in lists and "\x07" not in lists
    reports = json.loads(check_clean(run(tmp_path, "reports", "--json")).splitlines()[0])
    assert reports["note"].endswith("calls") and "\udcff" not in reports["note"]


def test_lookup_with_bad_bytes_prints_valid_utf8(tmp_path) -> None:
    out = check_clean(run(tmp_path, "lookup", "--offline", "--json", b"+1202555\xff0143"))
    assert json.loads(out.splitlines()[0])["input"] == "+1202555\ufffd0143"
    piped = run(tmp_path, "lookup", "--offline", "--json", "-", stdin=b"+12025550143\n\xff\xfe+12025550144\n")
    lines = [json.loads(line) for line in check_clean(piped).splitlines()]
    assert [line.get("e164") for line in lines] == ["+12025550143", "+12025550144"]


@pytest.mark.parametrize("command", ["block", "allow", "unlist"])
@pytest.mark.parametrize("pattern", ["+¹2025*", "+1202²*", "+1202555014399*"])
def test_prefixes_that_can_never_match_are_refused_in_one_line(tmp_path, command, pattern) -> None:
    result = run(tmp_path, command, pattern)
    check_clean(result)
    assert result.returncode == 2
    assert len(result.stderr.decode().strip().splitlines()) == 1
    assert "+1202" not in check_clean(run(tmp_path, "lists"))  # nothing was stored
