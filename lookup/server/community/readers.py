"""Checks answered on a few threads, each with a connection of its own.

A check waits on the database (PostgreSQL across a socket, SQLite on the disk or its page
cache); both drivers let other Python threads run meanwhile, so with the reads on threads the
event loop parses the next requests while the database answers the last ones. Writes stay on
the loop's own connection: they are rare, and one writer at a time per process is enough.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from db.community import CommunityStore, Tally


class ReaderPool:
    def __init__(self, open_store: Callable[[], CommunityStore], size: int = 4):
        self._open = open_store
        self._executor = ThreadPoolExecutor(size, thread_name_prefix="community-read")
        self._local = threading.local()
        self._opened: list[CommunityStore] = []
        self._lock = threading.Lock()

    def _store(self) -> CommunityStore:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = self._open()
            with self._lock:
                self._opened.append(store)
        return store

    def _check(self, prefix: str) -> list[Tally]:
        return self._store().check_range(prefix)

    async def check_range(self, prefix: str) -> list[Tally]:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._check, prefix)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        for store in self._opened:
            store.close()
