"""CSV with a header: ``number,description,verdict,score,added_at``.

``number`` is E.164 (national with ``--national``) or a prefix in our own form
``+1202555*``. When a row has no description its name is written there. Reading
takes the columns by header name (``number``, ``pattern`` or ``phone`` for the
number); a file without a header is read as ``number[,description]``.
"""

from __future__ import annotations

import csv
from itertools import chain
from pathlib import Path
from typing import Iterator, TextIO

from lookup.blocklists import ExportRow, ExportStats, ImportedEntry
from lookup.blocklists.common import ExportOptions, ImportContext, clean_text, iter_csv, iter_entries, open_text
from lookup.text import safe_cell

HEADER = ("number", "description", "verdict", "score", "added_at")
NUMBER_COLUMNS = ("number", "pattern", "phone", "phone_number", "e164")


def write(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    localize = options.localize
    last_text: str | None = None
    last_clean = ""
    batch: list[tuple[object, ...]] = []
    for row, number, is_prefix in iter_entries(rows, stats, prefixes=True):
        text = row.description or row.name
        if text is not last_text:  # descriptions repeat: clean each distinct one once
            last_text, last_clean = text, safe_cell(clean_text(text))
        if localize is not None:
            number = localize(number)
        batch.append((number + "*" if is_prefix else number, last_clean, row.verdict or "", "" if row.score is None else row.score, row.added_at or ""))
        if len(batch) >= 4096:
            writer.writerows(batch)
            stats.written += len(batch)
            batch.clear()
    writer.writerows(batch)
    stats.written += len(batch)


def read(path: Path, context: ImportContext) -> Iterator[ImportedEntry]:
    with open_text(path) as stream:
        records = iter_csv(stream, context)
        first = next(records, None)
        if first is None:
            return
        header = [cell.strip().lower() for cell in first[1]]
        number_at = next((header.index(name) for name in NUMBER_COLUMNS if name in header), None)
        if number_at is None:
            number_at, description_at = 0, 1
            records = chain([first], records)
        else:
            description_at = header.index("description") if "description" in header else None
        for line, fields in records:
            if number_at >= len(fields) or not fields[number_at].strip():
                context.problem(f"line {line}", "no number in this row")
                continue
            pattern = context.to_pattern(fields[number_at], f"line {line}")
            if pattern is None:
                continue
            description = fields[description_at].strip() if description_at is not None and description_at < len(fields) else ""
            yield ImportedEntry(pattern, description=description or None)

