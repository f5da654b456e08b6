"""P5: `whocalled triage --offline --json` of generated Android XML logs, as whole processes.

Two sizes, run interleaved (floor, small, big; three rounds) so that load on a shared machine
falls on all of them alike, each figure the median of its runs:

- ``--calls`` calls from ``--numbers`` numbers (100,000 from 20,000) against the floor, a bare
  ``iterparse`` + ``phonenumbers.parse`` of the same file: ratio <= 2.5;
- four times the calls from four times the numbers (400,000 from 80,000): its time per call
  within 1.1x of the small log's (nothing may grow faster than the log);
- the peak memory of every triage process < 150 MB at both sizes.

Also printed, for a loaded machine: the same ratios from the processes' CPU time (user + system).

Usage: python bench/bench_triage.py [--calls 100000] [--numbers 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from common import OUT, PYTHON, WHOCALLED, bench_env, report
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


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall time, CPU time (user + system) and peak RSS in MB of one child process, measured
    in a fresh helper process (so the peak is the child's alone)."""
    probe = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE);"
        "e = time.perf_counter() - t;"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN);"
        "sys.stderr.write(r.stderr.decode()[-2000:]) if r.returncode else None;"
        "print(e, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024, r.returncode)"
    )
    done = subprocess.run([PYTHON, "-c", probe, *cmd], capture_output=True, text=True, env=env)
    elapsed, cpu, peak, code = done.stdout.split()
    if code != "0":
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr}")
    return float(elapsed), float(cpu), float(peak)


def triage_once(xml, tag: str) -> tuple[float, float, float]:
    """One triage of ``xml`` into a new database."""
    db = OUT / f"p5-{tag}.db"
    for suffix in ("", "-wal", "-shm"):
        (OUT / f"p5-{tag}.db{suffix}").unlink(missing_ok=True)
    env = bench_env(WHOCALLED_DB=str(db))
    return run_child([WHOCALLED, "triage", "--offline", "--json", str(xml)], env)


def log_of(calls: int, numbers: int):
    xml = OUT / f"p5-calls-{calls}-{numbers}.xml"
    if not xml.exists():
        write_calls_xml(xml, calls, numbers)
    return xml


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


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
    floors, smalls, bigs = [], [], []
    for i in range(args.rounds):
        floors.append(run_child([PYTHON, str(floor_script), str(small)], bench_env()))
        smalls.append(triage_once(small, f"small-{i}"))
        bigs.append(triage_once(big, f"big-{i}"))
    ratios = [s[0] / f[0] for f, s in zip(floors, smalls)]
    growths = [b[0] / (4 * s[0]) for s, b in zip(smalls, bigs)]
    floor, mine, large = (statistics.median(r[0] for r in runs) for runs in (floors, smalls, bigs))
    ok = report("P5 triage", statistics.median(ratios), RATIO, lower_is_better=True,
                detail=f"calls={args.calls} numbers={args.numbers} whocalled={mine:.2f}s floor={floor:.2f}s"
                       f" spread={spread(ratios)}")
    ok &= report("P5 per call", statistics.median(growths), GROWTH, lower_is_better=True,
                 detail=f"calls={args.calls * 4} numbers={args.numbers * 4} whocalled={large:.2f}s,"
                        f" {large / (args.calls * 4) * 1e6:.1f} us/call against {mine / args.calls * 1e6:.1f}"
                        f" spread={spread(growths)}")
    cpu_ratio = statistics.median(s[1] / f[1] for f, s in zip(floors, smalls))
    cpu_growth = statistics.median(b[1] / (4 * s[1]) for s, b in zip(smalls, bigs))
    print(f"P5 by CPU time: ratio={cpu_ratio:.2f} per call={cpu_growth:.2f}"
          f" (whocalled {statistics.median(s[1] for s in smalls):.2f}s, floor {statistics.median(f[1] for f in floors):.2f}s)")
    peaks = max(s[2] for s in smalls), max(b[2] for b in bigs)
    fits = all(p < PEAK_MB for p in peaks)
    print(f"P5 memory: peak={peaks[0]:.0f}MB with {args.calls} calls, {peaks[1]:.0f}MB with {args.calls * 4} calls"
          f" from {args.numbers * 4} numbers (target < {PEAK_MB:.0f} MB) {'OK' if fits else 'MISSED'}", flush=True)
    return 0 if ok and fits else 1


if __name__ == "__main__":
    sys.exit(main())
