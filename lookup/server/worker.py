"""The server's database thread: every use of the store, and the engine that uses it, runs here.

SQLite calls block: a write waits up to the busy timeout (5 s) while the CLI holds the write
lock, and a connection's calls hold its mutex meanwhile. On the event loop that wait would stall
every request, the PBX's screens among them. So the store's one connection belongs to one
thread, which runs an event loop of its own: the engine's lookups (its reads, its fetches from
sources, its writes) run there as coroutines, and the server's own reads and writes as plain
calls between them. The server's event loop only ever awaits the results, with deadlines.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any, Awaitable, Callable, TypeVar

T = TypeVar("T")


class DbWorker:
    """A daemon thread running its own event loop; started on first use, stopped by :meth:`stop`."""

    def __init__(self, name: str = "whocalled-db"):
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=self._run, args=(loop,), name=self.name, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def is_current(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def submit(self, coro: Awaitable[T]) -> Future:
        """Run ``coro`` on the worker's loop; a concurrent Future of its result."""
        return asyncio.run_coroutine_threadsafe(_as_coroutine(coro), self.loop)

    def run(self, coro: Awaitable[T]) -> "asyncio.Future[T]":
        """``coro`` on the worker's loop, awaitable from the calling loop."""
        return asyncio.wrap_future(self.submit(coro))

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> "asyncio.Future[T]":
        """``fn(*args, **kwargs)`` on the worker's thread, awaitable from the calling loop."""

        async def invoke() -> T:
            return fn(*args, **kwargs)

        return self.run(invoke())

    def stop(self, timeout: float = 10.0) -> None:
        """Let what is running finish (up to ``timeout``), then end the thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not threading.current_thread():
            thread.join(timeout)


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable
