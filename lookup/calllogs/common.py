"""What every call-log reader shares: errors, the read context, numbers, times, names and lines.

A reader turns one row of its log into a :class:`~lookup.models.Call` or raises
:class:`SkipRow` (the row does not parse: counted with its position) or
:class:`IgnoreRow` (the row parses but is no caller to look up: a short code,
an emergency number, a text message). :func:`emit_calls` runs that loop for
all of them, so counting and the position list behave the same everywhere.
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lookup.models import Call, CallStatus, Direction, LogFormat, NumberKind, ReadTally
from lookup.numbers import NumberError, nanp_e164, normalize_number, region_is_nanp
from lookup.text import clean_text

Row = TypeVar("Row")

MAX_LINE_BYTES = 1 << 20  # a longer "line" is junk: skipped without being held in memory
NUMBER_CACHE_SIZE = 200_000  # distinct raw numbers remembered per read
EARLIEST_YEAR = 1980  # dates outside these years are junk, not calls
LATEST_YEAR = 2100
MAX_DURATION_S = 31 * 86400  # a call logged as lasting longer than a month is junk
MAX_NAME = 200  # characters of a caller name kept: a log is a stranger's text too
_UTC = timezone.utc
NULL_WORDS = frozenset({"", "null", "none", "(null)", "(unknown)", "unknown", "-"})


class CallLogError(ValueError):
    """The file cannot be read as a call log; the message names the file and says why in one line."""


class SkipRow(Exception):
    """This row does not parse; the message says why (it ends up in the warning)."""


class IgnoreRow(Exception):
    """This row parses but holds no caller to look up (short code, emergency number, a text)."""


def resolve_zone(tz: str | None) -> ZoneInfo | None:
    """An IANA zone for local log times; ``None`` means the machine's local zone."""
    if tz is None:
        return None
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise CallLogError(f"unknown time zone {tz!r} (use an IANA name such as Europe/Berlin)") from None


@dataclass
class LogContext:
    """One read of one call log: where it is, how to read its numbers and local times, and
    the tally of what it gave (named apart from the blocklist readers' context)."""

    path: Path
    log_format: LogFormat
    region: str = "US"
    zone: ZoneInfo | None = None  # None: local times are in the machine's zone
    tally: ReadTally = field(default_factory=ReadTally)
    # Per distinct raw number as the log wrote it (with the region when a row names one): its
    # E.164 (or the row's fate) and its printable text, so a caller's hundredth call costs two
    # dictionary look-ups instead of a strip, a parse and a clean (tests/calllogs/test_number_cache.py).
    _numbers: dict[object, str | None | Exception] = field(default_factory=dict, repr=False)
    _printable: dict[str | None, str] = field(default_factory=dict, repr=False)
    _format: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._format = self.log_format.value  # read once: an enum's .value is a descriptor call

    @property
    def name(self) -> str:
        return self.path.name

    def resolve_number(self, raw: str | None, region: str | None = None) -> str | None:
        """E.164 for ``raw`` (``None`` when withheld); raises SkipRow or IgnoreRow.

        Results are cached per distinct raw text, so a log with many calls from
        few numbers parses each number once.
        """
        key = raw if region is None else (raw, region)
        found = self._numbers.get(key, _MISSING)
        if found is _MISSING:
            found = _normalize((raw or "").strip(), region or self.region)
            if len(self._numbers) >= NUMBER_CACHE_SIZE:
                self._numbers.clear()
            self._numbers[key] = found
        if isinstance(found, Exception):
            # Raised again and again from the cache: drop the last traceback, or each raise
            # would chain its frames onto it and a log's memory would grow with its bad rows.
            raise found.with_traceback(None)
        return found  # type: ignore[return-value]

    def to_utc(self, local: datetime) -> datetime:
        """A log time as aware UTC: one with an offset as it says, a naive one read in the
        context's zone (or the machine's). SkipRow for a date outside the plausible years."""
        if local.tzinfo is not None:
            return utc_of(local)
        check_date(local)
        try:
            if self.zone is None:
                return local.astimezone(timezone.utc)  # naive = the machine's local time, DST-aware
            return local.replace(tzinfo=self.zone).astimezone(timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise SkipRow(f"implausible date {local.isoformat()[:30]}") from None

    def make_call(
        self,
        raw_number: str | None,
        at: datetime | None,
        direction: Direction,
        status: CallStatus,
        *,
        duration: int | None = None,
        name: str | None = None,
        region: str | None = None,
        withheld: bool = False,
        ring: int | None = None,
    ) -> Call:
        """Build a Call with a normalised number; ``withheld`` forces a withheld caller.

        ``at`` is the time as the log writes it: with an offset, or naive (local, read in the
        context's zone; the call keeps it as ``local_at`` too), or None when the log has none."""
        local_at = None
        if at is not None and at.tzinfo is None:
            local_at, at = at, self.to_utc(at)
        if duration is not None and not 0 <= duration <= MAX_DURATION_S:
            raise SkipRow(f"{'negative' if duration < 0 else 'implausible'} duration {str(duration)[:20]}")
        if ring is not None and not 0 <= ring <= MAX_DURATION_S:
            raise SkipRow(f"{'negative' if ring < 0 else 'implausible'} ring time {str(ring)[:20]}")
        e164 = None if withheld else self.resolve_number(raw_number, region)
        printable = self._printable.get(raw_number)
        if printable is None:  # as the log wrote it, but one printable line
            printable = clean_text((raw_number or "").strip(), MAX_NAME)
            if len(self._printable) >= NUMBER_CACHE_SIZE:
                self._printable.clear()
            self._printable[raw_number] = printable
        # Positional: a named tuple built from keywords costs twice as much.
        return Call(e164, at, direction, status, duration, name, printable, self._format, local_at, ring)


_MISSING = object()


def _normalize(raw: str, region: str) -> str | None | Exception:
    fast = _nanp_fast(raw, region)
    if fast is not None:
        return fast
    try:
        number = normalize_number(raw, region, details=False)
    except NumberError as exc:
        return SkipRow(str(exc))
    if number.kind is NumberKind.WITHHELD:
        return None
    if number.kind in (NumberKind.SHORT_CODE, NumberKind.EMERGENCY):
        return IgnoreRow(f"{number.kind.value} {raw}")
    if number.e164 is None:
        return SkipRow(f"not a phone number: {raw!r}")
    return number.e164


def _nanp_fast(raw: str, region: str) -> str | None:
    """Plain NANP digits (``2125550148``, ``12125550148``, ``+12125550148``) without a full parse."""
    if raw.startswith("+1") and is_digits(raw[1:]):
        return nanp_e164(raw[1:])
    if is_digits(raw) and region_is_nanp(region):
        return nanp_e164(raw)
    return None


def emit_calls(
    ctx: LogContext,
    rows: Iterable[tuple[Any, Row]],
    parse: Callable[[Row, LogContext], Call],
    label: str = "{}",
) -> Iterator[Call]:
    """Parse each ``(where, row)``; count and yield the calls, count skipped and ignored rows.

    ``where`` is named only when its row is skipped, as ``label.format(where)``, so a reader
    can pass a bare line number (``label="line {}"``) instead of building a string per row."""
    tally = ctx.tally
    for where, row in rows:
        try:
            call = parse(row, ctx)
        except SkipRow as exc:
            tally.skip(label.format(where), str(exc))
            continue
        except IgnoreRow:
            tally.ignored += 1
            continue
        tally.read += 1
        yield call


# ---------------------------------------------------------------- small parsers


def value_or_none(value: str | None) -> str | None:
    """A field's value stripped, or ``None`` for the empty and placeholder values logs write
    ("null", "(Unknown)")."""
    if value is None:
        return None
    text = value.strip()
    return None if text.lower() in NULL_WORDS else text


def name_or_none(value: str | None) -> str | None:
    """A caller or contact name as one printable line of at most MAX_NAME characters
    (:func:`lookup.text.clean_text`), or ``None`` when the log writes none."""
    text = value_or_none(value)
    return (clean_text(text, MAX_NAME) or None) if text is not None else None


def is_digits(text: str) -> bool:
    """Only the ASCII digits 0-9 (``str.isdigit`` also takes ``²`` and ``①``, which ``int`` refuses)."""
    return text.isascii() and text.isdigit()


def check_date(at: datetime) -> datetime:
    if not EARLIEST_YEAR <= at.year <= LATEST_YEAR:
        raise SkipRow(f"implausible date {at.date().isoformat()}")
    return at


def utc_of(at: datetime) -> datetime:
    """A time with an offset as aware UTC; SkipRow when it lies outside the plausible years
    (year 1 or 9999 with an offset does not even fit a datetime in UTC)."""
    try:
        return check_date(at.astimezone(timezone.utc))
    except (OverflowError, ValueError):
        raise SkipRow(f"implausible date {at.isoformat()[:30]}") from None


def utc_from_epoch(count: float, per_second: int = 1) -> datetime:
    """Unix time as aware UTC: ``count`` seconds, or milliseconds with ``per_second=1000``."""
    try:
        at = datetime.fromtimestamp(count / per_second, _UTC)
    except (OverflowError, OSError, ValueError):
        raise SkipRow(f"implausible timestamp {str(count)[:20]}") from None
    if EARLIEST_YEAR <= at.year <= LATEST_YEAR:  # check_date's test, without a call (a log has a call a row)
        return at
    return check_date(at)


def parse_int(value: str | None, what: str) -> int | None:
    """An integer field; ``None`` when empty or "null", SkipRow when it is something else."""
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        pass
    text = value_or_none(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        raise SkipRow(f"bad {what} {text[:20]!r}") from None
    if not math.isfinite(number):  # inf, 1e999, nan
        raise SkipRow(f"bad {what} {text[:20]!r}")
    return int(number)


def outgoing_status(duration: int | None) -> CallStatus:
    """Outgoing calls: answered when they lasted (or the log does not say), missed at zero seconds."""
    return CallStatus.MISSED if duration == 0 else CallStatus.ANSWERED


# ---------------------------------------------------------------- files


def open_log(path: Path) -> BinaryIO:
    """The file's bytes as UTF-8 when it is UTF-16 (with a byte-order mark, as Windows saves
    "Unicode" text, or without one when every other byte is NUL); other files as they are."""
    fh = path.open("rb")
    encoding = sniff_utf16(fh.read(4096))
    fh.seek(0)
    if encoding is None:
        return fh
    return codecs.EncodedFile(fh, "utf-8", encoding, errors="replace")  # type: ignore[return-value]


def sniff_utf16(head: bytes) -> str | None:
    """The UTF-16 codec a file's first bytes show, or None."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not head.startswith(codecs.BOM_UTF32_LE):
        return "utf-16"
    pairs = len(head) // 2
    if pairs < 8:
        return None
    odd_nuls, even_nuls = head[1 : pairs * 2 : 2].count(0), head[0 : pairs * 2 : 2].count(0)
    if odd_nuls >= pairs * 0.9 and even_nuls == 0:
        return "utf-16-le"
    if even_nuls >= pairs * 0.9 and odd_nuls == 0:
        return "utf-16-be"
    return None


def read_head(path: Path, size: int = 65536) -> bytes:
    """The first ``size`` bytes of the file, as UTF-8 when it is UTF-16 (see :func:`open_log`)."""
    with open_log(path) as fh:
        return fh.read(size)


def decode_line(data: bytes) -> str:
    """UTF-8 when it is, else Latin-1 (FRITZ!Box and many Windows exports); never fails."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def iter_lines(path: Path, ctx: LogContext | None = None) -> Iterator[tuple[int, str]]:
    """Numbered text lines (1-based, without line ends), decoded line by line, BOM removed.

    A line longer than MAX_LINE_BYTES is skipped (counted in ``ctx``) without
    being held in memory; a NUL byte marks binary junk and skips the line too.
    """
    with open_log(path) as fh:
        number = 0
        while True:
            data = fh.readline(MAX_LINE_BYTES)
            if not data:
                return
            number += 1
            if len(data) >= MAX_LINE_BYTES and not data.endswith(b"\n"):
                while (rest := fh.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass
                if ctx is not None:
                    ctx.tally.skip(f"line {number}", "line too long")
                continue
            if number == 1 and data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            if b"\x00" in data:
                if ctx is not None:
                    ctx.tally.skip(f"line {number}", "binary junk")
                continue
            yield number, decode_line(data).rstrip("\r\n")


def head_lines(head: bytes, limit: int = 50) -> list[str]:
    """The first complete lines of a file's head, decoded, BOM removed, blank lines dropped."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    parts = head.split(b"\n")
    if len(parts) > 1 and len(head) >= 65536:
        parts = parts[:-1]  # the last piece may be cut off
    lines = [decode_line(p).rstrip("\r") for p in parts[: limit * 2]]
    return [line for line in lines if line.strip()][:limit]


# Bytes that text never holds (C0 controls but tab, line ends, form feed and ESC; DEL).
_CONTROL = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])


def is_text(head: bytes) -> bool:
    """Whether a file's head is text: control bytes are rare (a stray NUL in a log costs its
    line, not the whole file; binary files are full of them)."""
    sample = head[:8192]
    if not sample:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    return controls * 100 <= len(sample)
