"""Blocklist subscriptions: ``GET /api/v1/blocklist.{fmt}`` with a strong ETag and 304s.

Phones and apps poll the URL; the body is the user's block list in one of the export
formats of :mod:`lookup.blocklists`. The ETag is a hash of what the body is made from (the
lists' fingerprint, the format, the national region and whocalled's version), so it changes
exactly when the content can, and a poll that sends it back gets a ``304`` without anything
being rendered. Renderings run on a thread of their own, one at a time, from the in-memory
snapshot of the lists (never on the event loop), and are kept in a cache bounded in bytes
that only a change of the lists empties; a write to any other table keeps it.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable

from aiohttp import web

from lookup.blocklists import FORMATS, BlocklistError
from lookup.models import ListEntry, ListKind
from lookup.server.http import SERVICE, parse_region
from lookup.server.service import ApiError
from lookup.server.snapshot import ListSnapshot
from lookup.settings import VERSION

CACHE_BYTES = 64 * 1024 * 1024  # rendered blocklists kept in memory, all formats and regions together

CONTENT_TYPES = {spec.name: (spec.media_type, spec.extension) for spec in FORMATS.values() if spec.writer}


@dataclass
class Export:
    fingerprint: str
    etag: str
    body: bytes


class ExportCache:
    """Rendered blocklists by (format, national region), least recently used first, at most
    ``max_bytes`` of bodies in all; a rendering larger than that is served but not kept."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self.size = 0
        self.renders = 0  # how many renderings ran (tests and the log read it)
        self._kept: OrderedDict[tuple[str, str | None], Export] = OrderedDict()
        self._running: dict[tuple[str, str | None, str], asyncio.Future] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whocalled-render")

    def get(self, key: tuple[str, str | None], fingerprint: str) -> Export | None:
        memo = self._kept.get(key)
        if memo is None:
            return None
        if memo.fingerprint != fingerprint:
            self._drop_stale(fingerprint)
            return None
        self._kept.move_to_end(key)
        return memo

    def _drop_stale(self, fingerprint: str) -> None:
        for key in [k for k, m in self._kept.items() if m.fingerprint != fingerprint]:
            self.size -= len(self._kept.pop(key).body)

    def put(self, key: tuple[str, str | None], memo: Export) -> None:
        self._drop_stale(memo.fingerprint)
        if len(memo.body) > self.max_bytes:
            return
        old = self._kept.pop(key, None)
        if old is not None:
            self.size -= len(old.body)
        self._kept[key] = memo
        self.size += len(memo.body)
        while self.size > self.max_bytes:
            _, dropped = self._kept.popitem(last=False)
            self.size -= len(dropped.body)

    async def render(self, key: tuple[str, str | None], snapshot: ListSnapshot, etag: str) -> Export:
        """The rendering for ``key`` of ``snapshot``: shared by concurrent requests, made on the
        render thread."""
        memo = self.get(key, snapshot.fingerprint)
        if memo is not None:
            return memo
        job = (*key, snapshot.fingerprint)
        running = self._running.get(job)
        if running is None:
            self.renders += 1
            running = asyncio.get_running_loop().run_in_executor(self._pool, render_snapshot, snapshot, *key)
            self._running[job] = running
            running.add_done_callback(lambda _: self._running.pop(job, None))
        body = await asyncio.shield(running)
        memo = Export(snapshot.fingerprint, etag, body)
        self.put(key, memo)
        return memo

    def clear(self) -> None:
        self._kept.clear()
        self.size = 0

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


EXPORTS = web.AppKey("whocalled_exports", ExportCache)


def add_routes(app: web.Application) -> None:
    app[EXPORTS] = ExportCache()

    async def close_cache(_: web.Application) -> None:
        app[EXPORTS].close()

    app.on_cleanup.append(close_cache)
    app.router.add_get("/api/v1/blocklist.{fmt:[A-Za-z0-9]+}", get_blocklist)


def render_blocklist(
    entries: Iterable[ListEntry], fmt: str, national: str | None, allowed: Iterable[ListEntry] = ()
) -> bytes:
    """The block ``entries`` (ordered by pattern) in ``fmt``, less what the ``allowed`` entries
    cover, exactly as ``whocalled export`` writes them (:func:`lookup.export.apply_allowlist`)."""
    from lookup.blocklists import ExportRow, export_rows
    from lookup.export import Allowlist, AllowlistEffect, apply_allowlist

    rows = (ExportRow(pattern=e.pattern, description=e.reason, verdict="blocked", added_at=e.added_at) for e in entries)
    out = io.StringIO()
    export_rows(apply_allowlist(rows, Allowlist(allowed), AllowlistEffect()), fmt, out, national_region=national)
    return out.getvalue().encode("utf-8")


def render_snapshot(snapshot: ListSnapshot, fmt: str, national: str | None) -> bytes:
    return render_blocklist(snapshot.of_kind(ListKind.BLOCK), fmt, national, snapshot.of_kind(ListKind.ALLOW))


def etag_of(snapshot: ListSnapshot, fmt: str, national: str | None) -> str:
    return '"' + hashlib.sha256(f"{VERSION}|{fmt}|{national}|{snapshot.fingerprint}".encode()).hexdigest()[:32] + '"'


def is_etag_match(header: str, etag: str) -> bool:
    """``If-None-Match`` uses the weak comparison: ``W/`` prefixes are ignored; ``*`` matches."""
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


async def get_blocklist(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    fmt = request.match_info["fmt"]
    if fmt not in CONTENT_TYPES:
        raise ApiError(404, f"unknown blocklist format {fmt[:20]!r}; use one of: {', '.join(CONTENT_TYPES)}")
    national = parse_region(request.query.get("national"), "national")
    snapshot = await service.current_lists()
    etag = etag_of(snapshot, fmt, national)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if is_etag_match(request.headers.get("If-None-Match", ""), etag):
        return web.Response(status=304, headers=headers)
    try:
        memo = await request.app[EXPORTS].render((fmt, national), snapshot, etag)
    except BlocklistError as exc:
        raise ApiError(400, str(exc)) from None
    content_type, ext = CONTENT_TYPES[fmt]
    headers["Content-Disposition"] = f'inline; filename="whocalled-blocklist-{fmt}.{ext}"'
    return web.Response(body=memo.body, content_type=content_type, charset="utf-8", headers=headers)
