"""SQL for the blocked caller-name patterns (``whocalled block --name``).

:class:`NamesMixin` is one of :class:`db.store.Store`'s bases. Patterns are stored upper case
(see :func:`lookup.callinfo.name_pattern`), one row each.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Callable

from lookup.callinfo import NameBlock


class NamesMixin:
    """Blocked name patterns. Mixed into ``Store``."""

    if TYPE_CHECKING:

        @property
        def conn(self) -> sqlite3.Connection: ...

        atomic: Callable[..., AbstractContextManager[Any]]

    def add_name_block(self, block: NameBlock) -> bool:
        """Add or update a pattern; returns True when it was not stored before."""
        with self.atomic():
            before = self.conn.execute("SELECT 1 FROM name_blocks WHERE pattern = ?", (block.pattern,)).fetchone()
            self.conn.execute(
                "INSERT OR REPLACE INTO name_blocks (pattern, reason, added_at, origin) VALUES (?,?,?,?)",
                (block.pattern, block.reason, block.added_at, block.origin),
            )
        return before is None

    def remove_name_block(self, pattern: str) -> NameBlock | None:
        with self.atomic():
            block = self.get_name_block(pattern)
            if block is not None:
                self.conn.execute("DELETE FROM name_blocks WHERE pattern = ?", (pattern,))
        return block

    def get_name_block(self, pattern: str) -> NameBlock | None:
        row = self.conn.execute(
            "SELECT pattern, reason, added_at, origin FROM name_blocks WHERE pattern = ?", (pattern,)
        ).fetchone()
        return NameBlock(*row) if row else None

    def list_name_blocks(self) -> list[NameBlock]:
        """Every blocked name pattern, ordered by pattern."""
        rows = self.conn.execute("SELECT pattern, reason, added_at, origin FROM name_blocks ORDER BY pattern")
        return [NameBlock(*row) for row in rows]
