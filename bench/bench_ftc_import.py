"""P3: FTC complaint import as the user runs it, against the physical floor, interleaved.

Generates N rows (default 500,000) in the FTC daily CSV layout, 10-digit numbers with repeats
(a few callers draw most complaints), cached under bench/out/. Times ``whocalled sync ftc --file
CSV`` as a whole process into a fresh database (parse, normalise, hash, insert in batches,
record progress) against the floor, a process of its own that loads the same rows already
parsed and normalised (a pickle) and inserts them with a raw ``sqlite3`` ``executemany`` into
an equivalent table (the complaints DDL and indexes copied from a fresh store, the same pragmas
and page cache), in one transaction. The two alternate; ratio = floor / time, target >= 0.5.

Usage: python bench/bench_ftc_import.py [--rows 500000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import pickle
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import PYTHON, WHOCALLED, bench_env, command, figure_of, interleave, report_figure  # noqa: E402
from db.datasets import IMPORT_CACHE_KIB, INSERT_COMPLAINT  # noqa: E402
from db.store import Store  # noqa: E402
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


def count_rows(db: Path) -> int:
    with Store(db) as store:
        return store.conn.execute("SELECT count(*) FROM complaints").fetchone()[0]


def schema() -> list[str]:
    """The complaints table and its indexes, as a fresh store creates them."""
    store = Store()
    sql = [r[0] for r in store.conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'complaints' AND sql IS NOT NULL ORDER BY type DESC")]
    store.close()
    return sql


# The floor process: only sqlite3 and pickle, so it pays no import of ours.
FLOOR = r"""
import os, pickle, sqlite3, sys
with open(sys.argv[1], "rb") as fh:
    rows, ddl, insert, cache_kib = pickle.load(fh)
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(sys.argv[2] + suffix):
        os.unlink(sys.argv[2] + suffix)
conn = sqlite3.connect(sys.argv[2], isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA synchronous = NORMAL")
conn.execute(f"PRAGMA cache_size = -{cache_kib}")
for statement in ddl:
    conn.execute(statement)
conn.execute("BEGIN")
conn.executemany(insert, rows)
conn.execute("COMMIT")
conn.close()
"""


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
    rows_path = OUT / f"ftc_{args.rows}.rows.pickle"
    with rows_path.open("wb") as fh:
        # the same page cache as import_complaints uses: equal footing
        pickle.dump((rows, schema(), INSERT_COMPLAINT, IMPORT_CACHE_KIB), fh, protocol=pickle.HIGHEST_PROTOCOL)
    floor_script = OUT / "p3_floor.py"
    floor_script.write_text(FLOOR)
    floor_db, db = OUT / "p3-floor.db", OUT / "p3.db"
    env = bench_env(WHOCALLED_DB=str(db))
    floor = command([PYTHON, str(floor_script), str(rows_path), str(floor_db)], env=env)
    ours = command([WHOCALLED, "sync", "ftc", "--file", str(csv_path)], env=env, before=lambda: fresh(db))
    measured = interleave(floor, ours, args.repeat, inverse=True, warmup=False)
    added = count_rows(db)
    rows_path.unlink()
    if added != len(rows):
        print(f"ftc import: expected {len(rows)} rows stored, got {added}", file=sys.stderr)
        return 1
    fig = figure_of("P3", f"sync ftc --file of {args.rows:,} complaint rows", measured, TARGET, lower_is_better=False,
                    with_peak=True)
    fig.unit = " of the floor's speed"
    return 0 if report_figure(fig) else 1


if __name__ == "__main__":
    sys.exit(main())
