"""The listening socket's guard: a bound on open connections and on the time a client may take
to send its request head, checked before aiohttp (and so before any token check) sees a byte.

Thousands of half-sent requests would otherwise each hold a file handle until the process runs
out, and every new client, the PBX's screens among them, would time out. Here:

- at most ``limit`` connections are open at once; a new one past the limit takes the place of
  the oldest connection still sending its first request head, and when every open connection
  has sent one, the newcomer gets a short ``503`` with ``Retry-After`` and is closed;
- a connection that has not sent its whole first request head within ``head_timeout`` seconds
  is closed (aiohttp's keep-alive timeout, set to the same, closes one that idles or dribbles
  between requests);
- what was shed is logged in one line at most once per ``log_interval``, with counts.

Connections that sent their request are never shed: existing clients keep their answers.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import Counter, OrderedDict
from typing import Any, Callable

from aiohttp import web

log = logging.getLogger("whocalled.server")

HEAD_END = b"\r\n\r\n"
BUSY_BODY = b'{"error": "the server is busy; try again in a second"}'
BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b"Connection: close\r\nContent-Length: " + str(len(BUSY_BODY)).encode() + b"\r\n\r\n" + BUSY_BODY
)
FILE_HANDLE_MARGIN = 32  # handles kept for the database, the log, sources' sockets
ACCEPT_BATCH = 16  # sockets asyncio accepts in one turn before any of them reaches the guard
LISTEN_QUEUE = 1024  # connections the kernel holds until they are accepted


class ConnectionGuard:
    """Makes guarded protocols around ``factory`` (aiohttp's ``web.Server``) and keeps the counts."""

    def __init__(self, factory: Callable[[], asyncio.Protocol], *, limit: int, head_timeout: float,
                 log_interval: float = 60.0):
        self.factory = factory
        self.limit = max(1, limit)
        self.head_timeout = head_timeout
        self.log_interval = log_interval
        self.open = 0
        self.waiting: OrderedDict[GuardedConnection, None] = OrderedDict()  # oldest first
        self.shed: Counter[str] = Counter()  # since the last log line
        self.total: Counter[str] = Counter()  # since start
        self._log_handle: asyncio.TimerHandle | None = None

    def __call__(self) -> "GuardedConnection":
        return GuardedConnection(self)

    def admit(self, conn: "GuardedConnection") -> bool:
        """Room for ``conn``: made by shedding the oldest connection still sending its head, else refused."""
        if self.open >= self.limit and self.waiting:
            oldest = next(iter(self.waiting))
            oldest.drop("evicted")
        if self.open >= self.limit:
            self.note("refused")
            return False
        self.open += 1
        return True

    def note(self, kind: str) -> None:
        self.shed[kind] += 1
        self.total[kind] += 1
        if self._log_handle is None:
            self.flush_log()

    def flush_log(self) -> None:
        """One line for what was shed since the last one; then quiet for ``log_interval``."""
        self._log_handle = None
        if not self.shed:
            return
        parts = {
            "refused": "refused past the limit of {limit} open connections",
            "evicted": "closed to make room (still sending their request)",
            "slow": "closed after {timeout:g} s without a whole request head",
        }
        said = "; ".join(
            f"{self.shed[k]} {text.format(limit=self.limit, timeout=self.head_timeout)}" for k, text in parts.items() if self.shed[k]
        )
        log.warning("connections shed: %s (next report in %g s at the earliest)", said, self.log_interval)
        self.shed.clear()
        self._log_handle = asyncio.get_running_loop().call_later(self.log_interval, self.flush_log)

    def close(self) -> None:
        if self._log_handle is not None:
            self._log_handle.cancel()
            self._log_handle = None


class GuardedConnection(asyncio.Protocol):
    """aiohttp's request handler behind a gate: admitted or not, timed until its head is in."""

    def __init__(self, guard: ConnectionGuard):
        self.guard = guard
        self.inner: Any = None  # aiohttp's RequestHandler once admitted
        self.transport: asyncio.Transport | None = None
        self._tail = b""
        self._timer: asyncio.TimerHandle | None = None
        self._counted = False  # holds one of the guard's places

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if not self.guard.admit(self):
            transport.write(BUSY_RESPONSE)  # type: ignore[attr-defined]
            transport.close()
            return
        self._counted = True
        self.guard.waiting[self] = None
        self._timer = asyncio.get_running_loop().call_later(self.guard.head_timeout, self.drop, "slow")
        self.inner = self.guard.factory()
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.inner is None:
            return
        if self._timer is not None:
            seen = self._tail + data
            if HEAD_END in seen:
                self._head_in()
            else:
                self._tail = seen[-3:]
        self.inner.data_received(data)

    def _head_in(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.guard.waiting.pop(self, None)
        self._tail = b""

    def drop(self, why: str) -> None:
        """Close a connection that has not sent its request head (too slow, or room is needed)."""
        if self._timer is None or self.transport is None:
            return
        self._head_in()
        self.guard.note(why)
        self._release()
        self.transport.abort()  # connection_lost follows on the next turn of the loop

    def _release(self) -> None:
        if self._counted:
            self._counted = False
            self.guard.open -= 1

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.inner is None:
            return
        self._head_in()
        self._release()
        inner, self.inner = self.inner, None
        inner.connection_lost(exc)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.inner is not None else None

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()


class GuardedSite(web.TCPSite):
    """``web.TCPSite`` whose connections pass through a :class:`ConnectionGuard` first."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, *, limit: int, head_timeout: float,
                 log_interval: float = 60.0):
        super().__init__(runner, host, port, backlog=ACCEPT_BATCH)
        self.limit, self.head_timeout, self.log_interval = limit, head_timeout, log_interval
        self.guard: ConnectionGuard | None = None

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site with its runner; TCPSite's own start is replaced
        assert self._runner.server is not None
        self.guard = ConnectionGuard(self._runner.server, limit=self.limit, head_timeout=self.head_timeout,
                                     log_interval=self.log_interval)
        self._server = await asyncio.get_running_loop().create_server(
            self.guard, self._host, self._port, backlog=self._backlog, reuse_address=self._reuse_address
        )
        # asyncio accepts up to ``backlog`` sockets per turn, each a file handle before the guard
        # can shed it; a small batch keeps that within the handles left, a long kernel queue
        # keeps a burst of clients waiting instead of dropped.
        for sock in self._server.sockets:
            with socket.fromfd(sock.fileno(), sock.family, sock.type) as same:  # a second handle on it
                same.listen(LISTEN_QUEUE)
        self._bound_port = self._server.sockets[0].getsockname()[1] if self._server.sockets else self._port

    async def stop(self) -> None:
        if self.guard is not None:
            self.guard.close()
        await super().stop()


def usable_limit(wanted: int) -> int:
    """``wanted`` connections, or fewer when the process may not open that many files."""
    try:
        import resource
    except ImportError:  # not on this platform: trust the setting
        return wanted
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    # a turn of the loop may hold a batch just accepted and as many just shed, not yet closed
    return max(1, min(wanted, soft - FILE_HANDLE_MARGIN - 2 * ACCEPT_BATCH))
