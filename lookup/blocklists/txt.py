"""Plain text: one number per line, E.164 (or national with ``--national``).

Prefixes are written in our own form, ``+1202555*``: many simple blockers take a
trailing ``*`` as "any digits", and our reader reads it back. Reading skips blank
lines and ``#`` comments and drops a trailing ``# comment`` on a line.
"""

from __future__ import annotations

from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Iterator, TextIO

from lookup.blocklists import ExportRow, ExportStats, ImportedEntry
from lookup.blocklists.common import BATCH, ExportOptions, ImportContext, is_plain_batch, iter_entries, iter_lines, open_text


def write(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    localize = options.localize
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        patterns = list(map(itemgetter(0), batch))
        if localize is None and is_plain_batch(patterns):  # the usual batch is its own output
            out.write("\n".join(patterns) + "\n")
            stats.written += len(patterns)
            continue
        entries = list(iter_entries(batch, stats, prefixes=True))
        if localize is None:
            lines = [f"{number}*\n" if is_prefix else f"{number}\n" for _, number, is_prefix in entries]
        else:
            lines = [f"{localize(number)}{'*' if is_prefix else ''}\n" for _, number, is_prefix in entries]
        out.write("".join(lines))
        stats.written += len(lines)


def read(path: Path, context: ImportContext) -> Iterator[ImportedEntry]:
    with open_text(path) as stream:
        for number, line in iter_lines(stream, context):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            pattern = context.to_pattern(text, f"line {number}")
            if pattern is not None:
                yield ImportedEntry(pattern)
