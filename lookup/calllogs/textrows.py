"""Delimited text rows, loose dates and durations: shared by the CSV and text readers.

Each physical line is split on its own, so a stray quote spoils one row, not
the rest of the file (call logs do not put line breaks inside fields).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from datetime import datetime

from .common import LogContext, SkipRow, check_date, is_digits, iter_lines, utc_from_epoch, utc_of, value_or_none

DELIMITERS = (",", ";", "|", "\t")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")
_UNITS = re.compile(r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+(?:\.\d+)?)\s*s(?:ec)?)?$", re.IGNORECASE)
_ISO_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$", re.IGNORECASE)

# Formats tried in order for dates without an ISO shape; "{md}" becomes the day/month order.
_DATE_FORMATS = (
    "%d.%m.%y %H:%M",
    "%d.%m.%Y %H:%M",
    "%d.%m.%y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "{md}/%Y %H:%M:%S",
    "{md}/%Y %H:%M",
    "{md}/%Y %I:%M:%S %p",
    "{md}/%Y %I:%M %p",
    "{md}/%y %H:%M",
    "{md}/%y %I:%M %p",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%b %d, %Y %H:%M:%S",
    "%b %d, %Y %I:%M:%S %p",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%Y-%m-%d %I:%M:%S %p",
)


def pick_delimiter(line: str) -> str | None:
    """The delimiter used most in a header line, or ``None`` when there is none."""
    counts = {d: line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def split_line(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader((line,), delimiter=delimiter, skipinitialspace=True), [])
    except csv.Error as exc:
        raise SkipRow(f"bad CSV ({exc})") from None


def iter_rows(ctx: LogContext, delimiter: str) -> Iterator[tuple[int, list[str] | SkipRow]]:
    """``(line number, cells)`` for each non-blank line; a line that will not split gives its SkipRow."""
    for number, line in iter_lines(ctx.path, ctx):
        if not line.strip():
            continue
        try:
            yield number, split_line(line, delimiter)
        except SkipRow as exc:
            yield number, exc


class DateReader:
    """Reads one column's dates; remembers the format that worked so the next row tries it first.

    Times with an offset (ISO ``Z`` / ``+02:00``) are exact; times without
    one are local, returned naive for the context to read in its zone. Digits alone are Unix time
    (seconds, or milliseconds when 12 digits or more). ``day_first`` decides
    ``01/02/2024`` (True: 1 February).
    """

    def __init__(self, ctx: LogContext, *, day_first: bool) -> None:
        self.ctx = ctx
        md = "%d/%m" if day_first else "%m/%d"
        self.formats = [f.replace("{md}", md) for f in _DATE_FORMATS]

    def parse(self, value: str | None) -> datetime:
        """The time as the log writes it: aware UTC when it gives an offset (or Unix time), else
        naive local time (for :meth:`LogContext.make_call` to read in the log's zone)."""
        text = value_or_none(value)
        if text is None:
            raise SkipRow("no date")
        if is_digits(text) and len(text) >= 9:
            stamp = int(text)
            return utc_from_epoch(stamp, 1000 if len(text) >= 12 else 1)
        try:
            at = datetime.fromisoformat(text.replace(" UTC", "Z"))
        except ValueError:
            pass
        else:
            return utc_of(at) if at.tzinfo is not None else check_date(at)
        for index, fmt in enumerate(self.formats):
            try:
                local = datetime.strptime(text, fmt)
            except ValueError:
                continue
            if index:
                self.formats.insert(0, self.formats.pop(index))
            return check_date(local)
        raise SkipRow(f"bad date {text[:30]!r}")


def parse_duration(value: str | None) -> int | None:
    """Seconds from ``72``, ``72.4``, ``1:12``, ``0:01:12``, ``1m 12s`` or ``PT1M12S``; None when empty."""
    text = value_or_none(value)
    if text is None:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = _parse_duration_text(text)
    if not math.isfinite(seconds):  # inf, 1e999, nan
        raise SkipRow(f"bad duration {text[:20]!r}")
    if seconds < 0:
        raise SkipRow(f"negative duration {text[:20]!r}")
    return round(seconds)


def _parse_duration_text(text: str) -> float:
    if match := _CLOCK.match(text):
        hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    for pattern in (_ISO_DURATION, _UNITS):
        match = pattern.match(text)
        if match and any(match.groups()):
            hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
            return hours * 3600 + minutes * 60 + seconds
    raise SkipRow(f"bad duration {text[:20]!r}")
