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
from lookup.blocklists.common import ExportOptions, ImportContext, TextMemo, clean_text, iter_batches, iter_lines, open_text, shorten

DEFAULT_DESCRIPTION = "whocalled"
_PUT = re.compile(r'database\s+put\s+blacklist\s+(\S+)(?:\s+"((?:[^"\\]|\\.)*)"|\s+(\S.*))?\s*', re.IGNORECASE)


def write(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    localize = options.localize or str
    quoted = TextMemo(lambda text: clean_text(text).replace('"', "'").replace("\\", "/") or DEFAULT_DESCRIPTION)
    for entries in iter_batches(rows, stats, prefixes=False):
        out.write("".join([
            f'database put blacklist {localize(number)} "{quoted[row.description or row.name]}"\n' for row, number, _ in entries
        ]))
        stats.written += len(entries)


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
