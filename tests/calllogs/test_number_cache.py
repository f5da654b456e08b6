"""``LogContext.make_call`` remembers, per raw number as the log wrote it, its E.164 (or why the
row is skipped or ignored) and its printable text. A context that has seen a number must build
the very call a fresh one builds, or raise the same way, for any text a log may hold."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lookup.calllogs import common
from lookup.calllogs.common import IgnoreRow, LogContext, SkipRow
from lookup.models import CallStatus, Direction, LogFormat

AT = datetime(2024, 3, 5, 15, tzinfo=timezone.utc)
IN, M = Direction.INCOMING, CallStatus.MISSED


def raw_numbers() -> list[str | None]:
    rng = random.Random(7)
    found: list[str | None] = [
        None, "", " ", "null", "-2", "Unknown", "911", "112", "611", "22395", "+12125550148", " 2125550148 ",
        "12125550148", "(212) 555-0148", "212.555.0148", "+44 20 7946 0958", "020 7946 0958", "+4930123456",
        "+1 876 555 0123", "8765550123", "+999999", "abc", "+1", "2125550148\u202e", "21255\x1b50148", "\u0662\u0661",
        "x" * 300, " +12125550148\t", "+1 (800) 555-0111", "0800 123 456", "+33 1 23 45 67 89",
    ]
    for _ in range(400):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(3, 15)))
        found.append(rng.choice(("", "+", "+1", "00", " ")) + digits + rng.choice(("", " ", "\n")))
    return found


def call_or_error(ctx: LogContext, raw: str | None, region: str | None, withheld: bool) -> object:
    try:
        return ctx.make_call(raw, AT, IN, M, duration=0, region=region, withheld=withheld)
    except (SkipRow, IgnoreRow) as exc:
        return type(exc), str(exc)


def test_a_remembered_number_makes_the_same_call_as_a_fresh_read() -> None:
    """Rows of one log may name their own region (an iPhone's country per call): mixed here."""
    numbers = raw_numbers()
    rng = random.Random(11)
    seen = LogContext(Path("calls.xml"), LogFormat.ANDROID_XML, "US")
    for raw in numbers * 3 + rng.sample(numbers, len(numbers)):
        region, withheld = rng.choice((None, None, "GB", "US", "DE")), rng.random() < 0.1
        fresh = LogContext(Path("calls.xml"), LogFormat.ANDROID_XML, "US")
        assert call_or_error(seen, raw, region, withheld) == call_or_error(fresh, raw, region, withheld), raw


def test_a_full_cache_starts_afresh_without_changing_a_call(monkeypatch) -> None:
    monkeypatch.setattr(common, "NUMBER_CACHE_SIZE", 5)
    ctx = LogContext(Path("calls.xml"), LogFormat.ANDROID_XML, "US")
    numbers = raw_numbers()
    for raw in numbers + numbers:
        fresh = LogContext(Path("calls.xml"), LogFormat.ANDROID_XML, "US")
        assert call_or_error(ctx, raw, None, False) == call_or_error(fresh, raw, None, False), raw
    assert len(ctx._numbers) <= 5 and len(ctx._printable) <= 5
