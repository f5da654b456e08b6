"""SMS Backup & Restore call backups (``calls-*.xml``) and community exports with ``<call>`` in ``<smses>``.

Each ``<call>`` carries ``number``, ``duration`` (s), ``date`` (Unix ms),
``type`` (1 incoming, 2 outgoing, 3 missed, 4 voicemail, 5 rejected, 6 refused
list, 7 answered elsewhere), ``presentation`` (1 allowed, 2 restricted,
3 unknown, 4 payphone, 5 unavailable) and ``contact_name`` ("(Unknown)" when
none); the app writes absent values as the literal "null".

The file is parsed in chunks with expat, never held whole in memory: only the
attributes of the ``<call>`` elements of the current chunk are kept. The
parser gets the guards defusedxml installs: any entity declaration (the
billion-laughs bomb) or external entity ends the read with a CallLogError.
A file that breaks off half-way keeps the calls before the break and counts
the rest as one skipped row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.parsers import expat

from defusedxml import EntitiesForbidden, ExternalReferenceForbidden

from lookup.models import Call, CallStatus, Direction, LogFormat

from .common import (
    CallLogError,
    LogContext,
    SkipRow,
    name_or_none,
    emit_calls,
    is_digits,
    outgoing_status,
    parse_int,
    read_head,
    utc_from_epoch,
    value_or_none,
)

FORMAT = LogFormat.ANDROID_XML
CHUNK_BYTES = 1 << 16
MAX_ELEMENT_BYTES = 64 << 20  # expat buffers an unfinished tag; MMS attachments stay far below this

TYPES: dict[int, tuple[Direction, CallStatus]] = {
    1: (Direction.INCOMING, CallStatus.ANSWERED),
    2: (Direction.OUTGOING, CallStatus.ANSWERED),  # refined by duration
    3: (Direction.INCOMING, CallStatus.MISSED),
    4: (Direction.INCOMING, CallStatus.VOICEMAIL),
    5: (Direction.INCOMING, CallStatus.REJECTED),
    6: (Direction.INCOMING, CallStatus.BLOCKED),
    7: (Direction.INCOMING, CallStatus.ANSWERED),  # answered on another device
}
WITHHELD_PRESENTATIONS = frozenset({2, 3, 4, 5})  # restricted, unknown, payphone, unavailable

_ROOT = re.compile(rb"<(calls|smses)[\s>/]")
_CALL = re.compile(rb"<call\s")
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
ENTITY_REFUSAL = "entity declarations (possible entity-expansion bomb)"

Attrs = tuple[int, dict[str, str]]  # (line, attributes of one <call>)


def is_format(path: Path, head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start.startswith(b"<"):
        return False
    return bool(_ROOT.search(head)) and (bool(_CALL.search(head)) or b"<calls" in head)


def read(ctx: LogContext) -> Iterator[Call]:
    if _ENTITY.search(read_head(ctx.path)):
        raise CallLogError(f"{ctx.name}: refused to read XML with {ENTITY_REFUSAL}")
    return emit_calls(ctx, iter_call_elements(ctx), parse_call, "element {0[0]} (line {0[1]})")


def iter_call_elements(ctx: LogContext) -> Iterator[tuple[tuple[int, int], Attrs]]:
    """``((N, line), (line, attributes))`` for the N-th ``<call>``, streamed chunk by chunk."""
    parser = _make_parser()
    pending: list[Attrs] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "call":
            pending.append((parser.CurrentLineNumber, attrs))

    parser.StartElementHandler = start
    count = fed = 0
    with ctx.path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK_BYTES)
            fed += len(chunk)
            if fed - max(parser.CurrentByteIndex, 0) > MAX_ELEMENT_BYTES:
                raise CallLogError(f"{ctx.name}: an XML element larger than {MAX_ELEMENT_BYTES >> 20} MB; refused")
            try:
                parser.Parse(chunk, not chunk)
            except (EntitiesForbidden, ExternalReferenceForbidden) as exc:
                raise CallLogError(f"{ctx.name}: refused to read XML with {_refusal(exc)}") from None
            except expat.ExpatError as exc:
                for item in pending:
                    count += 1
                    yield (count, item[0]), item
                _note_broken(ctx, count, exc)
                return
            for item in pending:
                count += 1
                yield (count, item[0]), item
            pending.clear()
            if not chunk:
                return


def _note_broken(ctx: LogContext, count: int, exc: expat.ExpatError) -> None:
    reason = expat.ErrorString(exc.code) if exc.code else str(exc)
    if count == 0 and ctx.tally.read == 0:
        raise CallLogError(f"{ctx.name}: not well-formed XML at line {exc.lineno} ({reason})")
    ctx.tally.skip(f"line {exc.lineno}", f"XML breaks off ({reason}); the rest is not read")


def _refusal(exc: Exception) -> str:
    return ENTITY_REFUSAL if isinstance(exc, EntitiesForbidden) else "external entity references"


def _make_parser() -> expat.XMLParserType:
    """Expat with defusedxml's guards: no entity declarations, no external references."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def forbid_entity(name: str, is_param: int, value: str | None, base: str | None, sysid: str | None,
                      pubid: str | None, notation: str | None) -> None:
        raise EntitiesForbidden(name, value, base, sysid, pubid, notation)

    def forbid_unparsed(name: str, base: str | None, sysid: str, pubid: str | None, notation: str) -> None:
        raise EntitiesForbidden(name, None, base, sysid, pubid, notation)

    def forbid_external(context: str, base: str | None, sysid: str | None, pubid: str | None) -> int:
        raise ExternalReferenceForbidden(context, base, sysid, pubid)

    parser.EntityDeclHandler = forbid_entity
    parser.UnparsedEntityDeclHandler = forbid_unparsed
    parser.ExternalEntityRefHandler = forbid_external
    return parser


def parse_call(item: Attrs, ctx: LogContext) -> Call:
    get = item[1].get
    kind = TYPES.get(parse_int(get("type"), "type"))
    if kind is None:
        raise SkipRow(f"unknown call type {get('type')!r}")
    direction, status = kind
    millis = parse_int(get("date"), "date")
    if millis is None:
        raise SkipRow("no date")
    duration = parse_int(get("duration"), "duration")
    if duration is not None and duration < 0:
        raise SkipRow(f"negative duration {duration}")
    if direction is Direction.OUTGOING:
        status = outgoing_status(duration)
    contact = get("contact_name")
    return ctx.make_call(
        get("number"),
        utc_from_epoch(millis, 1000),
        direction,
        status,
        duration=duration,
        # The app writes "(Unknown)" for nearly every caller: known to mean no name, as name_or_none says.
        name=None if contact in _NO_NAME else name_or_none(contact),
        withheld=_presentation(get("presentation")) in WITHHELD_PRESENTATIONS,
    )


_NO_NAME = frozenset({None, "(Unknown)", "null"})


def _presentation(value: str | None) -> int | None:
    if value == "1":  # number shown: nearly every row
        return 1
    text = value_or_none(value)
    if text is None or not is_digits(text):
        return None
    return int(text)
