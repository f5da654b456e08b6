"""Local stand-ins for the Overpass API and the Wikidata query service (real sockets on
127.0.0.1), serving the recorded answers under tests/pages/osm and tests/pages/wikidata."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable

import pytest
from aiohttp import web

from db.store import Store
from lookup.settings import Settings, SourceConfig
from scrapers.http import Fetcher, FetchSettings

PAGES = Path(__file__).parent.parent / "pages"
Answer = Callable[[web.Request, int], Awaitable[web.StreamResponse]]  # (request, hit number) -> response


def page(name: str) -> Path:
    return PAGES / name


@dataclass
class Directory:
    """A running stand-in: ``requests`` keeps what each request asked (query and User-Agent)."""

    base: str
    requests: list[dict[str, str]] = field(default_factory=list)

    def settings(self, **more) -> Settings:
        sources = {"osm": SourceConfig(base_url=f"{self.base}/api"), "wikidata": SourceConfig(base_url=self.base)}
        return Settings(sources=sources, **more)


@pytest.fixture
async def directory(aiohttp_server) -> Callable[[Answer], Awaitable[Directory]]:
    """Start a server answering ``/api/interpreter`` (Overpass) and ``/sparql`` (Wikidata) with
    ``answer(request, n)`` for the n-th request (1-based)."""

    async def start(answer: Answer) -> Directory:
        holder: list[Directory] = []

        async def handle(request: web.Request) -> web.StreamResponse:
            site = holder[0]
            site.requests.append({"path": request.path, "user_agent": request.headers.get("User-Agent", ""),
                                  "accept": request.headers.get("Accept", ""), **request.query})
            return await answer(request, len(site.requests))

        app = web.Application()
        app.router.add_get("/api/interpreter", handle)
        app.router.add_get("/sparql", handle)
        server = await aiohttp_server(app, host="127.0.0.1")
        holder.append(Directory(str(server.make_url("")).rstrip("/")))
        return holder[0]

    return start


def recorded(name: str, status: int = 200, content_type: str = "application/json") -> Answer:
    body = page(name).read_bytes()

    async def answer(request: web.Request, n: int) -> web.Response:
        return web.Response(body=body, status=status, content_type=content_type)

    return answer


@pytest.fixture
async def fetcher():
    settings = FetchSettings(default_rate=1000.0, backoff_base=0.01, attempt_timeout=5.0, robots_timeout=2.0)
    async with Fetcher(settings) as client:
        yield client


@pytest.fixture
def store():
    with Store(":memory:") as db:
        yield db
