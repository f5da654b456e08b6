"""P5: `whocalled triage --offline --json` of generated Android XML logs, as whole processes.

Two figures, each from interleaved runs (bench/common.py) so that load on a shared machine
falls on both sides of a ratio alike, each the median of its rounds with its spread:

- ``--calls`` calls from ``--numbers`` numbers (100,000 from 20,000) against the floor, a bare
  ``iterparse`` + ``phonenumbers.parse`` of the same file: ratio <= 2.5, peak < 150 MB;
- four times the calls from four times the numbers (400,000 from 80,000), interleaved with the
  small log: its time per call within 1.1x of the small log's (nothing may grow faster than
  the log), peak < 150 MB.

Also printed, for a loaded machine: the same ratios from the processes' CPU time (user +
system), which the load distorts less.

Usage: python bench/bench_triage.py [--calls 100000] [--numbers 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Callable

from common import OUT, PYTHON, WHOCALLED, Figure, Run, bench_env, figure_of, interleave, report_figure
from gen_calls import write_calls_xml

FLOOR = r"""
import sys
import xml.etree.ElementTree as ET
import phonenumbers
n = 0
for event, elem in ET.iterparse(sys.argv[1]):
    if elem.tag == "call":
        phonenumbers.parse(elem.get("number"), "US")
        n += 1
        elem.clear()
print(n)
"""

PEAK_MB = 150.0
RATIO = 2.5
GROWTH = 1.1

# Wall time, CPU time (user + system) and peak RSS of one child, measured in a fresh helper
# process (so the peak is the child's alone, not inherited from this one).
PROBE = (
    "import resource, subprocess, sys, time;"
    "t = time.perf_counter();"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE);"
    "e = time.perf_counter() - t;"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN);"
    "sys.stderr.write(r.stderr.decode()[-2000:]) if r.returncode else None;"
    "print(e, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024, r.returncode)"
)


def measured(cmd: list[str], env: dict[str, str], cpu: list[float],
             before: Callable[[], None] | None = None) -> Callable[[], Run]:
    """A callable for :func:`common.interleave` running ``cmd``: its wall time and peak as a
    Run; its CPU seconds appended to ``cpu``."""

    def run() -> Run:
        if before:
            before()
        done = subprocess.run([PYTHON, "-c", PROBE, *cmd], capture_output=True, text=True, env=env)
        elapsed, used, peak, code = done.stdout.split()
        if code != "0":
            raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr}")
        cpu.append(float(used))
        return Run(float(elapsed), float(peak))

    return run


def triage_of(xml: Path, tag: str, cpu: list[float]) -> Callable[[], Run]:
    """Triage of ``xml``, each run into a new database."""
    db = OUT / f"p5-{tag}.db"

    def remove_db() -> None:
        for suffix in ("", "-wal", "-shm"):
            (OUT / f"p5-{tag}.db{suffix}").unlink(missing_ok=True)

    return measured([WHOCALLED, "triage", "--offline", "--json", str(xml)], bench_env(WHOCALLED_DB=str(db)), cpu,
                    remove_db)


def log_of(calls: int, numbers: int) -> Path:
    xml = OUT / f"p5-calls-{calls}-{numbers}.xml"
    if not xml.exists():
        write_calls_xml(xml, calls, numbers)
    return xml


def cpu_ratio(ours: list[float], base: list[float], per: float = 1.0) -> float:
    """The median of the rounds' CPU ratios (the warm-up round, when there was one, left out)."""
    rounds = min(len(ours), len(base))
    return statistics.median(o / (per * b) for o, b in zip(ours[-rounds:], base[-rounds:]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--numbers", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    small, big = log_of(args.calls, args.numbers), log_of(args.calls * 4, args.numbers * 4)
    floor_script = OUT / "p5_floor.py"
    floor_script.write_text(FLOOR)
    floor_cpu: list[float] = []
    small_cpu: list[float] = []
    first = interleave(measured([PYTHON, str(floor_script), str(small)], bench_env(), floor_cpu),
                       triage_of(small, "small", small_cpu), args.rounds)
    ok = report_figure(figure_of("P5", f"triage --offline --json of {args.calls:,} calls ({args.numbers:,} numbers)",
                                 first, RATIO, peak_limit_mb=PEAK_MB))
    pair_cpu: list[float] = []
    big_cpu: list[float] = []
    second = interleave(triage_of(small, "small", pair_cpu), triage_of(big, "big", big_cpu), args.rounds,
                        warmup=False)
    growths = [r / 4 for r in second.ratios]
    small_us = second.floor_s / args.calls * 1e6
    big_us = second.ours_s / (4 * args.calls) * 1e6
    ok &= report_figure(Figure(
        "P5/call", f"triage time per call at {4 * args.calls:,} calls ({4 * args.numbers:,} numbers)",
        statistics.median(growths), GROWTH, floor=f"{big_us:.1f} against {small_us:.1f} us a call",
        spread=(min(growths), max(growths)), peak_mb=second.peak_mb, peak_limit_mb=PEAK_MB, unit="x",
        extra={"small_s": round(second.floor_s, 4), "big_s": round(second.ours_s, 4), "rounds": len(growths)}))
    print(f"P5 by CPU time: ratio {cpu_ratio(small_cpu, floor_cpu):.2f}, per call"
          f" {cpu_ratio(big_cpu, pair_cpu, 4):.2f} (whocalled {statistics.median(small_cpu):.2f} s,"
          f" floor {statistics.median(floor_cpu):.2f} s)", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
