"""Our own JSON list, written as a stream::

    {"format": "whocalled-blocklist", "version": 1, "entries": [
    {"pattern": "+12025550123", "description": "...", "verdict": "likely_spam", "score": 80, "added_at": "..."},
    {"pattern": "+1202555*"}
    ]}

Empty fields are left out. Reading also takes a bare list of numbers, or of objects
with ``pattern`` or ``number``; it goes entry by entry (:mod:`lookup.blocklists.jsonstream`),
so a large list costs no more memory than a small one.
"""

from __future__ import annotations

from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, Iterator, TextIO

from lookup.blocklists import ExportRow, ExportStats, ImportedEntry
from lookup.blocklists.columns import VARIES, constant, iter_columns
from lookup.blocklists.common import ExportOptions, ImportContext, TextMemo, clean_text, open_text
from lookup.blocklists.jsonstream import iter_json_items

MARKER = "whocalled-blocklist"


def write(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    out.write(f'{{"format": "{MARKER}", "version": 1, "entries": [\n')
    localize = options.localize or str

    def member(key: str) -> TextMemo:
        """``, "key": "text"`` for a text (cleaned, JSON-quoted, each distinct one once); empty when there is none."""
        return TextMemo(lambda text: f', "{key}": {encode_basestring(clean_text(text, 1000))}' if text else "")

    descriptions, names, verdicts, dates = member("description"), member("name"), member("verdict"), member("added_at")
    scores = TextMemo(lambda score: "" if score is None else f', "score": {int(score)}')

    separator = ""
    for batch in iter_columns(rows, stats, prefixes=True):
        numbers = batch.numbers if options.localize is None else map(localize, batch.numbers)
        fixed = constant(batch.names), constant(batch.verdicts), constant(batch.scores)
        if batch.prefixes is None and VARIES not in fixed:  # a block list: the constant members rendered once
            middle = f"{names[fixed[0]]}{verdicts[fixed[1]]}{scores[fixed[2]]}"
            out.write(separator + ",\n".join([
                f'{{"pattern": "{number}"{description}{middle}{date}}}'
                for number, description, date in zip(
                    numbers, map(descriptions.__getitem__, batch.descriptions), map(dates.__getitem__, batch.dates)
                )
            ]))
            separator = ",\n"
            stats.written += len(batch)
            continue
        out.write(separator + ",\n".join([
            f'{{"pattern": "{number}{star}"{description}{name}{verdict}{score}{date}}}'
            for number, star, description, name, verdict, score, date in zip(
                numbers, batch.stars(), map(descriptions.__getitem__, batch.descriptions), map(names.__getitem__, batch.names),
                map(verdicts.__getitem__, batch.verdicts), map(scores.__getitem__, batch.scores), map(dates.__getitem__, batch.dates),
            )
        ]))
        separator = ",\n"
        stats.written += len(batch)
    out.write("\n]}\n")


def read(path: Path, context: ImportContext) -> Iterator[ImportedEntry]:
    """Entries one at a time (the file is never read whole): ``{"entries": [...]}`` or a bare list."""
    with open_text(path) as stream:
        yield from read_items(iter_json_items(stream, path.name), context)


def read_items(entries: Iterator[Any], context: ImportContext) -> Iterator[ImportedEntry]:
    for index, item in enumerate(entries, 1):
        where = f"entry {index}"
        if isinstance(item, str):
            raw, name, description = item, None, None
        elif isinstance(item, dict):
            raw = item.get("pattern", item.get("number"))
            name, description = _text(item.get("name")), _text(item.get("description"))
        else:
            context.problem(where, f"expected a number or an object, found {type(item).__name__}")
            continue
        if not isinstance(raw, str) or not raw.strip():
            context.problem(where, "no pattern or number")
            continue
        pattern = context.to_pattern(raw, where)
        if pattern is not None:
            yield ImportedEntry(pattern, name=name, description=description)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
