"""P3: FTC complaint import against the physical floor, measured in the same run.

Generates N rows (default 500,000) in the FTC daily CSV layout, 10-digit numbers with repeats
(a few callers draw most complaints), cached under bench/out/. Times
``lookup.sync.import_ftc_files`` into a fresh database (parse, normalise, hash, insert in
batches, record progress) against the floor: a raw ``sqlite3`` ``executemany`` of the same rows,
already parsed and normalised, into an equivalent table (the complaints DDL and indexes copied
from a fresh store, the same pragmas and page cache), in one transaction. Ratio = floor / time; target >= 0.5.

Usage: python bench/bench_ftc_import.py [--rows 500000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

from db.datasets import IMPORT_CACHE_KIB, INSERT_COMPLAINT  # noqa: E402
from db.store import Store  # noqa: E402
from lookup.sync import import_ftc_files  # noqa: E402
from scrapers import ftc_gov  # noqa: E402
from scrapers.complaints import RowTally  # noqa: E402

TARGET = 0.5
SUBJECTS = [
    "No Subject Provided", "Dropped call or no message", "Reducing your debt (credit cards, mortgage, student loans)",
    "Calls pretending to be government, businesses, or family and friends", "Warranties & protection plans",
    "Medical & prescriptions", "Computer & technical support", "Other",
]
STATES = ["Ohio", "Texas", "California", "New York", "Florida", "Idaho", "Oregon", "District of Columbia"]
CITIES = ["Columbus", "Austin", "Fresno", "Albany", "Tampa", "Boise", "Salem", "Washington, D.C.", ""]


def pick_caller(rng: random.Random, callers: list[str]) -> str:
    """1% empty numbers; 30% from a heavy-tailed few (the robocallers); the rest anyone."""
    if rng.random() < 0.01:
        return ""
    if rng.random() < 0.3:
        return callers[min(int(rng.paretovariate(1.2)) - 1, len(callers) - 1)]
    return rng.choice(callers)


def generate(path: Path, rows: int) -> None:
    """Write ``rows`` FTC-layout rows over 35 days, in time order like the daily files."""
    rng = random.Random(3)
    callers = [f"{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}" for _ in range(rows // 4)]
    start = datetime(2026, 10, 14)
    step = timedelta(days=35) / rows
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(ftc_gov.COLUMNS)
        for i in range(rows):
            phone = pick_caller(rng, callers)
            created = start + step * i
            called = created - timedelta(minutes=rng.randint(1, 3000))
            out.writerow([phone, f"{created:%Y-%m-%d %H:%M:%S}", f"{called:%Y-%m-%d %H:%M:%S}", rng.choice(CITIES),
                          rng.choice(STATES), phone[:3], rng.choice(SUBJECTS), rng.choice(("Y", "Y", "N", "N", ""))])
    tmp.replace(path)


def parsed_rows(path: Path) -> list[tuple]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(ftc_gov.read_rows(stream, RowTally()))


def fresh(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def time_import(csv_path: Path, db: Path) -> tuple[float, int]:
    fresh(db)
    store = Store(db)
    start = time.perf_counter()
    result = import_ftc_files(store, [csv_path])
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed, result.rows_added


def schema() -> list[str]:
    """The complaints table and its indexes, as a fresh store creates them."""
    store = Store()
    sql = [r[0] for r in store.conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'complaints' AND sql IS NOT NULL ORDER BY type DESC")]
    store.close()
    return sql


def time_floor(rows: list[tuple], db: Path, ddl: list[str]) -> float:
    fresh(db)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")  # what import_complaints uses: equal footing
    for statement in ddl:
        conn.execute(statement)
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(INSERT_COMPLAINT, rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    csv_path = OUT / f"ftc_{args.rows}.csv"
    if not csv_path.exists():
        generate(csv_path, args.rows)
    rows = parsed_rows(csv_path)
    ddl = schema()
    times, floors = [], []
    added = 0
    for _ in range(max(args.repeat, 1)):
        floors.append(time_floor(rows, OUT / "p3-floor.db", ddl))
        elapsed, added = time_import(csv_path, OUT / "p3.db")
        times.append(elapsed)
    if added != len(rows):
        print(f"ftc import: expected {len(rows)} rows added, got {added}", file=sys.stderr)
        return 1
    took, floor = statistics.median(times), statistics.median(floors)
    ratio = floor / took
    ok = ratio >= TARGET
    print(f"ftc import: rows={args.rows} time={took:.2f}s floor={floor:.2f}s ratio=floor/time={ratio:.2f}"
          f" (target >= {TARGET}) {'OK' if ok else 'MISSED'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
