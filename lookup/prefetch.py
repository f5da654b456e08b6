"""Working out number facts in a second process while a big call log is still being read.

Triage of a large log spends its time in two places: reading and storing the
calls (one core: the XML parser and SQLite), and parsing each distinct number
with phonenumbers to learn its region, type, formats, place and time zones
(about 0.1 ms per number). The second does not depend on the first, so on a
machine with more than one core a forked worker parses the numbers as the
reader meets them, and the main process stores the facts when the log is done.
The engine then finds them stored, exactly as on a second run.

It is only ever a head start. Nothing here is needed for a correct answer:
if the machine has one core, the log is small, the platform cannot fork, or the
worker fails in any way, the engine parses whatever is not stored, as always.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from lookup.models import Number
from lookup.numbers import NumberError, parse_number, with_details

# Below this many numbers the worker's start-up (a fork, ~10 ms) is not worth it.
MIN_NUMBERS = 1_000
CHUNK = 1_000
IN_FLIGHT = 2  # chunks handed to the pool at once: one parsing, one ready
# Seconds to wait at the end for a chunk the worker is already parsing.
FINISH_TIMEOUT_S = 30.0


def facts_for(e164s: list[str], region: str) -> list[Number]:
    """Full facts (with location, carrier and time zones) for E.164 keys; unparsable ones are left out."""
    out = []
    for e164 in e164s:
        try:
            number, parsed = parse_number(e164, region)
        except NumberError:
            continue
        if parsed is not None and number.e164:
            out.append(with_details(number, parsed))
    return out


def _work(e164s: list[str], region: str) -> list[Number]:
    return facts_for(e164s, region)  # looked up at call time, so a test can watch the worker


PARENT_CHECK_S = 0.5


def _watch_parent(parent: int) -> None:
    """In the worker: end it when the triage process that forked it is gone (killed, say),
    instead of waiting forever on a queue nobody writes to, holding memory and open files."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="whocalled-parent-watch", daemon=True).start()


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class FactsPrefetch:
    """Collects new numbers with :meth:`add`; from :data:`MIN_NUMBERS` on, sends them in
    chunks to one forked worker. :meth:`finish` returns the facts worked out so far.

    At most :data:`IN_FLIGHT` chunks are handed to the pool at a time (the worker is never
    idle: the pool's manager passes it one while it parses another); the rest wait here and
    are simply dropped by :meth:`finish`. So no future is ever cancelled. That matters: on
    Python 3.11, a pool whose worker dies while a cancelled future is still pending crashes
    its manager thread (``InvalidStateError`` in ``terminate_broken``), which prints a
    traceback and leaves a queue-feeder thread behind."""

    def __init__(
        self, region: str, *, min_numbers: int | None = None, chunk: int | None = None, enabled: bool | None = None
    ) -> None:
        self.region = region
        self.min_numbers = MIN_NUMBERS if min_numbers is None else min_numbers
        self.chunk = CHUNK if chunk is None else chunk
        can_fork = "fork" in multiprocessing.get_all_start_methods()
        self.enabled = can_fork and (usable_cpus() > 1 if enabled is None else enabled)
        self.sent = 0  # numbers handed to the worker
        self._pending: list[str] = []  # the chunk being filled
        self._waiting: list[list[str]] = []  # full chunks not yet handed over
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[list[Number]]] = []
        self._adds = 0
        self.failure: str | None = None

    def add(self, e164: str) -> None:
        if not self.enabled:
            return
        self._pending.append(e164)
        if self._pool is None and self.sent + len(self._pending) < self.min_numbers:
            return
        if len(self._pending) >= self.chunk:
            self._waiting.append(self._pending)
            self._pending = []
            self._pump()
        elif self._waiting:
            self._adds += 1
            if self._adds % 16 == 0:  # a chunk may have come back: hand over the next one
                self._pump()

    def _pump(self) -> None:
        """Start the worker if needed, and hand it waiting chunks while fewer than
        :data:`IN_FLIGHT` are out (one worker takes them in order, so only the last can be)."""
        try:
            if self._pool is None:
                if threading.active_count() > 1:  # a fork copies no threads but their held locks
                    self._give_up("other threads are running; not forking")
                    return
                # fork: the worker starts with phonenumbers and its metadata already loaded.
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("fork"),
                    initializer=_watch_parent,
                    initargs=(os.getpid(),),
                )
            while self._waiting and sum(not f.done() for f in self._futures[-IN_FLIGHT:]) < IN_FLIGHT:
                batch = self._waiting.pop(0)
                self._futures.append(self._pool.submit(_work, batch, self.region))
                self.sent += len(batch)
        except (OSError, RuntimeError, BrokenProcessPool) as exc:
            self._give_up(f"could not start the worker: {exc}")

    def finish(self) -> list[Number]:
        """Facts of every chunk handed to the worker; chunks still waiting here are dropped
        (the engine parses those itself). Never raises; stops the worker."""
        self._pending.clear()
        self._waiting.clear()
        if self._pool is None:
            return []
        out: list[Number] = []
        try:
            for future in self._futures:
                out += future.result(timeout=FINISH_TIMEOUT_S)
        except Exception as exc:  # a crashed or hung worker only loses the head start
            self._give_up(f"worker failed: {type(exc).__name__}: {exc}")
            return out
        self._pool.shutdown(wait=True)
        self._pool = None
        return out

    def _give_up(self, why: str) -> None:
        self.failure = why
        self.enabled = False
        self._pending.clear()
        self._waiting.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None
