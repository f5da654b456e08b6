"""SpamBlocker (aj3423, Android) number rules CSV: ``pattern,description,priority,isBlacklist``.

Each ``pattern`` is a regular expression matched against the whole number after the
app strips ``+`` and leading zeros, so a number is written as its international digits
(``12025550123``) and a prefix as ``1202555.*``; with ``--national`` the region's
numbers are written in national form without the trunk zero. The app splits rows on
every comma and does not unquote, so descriptions lose commas and double quotes.

Reading takes digits followed by digit wildcards (``.*``, ``\\d{4}``, ``[0-9]+``) as
prefixes and plain digits as international numbers; other regexes and rows with
``isBlacklist`` false (allow rules) are skipped and counted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, TextIO

from lookup.blocklists import ExportRow, ExportStats, ImportedEntry
from lookup.blocklists.columns import iter_columns
from lookup.blocklists.common import (
    ExportOptions,
    ImportContext,
    clean_text,
    iter_csv,
    TextMemo,
    open_text,
    shorten,
    wildcard_to_pattern,
)
from lookup.text import safe_cell

HEADER = "pattern,description,priority,isBlacklist\n"


def write(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    localize = options.localize
    cells = TextMemo(lambda text: safe_cell(" ".join(clean_text(text).replace(",", " ").replace('"', "'").split())))

    def to_digits(number: str) -> str:
        local = localize(number) if localize is not None else number
        return number[1:] if local.startswith("+") else local.lstrip("0")

    out.write(HEADER)
    for batch in iter_columns(rows, stats, prefixes=True):
        digits = [number[1:] for number in batch.numbers] if localize is None else map(to_digits, batch.numbers)
        out.write("".join([
            f"{number}{star},{cell},1,true\n"
            for number, star, cell in zip(digits, batch.stars(".*"), map(cells.__getitem__, batch.labels()))
        ]))
        stats.written += len(batch)


def read(path: Path, context: ImportContext) -> Iterator[ImportedEntry]:
    with open_text(path) as stream:
        records = iter_csv(stream, context)
        header = next(records, None)
        if header is None:
            return
        columns = [cell.strip().lower() for cell in header[1]]
        if "pattern" not in columns:
            context.problem("line 1", "no 'pattern' column in the header")
            return
        at = columns.index("pattern")
        description_at = columns.index("description") if "description" in columns else None
        blacklist_at = columns.index("isblacklist") if "isblacklist" in columns else None
        for line, fields in records:
            where = f"line {line}"
            if at >= len(fields) or not fields[at].strip():
                context.problem(where, "no pattern in this row")
                continue
            if blacklist_at is not None and blacklist_at < len(fields) and fields[blacklist_at].strip().lower() in ("false", "0"):
                context.problem(where, f"allow rule, not a block entry: {shorten(fields[at])!r}")
                continue
            split = wildcard_to_pattern(fields[at])
            if split is None:
                context.problem(where, f"regex with no number or prefix form: {shorten(fields[at].strip())!r}")
                continue
            digits, _, is_prefix = split
            pattern = context.to_pattern(f"+{digits}*", where) if is_prefix else context.to_number(f"+{digits}", where)
            if pattern is not None:
                description = fields[description_at].strip() if description_at is not None and description_at < len(fields) else ""
                yield ImportedEntry(pattern, description=description or None)
