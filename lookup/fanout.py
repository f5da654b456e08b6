"""The engine's network step: every (number, source) pair asked at once under one deadline.

Each pair is one task: the source's request goes through the fetcher, the page goes to
``source.read``. When the deadline passes, what has arrived is used and every pair still
out becomes a ``timeout`` finding. Nothing here raises for a failing source: failures are
findings, so one broken site never takes a batch down.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Sequence

from lookup.models import Finding, Number, Status
from scrapers.base import SourceError

if TYPE_CHECKING:
    from scrapers.base import Source


async def ask_all(
    fetcher: Any, todo: Sequence[tuple[Number, "Source"]], deadline: float, budget: float, deep: bool = False
) -> list[Finding]:
    """One finding per pair in ``todo``, by ``deadline`` (a time on the running loop's clock);
    ``budget`` is the deadline in seconds, for the timeout findings' wording."""
    loop = asyncio.get_running_loop()
    tasks = {
        asyncio.ensure_future(ask(fetcher, source, number, deadline, deep)): (number, source) for number, source in todo
    }
    done, pending = await asyncio.wait(tasks, timeout=max(deadline - loop.time(), 0))
    out = [t.result() for t in done]
    for task in pending:
        task.cancel()
        number, source = tasks[task]
        out.append(source.failure(number, Status.TIMEOUT, f"no answer within {budget:g} s"))
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    return out


async def ask(fetcher: Any, source: "Source", number: Number, deadline: float, deep: bool = False) -> Finding:
    """One source for one number: request, fetch, read (and with ``deep`` the follow-up page,
    whose failure keeps the first answer). Never raises."""
    try:
        page = await fetcher.fetch(source.request(number), deadline=deadline)
        finding = source.read(page, number)
    except SourceError as exc:
        return source.failure(number, exc.status, exc.reason)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a bug in one source must not take the batch down; it is reported
        return source.failure(number, Status.ERROR, f"{type(exc).__name__}: {exc}")
    follow = source.deep_request(finding, number) if deep else None
    if follow is None:
        return finding
    try:
        later = source.read(await fetcher.fetch(follow, deadline=deadline), number)
    except SourceError:
        return finding  # the first page stands on its own
    return source.merge(finding, later)
