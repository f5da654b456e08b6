"""SQL for the user's own block and allow lists (the ``lists`` table) and spam reports (the
``reports`` table), as a mixin of :class:`db.store.Store` (which provides ``conn`` and ``atomic``).

The export's streaming query of one list, ``iter_list_rows``, stays on the Store itself.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from db.sql import chunks, marks
from lookup.models import Category, ListEntry, ListKind, Report


class ListsMixin:
    if TYPE_CHECKING:

        @property
        def conn(self) -> sqlite3.Connection: ...

        def atomic(self) -> AbstractContextManager[Any]: ...

    # ------------------------------------------------------------ block / allow lists

    def add_list_entry(self, entry: ListEntry) -> bool:
        """Add or update an entry; returns True when the pattern was not listed before."""
        with self.atomic():
            before = self.conn.execute("SELECT kind FROM lists WHERE pattern = ?", (entry.pattern,)).fetchone()
            self.conn.execute(
                "INSERT OR REPLACE INTO lists (pattern, kind, reason, added_at, origin) VALUES (?,?,?,?,?)",
                (entry.pattern, entry.kind.value, entry.reason, entry.added_at, entry.origin),
            )
        return before is None

    def add_list_entries(self, entries: Iterable[ListEntry], *, replace: bool = False) -> int:
        """Bulk add in one transaction; existing patterns are kept unless ``replace``. Returns rows added."""
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        with self.atomic():
            before = self.conn.total_changes
            self.conn.executemany(
                f"{verb} INTO lists (pattern, kind, reason, added_at, origin) VALUES (?,?,?,?,?)",
                ((e.pattern, e.kind.value, e.reason, e.added_at, e.origin) for e in entries),
            )
            return self.conn.total_changes - before

    def remove_list_entry(self, pattern: str) -> ListEntry | None:
        with self.atomic():
            entry = self.get_list_entry(pattern)
            if entry is not None:
                self.conn.execute("DELETE FROM lists WHERE pattern = ?", (pattern,))
        return entry

    def get_list_entry(self, pattern: str) -> ListEntry | None:
        row = self.conn.execute(
            "SELECT pattern, kind, reason, added_at, origin FROM lists WHERE pattern = ?", (pattern,)
        ).fetchone()
        return _entry(row) if row else None

    def list_entries(self, kind: ListKind | None = None) -> list[ListEntry]:
        return list(self.iter_list_entries(kind))

    def iter_list_entries(self, kind: ListKind | None = None, *, since: str | None = None) -> Iterator[ListEntry]:
        """Entries ordered by pattern, streamed from the cursor."""
        sql = "SELECT pattern, kind, reason, added_at, origin FROM lists"
        where, args = [], []
        if kind is not None:
            where.append("kind = ?")
            args.append(kind.value)
        if since:
            where.append("added_at >= ?")
            args.append(since)
        if where:
            sql += " WHERE " + " AND ".join(where)
        for row in self.conn.execute(sql + " ORDER BY pattern", args):
            yield _entry(row)

    def matching_entries(self, e164s: Sequence[str]) -> dict[str, list[ListEntry]]:
        """List entries that apply to each number: exact matches plus every matching prefix."""
        out: dict[str, list[ListEntry]] = defaultdict(list)
        keys = [k for k in dict.fromkeys(e164s) if k]
        for chunk in chunks(keys):
            for row in self.conn.execute(
                "SELECT pattern, kind, reason, added_at, origin FROM lists"
                f" WHERE pattern IN ({marks(len(chunk))})",
                chunk,
            ):
                out[row[0]].append(_entry(row))
        prefixes = [
            _entry(r)
            for r in self.conn.execute(
                "SELECT pattern, kind, reason, added_at, origin FROM lists WHERE pattern LIKE '%*'"
            )
        ]
        if prefixes:
            for key in keys:
                for entry in prefixes:
                    if entry.matches(key):
                        out[key].append(entry)
        return dict(out)

    # ------------------------------------------------------------ the user's reports

    def add_report(self, report: Report) -> int:
        with self.atomic():
            cur = self.conn.execute(
                "INSERT INTO reports (e164, category, note, at, created_at, submitted_to, submission)"
                " VALUES (?,?,?,?,?,?,?)",
                (
                    report.e164,
                    report.category.value,
                    report.note,
                    report.at,
                    report.created_at,
                    report.submitted_to,
                    report.submission,
                ),
            )
        return int(cur.lastrowid)

    def record_submission(self, report_id: int, submitted_to: str, result: str) -> None:
        with self.atomic():
            self.conn.execute(
                "UPDATE reports SET submitted_to = ?, submission = ? WHERE id = ?", (submitted_to, result, report_id)
            )

    def list_reports(self, e164s: Sequence[str] | None = None) -> list[Report]:
        sql = "SELECT id, e164, category, note, at, created_at, submitted_to, submission FROM reports"
        args: list[str] = []
        if e164s is not None:
            keys = list(dict.fromkeys(e164s))
            if not keys:
                return []
            out: list[Report] = []
            for chunk in chunks(keys):
                out.extend(
                    _report(r)
                    for r in self.conn.execute(sql + f" WHERE e164 IN ({marks(len(chunk))}) ORDER BY id", chunk)
                )
            return out
        return [_report(r) for r in self.conn.execute(sql + " ORDER BY id", args)]


def _entry(row: Sequence[Any]) -> ListEntry:
    return ListEntry(pattern=row[0], kind=ListKind(row[1]), reason=row[2], added_at=row[3], origin=row[4])


def _report(r: Sequence[Any]) -> Report:
    try:
        category = Category(r[2])
    except ValueError:
        category = Category.OTHER
    return Report(
        id=r[0], e164=r[1], category=category, note=r[3], at=r[4], created_at=r[5], submitted_to=r[6], submission=r[7]
    )
