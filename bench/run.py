"""Run every benchmark, then print a summary table of every figure against its target.

Usage: python bench/run.py [--quick] [--only SCRIPT ...]
  --quick  smaller sizes, for a smoke test
  --only   run only these scripts (e.g. --only bench_lookup.py)

Each script prints, besides its own lines, one ``BENCH {json}`` line per figure (see
bench/common.py); those are gathered into the table. A script that prints none (it has not
adopted the shared helper yet) gets one row from its exit code. Exit code 1 if any target was
missed or any script failed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARK = "BENCH "

# (script, full-size arguments, quick arguments)
BENCHES = [
    ("bench_lookup.py", [], ["--numbers", "10000", "--rounds", "3"]),
    ("bench_ftc_import.py", [], ["--rows", "50000", "--repeat", "2"]),
    ("bench_triage.py", [], ["--calls", "20000", "--numbers", "4000"]),
    ("bench_fanout.py", [], ["--rounds", "1"]),
    ("bench_export.py", [], ["--rows", "100000"]),
    ("bench_server.py", [], []),
    ("bench_community.py", [], ["--quick"]),
    ("bench_listings.py", [], ["--places", "20000", "--repeat", "1"]),
]


def run_script(path: Path, args: list[str]) -> tuple[int, list[dict]]:
    """Run one bench, passing its output through as it comes; its exit code and its figures."""
    figures: list[dict] = []
    proc = subprocess.Popen([sys.executable, str(path), *args], cwd=HERE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(MARK):
            figures.append(read_figure(line[len(MARK):], path.name))
        else:
            sys.stdout.write(line)
            sys.stdout.flush()
    return proc.wait(), figures


def read_figure(text: str, script: str) -> dict:
    try:
        figure = json.loads(text)
    except json.JSONDecodeError:
        return {"id": script, "what": "unreadable BENCH line", "met": False}
    figure["script"] = script
    return figure


def summary_rows(results: list[tuple[str, int, list[dict]]]) -> list[list[str]]:
    """One row per figure (id, what, ratio, spread, peak, target, met); one per script without
    figures, from its exit code."""
    rows = []
    for script, code, figures in results:
        for f in figures:
            sign = "<=" if f.get("lower_is_better", True) else ">="
            spread = f.get("spread")
            peak = f.get("peak_mb")
            limit = f.get("peak_limit_mb")
            rows.append([
                str(f.get("id", script)),
                str(f.get("what", "")),
                f"{f['ratio']:.2f}" if isinstance(f.get("ratio"), (int, float)) else "?",
                f"{spread[0]:.2f}-{spread[1]:.2f}" if spread else "",
                (f"{peak:.0f} MB" + (f" (< {limit:g})" if limit else "")) if peak is not None else "",
                f"{sign} {f['target']:g}" if isinstance(f.get("target"), (int, float)) else "",
                "met" if f.get("met") else "MISSED",
            ])
        if not figures:
            rows.append([script, "(no BENCH line: exit code only)", "", "", "", "", "met" if code == 0 else "MISSED"])
        elif code != 0 and all(f.get("met") for f in figures):
            rows.append([script, f"exited {code} after its figures", "", "", "", "", "MISSED"])
    return rows


def format_table(rows: list[list[str]], width: int = 80) -> str:
    """The rows as columns, the "what" column cut so that a line fits ``width``."""
    head = ["id", "what", "ratio", "spread", "peak", "target", ""]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    widths[1] = max(12, min(widths[1], width - sum(widths) + widths[1] - 2 * (len(head) - 1)))
    rows = [[r[0], r[1] if len(r[1]) <= widths[1] else r[1][: widths[1] - 1] + "…", *r[2:]] for r in rows]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in [head, *rows]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    only = {a for a in argv if a.endswith(".py")}
    results = []
    for script, full, small in BENCHES:
        if only and script not in only:
            continue
        path = HERE / script
        if not path.exists():
            print(f"{script}: not present, skipped")
            continue
        print(f"== {script}", flush=True)
        code, figures = run_script(path, small if quick else full)
        results.append((script, code, figures))
    rows = summary_rows(results)
    print("\n== summary" + (" (--quick: smaller sizes, where fixed costs such as start-up weigh more:"
                             " the targets are set for the full sizes)" if quick else ""))
    print(format_table(rows))
    missed = [r[0] for r in rows if r[-1] != "met"]
    if missed:
        print(f"missed: {', '.join(missed)}")
        return 1
    print("every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
