"""Triage of a generated 100,000-call Android XML keeps a bounded memory peak (a separate
process, so the measurement is its own): readers stream, and triage keeps per-number tallies."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "bench" / "gen_calls.py"
PROBE = (
    "import resource, subprocess, sys;"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, r.returncode, r.stdout.count(b'\\n'))"
)


def test_triage_of_100k_calls_has_a_bounded_peak(tmp_path) -> None:
    spec = importlib.util.spec_from_file_location("gen_calls", BENCH)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    xml = gen.write_calls_xml(tmp_path / "calls-100k.xml", calls=100_000, numbers=20_000)
    whocalled = str(Path(sys.executable).with_name("whocalled"))
    env = dict(os.environ, WHOCALLED_DB=str(tmp_path / "t.db"))
    # The place-name cache is built once per machine by a child process that loads the whole
    # phonenumbers geocoder; build it first so the peak measured is triage's own.
    subprocess.run([whocalled, "lookup", "--offline", "+12015550123"], capture_output=True, env=env, timeout=120)
    out = subprocess.run([sys.executable, "-c", PROBE, whocalled, "triage", "--offline", "--json", str(xml)],
                         capture_output=True, text=True, env=env, timeout=240)
    peak_mb, code, lines = (int(x) for x in out.stdout.split())
    assert code == 0, out.stderr
    assert lines > 10_000  # one JSON object per number with silent calls
    assert peak_mb < 150, f"peak {peak_mb} MB"  # issue #5 target; measured 113 MB
