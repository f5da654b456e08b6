"""Shared test setup. Tests never reach the internet: live checks are marked
``online`` and run only with ``pytest --online``."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web

from scrapers.registry import source_classes


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--online", action="store_true", default=False, help="also run live checks against the real sites")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--online"):
        return
    skip = pytest.mark.skip(reason="talks to the real sites; run with --online")
    for item in items:
        if "online" in item.keywords:
            item.add_marker(skip)


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "ip6-localhost"})


@pytest.fixture(autouse=True)
def _no_internet(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Outside ``--online`` runs, a name lookup for any host other than this machine fails at
    once, and the test that asked fails at teardown naming the host: no test may depend on
    the internet, and none may quietly try."""
    if request.config.getoption("--online"):
        yield
        return
    import socket

    real = socket.getaddrinfo
    asked: list[str] = []

    def local_only(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name is None or name in LOCAL_HOSTS or str(name).startswith("127."):
            return real(host, *args, **kwargs)
        asked.append(str(name))
        raise socket.gaierror(socket.EAI_NONAME, f"tests do not reach the internet (asked for {name})")

    monkeypatch.setattr(socket, "getaddrinfo", local_only)
    yield asked
    if asked:
        pytest.fail(f"this test tried to reach the internet: {sorted(set(asked))}")


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own config or database."""
    home = tmp_path_factory.mktemp("home")
    config = home / "config.toml"
    config.write_text("")
    monkeypatch.setenv("WHOCALLED_CONFIG", str(config))
    monkeypatch.setenv("WHOCALLED_DB", str(home / "whocalled.db"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("WHOCALLED_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    for key in list(os.environ):
        if key.startswith("WHOCALLED_SOURCE_") or key in ("WHOCALLED_REGION", "WHOCALLED_OWN_NUMBERS"):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture
def thread_server():
    """Start aiohttp apps on 127.0.0.1 in a background thread (for synchronous code such as
    typer's CliRunner, which runs its own event loop). Call it with an app; get the base URL."""
    import asyncio
    import threading

    from aiohttp import web

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runners: list[web.AppRunner] = []

    def start(app: web.Application) -> str:
        async def boot() -> str:
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            runners.append(runner)
            return f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

        return asyncio.run_coroutine_threadsafe(boot(), loop).result(10)

    yield start
    for runner in runners:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


# ---------------------------------------------------------------- small local sites

PAGES = Path(__file__).parent / "pages"


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
