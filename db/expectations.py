"""The SQL for what the user expects and what they take back, as a mixin of
:class:`db.store.Store` (which provides ``conn`` and ``atomic``): the ``expectations`` table
(calls the user is waiting for, :mod:`lookup.expect`), and the two undos, forgetting a
number's stored calls and removing one of the user's own reports.

Rows go out as plain tuples; :mod:`lookup.expect` turns them into values, so this module
imports nothing of the domain but its models."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from lookup.models import Report

# id, who, scope, pattern, until_at, created_at, done_at
ExpectationRow = tuple[int, str, str, str, str, str, "str | None"]
_COLUMNS = "id, who, scope, pattern, until_at, created_at, done_at"


class ExpectationsMixin:
    if TYPE_CHECKING:

        @property
        def conn(self) -> sqlite3.Connection: ...

        def atomic(self) -> AbstractContextManager[Any]: ...

    def add_expectation(self, who: str, scope: str, pattern: str, until_at: str, created_at: str) -> int:
        """Store an open expectation; returns its id."""
        with self.atomic():
            cur = self.conn.execute(
                "INSERT INTO expectations (who, scope, pattern, until_at, created_at) VALUES (?,?,?,?,?)",
                (who, scope, pattern, until_at, created_at),
            )
        return int(cur.lastrowid or 0)

    def open_expectation_rows(self, now: str) -> list[ExpectationRow]:
        """Expectations not closed and not over at ``now`` (ISO UTC), soonest to end first."""
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM expectations WHERE done_at IS NULL AND until_at > ? ORDER BY until_at, id",
            (now,),
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def expectation_row(self, expectation_id: int) -> ExpectationRow | None:
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM expectations WHERE id = ?", (expectation_id,)).fetchone()
        return tuple(row) if row else None  # type: ignore[return-value]

    def close_expectation(self, expectation_id: int, done_at: str) -> bool:
        """Mark an open expectation done; False when there is no such open one."""
        with self.atomic():
            cur = self.conn.execute(
                "UPDATE expectations SET done_at = ? WHERE id = ? AND done_at IS NULL", (done_at, expectation_id)
            )
        return cur.rowcount > 0

    # ------------------------------------------------------------ undo

    def calls_summary(self, e164: str) -> tuple[int, str | None, str | None]:
        """How many calls of ``e164`` are stored, and the first and last time among them."""
        row = self.conn.execute("SELECT COUNT(*), MIN(at), MAX(at) FROM calls WHERE e164 = ?", (e164,)).fetchone()
        return int(row[0]), row[1], row[2]

    def forget_calls(self, e164: str) -> int:
        """Delete every stored call from or to ``e164``; returns how many."""
        with self.atomic():
            cur = self.conn.execute("DELETE FROM calls WHERE e164 = ?", (e164,))
        return cur.rowcount

    def get_report(self, report_id: int) -> Report | None:
        from db.lists import _report

        row = self.conn.execute(
            "SELECT id, e164, category, note, at, created_at, submitted_to, submission FROM reports WHERE id = ?",
            (report_id,),
        ).fetchone()
        return _report(row) if row else None

    def remove_report(self, report_id: int) -> bool:
        """Delete one of the user's reports; False when there is no such report."""
        with self.atomic():
            cur = self.conn.execute("DELETE FROM reports WHERE id = ?", (report_id,))
        return cur.rowcount > 0
