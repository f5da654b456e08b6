"""Run every benchmark and print its ratio against the floor measured in the same run.

Usage: python bench/run.py [--quick]   (--quick runs smaller sizes, for a smoke test)
Exit code 1 if any benchmark missed its target.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (script, full-size arguments, quick arguments)
BENCHES = [
    ("bench_lookup.py", [], ["--numbers", "10000"]),
    ("bench_ftc_import.py", [], ["--rows", "50000"]),
    ("bench_triage.py", [], ["--calls", "20000", "--numbers", "4000"]),
    ("bench_fanout.py", [], []),
    ("bench_export.py", [], ["--rows", "100000"]),
    ("bench_server.py", [], []),
    ("bench_community.py", [], ["--quick"]),
    ("bench_listings.py", [], ["--places", "20000", "--repeat", "1"]),
]


def main() -> int:
    quick = "--quick" in sys.argv
    failed = []
    for script, full, small in BENCHES:
        path = HERE / script
        if not path.exists():
            print(f"{script}: not present, skipped")
            continue
        print(f"== {script}", flush=True)
        done = subprocess.run([sys.executable, str(path), *(small if quick else full)], cwd=HERE)
        if done.returncode != 0:
            failed.append(script)
    if failed:
        print(f"missed targets: {', '.join(failed)}")
        return 1
    print("all benchmarks met their targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
