"""The household's side: its copy of the community server's list, in the household's own
database (``whocalled sync community``). Mixed into :class:`db.store.Store`.

A sync applies the numbers the server added and removed since the version this copy has, in
one transaction together with that version, so an interrupted sync leaves the last good copy
and the next one asks again from where it stood.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Sequence

from db.sql import chunks, marks
from lookup.models import SyncState

DATASET = "community"  # the copy's row in sync_state


class CommunityListMixin:
    if TYPE_CHECKING:

        @property
        def conn(self) -> sqlite3.Connection: ...

        def atomic(self) -> AbstractContextManager[Any]: ...

        def get_sync_state(self, dataset: str) -> SyncState | None: ...

        def set_sync_state(self, state: SyncState) -> None: ...

    def apply_community_changes(self, added: Sequence[str], removed: Sequence[str], version: int, *,
                                full: bool, state: SyncState) -> int:
        """Apply one answer of the list endpoint (``full``: the whole list, replacing the copy)
        and record ``version`` in ``state``; the numbers on the copy afterwards."""
        with self.atomic():
            if full:
                self.conn.execute("DELETE FROM community_list")
            self.conn.executemany("INSERT OR REPLACE INTO community_list (e164, version) VALUES (?, ?)",
                                  [(e164, version) for e164 in added])
            for part in chunks(list(removed)):
                self.conn.execute(f"DELETE FROM community_list WHERE e164 IN ({marks(len(part))})", part)
            rows = self.conn.execute("SELECT COUNT(*) FROM community_list").fetchone()[0]
            state.rows = rows
            self.set_sync_state(state)
        return rows

    def community_list_numbers(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT e164 FROM community_list ORDER BY e164")]

    def community_listed(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` (E.164) are on the household's copy of the community list."""
        found: set[str] = set()
        for part in chunks(list(keys)):
            found.update(r[0] for r in self.conn.execute(
                f"SELECT e164 FROM community_list WHERE e164 IN ({marks(len(part))})", part))
        return found
