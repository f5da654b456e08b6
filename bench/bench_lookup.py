"""P1 and P2: the lookup command as a whole process, interleaved with its floor.

P1, cached lookup: ``whocalled lookup NUMBER --offline`` for a number already in a warm
database, against the floor ``python -c "import phonenumbers, typer, sqlite_utils"`` (the
libraries this path cannot avoid). Target <= 1.2 (issue 15).

P2, batch: N distinct new numbers (default 100,000) through ``whocalled lookup --offline --json -``
as a whole process, each round into a fresh database, against a bare process computing the same
facts with phonenumbers (parse, is_valid_number, number_type, geocoder description, carrier
name, time zones, E.164) for each line of the same file and printing them. Targets: <= 2, and
the peak memory of the whole lookup process < 80 MB (results are printed as they are ready).

Usage: python bench/bench_lookup.py [--numbers 100000] [--rounds 3] [--only p1|p2]
"""

from __future__ import annotations

import argparse
import random
import sys

from common import OUT, PYTHON, WHOCALLED, bench_env, command, figure_of, interleave, report_figure

P1_TARGET = 1.2
P2_TARGET = 2.0
P2_PEAK_MB = 80.0
FLOOR_P2 = r"""
import sys
import phonenumbers
from phonenumbers import carrier, geocoder, timezone
write = sys.stdout.write
for line in sys.stdin:
    raw = line.strip()
    if not raw:
        continue
    pn = phonenumbers.parse(raw, "US")
    write(repr((
        phonenumbers.format_number(pn, phonenumbers.PhoneNumberFormat.E164),
        phonenumbers.is_valid_number(pn),
        phonenumbers.number_type(pn),
        geocoder.description_for_number(pn, "en"),
        carrier.name_for_number(pn, "en"),
        timezone.time_zones_for_number(pn),
    )) + "\n")
"""

US_AREA_CODES = [201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 224, 225, 228,
                 301, 302, 303, 304, 305, 307, 308, 309, 310, 312, 313, 314, 315, 316, 317, 318, 319, 320, 321, 323,
                 401, 402, 404, 405, 406, 407, 408, 409, 410, 412, 413, 414, 415, 417, 419, 423, 424, 425, 430, 432,
                 501, 502, 503, 504, 505, 507, 508, 509, 510, 512, 513, 515, 516, 517, 518, 520, 530, 540, 541, 551,
                 601, 602, 603, 605, 606, 607, 608, 609, 610, 612, 614, 615, 616, 617, 618, 619, 620, 623, 626, 630,
                 701, 702, 703, 704, 706, 707, 708, 712, 713, 714, 715, 716, 717, 718, 719, 720, 724, 727, 731, 732,
                 801, 802, 803, 804, 805, 806, 808, 810, 812, 813, 814, 815, 816, 817, 818, 828, 830, 831, 832, 843,
                 876, 809, 473, 649, 284, 268, 900]


def make_numbers(count: int) -> list[str]:
    rng = random.Random(20261122)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        pick = rng.random()
        if pick < 0.85:
            raw = f"({rng.choice(US_AREA_CODES)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
        elif pick < 0.90:
            raw = f"+44 20 {rng.randint(7000, 8999)} {rng.randint(0, 9999):04d}"
        elif pick < 0.95:
            raw = f"+49 30 {rng.randint(1000000, 9999999)}"
        else:
            raw = f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        if raw not in seen:
            seen.add(raw)
            out.append(raw)
    return out


def remove_db(path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (path.parent / f"{path.name}{suffix}").unlink(missing_ok=True)


def bench_p1(rounds: int) -> bool:
    db = OUT / "p1.db"
    remove_db(db)
    env = bench_env(WHOCALLED_DB=str(db))
    ours = [WHOCALLED, "lookup", "+1 876 881 2345", "--offline"]  # the warm-up round stores the number
    floor = [PYTHON, "-c", "import phonenumbers, typer, sqlite_utils"]
    measured = interleave(command(floor, env=env), command(ours, env=env), rounds)
    return report_figure(figure_of("P1", "cached lookup NUMBER --offline", measured, P1_TARGET))


def bench_p2(count: int, rounds: int) -> bool:
    numbers = OUT / f"p2-numbers-{count}.txt"
    if not numbers.exists():
        numbers.write_text("\n".join(make_numbers(count)) + "\n")
    floor_script = OUT / "p2_floor.py"
    floor_script.write_text(FLOOR_P2)
    db = OUT / "p2.db"
    floor = command([PYTHON, str(floor_script)], env=bench_env(), stdin=numbers)
    ours = command([WHOCALLED, "lookup", "--offline", "--json", "-"], env=bench_env(WHOCALLED_DB=str(db)),
                   stdin=numbers, before=lambda: remove_db(db), ok_codes=(0, 2))
    measured = interleave(floor, ours, rounds, warmup=False)
    return report_figure(figure_of("P2", f"lookup --offline --json - of {count:,} new numbers", measured, P2_TARGET,
                                   peak_limit_mb=P2_PEAK_MB))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=0, help="interleaved rounds (default 9 for P1, 3 for P2)")
    parser.add_argument("--only", choices=["p1", "p2"])
    args = parser.parse_args()
    ok = True
    if args.only in (None, "p1"):
        ok &= bench_p1(args.rounds or 9)
    if args.only in (None, "p2"):
        ok &= bench_p2(args.numbers, args.rounds or 3)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
