"""Whether a listed place is open now, from its OpenStreetMap ``opening_hours`` value.

Only the common forms are read: ``24/7``; ``off``; rules such as ``Mo-Fr 08:00-18:00; Sa
09:00-13:00`` (day ranges and lists, several time spans, spans past midnight, ``Su off``), and
times alone (every day). A later rule replaces an earlier one for the days it names, as the
format says. Anything else (public holidays, months, sunrise, comments) gives ``None``: the
value is then shown as written, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_SPAN = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")
_DAY_PART = re.compile(r"(Mo|Tu|We|Th|Fr|Sa|Su)(?:-(Mo|Tu|We|Th|Fr|Sa|Su))?")
Spans = list[tuple[int, int]]  # minutes from midnight; an end past 1440 runs into the next day
Week = tuple[tuple[tuple[int, int], ...], ...]  # the spans of each weekday, Monday first


@dataclass(frozen=True)
class Hours:
    """``open`` now or not, and in words: "open now until 18:30", "closed now", "open 24/7"."""

    open: bool
    words: str


@lru_cache(maxsize=4096)
def parse_week(text: str) -> Week | None:
    """The opening spans of each weekday (Monday first), or None for a form not read here.
    Remembered: a few forms ("Mo-Fr 08:00-18:00") cover most places."""
    value = " ".join(text.split())
    if value == "24/7":
        return tuple(((0, 1440),) for _ in DAYS)
    week: list[Spans] = [[] for _ in DAYS]
    for rule in filter(None, (r.strip() for r in value.split(";"))):
        days, _, times = rule.partition(" ") if rule[:2] in DAYS else ("", "", rule)
        selected = parse_days(days) if days else list(range(7))
        if selected is None:
            return None
        times = times.strip()
        spans = [] if times in ("off", "closed") else parse_spans(times)
        if spans is None:
            return None
        for day in selected:
            week[day] = spans
    return tuple(tuple(day) for day in week)


def parse_days(text: str) -> list[int] | None:
    out: list[int] = []
    for part in text.split(","):
        match = _DAY_PART.fullmatch(part.strip())
        if not match:
            return None
        first = DAYS.index(match.group(1))
        last = DAYS.index(match.group(2) or match.group(1))
        out.extend(d % 7 for d in range(first, first + (last - first) % 7 + 1))
    return out


def parse_spans(text: str) -> Spans | None:
    if text == "24/7" or text == "00:00-24:00":
        return [(0, 1440)]
    out: Spans = []
    for part in text.split(","):
        match = _SPAN.fullmatch(part.strip())
        if not match:
            return None
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 24 or h2 > 48 or m1 > 59 or m2 > 59:
            return None
        start, end = h1 * 60 + m1, h2 * 60 + m2
        out.append((start, end if end > start else end + 1440))
    return out


def open_at(week: Week, when: datetime) -> Hours:
    """Whether the place is open at the local time ``when``, and until when."""
    minute = when.hour * 60 + when.minute
    today, yesterday = when.weekday(), (when.weekday() - 1) % 7
    candidates = [(start, end) for start, end in week[today]]
    candidates += [(start - 1440, end - 1440) for start, end in week[yesterday] if end > 1440]
    for start, end in candidates:
        if start <= minute < end:
            if end - start >= 1440 and all(s == ((0, 1440),) for s in week):
                return Hours(True, "open 24/7")
            closes = when.replace(hour=0, minute=0) + timedelta(minutes=end)
            return Hours(True, f"open now until {closes:%H:%M}")
    return Hours(False, "closed now")


def describe_hours(text: str | None, now: datetime, zone: str | None = None) -> Hours | None:
    """Open now or not for ``opening_hours`` ``text`` at the aware time ``now`` in the IANA time
    ``zone`` (the place's; UTC when unknown); None for a form not read here."""
    if not text:
        return None
    week = parse_week(text)
    if week is None:
        return None
    return open_at(week, local_time(now, zone))


def local_time(now: datetime, zone: str | None) -> datetime:
    """``now`` in the IANA time ``zone``; unchanged when there is none or it is unknown."""
    if not zone:
        return now
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return now.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return now
