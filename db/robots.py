"""SQL for the robots.txt memory (the ``robots`` table), as a mixin of :class:`db.store.Store`.

A cache and nothing more: when the database cannot be read or written (locked past the busy
timeout, read-only), robots.txt is simply fetched again, so errors end here. The fetcher
never writes: it hands what it learned to the engine, which saves it with the batch.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Mapping

from lookup.models import iso_now


class RobotsMixin:
    if TYPE_CHECKING:

        @property
        def conn(self) -> sqlite3.Connection: ...

        def atomic(self) -> AbstractContextManager[Any]: ...

    def recall_robots(self, origin: str, max_age_s: float) -> str | None:
        """The robots.txt body fetched from ``origin`` within ``max_age_s``, else None."""
        since = (datetime.now(timezone.utc) - timedelta(seconds=max_age_s)).isoformat(timespec="seconds")
        try:
            row = self.conn.execute(
                "SELECT body FROM robots WHERE origin = ? AND fetched_at > ?", (origin, since)
            ).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else row[0]

    def save_robots(self, bodies: Mapping[str, str], fetched_at: str | None = None) -> bool:
        """Keep each origin's robots.txt body (``""`` for a 4xx answer) as of ``fetched_at``
        (now); False when they could not be kept."""
        if not bodies:
            return True
        at = fetched_at or iso_now()
        try:
            with self.atomic():
                self.conn.executemany(
                    "INSERT OR REPLACE INTO robots (origin, body, fetched_at) VALUES (?, ?, ?)",
                    [(origin, body, at) for origin, body in bodies.items()],
                )
        except sqlite3.Error:
            return False
        return True
