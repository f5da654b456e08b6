"""Export rows a batch of columns at a time: the writers' fast path for a million rows.

A writer that renders a column at a time (one ``map`` or comprehension over ``zip`` of the
columns) takes no Python step per row to unpack a tuple or read an attribute. The block
list comes from SQLite as columns already (:class:`ColumnRows`: the columns of each fetched
batch, constants repeated), so an export of plain numbers never makes an :class:`ExportRow`;
any other rows are read ``BATCH`` at a time and transposed with ``zip`` (in C).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from itertools import chain, islice, repeat
from typing import Iterable, Iterator, Sequence

from lookup.blocklists import ExportRow, ExportStats
from lookup.blocklists.common import BATCH, is_plain_batch, iter_entries

_make_row = partial(tuple.__new__, ExportRow)  # ExportRow._make without a Python step per row


class ColumnRows:
    """Export rows that can also be read as batches of columns, in :class:`ExportRow` field
    order (``pattern, description, verdict, score, added_at, name``); a column may be an
    endless ``itertools.repeat`` of one value. Iterating gives :class:`ExportRow` values, so any
    consumer of rows still works; :func:`iter_columns` takes the batches as they are."""

    def __init__(self, batches: Iterator[tuple[Iterable, ...]]) -> None:
        self.batches = batches

    def __iter__(self) -> Iterator[ExportRow]:
        return chain.from_iterable(map(_make_row, zip(*columns)) for columns in self.batches)


@dataclass(slots=True)
class Columns:
    """A batch of usable export rows as columns. ``numbers`` have no ``*``; ``prefixes`` says
    which are prefixes (``None`` when none is, the usual batch). The other columns follow
    :class:`ExportRow`; only ``numbers`` and ``prefixes`` can be indexed or measured."""

    numbers: Sequence[str]
    prefixes: Sequence[bool] | None
    descriptions: Iterable[str | None]
    verdicts: Iterable[str | None]
    scores: Iterable[int | None]
    dates: Iterable[str | None]
    names: Iterable[str | None]
    named: bool  # whether any row may have a name (a block list read from the store has none)

    def __len__(self) -> int:
        return len(self.numbers)

    def labels(self, *, name_first: bool = False) -> Iterable[str | None]:
        """Per row the text a one-label format writes: the description, else the name (or the
        name first, with ``name_first``)."""
        if not self.named:
            return self.descriptions
        if name_first:
            return [name or description for name, description in zip(self.names, self.descriptions)]
        return [description or name for description, name in zip(self.descriptions, self.names)]

    def stars(self, star: str = "*") -> Iterable[str]:
        """Per row ``star`` for a prefix, else ``""``."""
        if self.prefixes is None:
            return repeat("")
        return [star if is_prefix else "" for is_prefix in self.prefixes]


VARIES = object()  # what :func:`constant` gives for a column whose values may differ


def constant(column: Iterable) -> object:
    """The one value of a column that repeats it (an endless ``itertools.repeat``, as
    :class:`ColumnRows` gives a constant), else :data:`VARIES`: a writer renders it once
    per batch instead of once per row."""
    return next(column) if isinstance(column, repeat) else VARIES


def iter_columns(rows: Iterable[ExportRow], stats: ExportStats, *, prefixes: bool) -> Iterator[Columns]:
    """The rows as :class:`Columns`, up to ``BATCH`` at a time, under the export's rules
    (:func:`iter_entries`: what is not a number is skipped and counted, and prefixes too
    unless ``prefixes``). A batch of plain numbers passes as it comes."""
    for columns in _column_batches(rows):
        patterns = columns[0] if isinstance(columns[0], (list, tuple)) else list(columns[0])
        names = columns[5]
        named = next(names) is not None if isinstance(names, repeat) else any(names)
        if is_plain_batch(patterns):
            yield Columns(patterns, None, *columns[1:], named=named)  # type: ignore[arg-type]
            continue
        entries = list(iter_entries(zip(patterns, *columns[1:]), stats, prefixes=prefixes))
        if entries:
            kept = list(zip(*[row for row, _, _ in entries]))
            flags = [is_prefix for _, _, is_prefix in entries]
            yield Columns([number for _, number, _ in entries], flags if any(flags) else None, *kept[1:], named=named)


def _column_batches(rows: Iterable[ExportRow]) -> Iterator[tuple[Sequence, ...]]:
    if isinstance(rows, ColumnRows):
        yield from rows.batches
        return
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        yield tuple(zip(*batch))
