"""The Store: the only code in whocalled that runs SQL.

One SQLite file (WAL mode, a busy timeout) shared by the CLI and the server.
Writes happen in one transaction per batch; reads for a batch are one query
per table, never one per number.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from sqlite_utils import Database

from db.datasets import DatasetsMixin, _after, _chunks, _marks
from db.migrations import apply_migrations
from lookup.models import (
    Category,
    Comment,
    Finding,
    History,
    ListEntry,
    ListKind,
    Number,
    NumberKind,
    NumberType,
    Report,
    Status,
    iso_now,
)

BUSY_TIMEOUT_MS = 5000


class StoreError(RuntimeError):
    """The database file cannot be opened or used (one-line message)."""


class Store(DatasetsMixin):
    """Open (creating and upgrading as needed) the database at ``path``; ``":memory:"`` for tests."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA cache_size = -16384")  # 16 MB: bulk imports keep their indexes in memory
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            self.db = Database(conn, execute_plugins=False)
            apply_migrations(self.db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from None
        except OSError as exc:
            raise StoreError(f"cannot create database {self.path}: {exc.strerror}") from None

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def journal_mode(self) -> str:
        return self.conn.execute("PRAGMA journal_mode").fetchone()[0]

    @contextmanager
    def atomic(self) -> Iterator["Store"]:
        """A write transaction. ``BEGIN IMMEDIATE`` takes the write lock up front, so a second
        writer (the CLI beside the server) waits for the busy timeout instead of failing
        when a read transaction cannot be upgraded. Nested blocks become savepoints."""
        if self.conn.in_transaction:
            with self.db.atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # ------------------------------------------------------------ numbers

    def get_numbers(self, e164s: Sequence[str]) -> dict[str, Number]:
        """Stored facts for each known number (input is set to the E.164 string)."""
        out: dict[str, Number] = {}
        keys = list(dict.fromkeys(e164s))
        for chunk in _chunks(keys):
            rows = self.conn.execute(
                "SELECT e164, region, country_code, national, international, valid, possible, type,"
                f" location, carrier, time_zones FROM numbers WHERE e164 IN ({_marks(len(chunk))})",
                chunk,
            )
            for r in rows:
                out[r[0]] = Number(
                    input=r[0],
                    kind=NumberKind.NUMBER,
                    e164=r[0],
                    region=r[1],
                    country_code=r[2],
                    national=r[3],
                    international=r[4],
                    valid=bool(r[5]),
                    possible=bool(r[6]),
                    type=NumberType(r[7]) if r[7] else NumberType.UNKNOWN,
                    location=r[8],
                    carrier=r[9],
                    time_zones=tuple(json.loads(r[10])) if r[10] else (),
                )
        return out

    def save_numbers(self, numbers: Iterable[Number]) -> int:
        now = iso_now()
        rows = [
            (
                n.e164,
                n.region,
                n.country_code,
                n.national,
                n.international,
                int(n.valid),
                int(n.possible),
                n.type.value,
                n.location,
                n.carrier,
                json.dumps(list(n.time_zones)),
                now,
                now,
            )
            for n in numbers
            if n.e164
        ]
        if not rows:
            return 0
        with self.atomic():
            self.conn.executemany(
                "INSERT INTO numbers (e164, region, country_code, national, international, valid, possible,"
                " type, location, carrier, time_zones, first_seen_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(e164) DO UPDATE SET region=excluded.region, country_code=excluded.country_code,"
                " national=excluded.national, international=excluded.international, valid=excluded.valid,"
                " possible=excluded.possible, type=excluded.type, location=excluded.location,"
                " carrier=excluded.carrier, time_zones=excluded.time_zones, updated_at=excluded.updated_at",
                rows,
            )
        return len(rows)

    # ------------------------------------------------------------ findings

    def fresh_findings(self, e164s: Sequence[str], now: str | None = None) -> dict[str, list[Finding]]:
        """Cached definite findings that have not expired, per number (one query per chunk)."""
        now = now or iso_now()
        out: dict[str, list[Finding]] = defaultdict(list)
        keys = list(dict.fromkeys(e164s))
        for chunk in _chunks(keys):
            rows = self.conn.execute(
                "SELECT * FROM findings WHERE status IN ('found', 'not_found') AND expires_at > ?"
                f" AND e164 IN ({_marks(len(chunk))})",
                [now, *chunk],
            )
            cols = [d[0] for d in rows.description]
            for raw in rows:
                row = dict(zip(cols, raw))
                out[row["e164"]].append(_finding_from_row(row, cached=True))
        return dict(out)

    def latest_findings(self, e164s: Sequence[str]) -> dict[str, list[Finding]]:
        """The latest stored finding per source, fresh or not (for display and diagnostics)."""
        out: dict[str, list[Finding]] = defaultdict(list)
        for chunk in _chunks(list(dict.fromkeys(e164s))):
            rows = self.conn.execute(f"SELECT * FROM findings WHERE e164 IN ({_marks(len(chunk))})", chunk)
            cols = [d[0] for d in rows.description]
            for raw in rows:
                row = dict(zip(cols, raw))
                out[row["e164"]].append(_finding_from_row(row, cached=True))
        return dict(out)

    def save_findings(self, findings: Iterable[Finding], ttl_days: Callable[[Finding], float]) -> int:
        """Save a batch in one transaction. Definite answers replace the row; a failure never
        overwrites a good answer (it is kept beside it), and is stored so it never counts as fresh."""
        definite, failed = [], []
        for f in findings:
            if not f.e164:
                continue
            (definite if f.status.is_definite else failed).append(f)
        health: dict[str, tuple[str | None, Finding | None]] = {}
        with self.atomic():
            if definite:
                self.conn.executemany(
                    "INSERT OR REPLACE INTO findings (e164, source, status, fetched_at, expires_at, name, spam,"
                    " reports, categories, last_reported, url, detail, excerpt, facts)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [
                        (
                            f.e164,
                            f.source,
                            f.status.value,
                            f.fetched_at,
                            _after(f.fetched_at, ttl_days(f)),
                            f.name,
                            f.spam,
                            f.reports,
                            json.dumps(list(f.categories)),
                            f.last_reported,
                            f.url,
                            f.detail,
                            f.excerpt,
                            json.dumps(f.facts, default=str),
                        )
                        for f in definite
                    ],
                )
                comment_rows = [
                    (
                        _comment_id(f, c),
                        f.e164,
                        f.source,
                        c.text,
                        c.at,
                        c.caller,
                        c.call_type,
                        c.url,
                        f.fetched_at,
                    )
                    for f in definite
                    for c in f.comments
                ]
                if comment_rows:
                    self.conn.executemany(
                        "INSERT OR IGNORE INTO comments (id, e164, source, text, at, caller, call_type, url,"
                        " fetched_at) VALUES (?,?,?,?,?,?,?,?,?)",
                        comment_rows,
                    )
                    self._trim_comments({(f.e164, f.source) for f in definite if f.comments})
                for f in definite:
                    health[f.source] = (f.fetched_at, health.get(f.source, (None, None))[1])
            for f in failed:
                self.conn.execute(
                    "INSERT INTO findings (e164, source, status, fetched_at, expires_at, detail)"
                    " VALUES (?,?,?,?,?,?) ON CONFLICT(e164, source) DO UPDATE SET"
                    " failure_status=excluded.status, failure_detail=excluded.detail,"
                    " failure_at=excluded.fetched_at,"
                    " status=CASE WHEN findings.status IN ('found','not_found') THEN findings.status"
                    " ELSE excluded.status END,"
                    " detail=CASE WHEN findings.status IN ('found','not_found') THEN findings.detail"
                    " ELSE excluded.detail END,"
                    " fetched_at=CASE WHEN findings.status IN ('found','not_found') THEN findings.fetched_at"
                    " ELSE excluded.fetched_at END",
                    (f.e164, f.source, f.status.value, f.fetched_at, f.fetched_at, f.detail),
                )
                if f.status is not Status.SKIPPED:
                    health[f.source] = (health.get(f.source, (None, None))[0], f)
            for source, (ok_at, failure) in health.items():
                self._record_health(source, ok_at, failure)
        return len(definite) + len(failed)

    def _trim_comments(self, pairs: set[tuple[str, str]], keep: int = 50) -> None:
        for e164, source in pairs:
            self.conn.execute(
                "DELETE FROM comments WHERE e164 = ? AND source = ? AND id NOT IN ("
                " SELECT id FROM comments WHERE e164 = ? AND source = ?"
                " ORDER BY COALESCE(at, '') DESC, fetched_at DESC LIMIT ?)",
                (e164, source, e164, source, keep),
            )

    def numbers_with_findings(self) -> list[str]:
        """Numbers some source said something definite about (candidates for "likely spam")."""
        return [r[0] for r in self.conn.execute(
            "SELECT DISTINCT e164 FROM findings WHERE status = 'found' ORDER BY e164")]

    def comments_for(self, e164: str, limit: int = 50) -> list[Comment]:
        rows = self.conn.execute(
            "SELECT text, at, caller, call_type, url FROM comments WHERE e164 = ?"
            " ORDER BY COALESCE(at, '') DESC LIMIT ?",
            (e164, limit),
        )
        return [Comment(text=r[0], at=r[1], caller=r[2], call_type=r[3], url=r[4]) for r in rows]

    def _record_health(self, source: str, ok_at: str | None, failure: Finding | None) -> None:
        self.conn.execute("INSERT OR IGNORE INTO source_health (source) VALUES (?)", (source,))
        if ok_at:
            self.conn.execute("UPDATE source_health SET last_success_at = ? WHERE source = ?", (ok_at, source))
        if failure is not None:
            self.conn.execute(
                "UPDATE source_health SET last_failure_at = ?, last_failure_status = ?, last_failure = ?"
                " WHERE source = ?",
                (failure.fetched_at, failure.status.value, failure.detail, source),
            )

    def source_health(self) -> dict[str, dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM source_health")
        cols = [d[0] for d in rows.description]
        return {r[0]: dict(zip(cols, r)) for r in rows}

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
        for chunk in _chunks(keys):
            for row in self.conn.execute(
                "SELECT pattern, kind, reason, added_at, origin FROM lists"
                f" WHERE pattern IN ({_marks(len(chunk))})",
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

    # ------------------------------------------------------------ imported call logs

    def save_calls(self, rows: Iterable[tuple[Any, ...]], *, batch: int = 25_000) -> int:
        """Insert calls, ignoring ones already stored (same key). Rows are
        ``(key, e164, at, direction, status, duration, name, raw_number, log_format, silent, night, contact)``.
        Committed in batches: a huge log never holds one long write lock. Returns rows added."""
        added = 0
        pending: list[tuple[Any, ...]] = []
        sql = (
            "INSERT OR IGNORE INTO calls (key, e164, at, direction, status, duration, name, raw_number,"
            " log_format, silent, night, contact, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
        )
        now = iso_now()

        def flush() -> int:
            with self.atomic():
                before = self.conn.total_changes
                self.conn.executemany(sql, [(*r, now) for r in pending])
                return self.conn.total_changes - before

        for row in rows:
            pending.append(row)
            if len(pending) >= batch:
                added += flush()
                pending.clear()
        if pending:
            added += flush()
        return added

    def clear_silent(self, rows: Iterable[tuple[str | None, str]]) -> None:
        """Unflag unanswered calls that a voicemail from the same number followed:
        rows of ``(e164 or None, at)``."""
        with self.atomic():
            self.conn.executemany(
                "UPDATE calls SET silent = 0, night = 0 WHERE e164 IS ? AND at = ? AND direction = 'incoming'",
                rows,
            )

    def count_calls(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0]

    def histories(self, e164s: Sequence[str]) -> dict[str, History]:
        """What the imported call logs say about each number."""
        return _histories(self, e164s)

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
            for chunk in _chunks(keys):
                out.extend(
                    _report(r)
                    for r in self.conn.execute(sql + f" WHERE e164 IN ({_marks(len(chunk))}) ORDER BY id", chunk)
                )
            return out
        return [_report(r) for r in self.conn.execute(sql + " ORDER BY id", args)]

    # -- server: small reads for the HTTP server (lookup/server.py)

    def recent_silent_calls(self, limit: int = 20) -> list[tuple[str | None, str, str | None]]:
        """The latest silent missed calls, newest first: ``(e164 or None when withheld, at, name)``."""
        rows = self.conn.execute("SELECT e164, at, name FROM calls WHERE silent = 1 ORDER BY at DESC LIMIT ?", (limit,))
        return [(r[0], r[1], r[2]) for r in rows]

    def data_version(self) -> int:
        """Moves whenever another connection (e.g. the CLI) commits to the database."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def change_marker(self) -> tuple[int, int]:
        """A value that changes whenever the data may have: a commit by another connection
        (``data_version``) or any write through this one (``total_changes``)."""
        return self.data_version(), self.conn.total_changes


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


def _finding_from_row(row: dict[str, Any], *, cached: bool) -> Finding:
    return Finding(
        source=row["source"],
        e164=row["e164"],
        status=Status(row["status"]),
        fetched_at=row["fetched_at"],
        name=row["name"],
        spam=row["spam"],
        reports=row["reports"],
        categories=tuple(json.loads(row["categories"])) if row["categories"] else (),
        last_reported=row["last_reported"],
        url=row["url"],
        detail=row["detail"],
        excerpt=row["excerpt"],
        facts=json.loads(row["facts"]) if row["facts"] else {},
        cached=cached,
    )


def _comment_id(f: Finding, c: Comment) -> str:
    import hashlib

    digest = hashlib.sha1(f"{f.e164}|{f.source}|{c.at}|{c.text}".encode("utf-8", "replace")).hexdigest()
    return digest[:24]


# ---------------------------------------------------------------- call history (kept apart: read by the engine)


def _histories(store: Store, e164s: Sequence[str]) -> dict[str, History]:
    """What the imported call logs say about each number, aggregated in SQL."""

    out: dict[str, History] = {}
    for chunk in _chunks([k for k in dict.fromkeys(e164s) if k]):
        rows = store.conn.execute(
            "SELECT e164, SUM(silent), MIN(CASE WHEN silent THEN at END), MAX(CASE WHEN silent THEN at END),"
            " SUM(CASE WHEN silent AND night THEN 1 ELSE 0 END), SUM(direction = 'outgoing'),"
            " SUM(status = 'answered' AND direction = 'incoming'), MAX(CASE WHEN contact THEN name END),"
            " SUM(status = 'voicemail')"
            f" FROM calls WHERE e164 IN ({_marks(len(chunk))}) GROUP BY e164",
            chunk,
        )
        for r in rows:
            out[r[0]] = History(
                silent_calls=r[1] or 0,
                first_at=r[2],
                last_at=r[3],
                night_calls=r[4] or 0,
                outgoing_calls=r[5] or 0,
                answered_calls=r[6] or 0,
                contact_name=r[7],
                voicemails=r[8] or 0,
            )
    return out
