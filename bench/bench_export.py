"""Export bench: `whocalled export` as the user runs it, a whole process per format, against
the floor measured in the same run, interleaved (floor, whocalled, floor, whocalled, ...).

Builds (once, cached in bench/out/) a whocalled database whose block list holds N generated
NANP numbers. The floor is a bare Python process that runs the same query
(``SELECT pattern ... WHERE kind='block' ORDER BY pattern``) and writes the numbers joined by
newlines. For every format, ``whocalled export --format F --db DB -o FILE`` runs as a process;
the ratio is ``floor / whocalled`` (median of the repetitions; target >= 0.35), and the
process's peak memory (ru_maxrss from wait4) must stay under 150 MB, because exports stream.
The same ratio of CPU seconds (user + system, from wait4) is printed beside it: on a shared
machine it moves less with the load than wall time does (the target is on wall time).

    .venv/bin/python bench/bench_export.py            # 1,000,000 numbers
    .venv/bin/python bench/bench_export.py --rows 100000 --format txt

Exits 1 when a format misses the ratio target or the memory bound.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.store import Store  # noqa: E402
from lookup.blocklists import ExportFormat  # noqa: E402
from lookup.models import ListEntry, ListKind  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
WHOCALLED = str(Path(sys.executable).with_name("whocalled"))
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


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, peak memory (MB) and CPU seconds (user + system) of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err[-1000:]}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--format", action="append", choices=[f.value for f in ExportFormat], help="only these formats")
    args = parser.parse_args(argv)
    db = database(args.rows)
    formats = [ExportFormat(f) for f in args.format] if args.format else list(ExportFormat)
    env = dict(os.environ)
    env["WHOCALLED_CONFIG"] = str(OUT / "empty-config.toml")
    (OUT / "empty-config.toml").write_text("")
    floor_cmd = [sys.executable, "-c", FLOOR, str(db), str(OUT / "floor.txt")]
    run(floor_cmd, env)  # warm the page cache so the first format is not penalised
    failed = []
    print(f"export bench: {args.rows} numbers, whole processes, interleaved x{args.repeat}; "
          f"target ratio >= {TARGET}, peak < {MEMORY_LIMIT_MB} MB")
    for fmt in formats:
        out = OUT / f"export.{fmt.value}"
        ratios, peaks, floors, times, cpu_ratios = [], [], [], [], []
        for _ in range(args.repeat):
            floor, _, floor_cpu = run(floor_cmd, env)
            elapsed, peak, cpu = run([WHOCALLED, "export", "--format", fmt.value, "--db", str(db), "-o", str(out)], env)
            floors.append(floor)
            times.append(elapsed)
            ratios.append(floor / elapsed)
            cpu_ratios.append(floor_cpu / cpu)
            peaks.append(peak)
        for written in OUT.glob(f"export*.{fmt.value}"):
            written.unlink()  # a million rows in 13 formats is about 1 GB: keep only the database
        ratio = statistics.median(ratios)
        ok = ratio >= TARGET and max(peaks) < MEMORY_LIMIT_MB
        print(f"export {fmt.value}: whocalled={statistics.median(times):.2f}s floor={statistics.median(floors):.2f}s "
              f"ratio={ratio:.2f} (spread {min(ratios):.2f}-{max(ratios):.2f}) cpu-ratio={statistics.median(cpu_ratios):.2f} "
              f"peak={max(peaks):.0f}MB"
              f"{'' if ok else '  MISSED'}", flush=True)
        if not ok:
            failed.append(fmt.value)
    (OUT / "floor.txt").unlink(missing_ok=True)
    if failed:
        print(f"missed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
