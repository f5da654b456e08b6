"""Helpers shared by the benchmarks: timing whole processes and reporting ratios.

Absolute times drift on shared machines, so every benchmark measures its own
floor in the same run and reports a ratio. Each figure is the median of a few
repetitions.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PYTHON = sys.executable
WHOCALLED = str(Path(sys.executable).with_name("whocalled"))


def bench_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    OUT.mkdir(parents=True, exist_ok=True)
    config = OUT / "empty-config.toml"
    config.write_text("")
    env.update({"WHOCALLED_CONFIG": str(config), "PYTHONDONTWRITEBYTECODE": "0"})
    env.update(extra)
    return env


def time_process(cmd: Sequence[str], *, env: dict[str, str], stdin: Path | None = None, repeat: int = 5) -> float:
    """Median wall time of running ``cmd`` to completion (output discarded)."""
    times = []
    for _ in range(repeat):
        with open(stdin, "rb") if stdin else open(os.devnull, "rb") as fin:
            start = time.perf_counter()
            done = subprocess.run(cmd, stdin=fin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
            times.append(time.perf_counter() - start)
        if done.returncode not in (0, 2):
            raise SystemExit(f"benchmark command failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr.decode()[-2000:]}")
    return statistics.median(times)


def report(name: str, ratio: float, target: float, *, lower_is_better: bool, detail: str) -> bool:
    ok = ratio <= target if lower_is_better else ratio >= target
    sign = "<=" if lower_is_better else ">="
    print(f"{name}: {detail} ratio={ratio:.2f} (target {sign} {target}) {'OK' if ok else 'MISSED'}", flush=True)
    return ok
