"""The community store on one SQLite file: for a family, a club, a neighbourhood.

WAL mode and a busy timeout, so ``community member add`` works beside a running server; a
write transaction is ``BEGIN IMMEDIATE`` (SQLite has one writer at a time, which is all the
locking the rule needs). Created readable by its owner only and marked as a whocalled
community file: any other SQLite file given as ``--db`` is refused, never altered.
"""

from __future__ import annotations

import math
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from db.community.base import CommunityError, CommunityStore
from db.community.rule import Rule

APPLICATION_ID = 0x57484343  # "WHCC": a whocalled community file
BUSY_TIMEOUT_MS = 5000

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS community_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS members (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT)",
    "CREATE TABLE IF NOT EXISTS votes (member_id INTEGER NOT NULL REFERENCES members (id), e164 TEXT NOT NULL,"
    " verdict TEXT NOT NULL CHECK (verdict IN ('spam', 'legit')), category TEXT, note TEXT,"
    " voted_at INTEGER NOT NULL, PRIMARY KEY (member_id, e164))",
    "CREATE INDEX IF NOT EXISTS votes_by_number ON votes (e164)",
    "CREATE TABLE IF NOT EXISTS listing (e164 TEXT PRIMARY KEY, listed INTEGER NOT NULL,"
    " version INTEGER NOT NULL, changed_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS listing_by_version ON listing (version)",
    "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO counters (name, value) VALUES ('list_version', 0)",
    "CREATE TABLE IF NOT EXISTS touched (e164 TEXT PRIMARY KEY, version INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS touched_by_version ON touched (version)",
    "INSERT OR IGNORE INTO counters (name, value) VALUES ('vote_version', 0)",
)


class SqliteCommunityStore(CommunityStore):
    def __init__(self, path: str | Path = ":memory:", rule: Rule | None = None):
        self.rule = rule or Rule()
        self.path = str(path)
        memory = self.path == ":memory:"
        if not memory:
            self.path = str(Path(self.path).expanduser())
            if not Path(self.path).exists():
                try:
                    os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
                except OSError as exc:
                    raise CommunityError(f"cannot create {self.path}: {exc.strerror}") from None
        try:
            self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                         check_same_thread=False)
            self._claim()
            if not self._has_exp():  # SQLite built without its math functions
                self._conn.create_function("exp", 1, math.exp, deterministic=True)
            if not memory:
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")
            with self._write():
                for statement in SCHEMA:
                    self._conn.execute(statement)
        except sqlite3.DatabaseError as exc:
            raise CommunityError(f"cannot open {self.path}: {exc}") from None

    def _claim(self) -> None:
        app_id = self._conn.execute("PRAGMA application_id").fetchone()[0]
        if app_id == APPLICATION_ID:
            return
        tables = self._conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
        if app_id != 0 or tables:
            raise CommunityError(f"{self.path} is not a whocalled community database; nothing was changed:"
                                 " give --db a file of its own")
        self._conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def _has_exp(self) -> bool:
        try:
            self._conn.execute("SELECT exp(0)")
        except sqlite3.OperationalError:
            return False
        return True

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self._conn.execute(sql, params).fetchall()

    def _stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple]:
        return iter(self._conn.execute(sql, params))

    @contextmanager
    def _write(self, lock_key: str | None = None) -> Iterator[None]:
        if self._conn.in_transaction:  # nested: the outer transaction holds the lock
            yield
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def add_votes_bulk(self, rows: Iterable[tuple[int, str, str, str | None, int]]) -> None:
        with self._write():
            self._conn.executemany(
                "INSERT INTO votes (member_id, e164, verdict, category, voted_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (member_id, e164) DO UPDATE SET verdict = excluded.verdict,"
                " category = excluded.category, voted_at = excluded.voted_at",
                rows,
            )

    def close(self) -> None:
        self._conn.close()
