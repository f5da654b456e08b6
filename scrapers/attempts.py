"""The fetcher's attempts at one request, as a mixin of :class:`scrapers.http.Fetcher`: each
attempt under the nearer of the deadline and the attempt timeout, retries after backoff or
``Retry-After``, and the pause of a host that cannot be reached or leaves requests unanswered.

The fetcher provides ``settings``, its session, its host pacer and the per-host memory of
unreachable and silent hosts; errors leave here as :class:`scrapers.base.FetchError`.
"""

from __future__ import annotations

import asyncio
import math
import random
from typing import TYPE_CHECKING, Awaitable, Callable, TypeVar

import aiohttp
from yarl import URL

from lookup.models import Status
from scrapers.base import FetchError
from scrapers.failures import Transient, Unreachable, give_up, translate_error
from scrapers.pacing import HostPacer, ensure_time_left, format_seconds, host_label

if TYPE_CHECKING:
    from scrapers.http import FetchSettings

T = TypeVar("T")


class AttemptsMixin:
    if TYPE_CHECKING:
        settings: FetchSettings
        _pacer: HostPacer
        _random: random.Random
        _unreachable: dict[str, tuple[float, str]]
        _silent: dict[str, int]

        def _open_session(self) -> aiohttp.ClientSession: ...

    # -- attempts
    async def _with_retries(
        self,
        url: URL,
        send: Callable[[aiohttp.ClientSession], Awaitable[T]],
        deadline: float | None,
        *,
        repeatable: bool = True,
    ) -> T:
        """Attempts in turn; a non-idempotent request is repeated only when the server never acted on it.
        A host found unreachable (no name, no connection on any attempt) fails every request at
        once for ``unreachable_pause``: with no network, a batch of lookups ends in a moment
        instead of waiting out each site's pace for requests that cannot succeed."""
        session = self._open_session()
        host = host_label(url)
        failures: list[Transient] = []
        for attempt in range(1, self.settings.max_attempts + 1):
            self._check_reachable(host)
            await self._pacer.wait_turn(url, deadline)
            self._check_reachable(host)
            try:
                result = await self._attempt(url, send, session, deadline)
            except Transient as failure:
                failures.append(failure)
                if not (repeatable or failure.unheard) or attempt == self.settings.max_attempts:
                    break
                await self._pause(attempt, failure, deadline)
            except Unreachable as error:
                self._mark_unreachable(host, error.reason)
                raise
            else:
                self._unreachable.pop(host, None)
                return result
        error = give_up(failures)
        if isinstance(error, Unreachable):
            self._mark_unreachable(host, error.reason)
        raise error

    def _mark_unreachable(self, host: str, reason: str) -> None:
        until = asyncio.get_running_loop().time() + self.settings.unreachable_pause
        self._unreachable[host] = (until, reason)

    def _check_reachable(self, host: str) -> None:
        entry = self._unreachable.get(host)
        if entry is None:
            return
        until, reason = entry
        left = until - asyncio.get_running_loop().time()
        if left <= 0:
            del self._unreachable[host]
            return
        raise FetchError(Status.ERROR, f"{reason}; not asked again for {format_seconds(math.ceil(left))}")

    async def _pause(self, attempt: int, failure: Transient, deadline: float | None) -> None:
        if failure.retry_after is not None:
            if failure.retry_after > self.settings.max_retry_after:
                raise FetchError(
                    failure.status,
                    f"{failure.reason}; the server asks us to wait {format_seconds(failure.retry_after)}, "
                    f"more than {format_seconds(self.settings.max_retry_after)}",
                )
            delay = failure.retry_after
        else:
            span = self.settings.backoff_base * 2 ** (attempt - 1)
            delay = span / 2 + self._random.uniform(0, span / 2)
        ensure_time_left(deadline, delay, f"retrying after {failure.reason}")
        await asyncio.sleep(delay)

    async def _attempt(
        self,
        url: URL,
        send: Callable[[aiohttp.ClientSession], Awaitable[T]],
        session: aiohttp.ClientSession,
        deadline: float | None,
    ) -> T:
        """One try under the nearer of the deadline and ``attempt_timeout``; errors translated.
        A try that hears nothing back (timed out, or cancelled at the caller's deadline) counts
        towards pausing the host; any answer, even an HTTP error, resets the count."""
        host = host_label(url)
        end = asyncio.get_running_loop().time() + self.settings.attempt_timeout
        by_deadline = deadline is not None and deadline <= end
        try:
            async with asyncio.timeout_at(deadline if by_deadline else end):
                result = await send(session)
        except TimeoutError:
            self._heard_nothing(host)
            if by_deadline:
                raise FetchError(Status.TIMEOUT, f"no answer from {host} before the deadline") from None
            waited = format_seconds(self.settings.attempt_timeout)
            raise Transient(Status.TIMEOUT, f"no answer from {host} within {waited}") from None
        except asyncio.CancelledError:
            self._heard_nothing(host)
            raise
        except (Transient, FetchError):
            self._silent.pop(host, None)
            raise
        except (aiohttp.ClientError, OSError, ValueError, TypeError) as exc:
            raise translate_error(exc, url) from None
        self._silent.pop(host, None)
        return result

    def _heard_nothing(self, host: str) -> None:
        """One more request in a row that ``host`` left unanswered; at ``silent_limit`` the
        host is paused like an unreachable one (a tarpit would otherwise cost every batch its
        whole deadline)."""
        count = self._silent.get(host, 0) + 1
        if count < self.settings.silent_limit:
            self._silent[host] = count
            return
        self._silent.pop(host, None)
        self._mark_unreachable(host, f"no answer from {host} to {count} requests in a row")
