"""Asterisk CLI commands filling the AstDB family ``blacklist``: ``database put blacklist NUMBER "description"``.

Run them with ``asterisk -rx`` line by line. Dialplan ``BLACKLIST()`` compares the
caller's number (or name) with the keys exactly, so prefixes are skipped and counted;
``--national`` writes numbers the way a national trunk delivers them. Descriptions lose
double quotes and backslashes, which the CLI would otherwise read as syntax.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, TextIO

from lookup.blocklists import ExportRow, ExportStats, ImportedEntry
from lookup.blocklists.columns import iter_columns
from lookup.blocklists.common import ExportOptions, ImportContext, TextMemo, clean_text, iter_lines, open_text, shorten

DEFAULT_DESCRIPTION = "whocalled"
_PUT = re.compile(r'database\s+put\s+blacklist\s+(\S+)(?:\s+"((?:[^"\\]|\\.)*)"|\s+(\S.*))?\s*', re.IGNORECASE)


def write(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    localize = options.localize or str
    quoted = TextMemo(lambda text: clean_text(text).replace('"', "'").replace("\\", "/") or DEFAULT_DESCRIPTION)
    for batch in iter_columns(rows, stats, prefixes=False):
        numbers = batch.numbers if options.localize is None else map(localize, batch.numbers)
        out.write("".join([
            f'database put blacklist {number} "{text}"\n' for number, text in zip(numbers, map(quoted.__getitem__, batch.labels()))
        ]))
        stats.written += len(batch)


def read(path: Path, context: ImportContext) -> Iterator[ImportedEntry]:
    with open_text(path) as stream:
        for number, line in iter_lines(stream, context):
            text = line.strip()
            if not text or text.startswith(("#", ";")):
                continue
            match = _PUT.fullmatch(text)
            if match is None:
                context.problem(f"line {number}", f"not a 'database put blacklist' command: {shorten(text)!r}")
                continue
            key = match.group(1)
            if key in ("blocked", "dest"):  # FreePBX settings stored in the same family
                continue
            pattern = context.to_number(key, f"line {number}")
            if pattern is not None:
                description = (match.group(2) or match.group(3) or "").strip()
                yield ImportedEntry(pattern, description=description or None)
