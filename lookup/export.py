"""Gathering what to export (block list, reports, likely spam, dataset numbers) and importing lists.

Every kind of row comes ordered by pattern and the kinds are merged in order,
de-duplicated and filtered against the allowlist, so the export stays a
stream end to end (CallKit needs ascending numbers, the rest like them too).

The allowlist always wins, as it does in a lookup: a number it covers (exactly or by an
allowed prefix) is never exported, and a blocked range with allowed numbers inside is
written as the numbers and sub-ranges that remain (:meth:`Allowlist.split_range`), which
formats without prefixes then skip and count like any other prefix.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from itertools import repeat
from enum import StrEnum
from pathlib import Path
from typing import Collection, Iterable, Iterator, Sequence

from db.export import iter_list_rows
from db.store import Store
from lookup.blocklists import CONTACT_FORMATS, BlocklistError, ExportRow, ImportFormat, detect_import_format, read_entries
from lookup.blocklists.columns import ColumnRows
from lookup.models import Level, ListEntry, ListKind, ReadTally
from lookup.settings import Settings


class Include(StrEnum):
    BLOCKED = "blocked"
    REPORTED = "reported"
    LIKELY_SPAM = "likely_spam"
    DATASETS = "datasets"
    COMMUNITY = "community"  # the community server's list, fetched by the caller


BATCH = 4096  # rows fetched from SQLite at a time


def _blocked(store: Store, since: str | None, fields: Collection[str] = ExportRow._fields) -> ColumnRows:
    """The block list as export rows, a fetched batch of columns at a time. Only the ``fields``
    are read (the reason is the ``description``, the date ``added_at``); the others stay empty."""
    reason, added_at = "description" in fields, "added_at" in fields
    cursor = iter_list_rows(store.conn, ListKind.BLOCK, since=since, default_reason="blocked", reason=reason, added_at=added_at)
    return ColumnRows(_blocked_columns(cursor, reason, added_at))


def _blocked_columns(cursor: Iterator, reason: bool, added_at: bool) -> Iterator[tuple]:
    """Per batch of cursor rows, its columns in ExportRow order (transposed with ``zip``, the
    constant ones repeated): no Python step per row, no per-row copies of the constants."""
    while batch := cursor.fetchmany(BATCH):  # type: ignore[attr-defined]
        columns = iter(zip(*batch))
        patterns = next(columns)
        reasons = next(columns) if reason else repeat(None)
        dates = next(columns) if added_at else repeat(None)
        yield patterns, reasons, repeat("blocked"), repeat(100), dates, repeat(None)


def _reported(store: Store, since: str | None) -> Iterator[ExportRow]:
    by_number: dict[str, list] = {}
    for r in store.list_reports():
        if since and r.created_at < since:
            continue
        by_number.setdefault(r.e164, []).append(r)
    for e164 in sorted(by_number):
        reps = by_number[e164]
        cats = ", ".join(sorted({r.category.value for r in reps}))
        yield ExportRow(e164, description=f"reported as {cats}", verdict="reported", added_at=max(r.created_at for r in reps))


def _likely_spam(store: Store, settings: Settings, sources: Sequence) -> Iterator[ExportRow]:
    from lookup.engine import Engine

    engine = Engine(store=store, settings=settings, sources=sources)
    candidates = store.numbers_with_findings()
    for start in range(0, len(candidates), 500):
        for r in engine.lookup_offline(candidates[start : start + 500]):
            v = r.verdict
            if v is not None and v.level is Level.LIKELY_SPAM and r.number and r.number.e164:
                top = next((e.detail for e in v.evidence if e.weight > 0), "likely spam")
                yield ExportRow(r.number.e164, description=top, verdict=v.level.value, score=v.score)


def _datasets(store: Store, min_complaints: int, since: str | None) -> Iterator[ExportRow]:
    rows = sorted(store.iter_complaint_numbers(None, min_complaints, since), key=lambda c: c.e164)
    for c in rows:
        yield ExportRow(c.e164, description=f"{c.complaints} public complaints", verdict="complaints", added_at=c.latest)


MAX_DIGITS = 15  # E.164 numbers have at most 15 digits


class Allowlist:
    """The allow entries, asked "does this cover that?" in a handful of set look-ups."""

    def __init__(self, entries: Iterable[ListEntry]) -> None:
        self.numbers: set[str] = set()
        self.prefixes: set[str] = set()
        for entry in entries:
            (self.prefixes if entry.is_prefix else self.numbers).add(entry.prefix)
        self.sizes = sorted({len(prefix) for prefix in self.prefixes})  # the export loop asks only these

    @property
    def is_empty(self) -> bool:
        return not self.numbers and not self.prefixes

    def covers(self, pattern: str) -> bool:
        """Whether every number ``pattern`` stands for (one number, or a whole prefix range) is allowed."""
        if pattern[-1:] == "*":
            head = pattern.rstrip("*")
        elif pattern in self.numbers:
            return True
        else:
            head = pattern
        return any(head[:size] in self.prefixes for size in self.sizes if size <= len(head))

    def has_inside(self, prefix: str) -> bool:
        """Whether an allowed number or range lies inside the blocked range ``prefix`` (no ``*``)."""
        return any(p.startswith(prefix) for p in self.prefixes) or any(n.startswith(prefix) for n in self.numbers)

    def split_range(self, prefix: str) -> list[str]:
        """The blocked range ``prefix*`` less what is allowed, as patterns in ascending order.

        Digit by digit, a sub-range with nothing allowed inside stays one prefix and a
        sub-range holding allowed numbers is split again, so ``+1415*`` around an allowed
        ``+1415555*`` becomes ``+14150*`` ... ``+14154*``, ``+141550*`` ... ``+1415559*``
        without ``+1415555*``. A split range's own digits stay blocked as a number when
        they are a possible number and not allowed.
        """
        if self.covers(prefix + "*"):
            return []
        numbers = [n for n in self.numbers if n.startswith(prefix)]
        prefixes = [p for p in self.prefixes if p.startswith(prefix)]
        pieces: list[str] = []
        split_inside(prefix, numbers, prefixes, pieces)
        return pieces


def split_inside(prefix: str, numbers: list[str], prefixes: list[str], pieces: list[str]) -> None:
    """Append to ``pieces`` what remains of ``prefix*`` without the allowed ``numbers`` and
    ``prefixes`` (all of which start with ``prefix``), in ascending order."""
    from lookup.numbers import longest_number  # phonenumbers: loaded only when a range is split

    if prefix in prefixes:
        return
    if not numbers and not prefixes:
        pieces.append(prefix + "*")
        return
    if prefix not in numbers and is_possible_number(prefix):
        pieces.append(prefix)
    if len(prefix) - 1 >= min(MAX_DIGITS, longest_number(prefix[1:])):
        return  # no number of this country is longer: nothing below to block
    for digit in "0123456789":
        child = prefix + digit
        split_inside(child, [n for n in numbers if n.startswith(child)], [p for p in prefixes if p.startswith(child)], pieces)


def is_possible_number(digits: str) -> bool:
    """Whether ``"+..."`` is a whole possible E.164 number (not just the start of one)."""
    from lookup.numbers import NumberError, normalize_number

    if len(digits) < 8:
        return False
    try:
        number = normalize_number(digits, "US", details=False)
    except NumberError:
        return False
    return number.e164 == digits and number.possible


@dataclass
class AllowlistEffect:
    """What the allowlist changed in an export: rows left out, blocked ranges written in pieces."""

    left_out: int = 0
    ranges_split: int = 0


def apply_allowlist(rows: Iterable[ExportRow], allowlist: Allowlist, effect: AllowlistEffect) -> Iterator[ExportRow]:
    """``rows`` (ordered by pattern) without what the allowlist covers, still ordered and de-duplicated.

    A blocked range with allowed numbers inside is replaced by its remaining pieces; they sort
    after the range itself, so they wait in a heap until the stream has passed them.
    """
    pending: list[tuple[str, int, ExportRow]] = []
    order = 0
    last: str | None = None

    def due(limit: str | None) -> Iterator[ExportRow]:
        while pending and (limit is None or pending[0][0] <= limit):
            yield heapq.heappop(pending)[2]

    def fresh(items: Iterable[ExportRow]) -> Iterator[ExportRow]:
        nonlocal last
        for item in items:
            if item.pattern != last:
                last = item.pattern
                yield item

    for row in rows:
        pattern = row.pattern
        if pending:
            yield from fresh(due(pattern))
        if allowlist.covers(pattern):
            effect.left_out += 1
        elif pattern[-1:] == "*" and allowlist.has_inside(pattern.rstrip("*")):
            effect.ranges_split += 1
            for piece in allowlist.split_range(pattern.rstrip("*")):
                order += 1
                heapq.heappush(pending, (piece, order, row._replace(pattern=piece)))
        elif pattern != last:
            last = pattern
            yield row
    yield from fresh(due(None))


def gather_rows(
    store: Store,
    settings: Settings,
    include: Sequence[Include],
    *,
    since: str | None = None,
    min_complaints: int = 3,
    days: int | None = 30,
    sources: Sequence = (),
    effect: AllowlistEffect | None = None,
    community: Sequence[str] = (),
    fields: Collection[str] = ExportRow._fields,
) -> Iterable[ExportRow]:
    """The rows to export, ordered by pattern, without duplicates or what the allowlist covers.

    ``community`` is the community server's list (E.164 numbers), for ``Include.COMMUNITY``.
    ``fields`` are the row fields the format writes (``FormatSpec.fields``): blocked rows come
    without a reason or date the format does not write, which saves reading and sorting them.

    ``effect`` (when given) counts the rows the allowlist left out and the blocked ranges it split.
    """
    streams: list[Iterable[ExportRow]] = []
    if Include.BLOCKED in include:
        streams.append(_blocked(store, since, fields))
    if Include.REPORTED in include:
        streams.append(_reported(store, since))
    if Include.LIKELY_SPAM in include:
        streams.append(sorted(_likely_spam(store, settings, sources), key=lambda r: r.pattern))
    if Include.DATASETS in include:
        window = None
        if days:
            from datetime import datetime, timedelta, timezone

            try:
                window = (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%d")
            except OverflowError:  # more days than the calendar has: every complaint counts
                window = None
        streams.append(_datasets(store, min_complaints, window))
    if Include.COMMUNITY in include:
        streams.append(ExportRow(e164, description="community spam", verdict="community") for e164 in sorted(community))
    allowlist = Allowlist(store.iter_list_entries(ListKind.ALLOW))
    if len(streams) == 1 and include == [Include.BLOCKED] and allowlist.is_empty:
        return streams[0]  # one list, unique by its key, nothing allowed: as it comes (in columns)
    merged = streams[0] if len(streams) == 1 else heapq.merge(*streams, key=lambda r: r.pattern)
    return apply_allowlist(merged, allowlist, effect if effect is not None else AllowlistEffect())


@dataclass
class ImportResult:
    fmt: ImportFormat
    kind: ListKind
    added: int = 0
    already: int = 0
    protected: list[str] = field(default_factory=list)  # own or allowlisted numbers not blocked
    tally: ReadTally = field(default_factory=ReadTally)


def import_list(
    store: Store, path: Path, *, fmt: ImportFormat | str = ImportFormat.AUTO, kind: ListKind | None = None,
    region: str = "US", own_numbers: Sequence[str] = (),
) -> ImportResult:
    """Import a blocklist (or contacts as allowlist). Raises BlocklistError for unreadable files,
    and for a file that yields no number at all (the wrong ``--format``, or not a list): then
    nothing is stored."""
    path = Path(path)
    if path.is_dir():
        raise BlocklistError(f"{path} is a folder: give the list file in it")
    if not path.exists():
        raise BlocklistError(f"no such file: {path}")
    try:
        detected = detect_import_format(path) if fmt == ImportFormat.AUTO else ImportFormat(fmt)
    except BlocklistError:
        raise
    except ValueError:
        raise BlocklistError(f"cannot import format {str(fmt)!r}; choose one of: {', '.join(ImportFormat)}") from None
    kind = kind or (ListKind.ALLOW if detected in CONTACT_FORMATS else ListKind.BLOCK)
    result = ImportResult(detected, kind)
    allowlist = Allowlist(store.iter_list_entries(ListKind.ALLOW))
    origin = "contacts" if detected in CONTACT_FORMATS else f"import:{path.name}"
    entries: list[ListEntry] = []
    seen: set[str] = set()
    for item in read_entries(path, detected, region=region, tally=result.tally):
        if item.pattern in seen:
            continue
        seen.add(item.pattern)
        entry = ListEntry(item.pattern, kind, reason=item.description or item.name, origin=origin)
        if kind is ListKind.BLOCK and (allowlist.covers(item.pattern) or any(entry.matches(o) for o in own_numbers)):
            result.protected.append(item.pattern)
            continue
        entries.append(entry)
    if not result.tally.read:
        why = result.tally.summary() or f"nothing in it is a {detected.value} entry"
        hint = "" if fmt == ImportFormat.AUTO else "; leave out --format to detect the format"
        raise BlocklistError(f"no numbers in {path.name} read as {detected.value}: {why}{hint}")
    result.added = store.add_list_entries(entries)
    result.already = len(entries) - result.added
    return result
