"""Asterisk CDR ``Master.csv`` (cdr_csv): no header, quoted strings, one call per line.

Columns: accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp,
lastdata, start, answer, end, duration, billsec, disposition, amaflags, and
with ``loguniqueid``/``loguserfield`` uniqueid and userfield. Times are
``YYYY-MM-DD HH:MM:SS`` in the PBX's local time (read in ``tz``; pass "UTC"
for ``usegmtime``). ``clid`` is ``"Name" <number>``.

A CDR does not say which way a call went. The destination context decides
when it names it (``from-trunk``, ``from-pstn``, ``from-did``, ``inbound`` ...
mean incoming; ``from-internal``, ``outbound`` ... outgoing); otherwise the
numbers do: an external source (7 digits or more) calling a short extension is
incoming, an extension dialling an external number is outgoing. Calls between
extensions are ignored. An incoming call is answered when its disposition is
ANSWERED with billed seconds, voicemail when the last application was
VoiceMail, and missed otherwise (NO ANSWER, BUSY, FAILED, CONGESTION, or no
billed seconds). A NO ANSWER call's ``duration`` (start to end, nothing billed) is how
long it rang before the caller gave up: kept as its ring time (``Call.ring``). Other
logs' durations of a missed call are 0 or absent, so they say nothing about ringing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from lookup.models import Call, CallStatus, Direction, LogFormat
from lookup.numbers import is_withheld_text

from .common import IgnoreRow, LogContext, SkipRow, emit_calls, head_lines, name_or_none, parse_int
from .textrows import iter_rows, split_line

FORMAT = LogFormat.ASTERISK_CSV
SRC, DST, DCONTEXT, CLID, LASTAPP, START, DURATION, BILLSEC, DISPOSITION = 1, 2, 3, 4, 7, 9, 12, 13, 14
MIN_COLUMNS, MAX_COLUMNS = 16, 18
DISPOSITIONS = frozenset({"ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"})
INCOMING_CONTEXTS = ("trunk", "pstn", "external", "did", "incoming", "inbound", "provider")
OUTGOING_CONTEXTS = ("internal", "outbound", "outgoing", "users", "phones")
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_CLID = re.compile(r'^\s*"?(?P<name>.*?)"?\s*<(?P<number>[^>]*)>\s*$')
_DIGITS = re.compile(r"\d")


def is_format(path: Path, head: bytes) -> bool:
    lines = head_lines(head, 1)
    if not lines:
        return False
    try:
        cells = split_line(lines[0], ",")
    except SkipRow:
        return False
    return is_cdr(cells)


def is_cdr(cells: list[str]) -> bool:
    return (
        MIN_COLUMNS <= len(cells) <= MAX_COLUMNS
        and bool(_STAMP.match(cells[START].strip()))
        and cells[DISPOSITION].strip().upper() in DISPOSITIONS
    )


def read(ctx: LogContext) -> Iterator[Call]:
    return emit_calls(ctx, iter_rows(ctx, ","), parse_row, "line {}")


def parse_row(cells: list[str] | SkipRow, ctx: LogContext) -> Call:
    if isinstance(cells, SkipRow):
        raise cells
    if not MIN_COLUMNS <= len(cells) <= MAX_COLUMNS:
        raise SkipRow(f"{len(cells)} columns, expected {MIN_COLUMNS} to {MAX_COLUMNS}")
    disposition = cells[DISPOSITION].strip().upper()
    if disposition not in DISPOSITIONS:
        raise SkipRow(f"unknown disposition {disposition[:20]!r}")
    try:
        local = datetime.strptime(cells[START].strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise SkipRow(f"bad start time {cells[START][:25]!r}") from None
    billsec = parse_int(cells[BILLSEC], "billsec")
    clid_name, clid_number = parse_clid(cells[CLID])
    src = cells[SRC].strip() or clid_number
    dst = cells[DST].strip()
    direction = call_direction(cells[DCONTEXT], src, dst)
    talked = disposition == "ANSWERED" and bool(billsec)
    if direction is Direction.OUTGOING:
        status = CallStatus.ANSWERED if talked else CallStatus.MISSED
        return ctx.make_call(dst, local, direction, status, duration=billsec)
    if talked and cells[LASTAPP].strip().lower() == "voicemail":
        status = CallStatus.VOICEMAIL
    else:
        status = CallStatus.ANSWERED if talked else CallStatus.MISSED
    ring = parse_int(cells[DURATION], "duration") if disposition == "NO ANSWER" else None
    return ctx.make_call(src, local, direction, status, duration=billsec, name=clid_name, ring=ring)


def parse_clid(value: str) -> tuple[str | None, str]:
    """``"Name" <number>`` as (name or None, number); a bare value is the number."""
    match = _CLID.match(value or "")
    if not match:
        return None, (value or "").strip()
    name = name_or_none(match.group("name"))
    number = match.group("number").strip()
    if name and (name == number or is_withheld_text(name)):
        name = None
    return name, number


def call_direction(context: str, src: str, dst: str) -> Direction:
    context = context.lower()
    if any(word in context for word in INCOMING_CONTEXTS):
        return Direction.INCOMING
    if any(word in context for word in OUTGOING_CONTEXTS):
        if not is_external(dst):
            raise IgnoreRow("call between extensions")
        return Direction.OUTGOING
    if not src or is_withheld_text(src) or is_external(src):
        return Direction.INCOMING
    if is_external(dst):
        return Direction.OUTGOING
    raise IgnoreRow("call between extensions")


def is_external(number: str) -> bool:
    return number.strip().startswith("+") or len(_DIGITS.findall(number)) >= 7
