"""Small SQL helpers shared by the table modules of :mod:`db`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterator, Sequence

CHUNK = 900  # keys per ``IN (...)`` query: below SQLite's host-parameter limit


def chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    """``items`` in slices small enough for one ``IN (...)`` query each."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def marks(n: int) -> str:
    """``?,?,?`` for ``n`` parameters."""
    return ",".join("?" * n)


def days_after(start: str, days: float) -> str:
    """The ISO-8601 UTC time ``days`` after ``start`` (naive times count as UTC)."""
    base = datetime.fromisoformat(start)
    if base.tzinfo is None:
        base = base.replace(tzinfo=timezone.utc)
    return (base + timedelta(days=days)).isoformat(timespec="seconds")
