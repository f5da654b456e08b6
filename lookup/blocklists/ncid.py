"""NCID ``ncidd.blacklist`` (and ``ncidd.whitelist``, same syntax).

One entry per line; an entry is one or more expressions (a token or a ``"quoted
string"``) matched against the caller's name *or* number as ``cidcall.log`` shows it,
partial matches counting; an optional trailing ``# comment`` or ``#= Name`` (the name
shown when the entry matches). ``^`` anchors at the start and ``^1?`` makes a leading 1
optional: both work in ncidd's simple, POSIX and PCRE modes.

Written: NANP numbers as ``^1?2025550123`` and NANP prefixes as ``^1?202555``, so they
match with or without the leading 1 and never inside a longer foreign number; with
``--national`` the region's numbers as ``^030123456``; other numbers as their
international digits without ``+`` (matching ``+49...`` and ``0049...`` alike). A
non-national prefix outside the NANP has no safe form (unanchored it would match
anywhere) and is skipped and counted. The label is ``#= name``, else ``# description``.

Read: anchored digits, ``^1?`` and trailing digit wildcards (``[0-9]{2}``, ``\\d``,
``.``, ``.*``) become prefixes; whole numbers become numbers; expressions that match
caller names, and bare partial digits (which match anywhere) are skipped and counted.
"""

from __future__ import annotations

import re
from itertools import repeat
from pathlib import Path
from typing import Iterator, TextIO

from lookup.blocklists import ExportRow, ExportStats, ImportedEntry
from lookup.blocklists.columns import iter_columns
from lookup.blocklists.common import (
    ExportOptions,
    ImportContext,
    TextMemo,
    clean_text,
    iter_lines,
    national_trunk_prefix,
    open_text,
    shorten,
)

HEADER = (
    "# NCID blacklist written by whocalled: one entry per line, '#=' sets the name shown.\n"
    "# NANP numbers are written ^1?NXXNXXXXXX so that they match with or without a leading 1.\n"
)


def write(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    localize = options.localize
    # the label: "#= name" when the name has text, else "# description" (either may be empty)
    names = TextMemo(lambda name: f"    #= {text}" if (text := clean_text(name)) else "")
    descriptions = TextMemo(lambda description: f"    # {text}" if (text := clean_text(description)) else "")

    def render(number: str, is_prefix: bool, label: str) -> str | None:
        """A number outside the NANP: national, international digits, or None (a prefix with no safe form)."""
        if localize is not None and not (local := localize(number)).startswith("+"):
            expression = "^" + local
        elif is_prefix:
            return None
        else:
            expression = number[1:]
        return f"{expression}{label}\n"

    out.write(HEADER)
    for batch in iter_columns(rows, stats, prefixes=True):
        if batch.named:
            labels = [names[name] or descriptions[description] for name, description in zip(batch.names, batch.descriptions)]
        else:
            labels = map(descriptions.__getitem__, batch.descriptions)  # type: ignore[assignment]
        lines = [
            f"^1?{number[2:]}{label}\n" if number[:2] == "+1" else render(number, is_prefix, label)
            for number, is_prefix, label in zip(batch.numbers, batch.prefixes or repeat(False), labels)
        ]
        if None in lines:
            dropped = lines.count(None)
            stats.skipped_prefixes += dropped
            lines = [line for line in lines if line is not None]
        out.write("".join(lines))  # type: ignore[arg-type]
        stats.written += len(lines)


_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_SPACE = re.compile(r"\s*")
_NUMBER_EXPRESSION = re.compile(
    r"(?P<anchor>\^)?(?P<optional>1\?)?(?P<digits>\+?\d+)"
    r"(?P<wildcard>(?:(?:\[0-9\]|\\d|\.)(?:\{\d+(?:,\d*)?\}|[*+?])?)+)?(?P<end>\$)?"
)


def split_entry(line: str) -> tuple[list[tuple[str, bool]], str | None, str | None]:
    """``([(expression, quoted)], name from #=, plain comment)`` of one entry line."""
    expressions: list[tuple[str, bool]] = []
    position = 0
    while True:
        position = _SPACE.match(line, position).end()  # type: ignore[union-attr]  # \s* always matches
        if position >= len(line):
            return expressions, None, None
        if line[position] == "#":
            comment = line[position + 1 :]
            if comment.startswith("="):
                return expressions, comment[1:].strip() or None, None
            return expressions, None, comment.strip() or None
        match = _TOKEN.match(line, position)
        if match is None:  # cannot happen after \s*, but never loop forever
            return expressions, None, None
        if match.group(1) is not None:
            expressions.append((match.group(1), True))
        else:
            expressions.append((match.group(2), False))
        position = match.end()


def read(path: Path, context: ImportContext) -> Iterator[ImportedEntry]:
    with open_text(path) as stream:
        for number, line in iter_lines(stream, context):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            expressions, name, comment = split_entry(line)
            where = f"line {number}"
            for expression, quoted in expressions:
                pattern = expression_to_pattern(expression, quoted, context, where)
                if pattern is not None:
                    yield ImportedEntry(pattern, name=name, description=comment)


def expression_to_pattern(expression: str, quoted: bool, context: ImportContext, where: str) -> str | None:
    """Our pattern for one NCID expression, or ``None`` with the reason recorded."""
    match = None if quoted else _NUMBER_EXPRESSION.fullmatch(expression)
    if match is None:
        if quoted or re.search(r"[A-Za-z]", expression.replace("\\d", "")):
            context.problem(where, f"matches caller names, not numbers: {shorten(expression)!r}")
        else:
            context.problem(where, f"number pattern with no prefix form: {shorten(expression)!r}")
        return None
    digits = match["digits"]
    anchored = bool(match["anchor"])
    if match["optional"]:
        digits = "+1" + digits
    if match["wildcard"] or (anchored and not match["end"] and not is_whole_number(digits, context.region)):
        return context.to_pattern(digits + "*", where)
    if not anchored and not digits.startswith("+"):
        # foreign numbers are written as international digits without "+": digits that do not
        # look national (no trunk prefix, or not valid in the region) but are valid with "+" are those
        trunk = national_trunk_prefix(context.region)
        national = digits.startswith(trunk) if trunk else is_whole_number(digits, context.region, valid=True)
        if not national and is_whole_number("+" + digits, context.region, valid=True):
            return context.to_number("+" + digits, where)
        if not is_whole_number(digits, context.region):
            context.problem(where, f"partial number that would match anywhere: {expression!r}")
            return None
    return context.to_number(digits, where)


def is_whole_number(digits: str, region: str, *, valid: bool = False) -> bool:
    """Whether ``digits`` dialled from ``region`` is a whole possible (or, with ``valid``, valid) number."""
    from lookup.numbers import NumberError, normalize_number

    try:
        number = normalize_number(digits, region, details=False)
    except NumberError:
        return False
    return number.e164 is not None and (number.valid if valid else number.possible)
