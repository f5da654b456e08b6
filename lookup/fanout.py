"""The engine's network step: every (number, source) pair asked at once under one deadline.

Each pair is one task: the source's request goes through the fetcher, the page goes to
``source.read``. When the deadline passes, what has arrived is used and every pair still
out becomes a ``timeout`` finding. Nothing here raises for a failing source: failures are
findings, so one broken site never takes a batch down.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, Sequence

from lookup.models import Finding, Number, Status
from scrapers.base import SourceError

if TYPE_CHECKING:
    from scrapers.base import Source


class Arrivals:
    """What one online lookup has heard so far, for a caller that must decide before the
    lookup ends (a screen at its deadline while one site stays silent). The lookup's thread
    writes, any thread reads: the lists are replaced or appended to, never changed in place,
    and a reader works on a copy."""

    def __init__(self) -> None:
        self.asked: list[tuple[Number, "Source"]] = []
        self.found: list[Finding] = []
        self.started = time.monotonic()

    def expect(self, todo: Sequence[tuple[Number, "Source"]]) -> None:
        """The (number, source) pairs the lookup asks online."""
        self.asked = [*self.asked, *todo]

    def add(self, finding: Finding) -> None:
        self.found.append(finding)

    def merged(self, e164: str, known: Sequence[Finding]) -> list[Finding] | None:
        """``known`` (what the store says of ``e164``) with what has arrived since in place of
        the same source's finding, and a ``timeout`` finding for each source asked that has
        neither answered nor an earlier answer stored. None when nothing was asked online."""
        asked = [(n, s) for n, s in list(self.asked) if n.e164 == e164]
        if not asked:
            return None
        arrived = {f.source: f for f in list(self.found) if f.e164 == e164}
        out = [f for f in known if f.source not in arrived]
        out += arrived.values()
        have = {f.source for f in out}
        waited = time.monotonic() - self.started
        for number, source in asked:
            if source.name not in have:
                have.add(source.name)
                out.append(source.failure(number, Status.TIMEOUT, f"no answer within {waited:.1f} s"))
        return out


async def ask_all(
    fetcher: Any, todo: Sequence[tuple[Number, "Source"]], deadline: float, budget: float, deep: bool = False,
    arrivals: Arrivals | None = None,
) -> list[Finding]:
    """One finding per pair in ``todo``, by ``deadline`` (a time on the running loop's clock);
    ``budget`` is the deadline in seconds, for the timeout findings' wording. Each finding also
    goes to ``arrivals`` as soon as it is read."""
    loop = asyncio.get_running_loop()
    tasks = {
        asyncio.ensure_future(ask(fetcher, source, number, deadline, deep)): (number, source) for number, source in todo
    }
    if arrivals is not None:
        arrivals.expect(todo)
        for task in tasks:
            task.add_done_callback(lambda t: t.cancelled() or arrivals.add(t.result()))
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
