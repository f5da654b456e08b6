"""vCard: the "one Spam contact" trick for phones, in vCard 3.0 and 4.0, and a tolerant reader.

A phone blocks a whole contact at once, so the export is one contact named "Spam" with
one TEL line per number (the real ``Spammer.vcf`` that circulates has 200 of them).
Above ``chunk_size`` numbers (default 200, what that file proves phones accept) the
numbers go into further contacts "Spam 2", "Spam 3"... in the same file. Lines end in
CRLF and long lines are folded (RFC 6350 3.2). vCard has no prefix syntax: prefixes
are skipped and counted.

- 3.0: ``TEL;TYPE=CELL,VOICE:+12025550123`` (the sample's ``TYPE=cell;TYPE=voice`` in the
  comma form), with FN and N because strict readers need FN.
- 4.0: ``TEL;VALUE=uri;TYPE=voice:tel:+1-202-555-0123`` (RFC 3966 with visual separators
  for NANP numbers); with ``--national`` a national number cannot be a ``tel:`` URI, so
  it is written ``TEL;VALUE=text;TYPE=voice:2025550123``.

The reader (:func:`iter_cards`) unfolds lines, understands groups (``item1.TEL``),
vCard 2.1 quoted-printable names and ``tel:`` URIs, and never holds more than
``CARD_BUFFER`` numbers of one card in memory.
"""

from __future__ import annotations

import quopri
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, TextIO

from lookup.blocklists import ExportRow, ExportStats, ImportedEntry
from lookup.blocklists.columns import iter_columns
from lookup.blocklists.common import MAX_LINE, ExportOptions, ImportContext, iter_lines, open_text

CHUNK = 200
CARD_NAME = "Spam"
NOTE = "Numbers blocked with whocalled. Block this contact to block them all."
CARD_BUFFER = 10_000
CRLF = "\r\n"


def write_v3(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    localize = options.localize or str

    def render(numbers: list[str]) -> str:
        return "".join([f"TEL;TYPE=CELL,VOICE:{localize(number)}\r\n" for number in numbers])

    _write_cards(rows, out, options, stats, "3.0", render)


def write_v4(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    localize = options.localize

    def tel(number: str) -> str:
        if localize is not None:
            local = localize(number)
            if not local.startswith("+"):
                return f"TEL;VALUE=text;TYPE=voice:{local}\r\n"
        if len(number) == 12 and number.startswith("+1"):
            return f"TEL;VALUE=uri;TYPE=voice:tel:+1-{number[2:5]}-{number[5:8]}-{number[8:]}\r\n"
        return f"TEL;VALUE=uri;TYPE=voice:tel:{number}\r\n"

    def render(numbers: list[str]) -> str:
        if localize is not None:
            return "".join(map(tel, numbers))
        return "".join([  # NANP numbers, the usual case, without a call each
            f"TEL;VALUE=uri;TYPE=voice:tel:+1-{number[2:5]}-{number[5:8]}-{number[8:]}\r\n"
            if len(number) == 12 and number[:2] == "+1"
            else tel(number)
            for number in numbers
        ])

    _write_cards(rows, out, options, stats, "4.0", render)


def _write_cards(
    rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats, version: str, render: Callable[[list[str]], str]
) -> None:
    """Cards of ``chunk_size`` numbers; ``render`` gives the TEL lines of a list of numbers."""
    size = options.chunk_size or CHUNK
    in_card = 0
    cards = 0
    for batch in iter_columns(rows, stats, prefixes=False):
        numbers = batch.numbers
        parts: list[str] = []
        start = 0
        while start < len(numbers):
            if in_card == 0:
                cards += 1
                parts.append(card_header(version, CARD_NAME if cards == 1 else f"{CARD_NAME} {cards}"))
            piece = numbers[start : start + size - in_card]
            parts.append(render(piece))
            start += len(piece)
            in_card += len(piece)
            if in_card == size:
                parts.append("END:VCARD\r\n")
                in_card = 0
        out.write("".join(parts))
        stats.written += len(numbers)
    if in_card:
        out.write("END:VCARD\r\n")


def card_header(version: str, name: str) -> str:
    lines = ["BEGIN:VCARD", f"VERSION:{version}", f"FN:{escape_text(name)}", f"N:;{escape_text(name)};;;"]
    if version == "4.0":
        lines.append("KIND:individual")
    lines.append(f"NOTE:{escape_text(NOTE)}")
    return "".join(fold_line(line) + CRLF for line in lines)


def escape_text(text: str) -> str:
    """Escape a vCard TEXT value (RFC 6350 3.4): backslash, comma, semicolon, newline."""
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\r\n", "\\n").replace("\n", "\\n")


def fold_line(line: str, limit: int = 75) -> str:
    """Fold a content line at ``limit`` octets, never inside a UTF-8 sequence (RFC 6350 3.2)."""
    if len(line.encode("utf-8")) <= limit:
        return line
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    budget = limit
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > budget:
            pieces.append("".join(current))
            current, size, budget = [], 0, limit - 1  # continuation lines start with a space
        current.append(ch)
        size += width
    pieces.append("".join(current))
    return (CRLF + " ").join(pieces)


# ---------------------------------------------------------------- reading


@dataclass
class Card:
    """Part of one vCard: its display name and ``(line number, TEL value)`` pairs."""

    name: str | None = None
    tels: list[tuple[int, str]] = field(default_factory=list)


def read(path: Path, context: ImportContext) -> Iterator[ImportedEntry]:
    """Numbers and ``*`` prefixes from every TEL line; the entry's name is its card's name."""
    for card in iter_cards(path, context):
        for line, value in card.tels:
            pattern = context.to_pattern(value, f"line {line}")
            if pattern is not None:
                yield ImportedEntry(pattern, name=card.name)


def iter_cards(path: Path, context: ImportContext) -> Iterator[Card]:
    """Cards (or parts of a huge card) with their TEL values, from unfolded content lines."""
    card: Card | None = None
    given: str | None = None
    org: str | None = None
    with open_text(path) as stream:
        for line_number, name, params, value in iter_properties(iter_lines(stream, context), context):
            if name == "BEGIN" and value.upper() == "VCARD":
                card, given, org = Card(), None, None
            elif card is None:
                continue
            elif name == "END" and value.upper() == "VCARD":
                card.name = card.name or given or org
                yield card
                card = None
            elif name == "TEL":
                card.tels.append((line_number, value))
                if len(card.tels) >= CARD_BUFFER:
                    card.name = card.name or given or org
                    yield card
                    card = Card(name=card.name)
            elif name == "FN":
                card.name = decode_text(value, params) or card.name
            elif name == "N":
                given = " ".join(p for p in reversed(decode_parts(value, params)[:2]) if p) or None
            elif name == "ORG":
                org = decode_parts(value, params)[0] or None
    if card is not None and card.tels:  # a file cut off before END:VCARD
        card.name = card.name or given or org
        yield card


_PROPERTY = re.compile(r"(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)((?:;[^:]*)?):(.*)", re.DOTALL)


def iter_properties(lines: Iterator[tuple[int, str]], context: ImportContext) -> Iterator[tuple[int, str, str, str]]:
    """``(line number, NAME, ;params, value)`` per logical line: folded and quoted-printable soft breaks joined.

    A logical line longer than ``MAX_LINE`` characters is skipped and counted; what it would
    have joined is never held, however many lines it is folded over.
    """
    start = 0
    pieces: list[str] = []
    size = 0
    for number, line in lines:
        if pieces:
            if line[:1] in (" ", "\t"):
                size += len(line) - 1
                if size <= MAX_LINE:
                    pieces.append(line[1:])
                continue
            if pieces[-1].endswith("=") and "QUOTED-PRINTABLE" in pieces[0].split(":", 1)[0].upper():
                size += len(line) + 1
                if size <= MAX_LINE:
                    pieces.append("\n" + line)  # a soft line break that quopri removes
                continue
            found = _split_property(start, pieces, size, context)
            if found is not None:
                yield found
        start, pieces, size = number, [line], len(line)
    if pieces:
        found = _split_property(start, pieces, size, context)
        if found is not None:
            yield found


def _split_property(start: int, pieces: list[str], size: int, context: ImportContext) -> tuple[int, str, str, str] | None:
    if size > MAX_LINE:
        context.problem(f"line {start}", f"a folded line longer than {MAX_LINE} characters")
        return None
    match = _PROPERTY.match("".join(pieces))
    return (start, match.group(1).upper(), match.group(2), match.group(3)) if match else None


def decode_text(value: str, params: str) -> str:
    """A TEXT value unescaped (and quoted-printable decoded)."""
    return " ".join(decode_parts(value, params)).strip()


def decode_parts(value: str, params: str) -> list[str]:
    """The ``;``-separated components of a structured TEXT value (N, ORG), unescaped."""
    upper = params.upper()
    if "QUOTED-PRINTABLE" in upper:
        charset = re.search(r"CHARSET=([\w-]+)", upper)
        raw = quopri.decodestring(value.encode("utf-8", "replace"))
        try:
            value = raw.decode(charset.group(1).lower() if charset else "utf-8", errors="replace")
        except LookupError:
            value = raw.decode("utf-8", errors="replace")
    return [
        part.replace("\\n", " ").replace("\\N", " ").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\").strip()
        for part in re.split(r"(?<!\\);", value)
    ]
