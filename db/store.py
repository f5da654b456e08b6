"""The Store: with its mixins (db.findings, db.calls, db.datasets, db.lists and the rest) the only
code in whocalled that runs SQL.

One SQLite file (WAL mode, a busy timeout) shared by the CLI and the server.
Writes happen in one transaction per batch; reads for a batch are one query
per table, never one per number.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence


from db.calls import CallsMixin
from db.community.household import CommunityListMixin
from db.findings import FindingsMixin
from db.lists import ListsMixin
from db.listings import ListingsMixin
from db.names import NamesMixin
from db.datasets import DatasetsMixin
from db.expectations import ExpectationsMixin
from db.robots import RobotsMixin
from db.sql import chunks, marks
from lookup.models import Number, NumberKind, NumberType, iso_now

BUSY_TIMEOUT_MS = 5000
_SAVEPOINTS = itertools.count()
# PRAGMA application_id of whocalled's databases ("WHOC"): a foreign SQLite file is refused.
APPLICATION_ID = 0x57484F43
# The migrations in db/migrations.py, by name, in order (a test keeps the two the same). A
# database that has them all opens without importing sqlite-utils, which only migrations need.
SCHEMA = (
    "m001_core", "m002_datasets_calls_comments", "m003_call_flags", "m004_partial_silent_index", "m005_robots",
    "m006_finding_evidence", "m007_plain_lists_without_times", "m008_listings", "m009_name_blocks",
    "m010_expectations", "m011_call_ring_time", "m012_community_list",
)
_PRIVATE = 0o600  # the database holds call history and contact names: its owner's only
_COMPANIONS = ("", "-wal", "-shm", "-journal")


class StoreError(RuntimeError):
    """The database file cannot be opened or used (one-line message)."""


class StoreDamaged(StoreError):
    """The database file is damaged; nothing was written to it."""


def damaged(path: str, detail: str) -> StoreDamaged:
    return StoreDamaged(
        f"database {path} is damaged ({' '.join(detail.split())[:120]}); nothing was written to it."
        f" Keep a copy, then either recover what it holds (sqlite3 {path} .recover | sqlite3 recovered.db,"
        f" then --db recovered.db) or move it away to start afresh"
    )


def is_damage(exc: BaseException) -> bool:
    """Whether an SQLite error means the file itself is broken (not a busy lock or bad SQL)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and any(
        word in text for word in ("malformed", "not a database", "disk i/o", "corrupt", "file is encrypted")
    )


class Store(
    FindingsMixin, CallsMixin, DatasetsMixin, ListingsMixin, NamesMixin, RobotsMixin, ExpectationsMixin,
    CommunityListMixin, ListsMixin,
):
    """Open (creating and upgrading as needed) the database at ``path``; ``":memory:"`` for tests.

    A new file is created readable by its owner only (its WAL files follow its mode) and marked
    as whocalled's; an existing one that another program made is refused before anything is
    written to it. With ``readonly``, a file this process may not write is opened read-only
    (its schema must be current)."""

    def __init__(self, path: str | Path = ":memory:", *, readonly: bool = False):
        self.path = str(path)
        self.readonly = False
        memory = self.path == ":memory:"
        try:
            if not memory:
                self.path = str(Path(self.path).expanduser())
                _make_private(Path(self.path))
            try:
                conn = self._connect(memory)
            except sqlite3.OperationalError as exc:
                if not readonly or memory or "readonly" not in str(exc) and "unable to open" not in str(exc):
                    raise
                conn = self._connect(memory, readonly=True)
            self._conn = conn
            if not self._is_current():
                if self.readonly:
                    raise StoreError(f"database {self.path} needs an upgrade, which a read-only file cannot take")
                from db.fresh import create_schema

                if not create_schema(self._conn, SCHEMA):  # a new database is made in one step
                    from db.migrations import apply_migrations

                    apply_migrations(self.db)
        except StoreError:
            raise
        except sqlite3.DatabaseError as exc:
            if is_damage(exc) and "not a database" not in str(exc):
                raise damaged(self.path, str(exc)) from None
            raise StoreError(f"cannot open database {self.path}: {exc}") from None
        except OSError as exc:
            raise StoreError(f"cannot create database {self.path}: {exc.strerror}") from None

    def _connect(self, memory: bool, readonly: bool = False) -> sqlite3.Connection:
        target = Path(self.path).resolve().as_uri() + "?mode=ro" if readonly else self.path
        conn = sqlite3.connect(
            target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False, uri=readonly
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA cache_size = -16384")  # 16 MB: bulk imports keep their indexes in memory
            self._claim(conn, write=not readonly)
            if not memory and not readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            conn.close()
            raise
        self.readonly = readonly
        return conn

    def _claim(self, conn: sqlite3.Connection, *, write: bool) -> None:
        """Refuse a foreign database before anything is written; mark an empty or older
        whocalled database as whocalled's."""
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if app_id == APPLICATION_ID:
            return
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        ours = "_sqlite_migrations" in tables and conn.execute(
            "SELECT COUNT(*) FROM _sqlite_migrations WHERE migration_set = 'whocalled'"
        ).fetchone()[0]
        if app_id != 0 or (tables and not ours):
            raise StoreError(
                f"{self.path} is not a whocalled database (another program's SQLite file);"
                " nothing was changed: give --db a file of its own"
            )
        if write:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def check(self) -> None:
        """Raise :class:`StoreDamaged` when SQLite finds the file damaged (``PRAGMA quick_check``,
        about 2 ms a megabyte): commands run it before they write, so damage is not made worse."""
        try:
            rows = self.conn.execute("PRAGMA quick_check(3)").fetchall()
        except sqlite3.DatabaseError as exc:
            raise damaged(self.path, str(exc)) from None
        if [r[0] for r in rows] != ["ok"]:
            raise damaged(self.path, "; ".join(r[0] for r in rows))

    def _is_current(self) -> bool:
        """Whether every migration in :data:`SCHEMA` has been applied."""
        try:
            applied = {r[0] for r in self._conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = 'whocalled'")}
        except sqlite3.OperationalError:  # no migrations table yet: a new file
            return False
        return applied.issuperset(SCHEMA)

    @property
    def conn(self) -> sqlite3.Connection:
        return self._conn

    @cached_property
    def db(self) -> Any:
        """The connection as a sqlite-utils ``Database``, for migrations and tests (imported
        only when asked for: it costs a lookup about 40 ms)."""
        from sqlite_utils import Database

        return Database(self._conn, execute_plugins=False)

    def limit_page_cache(self, kib: int) -> None:
        """Cap SQLite's page cache of this connection at ``kib`` KiB, for a command that streams
        many small reads and writes (``lookup -``) and gains nothing from a larger one."""
        self._conn.execute(f"PRAGMA cache_size = -{int(kib)}")

    def close(self) -> None:
        self._conn.close()

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
            name = f"whocalled_{next(_SAVEPOINTS)}"
            self.conn.execute(f"SAVEPOINT {name}")
            try:
                yield self
            except BaseException:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
                raise
            self.conn.execute(f"RELEASE {name}")
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
        for chunk in chunks(keys):
            rows = self.conn.execute(
                "SELECT e164, region, country_code, national, international, valid, possible, type,"
                f" location, carrier, time_zones FROM numbers WHERE e164 IN ({marks(len(chunk))})",
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
        zones: dict[tuple[str, ...], str] = {}  # a batch has few different time-zone lists: each written once
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
                zones.get(n.time_zones) or zones.setdefault(n.time_zones, json.dumps(list(n.time_zones))),
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

    # (the block and allow lists and the user's reports: db.lists; the export's query: db.export)


def _make_private(path: Path) -> None:
    """Create ``path`` owner-only if it is new; tighten the database and its companion files
    (WAL, shared memory, journal) that others may read, when they are this user's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, _PRIVATE))
        return
    except FileExistsError:
        pass
    for suffix in _COMPANIONS:
        companion = Path(str(path) + suffix)
        try:
            st = companion.stat()
            if st.st_mode & 0o077 and st.st_uid == os.getuid() and companion.is_file():
                companion.chmod(_PRIVATE)
        except OSError:
            continue  # missing, or not ours to change
