"""Shared test setup. Tests never reach the internet: live checks are marked
``online`` and run only with ``pytest --online``."""

from __future__ import annotations

import os

import pytest


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
