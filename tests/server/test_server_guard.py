"""The connection guard: half-sent requests cannot exhaust the server's file handles.

Raw sockets on 127.0.0.1 play the attacker (a request head that never ends); the real aiohttp
client plays the PBX. Counts and times are small and bounded: a few hundred sockets, seconds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import socket
import subprocess
import sys
import time

import aiohttp
import pytest

from db.store import Store
from lookup.engine import Engine
from lookup.models import ListEntry, ListKind
from lookup.server.app import create_app, start_site, url_of
from lookup.settings import Settings
from scrapers.registry import source_names

BLOCKED = "+12025550143"
HALF_HEAD = b"GET /api/v1/screen/+12025550199 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
TIMEOUT = aiohttp.ClientTimeout(total=5)  # a screen that takes longer has failed anyway
FULL_REQUEST = b"GET /api/v1/screen/+12025550199 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "w.db") as s:
        s.add_list_entry(ListEntry(BLOCKED, ListKind.BLOCK, reason="test"))
        yield s


def make_settings(tmp_path, **kw) -> Settings:
    return Settings(region="US", deadline=1.0, screen_deadline=1.0, db_path=tmp_path / "w.db", **kw)


async def open_half_sent(port: int, n: int) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    out = []
    for _ in range(n):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(HALF_HEAD)
        await writer.drain()
        out.append((reader, writer))
    return out


async def is_closed(reader: asyncio.StreamReader, within: float) -> bool:
    try:
        data = await asyncio.wait_for(reader.read(), within)
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return not data.startswith(b"HTTP/1.1 200")


async def screen(session: aiohttp.ClientSession, port: int, number: str = BLOCKED) -> tuple[str, float]:
    started = time.monotonic()
    async with session.get(f"http://127.0.0.1:{port}/api/v1/screen/{number}?format=text") as resp:
        assert resp.status == 200
        return await resp.text(), time.monotonic() - started


async def test_half_sent_requests_give_way_to_screens(tmp_path, store, caplog) -> None:
    settings = make_settings(tmp_path, server_max_connections=8, server_head_timeout=0.6)
    app = create_app(settings, store, Engine(store=store, settings=settings))
    runner, site = await start_site(app, settings, "127.0.0.1", 0, log_interval=5.0)
    try:
        with caplog.at_level(logging.DEBUG, logger="whocalled.server"):
            slow = await open_half_sent(site.port, 40)  # five times the limit
            assert site.guard.open <= 8
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True), timeout=TIMEOUT) as session:
                for _ in range(10):
                    action, took = await screen(session, site.port)
                    assert action == "block" and took < settings.screen_deadline + 0.5
                    assert site.guard.open <= 8
            # every slow socket is closed: evicted to make room, or timed out
            closed = await asyncio.gather(*(is_closed(r, 2.0) for r, _ in slow))
            assert all(closed)
            assert site.guard.total["evicted"] >= 32 and site.guard.open == 0
        shed_lines = [r for r in caplog.records if "connections shed" in r.getMessage()]
        assert len(shed_lines) == 1, [r.getMessage() for r in shed_lines]  # once per interval, with counts
        assert "closed to make room" in shed_lines[0].getMessage()
        for _, writer in slow:
            writer.close()
    finally:
        await runner.cleanup()


async def test_a_slow_head_is_closed_after_head_timeout(tmp_path, store, caplog) -> None:
    settings = make_settings(tmp_path, server_max_connections=8, server_head_timeout=0.3)
    app = create_app(settings, store, Engine(store=store, settings=settings))
    runner, site = await start_site(app, settings, "127.0.0.1", 0, log_interval=0.2)
    try:
        with caplog.at_level(logging.WARNING, logger="whocalled.server"):
            [(reader, writer)] = await open_half_sent(site.port, 1)
            started = time.monotonic()
            assert await is_closed(reader, 2.0)
            assert 0.25 < time.monotonic() - started < 1.5
            assert site.guard.total["slow"] == 1
            writer.close()
            logged = False
            for _ in range(40):  # the count is logged every 0.2 s; a loaded machine may be late
                await asyncio.sleep(0.05)
                if logged := any("1 closed after 0.3 s without a whole request head" in r.getMessage() for r in caplog.records):
                    break
        assert logged
    finally:
        await runner.cleanup()


async def test_past_the_limit_of_busy_connections_newcomers_get_503(tmp_path, store) -> None:
    settings = make_settings(tmp_path, server_max_connections=4, server_head_timeout=5.0)
    app = create_app(settings, store, Engine(store=store, settings=settings))
    runner, site = await start_site(app, settings, "127.0.0.1", 0)
    held = []
    try:
        for _ in range(4):  # whole requests on keep-alive connections: never shed
            reader, writer = await asyncio.open_connection("127.0.0.1", site.port)
            writer.write(FULL_REQUEST)
            assert (await reader.readuntil(b"allow")).startswith(b"HTTP/1.1 200")
            held.append(writer)
        reader, writer = await asyncio.open_connection("127.0.0.1", site.port)
        answer = await asyncio.wait_for(reader.read(), 2.0)
        assert answer.startswith(b"HTTP/1.1 503") and b"Retry-After: 1" in answer
        writer.close()
        assert site.guard.total["refused"] == 1
        held.pop().close()  # one leaves: the next newcomer is served
        await asyncio.sleep(0.1)
        reader, writer = await asyncio.open_connection("127.0.0.1", site.port)
        writer.write(FULL_REQUEST)
        assert (await reader.readuntil(b"allow")).startswith(b"HTTP/1.1 200")
        writer.close()
    finally:
        for w in held:
            w.close()
        await runner.cleanup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_outlives_more_half_sent_requests_than_it_may_open_files(tmp_path, store) -> None:
    """The attack of issue 20, scaled down: ``whocalled serve`` in its own process, allowed 128
    file handles, gets 400 half-sent requests; screens keep answering and the log stays short."""
    store.close()
    config = tmp_path / "config.toml"
    config.write_text(
        "screen_deadline = 1.0\n[server]\nhead_timeout = 1.0\n"
        + "".join(f"[sources.{name}]\nenabled = false\n" for name in source_names())
    )
    port = free_port()

    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from lookup.cli import main; main()", "serve", "--port", str(port), "--config", str(config),
         "--db", str(tmp_path / "w.db")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit_files, env=env,
    )
    try:
        assert b"serving on" in proc.stdout.readline()

        async def attack() -> list[float]:
            sockets = []
            timings = []
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True), timeout=TIMEOUT) as session:
                for wave in range(4):
                    sockets += await open_half_sent(port, 100)
                    action, took = await screen(session, port)
                    assert action == "block"
                    timings.append(took)
            for _, writer in sockets:
                writer.close()
            return timings

        timings = asyncio.run(asyncio.wait_for(attack(), 30))
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    log = err.decode()
    assert max(timings) < 1.5, (timings, log[-3000:])  # before: no answer within 5 s
    assert "Too many open files" not in log and "Traceback" not in log, log[-2000:]
    assert "serving at most 64 connections at once" in log
    assert log.count("connections shed") <= 2, log


@pytest.mark.parametrize(("host", "url"), [("127.0.0.1", "http://127.0.0.1:8787/"), ("::1", "http://[::1]:8787/"),
                                          ("[::1]", "http://[::1]:8787/"), ("pbx.lan", "http://pbx.lan:8787/")])
def test_the_address_serve_prints(host: str, url: str) -> None:
    assert url_of(host, 8787) == url
