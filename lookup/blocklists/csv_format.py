"""CSV with a header: ``number,description,verdict,score,added_at``.

``number`` is E.164 (national with ``--national``) or a prefix in our own form
``+1202555*``. When a row has no description its name is written there. Reading
takes the columns by header name (``number``, ``pattern`` or ``phone`` for the
number); a file without a header is read as ``number[,description]``.
"""

from __future__ import annotations

from itertools import chain
from pathlib import Path
from typing import Iterator, TextIO

from lookup.blocklists import ExportRow, ExportStats, ImportedEntry
from lookup.blocklists.columns import VARIES, constant, iter_columns
from lookup.blocklists.common import ExportOptions, ImportContext, TextMemo, clean_text, iter_csv, open_text, quote_cell
from lookup.text import safe_cell

HEADER = ("number", "description", "verdict", "score", "added_at")
NUMBER_COLUMNS = ("number", "pattern", "phone", "phone_number", "e164")


def write(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    out.write(",".join(HEADER) + "\n")
    localize = options.localize or str
    # descriptions, verdicts and dates repeat: each distinct one is cleaned and quoted once
    cells = TextMemo(lambda text: quote_cell(safe_cell(clean_text(text))))
    plain = TextMemo(lambda text: quote_cell(text or ""))
    scores = TextMemo(lambda score: "" if score is None else quote_cell(score))
    for batch in iter_columns(rows, stats, prefixes=True):
        numbers = batch.numbers if options.localize is None else map(localize, batch.numbers)
        verdict, score = constant(batch.verdicts), constant(batch.scores)
        if batch.prefixes is None and verdict is not VARIES and score is not VARIES:  # a block list: fewer cells per row
            middle = f"{plain[verdict]},{scores[score]}"
            out.write("".join([
                f"{number},{cell},{middle},{date}\n"
                for number, cell, date in zip(numbers, map(cells.__getitem__, batch.labels()), map(plain.__getitem__, batch.dates))
            ]))
            stats.written += len(batch)
            continue
        out.write("".join([
            f"{number}{star},{cell},{verdict},{score},{date}\n"
            for number, star, cell, verdict, score, date in zip(
                numbers, batch.stars(), map(cells.__getitem__, batch.labels()), map(plain.__getitem__, batch.verdicts),
                map(scores.__getitem__, batch.scores), map(plain.__getitem__, batch.dates),
            )
        ]))
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

