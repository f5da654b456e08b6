"""The community server's application and how ``whocalled community serve`` runs it."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from db.community import CommunityStore
from lookup.server.community.api import AUTH, LIMITER, MAX_BODY, MODEL, STORE, add_routes, check_member, handle_errors
from lookup.server.community.limits import AuthCache, RateLimiter
from lookup.server.community.readmodel import REFRESH_EVERY as MODEL_EVERY
from lookup.server.community.readmodel import ReadModel
from lookup.server.http import is_loopback_address

log = logging.getLogger("whocalled.community")

DEFAULT_RATE = 10.0  # requests a second per member token: a household looks up a few numbers a day
REFRESH_EVERY = 6 * 3600.0  # how often old votes are let fade from the list
REFRESH_BATCH = 200


def create_community_app(store: CommunityStore, *, rate: float = DEFAULT_RATE, burst: float | None = None,
                         refresh_every: float = REFRESH_EVERY, in_memory: bool = True,
                         model_every: float = MODEL_EVERY) -> web.Application:
    """The aiohttp application over ``store``. ``rate`` <= 0 turns the rate limit off.
    ``in_memory``: checks are answered from a copy of the votes in memory (see
    :mod:`lookup.server.community.readmodel`), built at start and refreshed every
    ``model_every`` seconds; else each check asks the store."""
    app = web.Application(middlewares=[handle_errors, check_member], client_max_size=MAX_BODY)
    app[STORE] = store
    app[LIMITER] = RateLimiter(rate, burst)
    app[AUTH] = AuthCache()
    add_routes(app)

    async def fade_votes(_: web.Application):
        tasks = [asyncio.get_running_loop().create_task(refresh_forever(store, refresh_every))]
        if in_memory:
            model = app[MODEL] = ReadModel(store.rule)
            model.refresh(store)
            log.info("%d voted number(s) in memory", len(model))
            tasks.append(asyncio.get_running_loop().create_task(follow_votes(store, model, model_every)))
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.cleanup_ctx.append(fade_votes)
    return app


async def follow_votes(store: CommunityStore, model: ReadModel, every: float) -> None:
    """Every ``every`` seconds, apply the votes and revocations made since the last look
    (by any process on the same database) to ``model``."""
    while True:
        await asyncio.sleep(every)
        try:
            model.refresh(store)
        except Exception:  # the database may be down a moment: the next round tries again
            log.exception("following the community's votes failed")


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


def run_community_server(store: CommunityStore, *, host: str = "127.0.0.1", port: int = 8788,
                         rate: float = DEFAULT_RATE) -> None:
    """Serve until interrupted (closing ``store`` at the end)."""
    app = create_community_app(store, rate=rate)

    async def close_store(_: web.Application) -> None:
        store.close()

    app.on_cleanup.append(close_store)
    shown = f"[{host}]" if ":" in host else host
    where = "" if is_loopback_address(host.strip("[]").lower()) else " (put a TLS proxy in front: tokens travel in every request)"
    web.run_app(app, host=host, port=port, access_log=None,
                print=lambda _: print(f"whocalled: community server on http://{shown}:{port}/{where} (Ctrl-C to stop)", flush=True))
