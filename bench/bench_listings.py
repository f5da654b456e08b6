"""P7: ``whocalled sync osm --file`` of a saved Overpass answer as a whole process, against the
physical floor, interleaved (floor, sync, floor, sync, ...).

Generates an Overpass JSON answer of N places (default 200,000; cached under bench/out/) in the
shape ``out tags center;`` gives: nodes and ways with names, kinds, addresses, opening hours,
and phone values as they come in OpenStreetMap (international and national notations,
``;``-joined lists, extensions, ``contact:phone`` and ``mobile``, a few values that are no
number). Times ``whocalled sync osm --file ANSWER --area US-DC`` into a fresh database (streamed
parse, splitting, the project's parser, batched writes) against the floor, a process that does
``json.load`` of the same file, ``phonenumbers.parse`` + E.164 of each ``;``-separated value,
and a raw ``executemany`` of the same rows into the same table (DDL and indexes of a fresh
store). The peak memory of each process is read with ``wait4``.

Targets: time / floor <= 2; peak memory of the sync < 150 MB (the floor's ``json.load``
holds the whole answer, so its peak grows with the file; the sync's must not).

Then, against the synced database: ``whocalled lookup NUMBER --offline`` (a whole process, as a
person or a PBX asks) of a listed number against one no listing holds: ratio <= 1.1. The same
for a batch of 1,000 numbers in one process is printed for information (a match there costs
its finding and opening hours, some 20 microseconds a number).

Usage: python bench/bench_listings.py [--places 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import OUT, PYTHON, WHOCALLED, Interleaved, bench_env, command, figure_of, interleave, report_figure  # noqa: E402

TARGET_RATIO = 2.0
TARGET_PEAK_MB = 150.0
TARGET_LOOKUP_RATIO = 1.1  # a listing match adds its finding and opening hours: nothing measurable
KINDS = [("amenity", "pharmacy"), ("amenity", "dentist"), ("amenity", "school"), ("shop", "bakery"),
         ("office", "lawyer"), ("healthcare", "physiotherapist"), ("craft", "plumber"), ("tourism", "hotel")]
HOURS = ["Mo-Fr 08:00-18:00; Sa 09:00-13:00", "24/7", "Mo-Sa 09:00-20:00; Su off", "PH off; Mo-Th 09:00-17:00", None]
AREA_CODES = ["202", "301", "703", "410", "571", "240"]


def phone_value(rng: random.Random) -> str:
    def one() -> str:
        area, line = rng.choice(AREA_CODES), f"{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
        return rng.choice([f"+1 {area}-{line}", f"({area}) {line}", f"+1-{area}-{line}", f"{area}.{line.replace('-', '.')}"])

    roll = rng.random()
    if roll < 0.15:
        return f"{one()};{one()}"
    if roll < 0.2:
        return f"{one()} ext {rng.randint(1, 99)}"
    if roll < 0.21:
        return "ask at the counter"
    return one()


def generate(path: Path, places: int) -> None:
    rng = random.Random(14)
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write('{\n  "version": 0.6,\n  "generator": "Overpass API 0.7.62.1 084b4234",\n  "osm3s": {\n'
                 '    "timestamp_osm_base": "2026-12-06T19:58:31Z",\n    "copyright": "The data included in this'
                 ' document is from www.openstreetmap.org. The data is made available under ODbL."\n  },\n'
                 '  "elements": [\n\n{\n  "type": "area",\n  "id": 3600162069\n}')
        for i in range(places):
            key, value = rng.choice(KINDS)
            tags = {"name": f"Example {value.title()} {i}", key: value, "addr:street": "Connecticut Avenue Northwest",
                    "addr:housenumber": str(rng.randint(1, 3000)), "addr:city": "Washington", "addr:postcode": "20036",
                    rng.choice(("phone", "phone", "phone", "contact:phone", "mobile")): phone_value(rng)}
            hours = rng.choice(HOURS)
            if hours:
                tags["opening_hours"] = hours
            if rng.random() < 0.3:
                tags["website"] = f"https://example{i}.example.org/"
            lat, lon = 38.8 + rng.random() / 5, -77.1 + rng.random() / 5
            if rng.random() < 0.7:
                element = {"type": "node", "id": 1_000_000 + i, "lat": lat, "lon": lon, "tags": tags}
            else:
                element = {"type": "way", "id": 2_000_000 + i, "center": {"lat": lat, "lon": lon}, "tags": tags}
            fh.write(",\n" + json.dumps(element, indent=2, ensure_ascii=False))
        fh.write("\n\n  ]\n}\n")
    tmp.replace(path)


def fresh(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# The floor process: json.load of the whole answer, phonenumbers' parse and E.164 of each
# ';'-separated value, and one raw executemany into a copy of an empty store (the same table,
# indexes and pragmas). It imports nothing of ours.
FLOOR = r"""
import json, shutil, sqlite3, sys
import phonenumbers
answer, db, template, insert = sys.argv[1:5]
shutil.copyfile(template, db)
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA synchronous = NORMAL")
conn.execute("PRAGMA cache_size = -16384")
with open(answer, encoding="utf-8") as fh:
    data = json.load(fh)
rows = []
for element in data["elements"]:
    tags = element.get("tags")
    if not tags:
        continue
    ref = f"{element['type']}/{element['id']}"
    center = element.get("center") or element
    for tag in ("phone", "contact:phone", "mobile", "contact:mobile"):
        for value in (tags.get(tag) or "").split(";"):
            if not value:
                continue
            try:
                e164 = phonenumbers.format_number(phonenumbers.parse(value, "US"), phonenumbers.PhoneNumberFormat.E164)
            except phonenumbers.NumberParseException:
                continue
            rows.append(("osm", "US-DC", 1, ref, e164, e164[:-2], tags.get("name"), tags.get("amenity"),
                         tags.get("addr:street"), tags.get("website"), tags.get("opening_hours"),
                         center.get("lat"), center.get("lon")))
conn.execute("BEGIN")
conn.executemany(insert, rows)
conn.execute("COMMIT")
conn.close()
"""


def floor_command(answer: Path, db: Path) -> list[str]:
    """The floor as a process, with an empty store made here as the template of its database."""
    from db.listings import INSERT_LISTING
    from db.store import Store

    template = OUT / "listings-template.db"
    fresh(template)
    with Store(template) as store:  # the same table, indexes and pragmas; the DDL is all we take
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    script = OUT / "listings_floor.py"
    script.write_text(FLOOR)
    return [PYTHON, str(script), str(answer), str(db), str(template), INSERT_LISTING]


def count_listings(db: Path) -> int:
    from db.store import Store

    with Store(db) as store:
        return store.conn.execute("SELECT count(*) FROM listings").fetchone()[0]


def time_lookups(db: Path, batch: int = 1000, repeat: int = 15) -> tuple[Interleaved, float, float]:
    """Against the synced database: ``whocalled lookup NUMBER --offline`` as a whole process for
    a listed number interleaved with one no listing holds (nor any in its block), then median
    seconds of an in-process offline lookup of ``batch`` numbers of each kind (for information)."""
    from db.store import Store
    from lookup.engine import Engine
    from lookup.settings import Settings
    from scrapers.osm import Osm

    with Store(db) as store:
        listed = [row[0] for row in store.conn.execute("SELECT DISTINCT e164 FROM listings LIMIT ?", (batch,))]
        unlisted = [f"+1907{200 + i // 100:03d}{i % 10000:04d}" for i in range(batch)]  # Alaska: none generated
        engine = Engine(store, Settings(region="US"), [Osm()])
        batches: dict[str, list[float]] = {"listed": [], "unlisted": []}
        for _ in range(5):
            for name, numbers in (("listed", listed), ("unlisted", unlisted)):
                started = time.perf_counter()
                results = engine.lookup_offline(numbers)
                batches[name].append(time.perf_counter() - started)
                assert all(bool(r.to_json()["listings"]) is (name == "listed") for r in results)
    env = bench_env(WHOCALLED_DB=str(db))
    singles = interleave(command([WHOCALLED, "lookup", unlisted[0], "--offline"], env=env),
                         command([WHOCALLED, "lookup", listed[0], "--offline"], env=env), repeat)
    return singles, statistics.median(batches["listed"]), statistics.median(batches["unlisted"])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--places", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    answer = OUT / f"overpass-{args.places}.json"
    if not answer.exists():
        generate(answer, args.places)
    size_mb = answer.stat().st_size / 1e6
    db, floor_db = OUT / "listings-sync.db", OUT / "listings-floor.db"
    floor = command(floor_command(answer, floor_db), env=bench_env(), before=lambda: fresh(floor_db))
    ours = command([WHOCALLED, "sync", "osm", "--file", str(answer), "--area", "US-DC"],
                   env=bench_env(WHOCALLED_DB=str(db)), before=lambda: fresh(db))
    measured = interleave(floor, ours, args.repeat, warmup=False)
    rows = count_listings(db)
    if rows != count_listings(floor_db):
        print(f"P7: the sync stored {rows} numbers, the floor {count_listings(floor_db)}", file=sys.stderr)
    print(f"(floor json.load + phonenumbers E.164 + executemany: peak {measured.floor_peak_mb:.0f} MB)")
    ok = report_figure(figure_of("P7", f"sync osm --file of {args.places:,} places ({size_mb:.0f} MB, {rows:,} numbers)",
                                 measured, TARGET_RATIO, peak_limit_mb=TARGET_PEAK_MB))
    singles, batch_match, batch_without = time_lookups(db)
    lookup = figure_of("P7-lookup", "lookup NUMBER --offline of a listed number", singles, TARGET_LOOKUP_RATIO)
    lookup.unit, lookup.floor = "x an unlisted one", f"unlisted {singles.floor_s * 1000:.0f} ms"
    ok &= report_figure(lookup)
    print(f"(for information: 1,000 numbers in one batch, listed {batch_match * 1000:.0f} ms"
          f" vs unlisted {batch_without * 1000:.0f} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
