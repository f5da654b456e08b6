"""Export bench: `whocalled export` as the user runs it, a whole process per format, against
the floor measured in the same run, interleaved (floor, whocalled, floor, whocalled, ...) with
the shared harness (bench/common.py).

Builds (once, cached in bench/out/) a whocalled database whose block list holds N generated
NANP numbers. The floor is a bare Python process that runs the same query
(``SELECT pattern ... WHERE kind='block' ORDER BY pattern``) and writes the numbers joined by
newlines. For every format, ``whocalled export --format F --db DB -o FILE`` runs as a process;
the figure is ``floor / whocalled`` (the median of the rounds' ratios; target >= 0.35), and the
process's peak memory must stay under 150 MB, because exports stream. Each round writes new
files (the last round's are removed first, untimed: see ``remove_outputs``). One figure per format,
each a line for people and a ``BENCH`` line for bench/run.py. Beside the wall-time ratio the
line's ``extra`` holds the same ratio of CPU seconds (user + system of the processes, from
``os.times``): on a shared machine it moves less with the load (the target is on wall time).

    .venv/bin/python bench/bench_export.py            # 1,000,000 numbers
    .venv/bin/python bench/bench_export.py --rows 100000 --format txt

Exits 1 when a format misses the ratio target or the memory bound.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from functools import partial
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import OUT, PYTHON, WHOCALLED, Run, bench_env, command, figure_of, interleave, report_figure  # noqa: E402
from db.store import Store  # noqa: E402
from lookup.blocklists import ExportFormat  # noqa: E402
from lookup.models import ListEntry, ListKind  # noqa: E402

TARGET = 0.35
MEMORY_LIMIT_MB = 150  # the whole process: the interpreter, the libraries and SQLite's page cache and sorter
REASONS = ("user block", "reported", "ftc: 12 complaints in 30 days", None)
FLOOR = (
    "import sqlite3, sys\n"
    "db = sqlite3.connect(sys.argv[1])\n"
    "cur = db.execute(\"SELECT pattern FROM lists WHERE kind = 'block' ORDER BY pattern\")\n"
    "with open(sys.argv[2], 'w', encoding='utf-8') as out:\n"
    "    while rows := cur.fetchmany(10000):\n"
    "        out.write('\\n'.join(r[0] for r in rows) + '\\n')\n"
)


def build_database(path: Path, rows: int) -> None:
    """``rows`` distinct +1NPANXXXXXX block entries (deterministic), through the store."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    rng = random.Random(6)
    seen: set[int] = set()

    def generate():  # noqa: ANN202 - generator of entries
        while len(seen) < rows:
            value = (rng.randrange(200, 1000) * 1000 + rng.randrange(200, 1000)) * 10000 + rng.randrange(10000)
            if value in seen:
                continue
            seen.add(value)
            yield ListEntry(f"+1{value}", ListKind.BLOCK, reason=REASONS[value % 4],
                            added_at=f"2024-05-{1 + value % 28:02d}T12:00:00+00:00", origin="bench")

    with Store(path) as store:
        store.add_list_entries(generate())
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def database(rows: int) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"bench_export_{rows}.whocalled.db"
    if path.exists():
        try:
            with Store(path) as store:
                if store.conn.execute("SELECT count(*) FROM lists").fetchone()[0] == rows:
                    return path
        except Exception as exc:  # a broken cache is rebuilt below; say so
            print(f"rebuilding {path.name}: {exc}")
    started = time.perf_counter()
    build_database(path, rows)
    print(f"built {path.name}: {rows} rows in {time.perf_counter() - started:.1f}s")
    return path


def with_cpu(measure: Callable[[], Run], spent: list[float]) -> Callable[[], Run]:
    """``measure``, also appending to ``spent`` the CPU seconds (user + system) its processes took
    (the children this process waited for, and theirs)."""

    def run() -> Run:
        before = os.times()
        got = measure()
        after = os.times()
        spent.append(after.children_user - before.children_user + after.children_system - before.children_system)
        return got

    return run


def remove_outputs(fmt: ExportFormat) -> None:
    """Remove what the last round wrote, so that each round writes new files: ext4 flushes a file
    that is truncated and written again when it is closed (``auto_da_alloc``), and rewriting
    FRITZ!Box's 330 MB in 500 files over the last round's, seconds later, made an export wait
    1 to 4 s on the disk (a user's next export comes long after the last was written out)."""
    for written in [OUT / "floor.txt", *OUT.glob(f"export*.{fmt.value}")]:
        written.unlink(missing_ok=True)


def bench_format(fmt: ExportFormat, db: Path, rows: int, rounds: int, env: dict[str, str], floor: list[str]) -> bool:
    out = OUT / f"export.{fmt.value}"
    floor_cpu: list[float] = []
    ours_cpu: list[float] = []
    clear = partial(remove_outputs, fmt)
    measured = interleave(
        with_cpu(command(floor, env=env, before=clear), floor_cpu),
        with_cpu(command([WHOCALLED, "export", "--format", fmt.value, "--db", str(db), "-o", str(out)], env=env, before=clear),
                 ours_cpu),
        rounds, inverse=True,
    )
    remove_outputs(fmt)  # a million rows in 13 formats is about 1 GB: keep only the database
    figure = figure_of(f"export-{fmt.value}", f"export -f {fmt.value} of {rows:,} blocked numbers", measured, TARGET,
                       lower_is_better=False, peak_limit_mb=MEMORY_LIMIT_MB)
    figure.unit = " of floor"
    # the CPU ratio of the timed rounds (the warm-up round of each side comes first, so it is left out)
    figure.extra["cpu_ratio"] = round(statistics.median(f / o for f, o in zip(floor_cpu[1:], ours_cpu[1:])), 3)
    return report_figure(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", "--repeat", type=int, default=5, help="interleaved rounds per format")
    parser.add_argument("--format", action="append", choices=[f.value for f in ExportFormat], help="only these formats")
    args = parser.parse_args(argv)
    db = database(args.rows)
    formats = [ExportFormat(f) for f in args.format] if args.format else list(ExportFormat)
    env = bench_env()
    floor = [PYTHON, "-c", FLOOR, str(db), str(OUT / "floor.txt")]
    print(f"export bench: {args.rows:,} numbers, whole processes, interleaved x{args.rounds}; "
          f"target >= {TARGET} of the floor, peak < {MEMORY_LIMIT_MB} MB", flush=True)
    missed = [fmt.value for fmt in formats if not bench_format(fmt, db, args.rows, args.rounds, env, floor)]
    if missed:
        print(f"missed: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
