"""Generate an Android "SMS Backup & Restore" calls XML for benchmarks and memory tests.

``write_calls_xml(path, calls=100_000, numbers=20_000)``: a mix of answered (50%), missed
(30%), outgoing (14%), voicemail (4%), rejected and blocked (2%) calls from ``numbers``
distinct US numbers over 90 days, in the exporter's own attribute layout.
"""

from __future__ import annotations

import random
from pathlib import Path

AREA_CODES = [201, 202, 212, 213, 305, 312, 404, 415, 503, 512, 602, 617, 702, 713, 808, 876, 809]


def write_calls_xml(path: Path, calls: int = 100_000, numbers: int = 20_000, seed: int = 5) -> Path:
    rng = random.Random(seed)
    pool = sorted({f"{rng.choice(AREA_CODES)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}" for _ in range(numbers * 2)})
    pool = pool[:numbers]
    start_ms = 1_790_000_000_000
    kinds = [(1, 50), (3, 30), (2, 14), (4, 4), (5, 1), (6, 1)]
    population = [k for k, w in kinds for _ in range(w)]
    with open(path, "w", encoding="utf-8") as out:
        out.write("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n")
        out.write(f'<calls count="{calls}" backup_set="bench" backup_date="{start_ms}" type="full">\n')
        for i in range(calls):
            number = pool[i % numbers] if i < numbers else rng.choice(pool)
            kind = rng.choice(population)
            duration = rng.randint(5, 900) if kind in (1, 2, 4) else 0
            when = start_ms + rng.randint(0, 90 * 86_400_000)
            out.write(
                f'  <call number="{number}" duration="{duration}" date="{when}" type="{kind}" presentation="1"'
                f' subscription_id="1" post_dial_digits="" readable_date="" contact_name="(Unknown)" />\n'
            )
        out.write("</calls>\n")
    return path
