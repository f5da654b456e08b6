"""Export bench (issue 6): every blocklist format against the floor, in the same run.

Builds (once, cached in bench/out/) a SQLite database whose ``lists`` table holds N
generated blocked NANP numbers, then for every format times ``export_rows`` fed from a
cursor over ``SELECT pattern, reason, added_at FROM lists WHERE kind='block' ORDER BY
pattern`` (each row mapped to an ExportRow), against the floor: the same query writing
the bare numbers joined by newlines. Prints ``ratio = floor / time`` (target >= 0.25)
and the growth of peak memory (ru_maxrss), which must stay flat because exports stream.

    .venv/bin/python bench/bench_export.py            # 1,000,000 rows
    .venv/bin/python bench/bench_export.py --rows 100000

Exits 1 when a format misses the ratio target or the memory bound.
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lookup.blocklists import ExportFormat, ExportRow, export_rows  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
QUERY = "SELECT pattern, reason, added_at FROM lists WHERE kind='block' ORDER BY pattern"
TARGET = 0.25
MEMORY_LIMIT_MB = 50
REASONS = ("user block", "reported", "ftc: 12 complaints in 30 days", None)


def build_database(path: Path, rows: int) -> None:
    """``rows`` distinct +1NPANXXXXXX numbers in one transaction (deterministic)."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE lists (pattern TEXT PRIMARY KEY, kind TEXT NOT NULL, reason TEXT, added_at TEXT NOT NULL, origin TEXT NOT NULL)"
    )
    rng = random.Random(6)
    seen: set[int] = set()

    def generate():  # noqa: ANN202 - generator of row tuples
        while len(seen) < rows:
            npa = rng.randrange(200, 1000)
            nxx = rng.randrange(200, 1000)
            value = (npa * 1000 + nxx) * 10000 + rng.randrange(10000)
            if value in seen:
                continue
            seen.add(value)
            day = 1 + value % 28
            yield (f"+1{value}", "block", REASONS[value % 4], f"2024-05-{day:02d}T12:00:00+00:00", "bench")

    with db:
        db.executemany("INSERT INTO lists VALUES (?, ?, ?, ?, ?)", generate())
    db.close()


def open_database(rows: int) -> sqlite3.Connection:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"bench_export_{rows}.db"
    if path.exists():
        db = sqlite3.connect(path)
        try:
            if db.execute("SELECT count(*) FROM lists").fetchone()[0] == rows:
                return db
        except sqlite3.DatabaseError:
            pass  # a broken cache: rebuilt below
        db.close()
    started = time.perf_counter()
    build_database(path, rows)
    print(f"built {path.name}: {rows} rows in {time.perf_counter() - started:.1f}s")
    return sqlite3.connect(path)


def run_floor(db: sqlite3.Connection, path: Path) -> tuple[int, float]:
    started = time.perf_counter()
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        cursor = db.execute(QUERY)
        while batch := cursor.fetchmany(10_000):
            out.write("\n".join([row[0] for row in batch]) + "\n")
            count += len(batch)
    return count, time.perf_counter() - started


def run_format(db: sqlite3.Connection, fmt: ExportFormat, path: Path) -> tuple[int, float]:
    started = time.perf_counter()
    rows = (ExportRow(pattern, reason, None, None, added_at) for pattern, reason, added_at in db.execute(QUERY))
    stats = export_rows(rows, fmt, path)
    elapsed = time.perf_counter() - started
    for written in stats.files:  # a million rows in 13 formats is about 1 GB: keep only the database
        written.unlink()
    return stats.written, elapsed


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", action="append", choices=[f.value for f in ExportFormat], help="only these formats")
    args = parser.parse_args(argv)
    db = open_database(args.rows)
    formats = [ExportFormat(f) for f in args.format] if args.format else list(ExportFormat)
    run_floor(db, OUT / "floor.txt")  # warm the page cache so the first format is not penalised
    base = peak_mb()
    failed = []
    print(f"export bench: {args.rows} rows, target ratio >= {TARGET}, peak memory growth < {MEMORY_LIMIT_MB} MB")
    for fmt in formats:
        count, floor = run_floor(db, OUT / "floor.txt")
        written, elapsed = run_format(db, fmt, OUT / f"export.{fmt.value}")
        ratio = floor / elapsed if elapsed else float("inf")
        grown = peak_mb() - base
        ok = ratio >= TARGET and grown < MEMORY_LIMIT_MB and written == count
        print(
            f"export {fmt.value}: rows={written} time={elapsed:.2f}s floor={floor:.2f}s ratio=floor/time={ratio:.2f} "
            f"peak_rss_growth={grown:+.1f}MB{'' if ok else '  MISSED'}"
        )
        if not ok:
            failed.append(fmt.value)
    db.close()
    (OUT / "floor.txt").unlink(missing_ok=True)
    if failed:
        print(f"missed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
