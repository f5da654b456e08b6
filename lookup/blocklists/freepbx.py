"""FreePBX Blacklist module CSV: header ``number,description`` (its import and export format).

FreePBX matches the caller's number exactly as the trunk delivers it (AstDB family
``blacklist``, no wildcards), so prefixes are skipped and counted, and ``--national``
is usually what a PBX on a national trunk needs. Reading drops the SMS-plus variant's
``/Call``, ``/Sms`` or ``/Both`` suffix from descriptions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, TextIO

from lookup.blocklists import ExportRow, ExportStats, ImportedEntry
from lookup.blocklists.columns import iter_columns
from lookup.blocklists.common import ExportOptions, ImportContext, TextMemo, clean_text, iter_csv, open_text, quote_cell
from lookup.text import safe_cell

HEADER = ("number", "description")
_SMS_SUFFIX = re.compile(r"/(Call|Sms|Both)$")


def write(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    out.write(",".join(HEADER) + "\n")
    localize = options.localize or str
    cells = TextMemo(lambda text: quote_cell(safe_cell(clean_text(text))))  # each distinct text cleaned and quoted once
    for batch in iter_columns(rows, stats, prefixes=False):
        numbers = batch.numbers if options.localize is None else map(localize, batch.numbers)
        out.write("".join([f"{number},{cell}\n" for number, cell in zip(numbers, map(cells.__getitem__, batch.labels()))]))
        stats.written += len(batch)


def read(path: Path, context: ImportContext) -> Iterator[ImportedEntry]:
    with open_text(path) as stream:
        for line, fields in iter_csv(stream, context):
            raw = fields[0].strip()
            if line == 1 and raw.lower() == "number":
                continue
            if raw in ("blocked", "dest"):  # reserved AstDB keys: settings, not numbers
                continue
            pattern = context.to_number(raw, f"line {line}")
            if pattern is None:
                continue
            description = _SMS_SUFFIX.sub("", fields[1].strip()) if len(fields) > 1 else ""
            yield ImportedEntry(pattern, description=description or None)
