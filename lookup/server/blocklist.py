"""Blocklist subscriptions: ``GET /api/v1/blocklist.{fmt}`` with a strong ETag and 304s.

Phones and apps poll the URL; the body is the user's block list in one of the export
formats of :mod:`lookup.blocklists`, rendered once per change of the database and kept
in memory, so a poll that finds nothing new costs one ``PRAGMA`` and a hash compare.
The ETag is a hash of the body itself, so it changes exactly when the content does.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from aiohttp import web

from db.store import Store
from lookup.blocklists import FORMATS
from lookup.models import ListKind
from lookup.server.http import SERVICE
from lookup.server.service import ApiError, parse_region

CONTENT_TYPES = {spec.name: (spec.media_type, spec.extension) for spec in FORMATS.values() if spec.writer}


@dataclass
class Export:
    marker: tuple[int, int]
    etag: str
    body: bytes


EXPORTS = web.AppKey("whocalled_exports", dict)


def add_routes(app: web.Application) -> None:
    app[EXPORTS] = {}
    app.router.add_get("/api/v1/blocklist.{fmt:[A-Za-z0-9]+}", get_blocklist)


def render_blocklist(store: Store, fmt: str, national: str | None) -> bytes:
    from lookup.blocklists import ExportRow, export_rows

    rows = (
        ExportRow(pattern=e.pattern, description=e.reason, verdict="blocked", added_at=e.added_at)
        for e in store.iter_list_entries(ListKind.BLOCK)
    )
    out = io.StringIO()
    export_rows(rows, fmt, out, national_region=national)
    return out.getvalue().encode("utf-8")


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
    exports: dict[tuple[str, str | None], Export] = request.app[EXPORTS]
    marker = service.store.change_marker()
    memo = exports.get((fmt, national))
    if memo is None or memo.marker != marker:
        body = render_blocklist(service.store, fmt, national)
        digest = hashlib.sha256(f"{fmt}|{national}|".encode() + body).hexdigest()[:32]
        memo = exports[(fmt, national)] = Export(marker, f'"{digest}"', body)
    headers = {"ETag": memo.etag, "Cache-Control": "no-cache"}
    if is_etag_match(request.headers.get("If-None-Match", ""), memo.etag):
        return web.Response(status=304, headers=headers)
    content_type, ext = CONTENT_TYPES[fmt]
    headers["Content-Disposition"] = f'inline; filename="whocalled-blocklist-{fmt}.{ext}"'
    return web.Response(body=memo.body, content_type=content_type, charset="utf-8", headers=headers)
