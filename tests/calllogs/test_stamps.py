"""The stored ISO stamp of a call, written without ``isoformat`` (``rules.format_stamp``): it
must give datetime's text to the character for every moment, in every offset, or the keys of
stored calls would stop matching and de-duplication would break."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from lookup.calllogs.rules import format_stamp


def reference(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="seconds")


def moments() -> list[datetime]:
    rng = random.Random(15)
    zones = [timezone.utc, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=45)),
             timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]
    found = []
    for _ in range(5_000):  # any second from 1970 to 2106, with and without a fraction
        at = datetime.fromtimestamp(rng.randrange(0, 1 << 32), timezone.utc)
        at = at.replace(microsecond=rng.choice((0, 1, 500_000, 999_999, rng.randrange(1_000_000))))
        found.append(at.astimezone(rng.choice(zones)))
    for millis in (rng.randrange(315_532_800_000, 4_102_444_800_000) for _ in range(5_000)):  # Android's ms
        found.append(datetime.fromtimestamp(millis / 1000, timezone.utc))
    edges = [datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2106, 2, 7, 6, 28, 15, 999_999, timezone.utc),
             datetime(2000, 2, 29, 23, 59, 59, 999_999, timezone.utc), datetime(2100, 12, 31, 23, 59, 59, 999_999,
             timezone.utc), datetime(2024, 3, 10, 2, 30, tzinfo=timezone.utc)]
    return found + edges


def test_the_stamp_is_isoformats_for_thousands_of_moments() -> None:
    for at in moments():
        assert format_stamp(at, at.timestamp()) == reference(at), at


@pytest.mark.parametrize("at", [
    pytest.param(datetime(1969, 12, 31, 23, 59, 59, 999_999, timezone.utc), id="before-1970"),
    pytest.param(datetime(1, 1, 1, 12, tzinfo=timezone(timedelta(hours=-3))), id="year-1"),
    pytest.param(datetime(2106, 2, 7, 6, 28, 16, tzinfo=timezone.utc), id="from-2**32"),
    pytest.param(datetime(9999, 12, 31, 23, 59, 59, 999_999, timezone.utc), id="year-9999"),
])
def test_moments_outside_the_fast_range_get_datetimes_text(at: datetime) -> None:
    assert format_stamp(at, at.timestamp()) == reference(at)
