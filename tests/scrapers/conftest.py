"""Local servers with scripted behaviour for the fetcher tests (real sockets on 127.0.0.1).

``web_site`` starts an aiohttp server whose routes are plain handlers and
records every hit; ``raw_site`` starts a bare asyncio TCP server for answers
aiohttp would refuse to produce (garbage, cut-short bodies, silent sockets).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable, Mapping

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from scrapers.http import FetchSettings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SITE = web.RequestKey("site", "Site")


@dataclass
class Hit:
    path: str
    at: float  # loop time when the server saw the request
    method: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes


@dataclass
class Site:
    """A running scripted server: ``hits`` counts requests per path, ``log`` keeps each one."""

    base: str
    hits: Counter[str] = field(default_factory=Counter)
    log: list[Hit] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)  # slow handlers wait on this

    def url(self, path: str = "/") -> str:
        return self.base + path

    @property
    def host(self) -> str:
        return self.base.removeprefix("http://")

    async def stall(self, seconds: float = 30.0) -> None:
        """Hold a handler until teardown (or ``seconds``), like a server that never answers."""
        try:
            await asyncio.wait_for(self.release.wait(), seconds)
        except TimeoutError:
            return


@pytest.fixture
def fast_settings() -> FetchSettings:
    """Polite shape, test-sized numbers: no pacing to speak of, tiny backoff."""
    return FetchSettings(default_rate=1000.0, backoff_base=0.01, attempt_timeout=3.0, robots_timeout=2.0)


@pytest.fixture
async def web_site() -> AsyncIterator[Callable[[Mapping[str, Handler]], Awaitable[Site]]]:
    servers: list[tuple[TestServer, Site]] = []

    async def start(routes: Mapping[str, Handler]) -> Site:
        site = Site(base="")

        async def dispatch(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            site.hits[request.path] += 1
            at = asyncio.get_running_loop().time()
            site.log.append(Hit(request.path, at, request.method, dict(request.headers), dict(request.query), body))
            request[SITE] = site  # lets a handler reach site.stall()
            handler = routes.get(request.path)
            if handler is None:
                return web.Response(status=404, text="no such page")
            return await handler(request)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", dispatch)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        site.base = str(server.make_url("")).rstrip("/")
        servers.append((server, site))
        return site

    yield start
    for server, site in servers:
        site.release.set()
        await server.close()


@pytest.fixture
def stall(web_site) -> Callable[[web.Request], Awaitable[None]]:
    """``await stall(request)`` holds a handler like a server that never answers (until teardown)."""

    async def hold(request: web.Request) -> None:
        await request[SITE].stall()

    return hold


@pytest.fixture
def never_answers(stall) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        await stall(request)
        return web.Response(text="too late")

    return handler


@dataclass
class RawSite:
    base: str
    connections: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)  # stalled answers wait on this

    def url(self, path: str = "/") -> str:
        return self.base + path


RawAnswer = Callable[[int], Awaitable[bytes | None]]  # connection number -> bytes to send, None = close


@pytest.fixture
async def raw_site() -> AsyncIterator[Callable[[RawAnswer], Awaitable[RawSite]]]:
    servers: list[asyncio.Server] = []
    sites: list[RawSite] = []
    writers: list[asyncio.StreamWriter] = []

    async def start(answer: RawAnswer) -> RawSite:
        site = RawSite(base="")
        sites.append(site)

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writers.append(writer)
            site.connections += 1
            try:
                await reader.readuntil(b"\r\n\r\n")
                payload = await answer(site.connections)
                if payload:
                    writer.write(payload)
                    await writer.drain()
            except (ConnectionError, asyncio.IncompleteReadError):
                return
            finally:
                writer.close()

        server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        servers.append(server)
        site.base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        return site

    yield start
    for site in sites:
        site.release.set()
    await asyncio.sleep(0)
    for writer in writers:
        writer.close()
    for server in servers:
        server.close()
        await server.wait_closed()
