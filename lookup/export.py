"""Gathering what to export (block list, reports, likely spam, dataset numbers) and importing lists.

Every kind of row comes ordered by pattern and the kinds are merged in order,
de-duplicated and filtered against the allowlist, so the export stays a
stream end to end (CallKit needs ascending numbers, the rest like them too).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from db.store import Store
from lookup.blocklists import CONTACT_FORMATS, BlocklistError, ExportRow, ImportFormat, detect_import_format, read_entries
from lookup.models import Level, ListEntry, ListKind, ReadTally
from lookup.settings import Settings


class Include(StrEnum):
    BLOCKED = "blocked"
    REPORTED = "reported"
    LIKELY_SPAM = "likely_spam"
    DATASETS = "datasets"


def _blocked(store: Store, since: str | None) -> Iterator[ExportRow]:
    for e in store.iter_list_entries(ListKind.BLOCK, since=since):
        yield ExportRow(e.pattern, description=e.reason or "blocked", verdict="blocked", score=100, added_at=e.added_at)


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


def gather_rows(
    store: Store,
    settings: Settings,
    include: Sequence[Include],
    *,
    since: str | None = None,
    min_complaints: int = 3,
    days: int | None = 30,
    sources: Sequence = (),
) -> Iterator[ExportRow]:
    """The rows to export, ordered by pattern, without duplicates or allowlisted numbers."""
    streams: list[Iterable[ExportRow]] = []
    if Include.BLOCKED in include:
        streams.append(_blocked(store, since))
    if Include.REPORTED in include:
        streams.append(_reported(store, since))
    if Include.LIKELY_SPAM in include:
        streams.append(sorted(_likely_spam(store, settings, sources), key=lambda r: r.pattern))
    if Include.DATASETS in include:
        window = None
        if days:
            from datetime import datetime, timedelta, timezone

            window = (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%d")
        streams.append(_datasets(store, min_complaints, window))
    allowed = {e.pattern for e in store.iter_list_entries(ListKind.ALLOW) if not e.is_prefix}
    last = None
    for row in heapq.merge(*streams, key=lambda r: r.pattern):
        if row.pattern == last or row.pattern in allowed:
            continue
        last = row.pattern
        yield row


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
    """Import a blocklist (or contacts as allowlist). Raises BlocklistError for unreadable files."""
    path = Path(path)
    try:
        detected = detect_import_format(path) if fmt == ImportFormat.AUTO else ImportFormat(fmt)
    except ValueError:
        raise BlocklistError(f"cannot import format {fmt!r}; choose one of: {', '.join(ImportFormat)}") from None
    kind = kind or (ListKind.ALLOW if detected in CONTACT_FORMATS else ListKind.BLOCK)
    result = ImportResult(detected, kind)
    allowed = {e.pattern for e in store.iter_list_entries(ListKind.ALLOW)}
    origin = "contacts" if detected in CONTACT_FORMATS else f"import:{path.name}"
    entries: list[ListEntry] = []
    seen: set[str] = set()
    for item in read_entries(path, detected, region=region, tally=result.tally):
        if item.pattern in seen:
            continue
        seen.add(item.pattern)
        entry = ListEntry(item.pattern, kind, reason=item.description or item.name, origin=origin)
        if kind is ListKind.BLOCK and (item.pattern in allowed or any(entry.matches(o) for o in own_numbers)):
            result.protected.append(item.pattern)
            continue
        entries.append(entry)
    result.added = store.add_list_entries(entries)
    result.already = len(entries) - result.added
    return result
