"""Issue 15: ``triage --json`` writes each row with ``row_text`` instead of encoding
``row_json``'s dict, its local call times with ``local_minutes`` instead of
``CallerGroup.local_times``, and its first and last call with ``utc_seconds``. All must agree
with the general way byte for byte: generated groups (silent and other calls, listed without
times, names, refused calls) in several zones, and times far from today."""

from __future__ import annotations

import json
import math
import random
from array import array
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from lookup.cli.render_triage import local_minutes, row_json, row_renderer, row_text, utc_seconds
from lookup.models import CallBack, Level, Verdict
from lookup.numbers import normalize_number
from lookup.results import LookupResult
from lookup.settings import Settings
from lookup.triage import CallerGroup, TriageRow
from scrapers.registry import load_sources

ZONES = [None, "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"]
SOURCES = tuple(load_sources(Settings()))


def some_times(rng: random.Random, count: int, *, far: bool = False) -> array:
    low, high = (-62_000_000_000, 250_000_000_000) if far else (1_600_000_000, 1_800_000_000)
    return array("d", sorted(rng.uniform(low, high) if rng.random() < 0.5 else float(rng.randrange(low, high))
                             for _ in range(count)))


def some_group(rng: random.Random, far: bool = False) -> CallerGroup:
    times = some_times(rng, rng.choice([0, 1, 2, 5, 12]), far=far)
    others = some_times(rng, rng.choice([0, 0, 1, 3]), far=far)
    name = rng.choice([None, "", "Aunt May", 'Dr "Lee" \\ Zürich', "\x00\n"])
    return CallerGroup(rng.choice(["", "+14046214055"]), times, rng.randrange(3), name, others, listed=not times)


def some_result(rng: random.Random) -> LookupResult:
    raw = rng.choice(["+14046214055", "+442079460123", "Withheld"])
    if raw == "Withheld" or rng.random() < 0.1:
        return LookupResult(raw, error="not a number")
    verdict = Verdict(rng.choice(list(Level)), rng.randrange(101), rng.choice(list(CallBack)), "Why.")
    return LookupResult(raw, normalize_number(raw), None, verdict, link_sources=SOURCES)


@pytest.mark.parametrize("zone_name", ZONES)
def test_row_text_is_the_json_of_row_json(zone_name) -> None:
    rng = random.Random(f"15-{zone_name}")
    settings = Settings(region="US", timezone=zone_name)
    zone = ZoneInfo(zone_name) if zone_name else None
    render = row_renderer(settings)
    for _ in range(300):
        row = TriageRow(some_group(rng, far=rng.random() < 0.2), some_result(rng))
        want = json.dumps(row_json(row, settings, zone), ensure_ascii=False)
        assert row_text(row, zone) == want
        assert render(row) == want + "\n"


@pytest.mark.parametrize("zone_name", ZONES)
def test_local_minutes_are_the_local_times(zone_name) -> None:
    rng = random.Random(zone_name)
    zone = ZoneInfo(zone_name) if zone_name else None
    groups = [some_group(rng, far=i % 3 == 0) for i in range(400)]
    # the edges: before the year 1000 and after 9999 local time strftime writes the year its own way
    edges = [-30_610_224_000.0, -30_000_000_001.0, -30_000_000_000.0, 0.0, 253_000_000_000.0, 253_402_214_400.0]
    groups += [CallerGroup("+14046214055", array("d", [t])) for t in edges]
    for group in groups:
        assert local_minutes(group, zone) == group.local_times(zone)


def test_utc_seconds_is_the_isoformat_of_the_utc_time() -> None:
    rng = random.Random(15)
    times = [0.0, -0.0, 1e-7, -1e-7, 0.9995, 0.9999995, 0.9999994, -0.5, -0.9999996, 59.999, 86_399.9999999,
             1_790_000_000.999, 1_790_000_000.0005, -30_000_000_000.0, -29_999_999_999.5, 252_999_999_999.25,
             253_000_000_000.0, -62_000_000_000.0]
    times += [rng.randrange(1_000_000_000_000, 2_000_000_000_000) / 1000 for _ in range(3000)]  # Android's ms
    times += [rng.uniform(-40_000_000_000, 253_402_300_000) for _ in range(3000)]
    times += [t + d for t in (1_700_000_000, -1_700_000_000) for d in (-1e-6, -5e-7, 0.0, 4.9e-7, 5e-7, 0.99899, 0.999001)]
    for t in times:
        assert utc_seconds(t) == datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds"), t
    for t, error in ((math.nan, ValueError), (math.inf, OverflowError), (1e20, OverflowError)):  # as the general way fails
        with pytest.raises(error):
            datetime.fromtimestamp(t, timezone.utc)
        with pytest.raises(error):
            utc_seconds(t)
