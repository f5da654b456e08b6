"""Yet Another Call Blocker (Android) blacklist backup CSV.

Header ``ID,name,pattern,creationTimestamp,numberOfCalls,lastCallTimestamp`` with
epoch-millisecond timestamps (Tubbles/YetAnotherCallBlocker BlacklistImporterExporter).
Without the later ``allow`` column the importer reads patterns in the old human form,
where ``*`` is any digits and ``#`` one digit, so prefixes are written ``+1202555*``.

Reading takes both that form and the newer regex form (files with an ``allow``
column: ``\\+1202555.*``); rows with ``allow`` true are allow rules and are skipped,
as are patterns with a wildcard anywhere but the end. NoPhoneSpam backups
(``pattern: name`` per line), which YACB also imports, are read too.
"""

from __future__ import annotations

from datetime import datetime, timezone
from itertools import chain, count
from pathlib import Path
from typing import Iterator, TextIO

from lookup.blocklists import ExportRow, ExportStats, ImportedEntry
from lookup.blocklists.columns import iter_columns
from lookup.blocklists.common import (
    ExportOptions,
    ImportContext,
    TextMemo,
    clean_text,
    quote_cell,
    iter_csv,
    iter_lines,
    open_text,
    shorten,
    wildcard_to_pattern,
)
from lookup.text import safe_cell

HEADER = ("ID", "name", "pattern", "creationTimestamp", "numberOfCalls", "lastCallTimestamp")


def write(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    out.write(",".join(HEADER) + "\n")
    localize = options.localize or str
    now = epoch_ms(None)  # once per export: rows without a date get the export's time
    cells = TextMemo(lambda text: quote_cell(safe_cell(clean_text(text))))  # each distinct text cleaned and quoted once
    stamps = TextMemo(lambda iso: epoch_ms(iso, now))  # lists share a few dozen dates
    for batch in iter_columns(rows, stats, prefixes=True):
        numbers = batch.numbers if options.localize is None else map(localize, batch.numbers)
        out.write("".join([
            f"{index},{cell},{number}{star},{stamp},0,\n"
            for index, cell, number, star, stamp in zip(
                count(stats.written + 1), map(cells.__getitem__, batch.labels(name_first=True)), numbers, batch.stars(),
                map(stamps.__getitem__, batch.dates),
            )
        ]))
        stats.written += len(batch)


def epoch_ms(iso: str | None, default: int | None = None) -> int:
    """Milliseconds since the epoch for an ISO timestamp (UTC when it has no zone)."""
    if iso:
        try:
            moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return int(moment.timestamp() * 1000)
    return default if default is not None else int(datetime.now(timezone.utc).timestamp() * 1000)


def read(path: Path, context: ImportContext) -> Iterator[ImportedEntry]:
    with open_text(path) as stream:
        first = stream.readline(4096)
        stream.seek(0)
        if ": " in first and "," not in first.split(": ", 1)[0]:
            yield from _read_nophonespam(stream, context)
            return
        records = iter_csv(stream, context)
        header = next(records, None)
        if header is None:
            return
        cells = [cell.strip() for cell in header[1]]
        legacy = not (len(cells) > 6 and cells[6] == "allow")
        if [cell.lower() for cell in cells[:3]] != ["id", "name", "pattern"]:
            records = chain([header], records)  # a headerless backup
        for line, fields in records:
            if len(fields) < 3:
                context.problem(f"line {line}", "fewer than 3 columns (ID,name,pattern)")
                continue
            if not legacy and len(fields) > 6 and fields[6].strip().lower() == "true":
                context.problem(f"line {line}", f"allow rule, not a block entry: {shorten(fields[2])!r}")
                continue
            pattern = yacb_to_pattern(fields[2], legacy, context, f"line {line}")
            if pattern is not None:
                yield ImportedEntry(pattern, name=fields[1])


def yacb_to_pattern(raw: str, legacy: bool, context: ImportContext, where: str) -> str | None:
    text = raw.strip()
    if legacy:
        text = text.replace("*", "%").replace("#", "_").replace("%", ".*").replace("_", ".")
    split = wildcard_to_pattern(text)
    if split is None:
        context.problem(where, f"pattern with no number or prefix form: {shorten(raw)!r}")
        return None
    digits, plus, is_prefix = split
    number = ("+" if plus else "") + digits
    return context.to_pattern(number + "*", where) if is_prefix else context.to_number(number, where)


def _read_nophonespam(stream: TextIO, context: ImportContext) -> Iterator[ImportedEntry]:
    for number, line in iter_lines(stream, context):
        if not line.strip():
            continue
        raw, _, name = line.partition(": ")
        pattern = yacb_to_pattern(raw, True, context, f"line {number}")
        if pattern is not None:
            yield ImportedEntry(pattern, name=name)

