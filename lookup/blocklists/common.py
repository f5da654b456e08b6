"""Helpers shared by the format modules: output targets, the export hot loop, reading lines safely."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, Sequence, TextIO

from lookup.blocklists import BlocklistError, ExportRow, ExportStats
from lookup.models import ReadTally
from lookup.text import clean_text as _clean

BATCH = 4096  # export rows rendered and written at a time
MAX_LINE = 64 * 1024  # longer input lines are skipped, never read whole
MAX_TEXT = 200  # names and descriptions are cut to this many characters on export
MEMO_SIZE = 4096  # distinct texts an export remembers rendered

# ---------------------------------------------------------------- export


@dataclass
class Target:
    """Where an export goes: the main stream, and its path when it is a file (so parts can follow)."""

    stream: TextIO
    path: Path | None
    stats: ExportStats
    parts: list[TextIO] = field(default_factory=list)

    def open_part(self, index: int) -> TextIO | None:
        """Open part ``index`` (2, 3, ...) next to the main file; ``None`` when writing to a stream."""
        if self.path is None:
            return None
        part = self.path.with_name(f"{self.path.stem}-{index}{self.path.suffix}")
        stream = open(part, "w", encoding="utf-8", newline="")
        self.parts.append(stream)
        self.stats.files.append(part)
        return stream


@dataclass(frozen=True)
class ExportOptions:
    localize: Callable[[str], str] | None
    chunk_size: int | None
    target: Target


@contextmanager
def open_target(out: Path | str | TextIO | BinaryIO, stats: ExportStats) -> Iterator[Target]:
    """A text stream for ``out``: a path is opened (UTF-8, line endings as written), a binary stream wrapped."""
    if isinstance(out, (str, os.PathLike)):
        path = Path(out)
        try:
            stream = open(path, "w", encoding="utf-8", newline="", buffering=1 << 16)
        except OSError as exc:
            raise BlocklistError(f"cannot write {path}: {exc.strerror or exc}") from None
        stats.files.append(path)
        target = Target(stream, path, stats)
        try:
            yield target
        finally:
            for part in target.parts:
                part.close()
            stream.close()
    elif isinstance(out, (io.RawIOBase, io.BufferedIOBase)) or "b" in getattr(out, "mode", ""):
        wrapper = io.TextIOWrapper(out, encoding="utf-8", newline="")  # type: ignore[arg-type]
        try:
            yield Target(wrapper, None, stats)
        finally:
            wrapper.flush()
            wrapper.detach()
    else:
        yield Target(out, None, stats)  # type: ignore[arg-type]
        out.flush()


def make_localizer(region: str) -> Callable[[str], str]:
    """A function writing numbers (and prefixes) of ``region``'s country code in national form.

    "Belongs to the region" means "shares its country calling code": that is what is
    dialled and shown without an international prefix (all of +1 in the NANP, +44 with
    Guernsey and Jersey). Other numbers stay in E.164.
    """
    import phonenumbers

    region = region.upper()
    code = phonenumbers.country_code_for_region(region)
    if not code:
        raise BlocklistError(f"unknown region {region!r} for national numbers")
    head = f"+{code}"
    size = len(head)
    trunk = national_trunk_prefix(region)

    def localize(number: str) -> str:
        return trunk + number[size:] if number.startswith(head) else number

    return localize


@lru_cache(maxsize=64)
def national_trunk_prefix(region: str) -> str:
    """The digits a national number starts with before the significant number ("0" in DE, "" in the NANP)."""
    import phonenumbers

    example = phonenumbers.example_number(region)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = (metadata.national_prefix if metadata else None) or ""
    if example is None:
        return prefix
    national = "".join(ch for ch in phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL) if ch.isdigit())
    significant = phonenumbers.national_significant_number(example)
    return prefix if prefix and national == prefix + significant else ""


_EXTENSION = re.compile(r"(\+\d{2,15})\s*(?:;\s*ext\s*=|ext\.?|x|#)\s*\d{1,10}", re.IGNORECASE)


def split_pattern(pattern: str) -> tuple[str, bool] | None:
    """``("+12025550123", False)``, ``("+1202555", True)`` for a prefix, ``None`` when not a number.

    A number is ``+`` and 7 to 15 digits (the shortest real E.164 numbers have 7).

    An extension is not part of a number: ``"+12025550123;ext=7"`` gives the number alone.
    """
    text = (pattern or "").strip()
    if text.endswith("*"):
        head = text.rstrip("*")
        if head[:1] == "+" and head.isascii() and head[1:].isdigit() and len(head) <= 16:
            return head, True
        return None
    if text[:1] == "+" and text.isascii() and text[1:].isdigit() and 7 < len(text) < 17:
        return text, False
    match = _EXTENSION.fullmatch(text)
    if match and match.group(1).isascii() and 7 < len(match.group(1)) < 17:
        return match.group(1), False
    return None


def iter_entries(rows: Iterable[ExportRow], stats: ExportStats, *, prefixes: bool) -> Iterator[tuple[ExportRow, str, bool]]:
    """The export's rules row by row: ``(row, number, is_prefix)`` per usable row; the number has no ``*``.

    Rows that are not numbers are counted in ``stats.skipped``; prefixes are counted in
    ``stats.skipped_prefixes`` and dropped unless ``prefixes`` is true.
    """
    for row in rows:
        pattern = row[0]
        if 7 < len(pattern) < 17 and pattern[0] == "+" and pattern.isascii() and pattern[1:].isdigit():
            yield row, pattern, False
            continue
        parsed = split_pattern(pattern)
        if parsed is None:
            stats.skipped += 1
        elif not parsed[1]:
            yield row, parsed[0], False
        elif prefixes:
            yield row, parsed[0], True
        else:
            stats.skipped_prefixes += 1


def is_plain_batch(patterns: Sequence[str]) -> bool:
    """Whether every one of ``patterns`` is ``+`` and 7 to 15 ASCII digits, checked on the
    patterns joined by newlines (a few scans in C, not a test per pattern): ASCII, every
    pattern starting with ``+``, and with the digits deleted exactly one ``+`` per pattern and
    the newlines of the join left; then the lengths."""
    text = "\n".join(patterns)
    count = len(patterns)
    if not (text.isascii() and text[:1] == "+" and text.count("\n+") == count - 1):
        return False
    if text.encode("ascii").translate(None, _DIGITS) != b"+\n" * (count - 1) + b"+":
        return False
    lengths = list(map(len, patterns))
    return min(lengths) > 7 and max(lengths) < 17


_DIGITS = b"0123456789"


class TextMemo(dict):
    """Each distinct text rendered once: ``memo[text]`` is ``render(text)``, remembered.

    Exports repeat a few descriptions over a million rows, and rows read from SQLite hold
    equal texts as different objects, so a hit is a dict look-up done in C (a miss calls
    ``render``). Holds at most ``MEMO_SIZE`` texts: when full it starts again.
    """

    def __init__(self, render: Callable[[str | None], str]) -> None:
        super().__init__()
        self.render = render

    def __missing__(self, text: str | None) -> str:
        if len(self) >= MEMO_SIZE:
            self.clear()
        value = self[text] = self.render(text)
        return value


def quote_cell(value: object) -> str:
    """``value`` as the csv module writes one cell of a row (``QUOTE_MINIMAL``, ``","``, ``"\\n"``),
    for writers that join their lines themselves and quote each distinct text once."""
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(("", value))  # two cells: a lone empty cell is written ""
    return line.getvalue()[1:-1]


def clean_text(text: str | None, limit: int = MAX_TEXT) -> str:
    """One printable line cut to ``limit`` (:func:`lookup.text.clean_text`, export's default limit)."""
    return _clean(text, limit)


# ---------------------------------------------------------------- import


@dataclass
class ImportContext:
    """What a blocklist reader needs besides the file: the region national numbers are read in,
    and the tally that counts skipped lines (call-log readers have their own ``ImportContext``)."""

    region: str
    tally: ReadTally

    def problem(self, where: str, message: str) -> None:
        """Count one skipped line or entry, with where it is and why."""
        self.tally.skip(where, message)

    def to_number(self, raw: str, where: str) -> str | None:
        """E.164 for an exact number, or ``None`` with the reason recorded."""
        from lookup.numbers import NumberError, normalize_number

        try:
            number = normalize_number(raw, self.region, details=False)
        except NumberError as exc:
            self.problem(where, str(exc))
            return None
        if number.e164 is None:
            what = "withheld caller" if number.withheld else number.kind.value.replace("_", " ")
            self.problem(where, f"{what}, not a full number: {shorten(raw)!r}")
            return None
        return number.e164

    def to_pattern(self, raw: str, where: str) -> str | None:
        """E.164 for a number, ``"+CC...*"`` for a prefix ending in ``*``, else ``None`` with the reason."""
        from lookup.numbers import NumberError, normalize_pattern

        text = raw.strip()
        if not text.endswith("*"):
            return self.to_number(text, where)
        try:
            return normalize_pattern(text, self.region)
        except NumberError as exc:
            self.problem(where, str(exc))
            return None

    def to_number_or_prefix(self, raw: str, where: str) -> str | None:
        """For formats where every entry matches as a prefix (callblocker): a full number stays exact,
        anything shorter becomes a prefix."""
        from lookup.numbers import NumberError, normalize_number, normalize_pattern

        text = raw.strip()
        try:
            number = normalize_number(text, self.region, details=False)
            if number.e164 is not None and number.possible:
                return number.e164
        except NumberError:
            pass  # too short for a whole number: try it as a prefix below
        try:
            return normalize_pattern(text.rstrip("*") + "*", self.region)
        except NumberError as exc:
            self.problem(where, str(exc))
            return None


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def open_text(path: Path) -> TextIO:
    """Open an input file as text: UTF-8 (BOM dropped) or UTF-16 with a BOM; bad bytes become U+FFFD."""
    try:
        with open(path, "rb") as raw:
            bom = raw.read(4)
        encoding = "utf-16" if bom.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
        return open(path, encoding=encoding, errors="replace", newline="")
    except OSError as exc:
        raise BlocklistError(f"cannot read {path}: {exc.strerror or exc}") from None


def iter_lines(stream: TextIO, context: ImportContext, *, keep_ends: bool = False) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` without ever reading an overlong line whole; those are skipped and counted."""
    number = 0
    while line := stream.readline(MAX_LINE):
        number += 1
        if len(line) == MAX_LINE and not line.endswith(("\n", "\r")):
            while (more := stream.readline(MAX_LINE)) and not more.endswith(("\n", "\r")):
                pass
            context.problem(f"line {number}", f"longer than {MAX_LINE} characters")
            continue
        if "\x00" in line:
            line = line.replace("\x00", "")
        yield number, line if keep_ends else line.rstrip("\r\n")


def iter_csv(stream: TextIO, context: ImportContext) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` per CSV record; a record the csv module rejects is skipped and counted."""
    lines = (line for _, line in iter_lines(stream, context, keep_ends=True))
    reader = csv.reader(lines)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            context.problem(f"line {reader.line_num}", f"not CSV: {exc}")
            continue
        if fields and any(f.strip() for f in fields):
            yield reader.line_num, fields


_WILDCARD_PATTERN = re.compile(
    r"\^?(?P<plus>(?:\\\+|\+|\[\+\])\??)?(?P<digits>\d+)"
    r"(?P<wildcard>(?:(?:\[0-9\]|\[\\d\]|\\d|\.)(?:\{\d+(?:,\d*)?\}|[*+?])?)+)?\$?"
)


def wildcard_to_pattern(expression: str) -> tuple[str, bool, bool] | None:
    """Split a regex or wildcard pattern of digits: ``(digits, has_plus, is_prefix)``.

    Understands ``\\+1202555.*``, ``1202555[0-9]{4}``, ``^\\+?1202\\d+$``; anything else
    (alternations, classes other than digits, wildcards in the middle) gives ``None``.
    """
    match = _WILDCARD_PATTERN.fullmatch(expression.strip())
    if match is None:
        return None
    return match["digits"], bool(match["plus"]), bool(match["wildcard"])
