"""Live canaries: ask each source about numbers whose answer is known, to tell a broken
scraper (bot wall, changed layout, dead API) from a quiet number. Used by
``whocalled sources --check`` and the ``--online`` tests."""

from __future__ import annotations

from typing import Sequence

from db.store import Store
from lookup.engine import Engine
from lookup.models import Status
from lookup.settings import Settings
from scrapers.base import SourceBase


def canaries_for(source: SourceBase) -> tuple[str, ...]:
    """The numbers to ask ``source`` about: its own ``CANARIES``."""
    return tuple(source.CANARIES)


def verdict_for(statuses: Sequence[Status], details: Sequence[str | None]) -> str:
    """One line: OK when every canary got a definite answer, else what went wrong."""
    if not statuses:
        return "no canary numbers defined for this source"
    bad = [(s, d) for s, d in zip(statuses, details) if not s.is_definite]
    if not bad:
        return "OK (" + ", ".join(s.value for s in statuses) + ")"
    status, detail = bad[0]
    hint = {
        Status.LAYOUT_CHANGED: "the site changed its pages: whocalled needs an update",
        Status.BLOCKED: "the site shows a bot wall to whocalled",
        Status.RATE_LIMITED: "the site is rate limiting: try later",
        Status.TIMEOUT: "no answer in time",
        Status.SKIPPED: "the source declined",
    }.get(status, "error")
    return f"BROKEN? {status.value}: {detail or ''} ({hint})"


async def run_canaries(store: Store, settings: Settings, sources: Sequence[SourceBase], *, deadline: float = 10.0) -> dict[str, str]:
    """Each source's verdict on its canaries. The sources are asked at the same time (each is
    another site, with its own pace), so a check takes about the slowest source's time, not the
    sum: with no network at all it ends in seconds, not minutes."""
    import asyncio

    async def check(source: SourceBase) -> str:
        numbers = canaries_for(source)
        if not numbers:
            return verdict_for([], [])
        engine = Engine(store=store, settings=settings, sources=[source])
        results = await engine.lookup(list(numbers), refresh=True, deadline=deadline, only=[source.name])
        findings = [f for r in results for f in r.findings if f.source == source.name]
        return verdict_for([f.status for f in findings], [f.detail for f in findings])

    verdicts = await asyncio.gather(*(check(source) for source in sources))
    return {source.name: verdict for source, verdict in zip(sources, verdicts)}
