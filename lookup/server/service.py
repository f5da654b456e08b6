"""What the HTTP server knows and does, apart from HTTP: answers, sharing, writes, decisions.

``Service`` is one per application. The store and the engine live on its database thread
(:mod:`lookup.server.worker`); the event loop only awaits them, always under a deadline.
It answers from a small in-memory cache when it can (kept while SQLite's change marker,
``data_version`` plus this connection's ``total_changes``, stays put: a write by the CLI shows
within ``VERSION_POLL``, one through the server at once, and for at most ``CACHE_MAX_AGE``),
otherwise runs one engine lookup per (number, region) however many requests ask for it. Past
the deadline, or when the database is locked or failing, it answers from what the store knows,
else the last answer for that input, else the number and the in-memory block and allow lists
(:mod:`lookup.server.snapshot`) and expected calls: a screen never waits past its deadline and
never fails.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from contextlib import contextmanager
from functools import partial
from typing import Any, Callable, Iterator, Mapping, Protocol, Sequence, TypeVar

from db.store import Store
from lookup.results import LookupResult, result_text
from lookup import lists
from lookup.expect import Expectation, open_expectations
from lookup.fanout import Arrivals
from lookup.models import Finding, ListEntry, Number, Status, iso_now
from lookup.numbers import parse_number, with_details
from lookup.server.snapshot import ListSnapshot, read_snapshot
from lookup.server.worker import DbWorker
from lookup.settings import Settings
from lookup.verdict import score

log = logging.getLogger("whocalled.server")
T = TypeVar("T")

CACHE_SIZE = 4096
CACHE_MAX_AGE = 60.0  # seconds an answer may be served from memory
VERSION_POLL = 0.05  # seconds between PRAGMA data_version checks on the hot path
LOOKUP_GRACE = 1.0  # seconds beyond the engine's own deadline before answering with what is stored
MARKER_WAIT = 0.05  # seconds the event loop waits for the database thread's change marker
FALLBACK_SHARE, FALLBACK_MOST = 0.25, 0.3  # of a deadline kept for answering from the store
LIST_POLL = 1.0  # seconds between rereading the lists while other connections keep writing
MAX_TEXT = 500  # longest reason or note accepted from a client
LIVE_BURST = 3  # requests a site idle for 3 of its intervals may take at once from the server


class ApiError(Exception):
    """A request the server refuses; becomes ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


class LookupEngine(Protocol):
    """What the server needs from :class:`lookup.engine.Engine` (tests pass their own)."""

    sources: Sequence[Any]

    async def lookup(
        self, inputs: Sequence[str], *, region: str | None = None, arrivals: Arrivals | None = None
    ) -> list[LookupResult]: ...

    def lookup_offline(self, inputs: Sequence[str], region: str | None = None) -> list[LookupResult]: ...


@dataclass
class Answer:
    result: LookupResult
    body: bytes
    at: float


def dump_json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


@dataclass
class Service:
    """Per-application state: settings, store, engine, the answer cache and in-flight lookups.

    The store and the engine are used on :attr:`worker`'s thread only (see
    :mod:`lookup.server.worker`); everything here that the event loop calls only awaits them."""

    settings: Settings
    store: Store
    engine: LookupEngine
    token: str | None = None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    worker: DbWorker = field(default_factory=DbWorker, init=False)
    _answers: OrderedDict[tuple[str, str], Answer] = field(default_factory=OrderedDict, init=False)
    _made: OrderedDict[tuple, Answer] = field(default_factory=OrderedDict, init=False)  # screen/CNAM bodies
    _last: OrderedDict[tuple[str, str], Answer] = field(default_factory=OrderedDict, init=False)
    _marker: tuple[int, int] | None = field(default=None, init=False)
    _inflight: dict[tuple[str, str], tuple[asyncio.Future, Arrivals]] = field(default_factory=dict, init=False)
    _published: tuple[int, int] = field(default=(-1, -1), init=False)
    _polled: float = field(default=float("-inf"), init=False)
    _asking: "asyncio.Future[tuple[int, int]] | None" = field(default=None, init=False)
    lists: ListSnapshot = field(default_factory=ListSnapshot, init=False)
    expected: tuple[Expectation, ...] = field(default=(), init=False)  # read with the lists, for _fallback
    _lists_at: float = field(default=float("-inf"), init=False)
    _lists_cost: float = field(default=0.0, init=False)

    # ------------------------------------------------------------ the database thread

    def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> "asyncio.Future[T]":
        """``fn(*args)`` on the database thread; awaitable."""
        return self.worker.call(fn, *args, **kwargs)

    def _db_marker(self, *, lists: bool = False) -> tuple[int, int]:
        """On the database thread: the store's change marker, published for the event loop;
        the lists are read again when it moved (``lists``: now, else at most every LIST_POLL)."""
        self._published = self.store.change_marker()
        self._polled = time.monotonic()
        if self.lists.marker != self._published:
            started = time.monotonic()
            if lists or started - self._lists_at >= max(LIST_POLL, 10 * self._lists_cost):
                self.lists = read_snapshot(self.store.iter_list_entries(), self._published, self.store.list_name_blocks())
                self.expected = tuple(open_expectations(self.store))
                self._lists_at = time.monotonic()
                self._lists_cost = self._lists_at - started
        return self._published

    async def current_lists(self) -> ListSnapshot:
        """The lists as of now (or of at most LIST_POLL ago while the CLI keeps writing)."""
        await self.db(self._db_marker)
        return self.lists

    def _write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """On the database thread: a write, after which answers given before it are stale at once."""
        try:
            return fn(*args, **kwargs)
        finally:
            self._db_marker(lists=True)

    async def marker(self) -> tuple[int, int]:
        """``(data_version, total_changes)``, asked of the database at most every VERSION_POLL;
        while the database thread is busy, the last one it published. Only the request that asks
        waits for the answer; those arriving while it is out take the last one published (a
        thread hop waits for the GIL: at 50 clients, waiting requests made the screens' p99)."""
        if time.monotonic() - self._polled <= VERSION_POLL:
            return self._published
        if self._asking is not None and not self._asking.done():
            return self._published
        self._asking = self.db(self._db_marker)
        try:
            return await asyncio.wait_for(asyncio.shield(self._asking), MARKER_WAIT)
        except TimeoutError:
            return self._published
        except Exception as exc:  # a failing database: keep answering from what is known
            log.warning("cannot read the database's change marker: %s", exc)
            return self._published

    # ------------------------------------------------------------ answers

    async def cached(self, raw: str, region: str) -> Answer | None:
        """A remembered answer for this input, if the database has not changed since."""
        return await self._recall(self._answers, (raw, region))

    async def cached_made(self, key: tuple) -> Answer | None:
        """A screen or CNAM body already made for a request with this ``key`` (its kind, input,
        region and every parameter that shapes it), if the answer it was made from still stands."""
        return await self._recall(self._made, (key, self.lists.marker))

    def keep_made(self, key: tuple, raw: str, region: str, answer: Answer, body: bytes) -> None:
        """Keep ``body``, made from ``answer``, for later requests with ``key``: only while
        ``answer`` is itself the remembered (complete, unchanged) one for ``raw``, and never
        longer than it. The key includes the in-memory lists' version, so a body made while they
        lagged behind a change is not served once they have been read again."""
        if self._answers.get((raw, region)) is answer:
            keep(self._made, (key, self.lists.marker), Answer(answer.result, body, answer.at))

    async def _recall(self, memo: OrderedDict, key: Any) -> Answer | None:
        """``memo[key]`` while the database's change marker stays put (a move forgets every
        remembered answer and everything made from them) and for at most CACHE_MAX_AGE."""
        marker = await self.marker()
        if marker != self._marker:
            self._answers.clear()
            self._made.clear()
            self._marker = marker
            return None
        answer = memo.get(key)
        if answer is None:
            return None
        if time.monotonic() - answer.at > CACHE_MAX_AGE:
            del memo[key]
            return None
        memo.move_to_end(key)
        return answer

    def _remember(self, raw: str, region: str, result: LookupResult, marker: tuple[int, int] | None) -> Answer:
        answer = Answer(result, result_text(result).encode("utf-8"), time.monotonic())
        keep(self._last, (raw, region), answer)
        if marker is not None and marker == self._published and marker == self._marker:
            keep(self._answers, (raw, region), answer)
        return answer

    async def resolve(self, raw: str, region: str, timeout: float) -> tuple[Answer, bool]:
        """Answer for ``raw``: shared with concurrent requests for the same number, and within
        ``timeout`` seconds; past it, what the store knows (the lookup goes on for later requests),
        and when the database is too busy to say even that, the last answer given for this input
        or one from the number and the settings alone. Returns the answer and whether it is
        complete. Raises NumberError for bad input; a failing database never reaches the caller."""
        ends = time.monotonic() + timeout
        answer = await self.cached(raw, region)
        if answer is not None:
            return answer, True
        number, _ = parse_number(raw, region)
        key = (number.e164 or f"{number.kind.value}:{number.short or ''}", region)
        running = self._inflight.get(key)
        if running is None:
            arrivals = Arrivals()
            running = self.worker.run(self._run_lookup(raw, region, arrivals)), arrivals
            self._inflight[key] = running
            running[0].add_done_callback(partial(self._finish, key))
        task, arrivals = running
        reserve = min(FALLBACK_SHARE * timeout, FALLBACK_MOST)
        try:
            result, marker = await asyncio.wait_for(asyncio.shield(task), max(ends - time.monotonic() - reserve, 0.001))
        except TimeoutError:
            return await self._fallback(raw, region, number, ends, arrivals), False
        except Exception:  # logged by _finish; the caller still gets an answer
            return await self._fallback(raw, region, number, ends, arrivals), False
        if result.input != raw:
            result = replace(result, input=raw)
        return self._remember(raw, region, result, marker), True

    async def _run_lookup(
        self, raw: str, region: str, arrivals: Arrivals
    ) -> tuple[LookupResult, tuple[int, int] | None]:
        """On the database thread."""
        before = self._db_marker()
        [result] = await self.engine.lookup([raw], region=region, arrivals=arrivals)
        after = self._db_marker()
        settled = all(f.status.is_definite or f.status is Status.SKIPPED for f in result.findings)
        return result, (after if before == after and settled and result.ok else None)

    def _finish(self, key: tuple[str, str], task: asyncio.Future) -> None:
        if self._inflight.get(key, (None,))[0] is task:
            del self._inflight[key]
        if not task.cancelled() and task.exception() is not None:
            log.error("lookup of %s failed", key[0], exc_info=task.exception())

    async def known(self, raw: str, region: str) -> Answer:
        """What the store knows now, without going online."""
        [result] = await self.db(self.engine.lookup_offline, [raw], region)
        return self._remember(raw, region, result, None)

    async def _fallback(self, raw: str, region: str, number: Number, ends: float, arrivals: Arrivals) -> Answer:
        """What the store knows, if the database answers before ``ends``; else the last answer
        for this input, else the number alone, judged with the lists in memory. Either way with
        every finding the running lookup has heard so far, and its silent sources as timeouts."""
        try:
            answer = await asyncio.wait_for(self.known(raw, region), max(ends - time.monotonic(), 0.001))
        except TimeoutError:
            reason = "the database is busy"
        except Exception as exc:  # a locked or failing database must not fail a screen
            log.warning("answering %s without the database: %s", raw[:40], exc)
            reason = "the database failed"
        else:
            base = answer.result
            if base.number is None:
                return answer
            return self._with_arrivals(raw, region, base, base.number, base.lists, arrivals) or answer
        # The last answer's facts (or the number's own), judged again with the lists as they
        # are now: a number blocked or allowed since is treated as such even now.
        last = self._last.get((raw, region))
        base = last.result if last is not None and last.result.number is not None else LookupResult(raw, number)
        if last is None:
            log.info("answered %s from the number alone: %s", raw[:40], reason)
        entries = self.lists.matching(number.e164)
        answer = self._with_arrivals(raw, region, base, number, entries, arrivals)
        return answer or self._judged(raw, base, number, base.findings, entries)

    def _with_arrivals(
        self, raw: str, region: str, base: LookupResult, number: Number, entries: Sequence[ListEntry],
        arrivals: Arrivals,
    ) -> Answer | None:
        """``base`` judged again with what the running lookup has heard so far (kept as the last
        answer for this input); None when that lookup asks no source online."""
        findings = arrivals.merged(number.e164 or "", base.findings) if number.e164 else None
        if findings is None:
            return None
        answer = self._judged(raw, base, number, findings, entries)
        keep(self._last, (raw, region), answer)
        return answer

    def _judged(
        self, raw: str, base: LookupResult, number: Number, findings: Sequence[Finding], entries: Sequence[ListEntry]
    ) -> Answer:
        """``base`` with these findings and list entries, scored again."""
        now = iso_now()
        fs = tuple(sorted(findings, key=lambda f: f.source))
        verdict = score(base.number or number, fs, base.history, tuple(entries), self.settings,
                        reports=base.reports, own_numbers=self.settings.own_e164,
                        expected=[x for x in self.expected if x.until_at > now],
                        reliability={s.name: s.reliability for s in getattr(self.engine, "sources", ())})
        result = replace(base, input=raw, verdict=verdict, lists=tuple(entries), findings=fs)
        return Answer(result, result_text(result).encode("utf-8"), time.monotonic())

    async def open(self) -> None:
        """Read the lists and load phonenumbers' tables for a number's facts before the first
        call rings: a first screen must not spend its deadline importing them."""
        await self.db(self._db_marker, lists=True)
        await self.db(warm_up)
        opener = getattr(self.engine, "open_session", None)
        if opener is not None:
            allow_live_burst(self.engine, self.settings)
            await self.worker.run(opener())

    async def close(self) -> None:
        async def cancel_and_close() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            closer = getattr(self.engine, "close_session", None)
            if closer is not None:
                await closer()

        try:
            await self.worker.run(cancel_and_close())
        finally:
            self.worker.stop()

    # ------------------------------------------------------------ writes (API and page alike)

    async def block(self, raw: str, reason: str | None, *, force: bool = False, region: str | None = None) -> dict[str, Any]:
        with list_rules():
            done = await self.db(self._write, lists.block, self.store, self.settings, raw, reason, force=force, region=region, origin="server")
        e = done.entry
        return {"ok": True, "pattern": e.pattern, "kind": "block", "reason": e.reason, "added": done.added}

    async def block_name(self, raw: str, reason: str | None, *, force: bool = False) -> dict[str, Any]:
        with list_rules():
            entry, added = await self.db(self._write, lists.block_name, self.store, raw, reason, force=force, origin="server")
        return {"ok": True, "name": entry.pattern, "kind": "block", "reason": entry.reason, "added": added}

    async def allow(self, raw: str, reason: str | None, *, region: str | None = None) -> dict[str, Any]:
        with list_rules():
            done = await self.db(self._write, lists.allow, self.store, self.settings, raw, reason, region=region, origin="server")
        e = done.entry
        return {"ok": True, "pattern": e.pattern, "kind": "allow", "reason": e.reason,
                "was": done.was.value if done.was else None}

    async def report(
        self, raw: str, category: str | None, note: str | None, at: str | None, *, region: str | None = None
    ) -> dict[str, Any]:
        with list_rules():
            saved = await self.db(self._write, lists.report, self.store, self.settings, raw, category, note, at, region=region)
        return {"ok": True, "id": saved.id, "e164": saved.e164, "category": saved.category.value, "at": saved.at}


def allow_live_burst(engine: Any, settings: Settings) -> None:
    """Let the server's fetcher ask a site that has been idle a little ahead of its pace.

    A burst of calls (three at once at a small office) would otherwise queue the second and third
    call's requests one and two intervals behind the first, past a screen's deadline. A site idle
    for LIVE_BURST intervals may take LIVE_BURST requests at once (as many connections); each
    still counts against its rate, so over time no site sees more. Given settings are kept."""
    if getattr(engine, "fetch_settings", False) is not None:
        return
    from scrapers.http import FetchSettings

    paced = FetchSettings.from_settings(settings, engine.sources)
    engine.fetch_settings = replace(paced, burst=LIVE_BURST,
                                    per_host_concurrency=max(LIVE_BURST, paced.per_host_concurrency))


def warm_up() -> None:
    number, parsed = parse_number("+12025550100", "US")
    if parsed is not None:
        with_details(number, parsed)


def keep(memo: OrderedDict, key: Any, answer: Answer) -> None:
    """Put ``answer`` in a bounded LRU memo."""
    memo[key] = answer
    memo.move_to_end(key)
    if len(memo) > CACHE_SIZE:
        memo.popitem(last=False)


@contextmanager
def list_rules() -> Iterator[None]:
    """The list rules' refusals as API errors: 409 for a protected number, else 400."""
    try:
        yield
    except lists.Protected as exc:
        raise ApiError(409, f'{exc}; send "force": true if you mean it') from None
    except lists.ListError as exc:
        raise ApiError(400, str(exc)) from None
