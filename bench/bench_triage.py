"""P5: triage of a generated 100,000-call Android XML (20,000 distinct numbers), --offline,
as a whole process, against a bare ``iterparse`` + ``phonenumbers.parse`` of the same file
in the same run. Target <= 3. Also prints the triage process's peak memory (target < 150 MB,
and it must not grow with file size beyond the number of distinct numbers: a second run with
twice the calls and the same numbers shows it).

Usage: python bench/bench_triage.py [--calls 100000] [--numbers 20000]
"""

from __future__ import annotations

import argparse
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


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and the child's peak RSS in MB (measured in a fresh helper process)."""
    probe = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE);"
        "e = time.perf_counter() - t;"
        "sys.stderr.write(r.stderr.decode()[-2000:]) if r.returncode else None;"
        "print(e, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, r.returncode)"
    )
    done = subprocess.run([PYTHON, "-c", probe, *cmd], capture_output=True, text=True, env=env)
    elapsed, peak, code = done.stdout.split()
    if code != "0":
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr}")
    return float(elapsed), float(peak)


def triage_once(xml, tag: str) -> tuple[float, float]:
    db = OUT / f"p5-{tag}.db"
    for suffix in ("", "-wal", "-shm"):
        (OUT / f"p5-{tag}.db{suffix}").unlink(missing_ok=True)
    env = bench_env(WHOCALLED_DB=str(db))
    return run_child([WHOCALLED, "triage", "--offline", "--json", str(xml)], env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--numbers", type=int, default=20_000)
    args = parser.parse_args()
    xml = OUT / f"p5-calls-{args.calls}-{args.numbers}.xml"
    OUT.mkdir(parents=True, exist_ok=True)
    if not xml.exists():
        write_calls_xml(xml, args.calls, args.numbers)
    floor_script = OUT / "p5_floor.py"
    floor_script.write_text(FLOOR)
    floors, ours, peaks = [], [], []
    for i in range(3):
        floors.append(run_child([PYTHON, str(floor_script), str(xml)], bench_env())[0])
        t, peak = triage_once(xml, str(i))
        ours.append(t)
        peaks.append(peak)
    floor, mine = sorted(floors)[1], sorted(ours)[1]
    ok = report("P5 triage", mine / floor, 3.0, lower_is_better=True,
                detail=f"calls={args.calls} numbers={args.numbers} whocalled={mine:.2f}s floor={floor:.2f}s")
    big = OUT / f"p5-calls-{args.calls * 2}-{args.numbers}.xml"
    if not big.exists():
        write_calls_xml(big, args.calls * 2, args.numbers)
    _, big_peak = triage_once(big, "big")
    peak = max(peaks)
    print(f"P5 memory: peak={peak:.0f}MB with {args.calls} calls, {big_peak:.0f}MB with {args.calls * 2} calls "
          f"(target < 150 MB) {'OK' if peak < 150 and big_peak < 150 else 'MISSED'}")
    return 0 if ok and peak < 150 and big_peak < 150 else 1


if __name__ == "__main__":
    sys.exit(main())
