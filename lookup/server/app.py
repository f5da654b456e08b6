"""The household server's application: the API, the blocklist subscriptions and the page,
over one :class:`~lookup.server.service.Service`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiohttp import web

from db.store import Store
from lookup.server import api, blocklist, pages
from lookup.server.guard import GuardedSite, usable_limit
from lookup.server.http import MAX_BODY, SERVICE, check_access, handle_errors, is_loopback_address
from lookup.server.service import LookupEngine, Service
from lookup.settings import Settings

log = logging.getLogger("whocalled.server")


def create_app(
    settings: Settings, store: Store, engine: LookupEngine | None = None, *, token: str | None = None
) -> web.Application:
    """The aiohttp application. ``engine`` defaults to one over the configured sources;
    ``token`` defaults to ``settings.server_token`` (no token: loopback requests only)."""
    if engine is None:
        from lookup.engine import Engine
        from scrapers.registry import load_sources

        engine = Engine(store=store, settings=settings, sources=load_sources(settings))
    service = Service(settings=settings, store=store, engine=engine, token=token or settings.server_token or None)
    app = web.Application(middlewares=[handle_errors, check_access], client_max_size=MAX_BODY)
    app[SERVICE] = service
    api.add_routes(app)
    blocklist.add_routes(app)
    pages.add_routes(app)

    async def open_service(_: web.Application) -> None:
        await service.open()

    async def close_service(_: web.Application) -> None:
        await service.close()

    app.on_startup.append(open_service)
    app.on_cleanup.append(close_service)
    return app


async def start_site(app: web.Application, settings: Settings, host: str, port: int, *,
                     log_interval: float = 60.0) -> tuple[web.AppRunner, GuardedSite]:
    """Run ``app`` on ``host:port`` behind the connection guard (``settings.server_max_connections``,
    ``settings.server_head_timeout``); stop with ``runner.cleanup()``."""
    runner = web.AppRunner(app, keepalive_timeout=settings.server_head_timeout, access_log=None)
    await runner.setup()
    limit = usable_limit(settings.server_max_connections)
    if limit < settings.server_max_connections:
        log.warning("serving at most %d connections at once: the process may not open more files", limit)
    site = GuardedSite(runner, host, port, limit=limit, head_timeout=settings.server_head_timeout,
                       log_interval=log_interval)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner, site


def url_of(host: str, port: int) -> str:
    """``http://HOST:PORT/``, an IPv6 address in brackets once (given with or without them)."""
    bare = host.strip("[]")
    return f"http://[{bare}]:{port}/" if ":" in bare else f"http://{bare}:{port}/"


def run_server(settings: Settings, *, host: str = "127.0.0.1", port: int = 8787, token: str | None = None) -> None:
    """Serve until interrupted. Refuses (ValueError) a non-loopback ``host`` without a token."""
    token = token or settings.server_token or None
    if not is_loopback_address(host.strip("[]").lower()) and not token:
        raise ValueError(f"refusing to listen on {host} without a token: pass --token or set [server] token in the config")
    store = Store(settings.db_path or ":memory:")
    app = create_app(settings, store, token=token)

    async def close_store(_: web.Application) -> None:
        store.close()

    app.on_cleanup.append(close_store)
    bare = host.strip("[]")

    async def serve() -> None:
        runner, _ = await start_site(app, settings, bare, port)
        print(f"whocalled: serving on {url_of(host, port)} (Ctrl-C to stop)", flush=True)
        stop = asyncio.Event()
        with contextlib.suppress(NotImplementedError):  # not on Windows: Ctrl-C still works
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(serve())
    except (KeyboardInterrupt, web.GracefulExit):
        pass
