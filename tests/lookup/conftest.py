"""Fixtures for the lookup tests that go online (to local servers only)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web

from scrapers.registry import source_classes

PAGES = Path(__file__).parents[1] / "pages"


@pytest.fixture
async def counting_site(aiohttp_server):
    """A site answering ``GET /{e164}`` with ``{"reports": 12}`` for any number, for small test
    sources. Returns (base URL, hits per number, loop time of each request)."""
    hits: Counter[str] = Counter()
    times: list[float] = []

    async def answer(request: web.Request) -> web.Response:
        hits[request.match_info["number"]] += 1
        times.append(asyncio.get_running_loop().time())
        return web.json_response({"reports": 12})

    app_ = web.Application()
    app_.router.add_get("/{number}", answer)
    server = await aiohttp_server(app_)
    return str(server.make_url("")).rstrip("/"), hits, times


@pytest.fixture
def shouldianswer(thread_server, tmp_path):
    """``shouldianswer(rate=...)`` serves the recorded shouldianswer.com spam page for every
    number from a server in its own thread (for the synchronous CLI runner) and writes a
    config enabling that source alone, at that rate, against it. Returns (hits, config path)."""
    page = (PAGES / "shouldianswer_com" / "spam.html").read_bytes()
    hits: Counter[str] = Counter()

    async def answer(request: web.Request) -> web.Response:
        hits[request.path] += 1
        return web.Response(body=page, content_type="text/html", charset="utf-8")

    async def robots(request: web.Request) -> web.Response:
        hits["robots"] += 1
        return web.Response(text="User-agent: *\nAllow: /\n")

    app_ = web.Application()
    app_.router.add_get("/robots.txt", robots)
    app_.router.add_get("/{tail:.*}", answer)
    base = thread_server(app_)

    def start(rate: float) -> tuple[Counter[str], Path]:
        lines = []
        for cls in source_classes():
            if cls.name == "shouldianswer_com":
                lines += [f"[sources.{cls.name}]", f'base_url = "{base}"', f"rate = {rate}", ""]
            else:
                lines += [f"[sources.{cls.name}]", "enabled = false", ""]
        cfg = tmp_path / "config.toml"
        cfg.write_text("\n".join(lines))
        return hits, cfg

    return start
