"""Findings answered from the synced tables, with no request: dataset sources (complaint
summaries) and listing directories (places listed with a number or in its block of 100).

Sources never touch the store: for each source the store's rows are read here and handed
over (a :class:`scrapers.base.DatasetView`, or the listings by block).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Sequence

from db.store import Store
from lookup.models import Finding, Number
from lookup.numbers import NumberError


def dataset_findings(store: Store, sources: Sequence[Any], numbers: Sequence[Number | NumberError],
                     only: Sequence[str] = ()) -> dict[str, list[Finding]]:
    """What each enabled dataset source (or each of ``only``) says of the numbers it covers,
    from its sync state and the complaint summaries of those numbers."""
    from scrapers.base import DatasetSource, DatasetView

    out: dict[str, list[Finding]] = {}
    datasets = [s for s in sources if isinstance(s, DatasetSource) and (s.name in only if only else s.enabled)]
    if not datasets:
        return out
    unique = {n.e164: n for n in numbers if isinstance(n, Number) and n.e164}
    today = datetime.now(timezone.utc).date()
    for source in datasets:
        covered = [n for n in unique.values() if source.supports(n)]
        if not covered:
            continue
        state = store.get_sync_state(source.dataset)
        keys = [n.e164 or "" for n in covered]
        summaries = store.complaint_summaries(keys, source.dataset) if state is not None else {}
        view = DatasetView(state, summaries, today)
        for key, finding in source.local_findings(covered, view).items():
            out.setdefault(key, []).append(finding)
    return out


def listing_findings(store: Store, sources: Sequence[Any], numbers: Sequence[Number | NumberError],
                     only: Sequence[str] = (), tz: str | None = None) -> dict[str, list[Finding]]:
    """What each enabled listing directory says of the numbers: one query for the whole batch
    reads the listings in the numbers' blocks of 100, and each directory picks its own
    (``tz``: the user's time zone, for opening hours)."""
    from scrapers.base import ListingSource

    directories = [s for s in sources if isinstance(s, ListingSource) and (s.name in only if only else s.enabled)]
    unique = {n.e164: n for n in numbers if isinstance(n, Number) and n.e164}
    if not directories or not unique:
        return {}
    blocks = store.listings_by_block(list(unique))
    if not blocks:
        return {}
    now = datetime.now(timezone.utc)
    out: dict[str, list[Finding]] = {}
    for source in directories:
        covered = [n for n in unique.values() if source.supports(n)]
        for key, finding in source.listing_findings(covered, blocks, now, tz).items():
            out.setdefault(key, []).append(finding)
    return out
