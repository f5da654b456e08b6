"""FRITZ!Box call lists exported from the web UI (``foncalls_list.lua?csv=``).

Latin-1 text (UTF-8 is accepted too); the first line is ``sep=;``, then a
header: German ``Typ;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer``,
newer firmware with ``Landes-/Ortsnetzbereich`` after ``Rufnummer``, or English
``Typ;Date;Number;Extension;Outgoing Caller ID;Duration``. Columns are found
by header name, so any of these orders works. ``Datum`` is ``DD.MM.YY HH:MM``
local time (read in ``tz``), ``Dauer`` is ``H:MM`` rounded up to the minute.

The ``Typ`` codes differ by firmware. The web CSV of current firmware uses
1 incoming, 2 missed, 3 blocked, 4 outgoing; older lists (and the FritzCall
and TR-064 numbering) use 1 incoming, 2 missed, 3 outgoing, 4 blocked. The
file says which: outgoing calls are the ones that last, so the code (3 or 4)
whose rows have non-zero durations is the outgoing one; when neither does,
the current web numbering is assumed. This takes one extra pass over the file
(which the box caps at a few hundred calls). TR-064 codes 9 (active
incoming), 10 (rejected) and 11 (active outgoing) are understood too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lookup.models import Call, CallStatus, Direction, LogFormat

from .common import (
    CallLogError,
    LogContext,
    SkipRow,
    emit_calls,
    head_lines,
    is_digits,
    iter_lines,
    name_or_none,
    outgoing_status,
)
from .textrows import DateReader, iter_rows, parse_duration, split_line

FORMAT = LogFormat.FRITZBOX_CSV

ROLES: dict[str, tuple[str, ...]] = {
    "type": ("typ", "type"),
    "date": ("datum", "date"),
    "name": ("name",),
    "number": ("rufnummer", "number", "telephone number", "phone number"),
    "duration": ("dauer", "duration"),
}
IN_ANSWERED = (Direction.INCOMING, CallStatus.ANSWERED)
IN_MISSED = (Direction.INCOMING, CallStatus.MISSED)
IN_BLOCKED = (Direction.INCOMING, CallStatus.BLOCKED)
OUT = (Direction.OUTGOING, CallStatus.ANSWERED)
TR064_EXTRA = {9: IN_ANSWERED, 10: (Direction.INCOMING, CallStatus.REJECTED), 11: OUT}
WEB_CODES = {1: IN_ANSWERED, 2: IN_MISSED, 3: IN_BLOCKED, 4: OUT, **TR064_EXTRA}
CLASSIC_CODES = {1: IN_ANSWERED, 2: IN_MISSED, 3: OUT, 4: IN_BLOCKED, **TR064_EXTRA}

Columns = dict[str, int]


def is_format(path: Path, head: bytes) -> bool:
    lines = head_lines(head, 3)
    if not lines:
        return False
    header = lines[1] if lines[0].strip().lower().startswith("sep=") and len(lines) > 1 else lines[0]
    cells = [cell.strip().lower() for cell in header.split(";")]
    return len(cells) >= 4 and cells[0] in ROLES["type"] and any(c in ROLES["date"] for c in cells)


def read(ctx: LogContext) -> Iterator[Call]:
    columns, header_line = _find_header(ctx)
    codes = choose_codes(ctx, columns, header_line)
    dates = DateReader(ctx, day_first=True)

    def parse(cells: list[str] | SkipRow, ctx: LogContext) -> Call:
        return parse_row(cells, ctx, columns, codes, dates)

    rows = ((n, cells) for n, cells in iter_rows(ctx, ";") if n > header_line)
    return emit_calls(ctx, rows, parse, "line {}")


def _find_header(ctx: LogContext) -> tuple[Columns, int]:
    for number, line in iter_lines(ctx.path):
        if number > 3:
            break
        if line.strip().lower().startswith("sep=") or not line.strip():
            continue
        try:
            cells = [cell.strip().lower() for cell in split_line(line, ";")]
        except SkipRow as exc:
            raise CallLogError(f"{ctx.name}: FRITZ!Box header is not readable ({exc})") from None
        columns = {role: cells.index(name) for role, names in ROLES.items() for name in names if name in cells}
        missing = [role for role in ("type", "date", "number") if role not in columns]
        if missing:
            raise CallLogError(f"{ctx.name}: FRITZ!Box header lacks {', '.join(missing)}")
        return columns, number
    raise CallLogError(f"{ctx.name}: no FRITZ!Box header (Typ;Datum;...) in the first lines")


def choose_codes(ctx: LogContext, columns: Columns, header_line: int) -> dict[int, tuple[Direction, CallStatus]]:
    """Web or classic Typ numbering, by which of codes 3 and 4 has calls that lasted."""
    lasted = {"3": 0, "4": 0}
    for number, cells in iter_rows(ctx, ";"):
        if number <= header_line or isinstance(cells, SkipRow) or len(cells) <= columns["type"]:
            continue
        code = cells[columns["type"]].strip()
        if code in lasted and _minutes(cells, columns) > 0:
            lasted[code] += 1
    return CLASSIC_CODES if lasted["3"] > lasted["4"] else WEB_CODES


def _minutes(cells: list[str], columns: Columns) -> int:
    index = columns.get("duration")
    if index is None or index >= len(cells):
        return 0
    try:
        return parse_duration(cells[index]) or 0
    except SkipRow:
        return 0


def parse_row(
    cells: list[str] | SkipRow,
    ctx: LogContext,
    columns: Columns,
    codes: dict[int, tuple[Direction, CallStatus]],
    dates: DateReader,
) -> Call:
    if isinstance(cells, SkipRow):
        raise cells
    if len(cells) <= max(columns.values()):
        raise SkipRow(f"{len(cells)} columns, expected {max(columns.values()) + 1}")
    code = cells[columns["type"]].strip()
    if not is_digits(code) or int(code) not in codes:
        raise SkipRow(f"unknown Typ {code[:10]!r}")
    direction, status = codes[int(code)]
    at = dates.parse(cells[columns["date"]])
    duration = _duration(cells, columns)
    if direction is Direction.OUTGOING:
        status = outgoing_status(duration)
    name = name_or_none(cells[columns["name"]]) if "name" in columns else None
    return ctx.make_call(cells[columns["number"]], at, direction, status, duration=duration, name=name)


def _duration(cells: list[str], columns: Columns) -> int | None:
    """``H:MM`` in the FRITZ!Box list means hours and minutes, not minutes and seconds."""
    if "duration" not in columns:
        return None
    text = cells[columns["duration"]].strip()
    if not text:
        return None
    hours, sep, minutes = text.partition(":")
    if sep and is_digits(hours) and is_digits(minutes):
        return (int(hours) * 60 + int(minutes)) * 60
    return parse_duration(text)
