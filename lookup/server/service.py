"""What the HTTP server knows and does, apart from HTTP: answers, sharing, writes, decisions.

``Service`` is one per application. It answers lookups from a small in-memory cache
when it can, otherwise runs one engine lookup per (number, region) however many
requests ask for it at once, and performs the block / allow / report writes that
the JSON API and the web page share.

The answer cache holds finished ``LookupResult`` values (and their JSON) keyed by the
input text and region. It stays correct while the CLI writes the same database:
every read first compares a change marker (SQLite's ``PRAGMA data_version``, which
moves on every commit by another connection, plus this connection's ``total_changes``)
and empties the cache when it moved. ``data_version`` costs a statement, so the hot
path asks for it at most every ``VERSION_POLL`` seconds: a write by the CLI shows
within 50 ms, a write through the server at once. An answer is only kept when
no write happened while it was computed (so a lookup that went online is served
from the store the next time, with ``cached`` set as it should be), and for at most
``CACHE_MAX_AGE`` seconds, so a source's answer is never served much past its TTL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from contextlib import contextmanager
from functools import partial
from typing import Any, Iterator, Mapping, Protocol, Sequence

from db.store import Store
from lookup.results import LookupResult, caller_name
from lookup import lists
from lookup.models import Evidence, Level, Status
from lookup.numbers import parse_number
from lookup.settings import Settings

log = logging.getLogger("whocalled.server")

CACHE_SIZE = 4096
CACHE_MAX_AGE = 60.0  # seconds an answer may be served from memory
VERSION_POLL = 0.05  # seconds between PRAGMA data_version checks on the hot path
LOOKUP_GRACE = 1.0  # seconds beyond the engine's own deadline before answering with what is stored
MAX_TEXT = 500  # longest reason or note accepted from a client

SCREEN_ACTIONS: Mapping[Level, str] = {
    Level.ALLOWED: "allow",
    Level.LIKELY_OK: "allow",
    Level.UNKNOWN: "allow",
    Level.SUSPICIOUS: "warn",
    Level.LIKELY_SPAM: "block",
    Level.BLOCKED: "block",
}
WITHHELD_ACTION = "warn"  # nothing to look up or call back: let the PBX decide (voicemail, announcement)
SPAM_LEVELS = frozenset({Level.LIKELY_SPAM, Level.BLOCKED})


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

    async def lookup(self, inputs: Sequence[str], *, region: str | None = None) -> list[LookupResult]: ...

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
    """Per-application state: settings, store, engine, the answer cache and in-flight lookups."""

    settings: Settings
    store: Store
    engine: LookupEngine
    token: str | None = None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    _answers: OrderedDict[tuple[str, str], Answer] = field(default_factory=OrderedDict, init=False)
    _marker: tuple[int, int] | None = field(default=None, init=False)
    _inflight: dict[tuple[str, str], asyncio.Future] = field(default_factory=dict, init=False)
    _version: int = field(default=-1, init=False)
    _polled: float = field(default=float("-inf"), init=False)

    # ------------------------------------------------------------ answers

    def marker(self, *, fresh: bool = False) -> tuple[int, int]:
        """``(data_version, total_changes)``; the first polled at most every VERSION_POLL unless ``fresh``."""
        now = time.monotonic()
        if fresh or now - self._polled > VERSION_POLL:
            self._version = self.store.data_version()
            self._polled = now
        return self._version, self.store.conn.total_changes

    def cached(self, raw: str, region: str) -> Answer | None:
        """A remembered answer for this input, if the database has not changed since."""
        marker = self.marker()
        if marker != self._marker:
            self._answers.clear()
            self._marker = marker
            return None
        answer = self._answers.get((raw, region))
        if answer is None:
            return None
        if time.monotonic() - answer.at > CACHE_MAX_AGE:
            del self._answers[(raw, region)]
            return None
        self._answers.move_to_end((raw, region))
        return answer

    def _remember(self, raw: str, region: str, result: LookupResult, marker: tuple[int, int]) -> Answer:
        answer = Answer(result, dump_json(result.to_json()), time.monotonic())
        if marker == self.marker(fresh=True) and marker == self._marker:
            self._answers[(raw, region)] = answer
            if len(self._answers) > CACHE_SIZE:
                self._answers.popitem(last=False)
        return answer

    async def resolve(self, raw: str, region: str, timeout: float) -> tuple[Answer, bool]:
        """Answer for ``raw``: shared with concurrent requests for the same number, and within
        ``timeout`` seconds; past it, what the store knows (the lookup goes on for later requests).
        Returns the answer and whether it is complete. Raises NumberError for bad input."""
        answer = self.cached(raw, region)
        if answer is not None:
            return answer, True
        number, _ = parse_number(raw, region)
        key = (number.e164 or f"{number.kind.value}:{number.short or ''}", region)
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._run_lookup(raw, region))
            self._inflight[key] = task
            task.add_done_callback(partial(self._finish, key))
        try:
            result, marker = await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            return self.known(raw, region), False
        if result.input != raw:
            result = replace(result, input=raw)
        if marker is None:
            return Answer(result, dump_json(result.to_json()), time.monotonic()), True
        return self._remember(raw, region, result, marker), True

    async def _run_lookup(self, raw: str, region: str) -> tuple[LookupResult, tuple[int, int] | None]:
        before = self.marker(fresh=True)
        [result] = await self.engine.lookup([raw], region=region)
        after = self.marker(fresh=True)
        settled = all(f.status.is_definite or f.status is Status.SKIPPED for f in result.findings)
        return result, (after if before == after and settled and result.ok else None)

    def _finish(self, key: tuple[str, str], task: asyncio.Future) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled() and task.exception() is not None:
            log.error("lookup of %s failed", key[0], exc_info=task.exception())

    def known(self, raw: str, region: str) -> Answer:
        """What the store knows now, without going online."""
        [result] = self.engine.lookup_offline([raw], region)
        return Answer(result, dump_json(result.to_json()), time.monotonic())

    async def close(self) -> None:
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------ writes (API and page alike)

    def block(self, raw: str, reason: str | None, *, force: bool = False, region: str | None = None) -> dict[str, Any]:
        with list_rules():
            done = lists.block(self.store, self.settings, raw, reason, force=force, region=region, origin="server")
        e = done.entry
        return {"ok": True, "pattern": e.pattern, "kind": "block", "reason": e.reason, "added": done.added}

    def allow(self, raw: str, reason: str | None, *, region: str | None = None) -> dict[str, Any]:
        with list_rules():
            done = lists.allow(self.store, self.settings, raw, reason, region=region, origin="server")
        e = done.entry
        return {"ok": True, "pattern": e.pattern, "kind": "allow", "reason": e.reason,
                "was": done.was.value if done.was else None}

    def report(
        self, raw: str, category: str | None, note: str | None, at: str | None, *, region: str | None = None
    ) -> dict[str, Any]:
        with list_rules():
            saved = lists.report(self.store, self.settings, raw, category, note, at, region=region)
        return {"ok": True, "id": saved.id, "e164": saved.e164, "category": saved.category.value, "at": saved.at}


@contextmanager
def list_rules() -> Iterator[None]:
    """The list rules' refusals as API errors: 409 for a protected number, else 400."""
    try:
        yield
    except lists.Protected as exc:
        raise ApiError(409, f'{exc}; send "force": true if you mean it') from None
    except lists.ListError as exc:
        raise ApiError(400, str(exc)) from None


def parse_region(raw: str | None, name: str = "region") -> str | None:
    """A two-letter region code from a client, upper-cased; None when not given."""
    if not raw:
        return None
    from lookup.regions import REGION_NAMES

    region = raw.strip().upper()
    if region not in REGION_NAMES:
        raise ApiError(400, f"{name} must be a two-letter country code such as US or GB, not {raw[:20]!r}")
    return region


# ---------------------------------------------------------------- decisions for PBXs


def screen_answer(result: LookupResult, complete: bool) -> dict[str, Any]:
    """``{"action", "verdict", "reason", "name"}`` for a PBX deciding while the phone rings.

    allowed / likely_ok / unknown allow, suspicious warns, likely_spam and blocked block.
    A withheld caller warns: there is nothing to look up and nobody to call back, and
    blocking every withheld call would also drop doctors and hospitals that hide theirs.
    """
    number, verdict = result.number, result.verdict
    if number is None or verdict is None:
        raise ApiError(400, result.error or "not a phone number")
    action = WITHHELD_ACTION if number.withheld else SCREEN_ACTIONS[verdict.level]
    reason = strongest_reason(verdict.evidence, against=action != "allow") or verdict.call_back_reason
    if not complete:
        reason += " (decided before every source answered)"
    return {
        "action": action,
        "verdict": verdict.level.value,
        "reason": reason,
        "name": caller_name(result.findings, result.history),
        "e164": number.e164,
        "score": verdict.score,
        "complete": complete,
    }


def strongest_reason(evidence: Sequence[Evidence], *, against: bool) -> str | None:
    """The weightiest reason pointing the way of the decision (spam when ``against``)."""
    for e in evidence:  # the verdict orders evidence by weight, strongest first
        if (e.weight > 0) if against else (e.weight < 0):
            return e.detail
    return None


CNAM_MAX = 60
CNAM_PUNCTUATION = frozenset(".-+'")


def cnam_safe(text: str) -> str:
    """``text`` cut down to what any dialplan can hold as a caller name: letters of any script
    (with their marks), decimal digits, single spaces and ``. - + '``. Everything else, quotes,
    ``:`` ``,`` ``;`` ``|`` ``$`` ``{}`` ``()`` ``[]`` ``&`` ``\\`` ``#`` and control characters
    among them, becomes a space: a name scraped from a public site must never reach a PBX as
    syntax (Asterisk splits ``ExecIf`` at an unquoted ``:``, ``Set`` at ``,``)."""
    kept = [
        ch if ch in CNAM_PUNCTUATION or unicodedata.category(ch)[0] in "LM" or unicodedata.category(ch) == "Nd" else " "
        for ch in text
    ]
    return " ".join("".join(kept).split())


def cnam_text(result: LookupResult, spam_prefix: str) -> str:
    """The caller name for a PBX display: the name, else where the number is from, else the
    number; prefixed with ``spam_prefix`` for likely spam, never twice. Only characters of
    :func:`cnam_safe`, at most ``CNAM_MAX`` of them."""
    number, verdict = result.number, result.verdict
    if number is None or verdict is None:
        return ""
    if number.withheld:
        text = "Withheld"
    else:
        text = (
            caller_name(result.findings, result.history)
            or number.location
            or number.international
            or number.short
            or number.input
        )
    text = cnam_safe(text)
    marker = cnam_safe(spam_prefix)
    if verdict.level in SPAM_LEVELS and marker and not text.casefold().startswith(marker.casefold()):
        text = f"{marker} {text}"
    return text[:CNAM_MAX].rstrip()
