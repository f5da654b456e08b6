"""`whocalled lookup -` prints each result as it is ready: memory stays flat as the input
grows (it held every result until the end: about 2 KB a number)."""

from __future__ import annotations

import json
import subprocess
import sys

RUNNER = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: sys.stderr.write(f'MAXRSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n'))\n"
    "sys.argv = ['whocalled', 'lookup', '--offline', '--json', '-']\n"
    "from lookup.cli import main\n"
    "main()\n"
)


def peak_kib(count: int, tmp_path) -> tuple[int, list[str]]:
    numbers = "".join(f"+1201{5550000 + i * 37 % 4_000_000:07d}\n" for i in range(count))
    result = subprocess.run(
        [sys.executable, "-c", RUNNER], input=numbers, capture_output=True, text=True, timeout=240,
        env={**__import__("os").environ, "WHOCALLED_DB": str(tmp_path / f"w{count}.db")},
    )
    assert result.returncode == 0, result.stderr[-500:]
    peak = int(next(line for line in result.stderr.splitlines() if line.startswith("MAXRSS")).split()[1])
    return peak, result.stdout.splitlines()


def test_memory_stays_flat_as_the_input_grows(tmp_path) -> None:
    small, lines = peak_kib(2_000, tmp_path)
    assert len(lines) == 2_000 and json.loads(lines[-1])["input"]
    large, lines = peak_kib(16_000, tmp_path)
    assert len(lines) == 16_000
    # 14,000 more numbers; holding every result would cost some 28 MB more
    assert large - small < 10_000, (small, large)


def test_answers_come_window_by_window_before_the_input_ends(tmp_path) -> None:
    """A program feeding numbers through a pipe gets the answers of each full window while it
    is still writing: the input is read one window at a time, not to its end first."""
    import os
    import select
    import time

    from lookup.engine import WINDOW

    whocalled = str(__import__("pathlib").Path(sys.executable).with_name("whocalled"))
    proc = subprocess.Popen([whocalled, "lookup", "--offline", "--json", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "WHOCALLED_DB": str(tmp_path / "pipe.db")})
    try:
        proc.stdin.write("".join(f"+1201555{i:04d}\n" for i in range(WINDOW + 5)).encode())
        proc.stdin.flush()  # stdin stays open: more numbers could follow
        got = b""
        until = time.monotonic() + 120
        while got.count(b"\n") < WINDOW and time.monotonic() < until:
            if select.select([proc.stdout], [], [], 1)[0]:
                chunk = os.read(proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    break
                got += chunk
        assert got.count(b"\n") == WINDOW, "the first window's answers did not come before the input ended"
        assert json.loads(got.splitlines()[-1])["input"] == f"+1201555{WINDOW - 1:04d}"
        rest, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert (got + rest).count(b"\n") == WINDOW + 5
