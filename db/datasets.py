"""SQL for the bulk datasets: complaint rows, sync progress and per-prefix facts.

:class:`DatasetsMixin` is one of :class:`db.store.Store`'s bases and uses its
``conn`` (autocommit sqlite3 connection) and ``atomic()`` (a ``BEGIN
IMMEDIATE`` write transaction). Complaint rows are written in batches, each
batch its own transaction, with ``INSERT OR IGNORE`` on a stable row id: a
killed import leaves whole batches behind and re-running it adds only what is
missing.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Sequence

from db.sql import chunks, days_after, marks
from lookup.models import CachedPrefix, ComplaintSummary, Finding, Status, SyncState, iso_now

__all__ = ["CachedPrefix", "ComplaintSummary", "ComplaintCount", "DatasetsMixin", "SyncState"]  # the value types live in lookup.models

# The order of a complaint row tuple as the dataset readers yield it.
COMPLAINT_COLUMNS = (
    "id",
    "dataset",
    "e164",
    "created_at",
    "violation_at",
    "city",
    "state",
    "area_code",
    "subject",
    "robocall",
    "call_type",
)
INSERT_COMPLAINT = (
    f"INSERT OR IGNORE INTO complaints ({', '.join(COMPLAINT_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(COMPLAINT_COLUMNS))})"
)
IMPORT_CACHE_KIB = 64 * 1024


@dataclass(frozen=True)
class ComplaintCount:
    """One row of :meth:`DatasetsMixin.iter_complaint_numbers` (for blocklist exports)."""

    e164: str
    complaints: int
    latest: str | None




class DatasetsMixin:
    """Complaints, sync state and prefix facts. Mixed into ``Store``."""

    if TYPE_CHECKING:

        @property
        def conn(self) -> sqlite3.Connection: ...

        def atomic(self) -> AbstractContextManager[Any]: ...

    # ------------------------------------------------------------ complaints

    def import_complaints(
        self,
        rows: Iterable[Sequence[Any]],
        *,
        batch: int = 50_000,
        on_batch: Callable[[int], None] | None = None,
    ) -> int:
        """Insert complaint rows (``COMPLAINT_COLUMNS`` order), ``batch`` rows per transaction.
        Rows already present (same id) are ignored. ``on_batch(added)`` is called after each
        commit, so a caller knows what stayed even when the row iterator raises. Returns rows added.

        The page cache is raised to ``IMPORT_CACHE_KIB`` for the import (then restored): the
        indexes of a few million rows then stay in memory instead of being re-read per batch."""
        added = 0
        it = iter(rows)
        previous = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        self.conn.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        try:
            while True:
                chunk = list(islice(it, batch))
                if not chunk:
                    return added
                with self.atomic():
                    before = self.conn.total_changes
                    self.conn.executemany(INSERT_COMPLAINT, chunk)
                    count = self.conn.total_changes - before
                added += count
                if on_batch is not None:
                    on_batch(count)
        finally:
            self.conn.execute(f"PRAGMA cache_size = {int(previous)}")

    def count_complaints(self, dataset: str | None = None) -> int:
        if dataset is None:
            return self.conn.execute("SELECT COUNT(*) FROM complaints").fetchone()[0]
        return self.conn.execute("SELECT COUNT(*) FROM complaints WHERE dataset = ?", (dataset,)).fetchone()[0]

    def complaint_summaries(self, e164s: Sequence[str], dataset: str) -> dict[str, ComplaintSummary]:
        """Per number: count, latest date, robocall tally and top values (two queries per chunk)."""
        keys = [k for k in dict.fromkeys(e164s) if k]
        heads: dict[str, tuple[int, str | None, int, int]] = {}
        subjects: dict[str, list[tuple[str, int]]] = {}
        call_types: dict[str, list[tuple[str, int]]] = {}
        for chunk in chunks(keys):
            holders = marks(len(chunk))
            for e164, count, latest, robocalls, known in self.conn.execute(
                "SELECT e164, COUNT(*), MAX(created_at), TOTAL(robocall = 1), COUNT(robocall) FROM complaints"
                f" WHERE dataset = ? AND e164 IN ({holders}) GROUP BY e164",
                [dataset, *chunk],
            ):
                heads[e164] = (count, latest, int(robocalls), known)
            for e164, column, value, count in self.conn.execute(
                "SELECT e164, 'subject', subject, COUNT(*) FROM complaints"
                f" WHERE dataset = ? AND e164 IN ({holders}) AND subject IS NOT NULL GROUP BY e164, subject"
                " UNION ALL SELECT e164, 'call_type', call_type, COUNT(*) FROM complaints"
                f" WHERE dataset = ? AND e164 IN ({holders}) AND call_type IS NOT NULL GROUP BY e164, call_type",
                [dataset, *chunk, dataset, *chunk],
            ):
                (subjects if column == "subject" else call_types).setdefault(e164, []).append((value, count))
        return {
            e164: ComplaintSummary(
                e164=e164,
                complaints=count,
                latest=latest,
                robocalls=robocalls,
                robocall_known=known,
                subjects=_most_first(subjects.get(e164, [])),
                call_types=_most_first(call_types.get(e164, [])),
            )
            for e164, (count, latest, robocalls, known) in heads.items()
        }

    def iter_complaint_numbers(
        self, dataset: str | None = None, min_complaints: int = 1, since: str | None = None
    ) -> Iterator[ComplaintCount]:
        """Numbers with at least ``min_complaints`` complaints (created on or after ``since``),
        most complained-about first, streamed from the cursor."""
        where, args = ["e164 IS NOT NULL"], []
        if dataset is not None:
            where.append("dataset = ?")
            args.append(dataset)
        if since:
            where.append("created_at >= ?")
            args.append(since)
        sql = (
            f"SELECT e164, COUNT(*) AS n, MAX(created_at) FROM complaints WHERE {' AND '.join(where)}"
            " GROUP BY e164 HAVING n >= ? ORDER BY n DESC, e164"
        )
        for e164, count, latest in self.conn.execute(sql, [*args, max(int(min_complaints), 1)]):
            yield ComplaintCount(e164, count, latest)

    # ------------------------------------------------------------ sync state

    def get_sync_state(self, dataset: str) -> SyncState | None:
        row = self.conn.execute(
            "SELECT dataset, last_date, etag, last_modified, rows, updated_at, detail, state FROM sync_state"
            " WHERE dataset = ?",
            (dataset,),
        ).fetchone()
        if row is None:
            return None
        try:
            state = json.loads(row[7]) if row[7] else {}
        except ValueError:
            state = {}
        return SyncState(
            dataset=row[0],
            last_date=row[1],
            etag=row[2],
            last_modified=row[3],
            rows=row[4] or 0,
            updated_at=row[5],
            detail=row[6],
            state=state if isinstance(state, dict) else {},
        )

    def set_sync_state(self, state: SyncState) -> None:
        """Save ``state`` (its ``updated_at`` is set to now)."""
        state.updated_at = iso_now()
        with self.atomic():
            self.conn.execute(
                "INSERT OR REPLACE INTO sync_state (dataset, last_date, etag, last_modified, rows, updated_at,"
                " detail, state) VALUES (?,?,?,?,?,?,?,?)",
                (
                    state.dataset,
                    state.last_date,
                    state.etag,
                    state.last_modified,
                    state.rows,
                    state.updated_at,
                    state.detail,
                    json.dumps(state.state, sort_keys=True),
                ),
            )

    # ------------------------------------------------------------ prefix facts

    def fresh_prefixes(
        self, keys: Sequence[str], source: str, *, now: str | None = None, include_stale: bool = False
    ) -> dict[str, CachedPrefix]:
        """Stored answers of ``source`` for these prefixes; expired ones only with ``include_stale``
        (the offline path shows what it has)."""
        now = now or iso_now()
        out: dict[str, CachedPrefix] = {}
        for chunk in chunks([k for k in dict.fromkeys(keys) if k]):
            sql = (
                "SELECT prefix, source, status, facts, fetched_at, expires_at FROM prefixes"
                f" WHERE source = ? AND prefix IN ({marks(len(chunk))})"
            )
            args: list[str] = [source, *chunk]
            if not include_stale:
                sql += " AND expires_at > ?"
                args.append(now)
            for prefix, src, status, facts, fetched_at, expires_at in self.conn.execute(sql, args):
                try:
                    loaded = json.loads(facts) if facts else {}
                except ValueError:
                    continue  # an unreadable row is refetched
                out[prefix] = CachedPrefix(prefix, src, Status(status), loaded, fetched_at, expires_at)
        return out

    def save_prefixes(self, source: str, findings: Mapping[str, Finding], ttl_days: float) -> int:
        """Save definite answers per prefix key in one transaction; failures are not cached."""
        rows = [
            (key, source, f.status.value, json.dumps(f.facts, default=str), f.fetched_at,
             days_after(f.fetched_at, ttl_days))
            for key, f in findings.items()
            if f.status.is_definite and key
        ]
        if rows:
            with self.atomic():
                self.conn.executemany(
                    "INSERT OR REPLACE INTO prefixes (prefix, source, status, facts, fetched_at, expires_at)"
                    " VALUES (?,?,?,?,?,?)",
                    rows,
                )
        return len(rows)


def _most_first(pairs: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(pairs, key=lambda p: (-p[1], p[0])))
