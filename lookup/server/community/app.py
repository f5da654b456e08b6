"""The community server's application and how ``whocalled community serve`` runs it."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from db.community import CommunityStore, Rule, is_postgres_url, open_community_store
from lookup.server.community.api import AUTH, LIMITER, MAX_BODY, READERS, STORE, add_routes, check_member, handle_errors
from lookup.server.community.limits import AuthCache, RateLimiter
from lookup.server.community.readers import ReaderPool
from lookup.server.http import is_loopback_address

log = logging.getLogger("whocalled.community")

DEFAULT_RATE = 10.0  # requests a second per member token: a household looks up a few numbers a day
REFRESH_EVERY = 6 * 3600.0  # how often old votes are let fade from the list
REFRESH_BATCH = 200
READER_THREADS = 4


def create_community_app(store: CommunityStore, *, rate: float = DEFAULT_RATE, burst: float | None = None,
                         refresh_every: float = REFRESH_EVERY, readers: ReaderPool | None = None) -> web.Application:
    """The aiohttp application over ``store``. ``rate`` <= 0 turns the rate limit off;
    ``readers`` answers checks on threads (closed with the app)."""
    app = web.Application(middlewares=[handle_errors, check_member], client_max_size=MAX_BODY)
    app[STORE] = store
    if readers is not None:
        app[READERS] = readers

        async def close_readers(_: web.Application) -> None:
            readers.close()

        app.on_cleanup.append(close_readers)
    app[LIMITER] = RateLimiter(rate, burst)
    app[AUTH] = AuthCache()
    add_routes(app)

    async def fade_votes(_: web.Application):
        task = asyncio.get_running_loop().create_task(refresh_forever(store, refresh_every))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(fade_votes)
    return app


async def refresh_forever(store: CommunityStore, every: float) -> None:
    """Every ``every`` seconds, decide the listed numbers again so faded votes drop off; in
    small batches, so requests keep being answered meanwhile."""
    while True:
        await asyncio.sleep(every)
        try:
            numbers = store.listed_numbers()
            changed = 0
            for start in range(0, len(numbers), REFRESH_BATCH):
                changed += store.refresh_listing(numbers=numbers[start : start + REFRESH_BATCH])
                await asyncio.sleep(0)
            if changed:
                log.info("%d number(s) left the community list as their votes faded", changed)
        except Exception:  # the next round tries again; the server keeps answering
            log.exception("refreshing the community list failed")


def readers_for(target: str, rule: Rule, threads: int = READER_THREADS) -> ReaderPool | None:
    """Reader threads for a PostgreSQL store (each check waits on a socket, and the loop can
    parse the next requests meanwhile); None for SQLite, whose checks are answered inline
    faster than a thread could take them over."""
    if not is_postgres_url(target):
        return None
    return ReaderPool(lambda: open_community_store(target, rule), threads)


def run_community_server(store: CommunityStore, *, host: str = "127.0.0.1", port: int = 8788,
                         rate: float = DEFAULT_RATE, readers: ReaderPool | None = None) -> None:
    """Serve until interrupted (closing ``store`` and ``readers`` at the end)."""
    app = create_community_app(store, rate=rate, readers=readers)

    async def close_store(_: web.Application) -> None:
        store.close()

    app.on_cleanup.append(close_store)
    shown = f"[{host}]" if ":" in host else host
    where = "" if is_loopback_address(host.strip("[]").lower()) else " (put a TLS proxy in front: tokens travel in every request)"
    web.run_app(app, host=host, port=port, access_log=None,
                print=lambda _: print(f"whocalled: community server on http://{shown}:{port}/{where} (Ctrl-C to stop)", flush=True))
