"""Plain text: one number per line, E.164 (or national with ``--national``).

Prefixes are written in our own form, ``+1202555*``: many simple blockers take a
trailing ``*`` as "any digits", and our reader reads it back. Reading skips blank
lines and ``#`` comments and drops a trailing ``# comment`` on a line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, TextIO

from lookup.blocklists import ExportRow, ExportStats, ImportedEntry
from lookup.blocklists.columns import iter_columns
from lookup.blocklists.common import ExportOptions, ImportContext, iter_lines, open_text


def write(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    localize = options.localize
    for batch in iter_columns(rows, stats, prefixes=True):
        if localize is None and batch.prefixes is None:  # the usual batch is its own output
            out.write("\n".join(batch.numbers) + "\n")
        else:
            numbers = batch.numbers if localize is None else map(localize, batch.numbers)
            out.write("".join([f"{number}{star}\n" for number, star in zip(numbers, batch.stars())]))
        stats.written += len(batch)


def read(path: Path, context: ImportContext) -> Iterator[ImportedEntry]:
    with open_text(path) as stream:
        for number, line in iter_lines(stream, context):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            pattern = context.to_pattern(text, f"line {number}")
            if pattern is not None:
                yield ImportedEntry(pattern)
