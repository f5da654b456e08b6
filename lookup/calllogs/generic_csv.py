"""Any call-log CSV with a header: columns are recognised by their names.

The delimiter is the one of ``,`` ``;`` ``|`` or tab the header uses most; a
UTF-8 BOM is dropped; lines that are not UTF-8 are read as Latin-1. Columns:

- number: ``number``, ``phone``, ``caller``, ``from``, ``caller id`` ... (required);
- time: ``timestamp``/``datetime``/``start``, or ``date`` plus ``time``: ISO
  (with or without offset), Unix seconds or milliseconds, ``DD.MM.YYYY HH:MM``,
  ``MM/DD/YYYY`` (day first outside North America) and a few more. Times without
  an offset are local, read in ``tz``. Without a time column the calls have no
  time (``at`` None): they count neither as repeats nor at night;
- duration: seconds, ``M:SS``, ``H:MM:SS`` or ``1m 12s``;
- ring time: ``ring``, ``ring time``, ``ringing`` ... in the same forms: how long the call rang
  (PBX exports have it; phones do not), kept for the "rang under 5 s" signal;
- type/direction/status (any of them, combined): words such as incoming,
  outgoing, missed, voicemail, rejected, blocked, or Android's CallLog codes 1-7.
  Without one, a call that lasted is an answered incoming call, else missed;
- name: ``name``, ``contact``, ``caller name``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lookup.models import Call, CallStatus, Direction, LogFormat
from lookup.numbers import region_is_nanp

from .common import (
    CallLogError,
    LogContext,
    SkipRow,
    emit_calls,
    head_lines,
    is_digits,
    name_or_none,
    outgoing_status,
    read_head,
)
from .textrows import DateReader, iter_rows, parse_duration, pick_delimiter, split_line

FORMAT = LogFormat.GENERIC_CSV

NUMBER_NAMES = frozenset({
    "number", "phone", "phone number", "phonenumber", "telephone", "tel", "caller", "caller id", "callerid",
    "caller number", "from", "from number", "address", "remote number", "contact number", "msisdn", "cli",
    "src", "source", "other party", "rufnummer", "nummer", "numero", "numéro",
})
STAMP_NAMES = frozenset({
    "timestamp", "datetime", "date time", "date and time", "start", "start time", "started", "started at",
    "time stamp", "call time", "call date", "when", "date utc", "created", "created at", "begin",
})
DURATION_NAMES = frozenset({"duration", "length", "seconds", "secs", "billsec", "talk time", "dauer"})
RING_NAMES = frozenset({"ring", "ring time", "ringtime", "ring duration", "ringing", "ringing time", "ring seconds"})
TYPE_NAMES = frozenset({
    "type", "call type", "direction", "status", "call status", "kind", "disposition", "result", "outcome",
    "category", "typ",
})
DATE_NAMES = frozenset({"date", "call date", "datum", "day"})
TIME_NAMES = frozenset({"time", "call time", "uhrzeit", "zeit"})
NAME_NAMES = frozenset({"name", "contact", "contact name", "caller name", "display name", "cnam"})

ANDROID_CODES = {
    1: (Direction.INCOMING, CallStatus.ANSWERED),
    2: (Direction.OUTGOING, None),
    3: (Direction.INCOMING, CallStatus.MISSED),
    4: (Direction.INCOMING, CallStatus.VOICEMAIL),
    5: (Direction.INCOMING, CallStatus.REJECTED),
    6: (Direction.INCOMING, CallStatus.BLOCKED),
    7: (Direction.INCOMING, CallStatus.ANSWERED),
}
WORDS: dict[str, tuple[Direction | None, CallStatus | None]] = {
    "incoming": (Direction.INCOMING, None), "inbound": (Direction.INCOMING, None), "in": (Direction.INCOMING, None),
    "received": (Direction.INCOMING, CallStatus.ANSWERED), "answered": (None, CallStatus.ANSWERED),
    "outgoing": (Direction.OUTGOING, None), "outbound": (Direction.OUTGOING, None), "out": (Direction.OUTGOING, None),
    "dialed": (Direction.OUTGOING, None), "dialled": (Direction.OUTGOING, None), "placed": (Direction.OUTGOING, None),
    "missed": (Direction.INCOMING, CallStatus.MISSED), "unanswered": (None, CallStatus.MISSED),
    "no answer": (None, CallStatus.MISSED), "busy": (None, CallStatus.MISSED), "failed": (None, CallStatus.MISSED),
    "voicemail": (Direction.INCOMING, CallStatus.VOICEMAIL), "voice mail": (Direction.INCOMING, CallStatus.VOICEMAIL),
    "rejected": (Direction.INCOMING, CallStatus.REJECTED), "declined": (Direction.INCOMING, CallStatus.REJECTED),
    "blocked": (Direction.INCOMING, CallStatus.BLOCKED), "refused": (Direction.INCOMING, CallStatus.BLOCKED),
    "spam": (Direction.INCOMING, CallStatus.BLOCKED),
}
_WORD = re.compile(r"[a-z]+(?: [a-z]+)?")


def normalize_header(cell: str) -> str:
    return " ".join(re.sub(r"[^0-9a-zà-ÿ]+", " ", cell.lower()).split())


@dataclass
class Layout:
    """Which column holds what; ``date``/``time`` are used when there is no single time column."""

    delimiter: str
    number: int
    stamp: int | None = None
    date: int | None = None
    time: int | None = None
    duration: int | None = None
    name: int | None = None
    ring: int | None = None
    types: list[int] = field(default_factory=list)

    @property
    def width(self) -> int:
        used = [self.number, self.stamp, self.date, self.time, self.duration, self.name, self.ring, *self.types]
        return max(i for i in used if i is not None) + 1


def find_layout(header: str) -> Layout | None:
    """The column layout of a header line, or ``None`` when it names no number column."""
    delimiter = pick_delimiter(header)
    if delimiter is None:
        return None
    try:
        names = [normalize_header(cell) for cell in split_line(header, delimiter)]
    except SkipRow:
        return None
    number = _pick(names, NUMBER_NAMES, ("number", "phone"))
    if number is None:
        return None
    layout = Layout(delimiter=delimiter, number=number)
    layout.stamp = _first(names, STAMP_NAMES)
    if layout.stamp is None:
        layout.date = _pick(names, DATE_NAMES, ("date",))
        layout.time = _first(names, TIME_NAMES)
        if layout.date is None and layout.time is not None:
            layout.stamp, layout.time = layout.time, None
    layout.ring = _first(names, RING_NAMES)
    layout.duration = _pick(names, DURATION_NAMES, ("duration",))
    if layout.duration is not None and layout.duration == layout.ring:  # "ring duration" is no call length
        layout.duration = _first(names, DURATION_NAMES)
    layout.name = _pick(names, NAME_NAMES, ("name",), allow_name=True)
    layout.types = [i for i, n in enumerate(names) if n in TYPE_NAMES]
    return layout


def _first(names: list[str], wanted: frozenset[str]) -> int | None:
    return next((i for i, n in enumerate(names) if n in wanted), None)


def _pick(names: list[str], wanted: frozenset[str], words: tuple[str, ...], *, allow_name: bool = False) -> int | None:
    """The first column named exactly, else the first whose name contains one of ``words``."""
    exact = _first(names, wanted)
    if exact is not None:
        return exact
    return next(
        (i for i, n in enumerate(names) if any(w in n for w in words) and (allow_name or "name" not in n)), None
    )


def is_format(path: Path, head: bytes) -> bool:
    lines = head_lines(head, 2)
    if not lines or lines[0].lstrip().startswith("#"):
        return False
    return find_layout(lines[0]) is not None


def read(ctx: LogContext) -> Iterator[Call]:
    lines = head_lines(read_head(ctx.path), 1)
    layout = find_layout(lines[0]) if lines else None
    if layout is None:
        raise CallLogError(f"{ctx.name}: no header with a number column (number, phone, caller, from ...)")
    dates = DateReader(ctx, day_first=not region_is_nanp(ctx.region))
    rows = iter_rows(ctx, layout.delimiter)
    next(rows, None)  # the header

    def parse(cells: list[str] | SkipRow, ctx: LogContext) -> Call:
        return parse_row(cells, ctx, layout, dates)

    return emit_calls(ctx, rows, parse, "line {}")


def parse_row(
    cells: list[str] | SkipRow, ctx: LogContext, layout: Layout, dates: DateReader
) -> Call:
    if isinstance(cells, SkipRow):
        raise cells
    if len(cells) < layout.width:
        raise SkipRow(f"{len(cells)} columns, expected {layout.width}")
    at: datetime | None = None
    if layout.stamp is not None:
        at = dates.parse(cells[layout.stamp])
    elif layout.date is not None:
        text = cells[layout.date].strip()
        if layout.time is not None and cells[layout.time].strip():
            text = f"{text} {cells[layout.time].strip()}"
        at = dates.parse(text)
    duration = parse_duration(cells[layout.duration]) if layout.duration is not None else None
    direction, status = call_kind([cells[i] for i in layout.types], duration)
    name = name_or_none(cells[layout.name]) if layout.name is not None else None
    ring = parse_duration(cells[layout.ring]) if layout.ring is not None else None
    return ctx.make_call(cells[layout.number], at, direction, status, duration=duration, name=name, ring=ring)


def call_kind(values: list[str], duration: int | None) -> tuple[Direction, CallStatus]:
    """Direction and status from the type-like cells, filling gaps from the duration."""
    direction: Direction | None = None
    status: CallStatus | None = None
    for value in values:
        text = " ".join(value.strip().lower().replace("_", " ").replace("-", " ").split())
        if not text:
            continue
        if is_digits(text):
            if int(text) not in ANDROID_CODES:
                raise SkipRow(f"unknown call type {text!r}")
            found: tuple[Direction | None, CallStatus | None] = ANDROID_CODES[int(text)]
        else:
            found = WORDS.get(text) or _find_word(text)
        direction = direction or found[0]
        status = status or found[1]
    direction = direction or Direction.INCOMING
    if direction is Direction.OUTGOING:
        return direction, outgoing_status(duration)
    if status is None:
        status = CallStatus.ANSWERED if duration else CallStatus.MISSED
    return direction, status


def _find_word(text: str) -> tuple[Direction | None, CallStatus | None]:
    for word in _WORD.findall(text):
        if word in WORDS:
            return WORDS[word]
    for word in text.split():
        if word in WORDS:
            return WORDS[word]
    raise SkipRow(f"unknown call type {text[:20]!r}")
