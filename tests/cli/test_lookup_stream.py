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
