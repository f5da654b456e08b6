"""pamapa/callblocker JSON list: ``{"name": ..., "entries": [{"name", "number", "date_modified"}]}``.

callblocker compares the start of the caller's E.164 number with each entry
(``strncmp`` over the entry's length), so every entry is a prefix match: a prefix is
written without its ``*`` (``+1202555``) and numbers are always international.
``date_modified`` is ``"YYYY-MM-DD HH:MM:SS +0000"``. Reading takes an entry as a
number when it is a whole possible number and as a prefix otherwise; entries with no
number (name patterns such as ``"SPAM*"``) are skipped and counted.
"""

from __future__ import annotations

from datetime import datetime, timezone
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, Iterator, TextIO

from lookup.blocklists import ExportRow, ExportStats, ImportedEntry
from lookup.blocklists.columns import iter_columns
from lookup.blocklists.common import ExportOptions, ImportContext, TextMemo, clean_text, open_text, shorten
from lookup.blocklists.jsonstream import iter_json_items

LIST_NAME = "whocalled"


def write(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    now = callblocker_date(None)  # once per export: rows without a date get the export's time
    names = TextMemo(lambda text: encode_basestring(clean_text(text) or LIST_NAME))
    dates = TextMemo(lambda iso: callblocker_date(iso, now))

    out.write(f'{{"name": "{LIST_NAME}", "entries": [\n')
    separator = ""
    for batch in iter_columns(rows, stats, prefixes=True):
        out.write(separator + ",\n".join([
            f'{{"name": {name}, "number": "{number}", "date_modified": "{date}"}}'
            for name, number, date in zip(
                map(names.__getitem__, batch.labels(name_first=True)), batch.numbers, map(dates.__getitem__, batch.dates)
            )
        ]))
        separator = ",\n"
        stats.written += len(batch)
    out.write("\n]}\n")


def callblocker_date(iso: str | None, default: str | None = None) -> str:
    """``"YYYY-MM-DD HH:MM:SS +0000"`` for an ISO timestamp (UTC when it has no zone)."""
    if iso:
        if len(iso) == 25 and iso.endswith("+00:00") and iso[10] == "T":  # our own *_at form
            return f"{iso[:10]} {iso[11:19]} +0000"
        try:
            moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None:
            moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
            return moment.strftime("%Y-%m-%d %H:%M:%S +0000")
    return default or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S +0000")


def read(path: Path, context: ImportContext) -> Iterator[ImportedEntry]:
    """Entries one at a time from the ``"entries"`` array (the file is never read whole)."""
    with open_text(path) as stream:
        yield from read_items(iter_json_items(stream, path.name, bare=False), context)


def read_items(entries: Iterator[Any], context: ImportContext) -> Iterator[ImportedEntry]:
    for index, item in enumerate(entries, 1):
        where = f"entry {index}"
        if not isinstance(item, dict):
            context.problem(where, f"expected an object, found {type(item).__name__}")
            continue
        raw, name = item.get("number"), item.get("name")
        name = name if isinstance(name, str) else None
        if not isinstance(raw, str) or not raw.strip():
            context.problem(where, f"no number (a name pattern?): {shorten(name or '')!r}")
            continue
        pattern = context.to_number_or_prefix(raw, where)
        if pattern is not None:
            yield ImportedEntry(pattern, name=name)
