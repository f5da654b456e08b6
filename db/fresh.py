"""A new database in one step: the schema the migrations build, kept written out in
``db/schema.sql``.

Migrating a new file runs every migration in its own transaction through sqlite-utils: the
import and a dozen commits cost a new database about 0.1 s, which a command that makes one
(the first run, a triage or a test into a fresh file) pays before doing anything. A database
with no tables at all is therefore made from the snapshot, in one transaction, and every
migration is recorded as applied, exactly as if it had run. Older databases still go through
the migrations, which stay the one history of the schema.

The snapshot is made from the migrations, never written by hand: after adding a migration,
run ``python -m db.fresh`` to write it again (a test fails while it is stale: it compares a
database made from the snapshot with one made by the migrations).
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path

SNAPSHOT = Path(__file__).with_name("schema.sql")
MIGRATION_SET = "whocalled"
_HEADER = "-- The schema db/migrations.py builds, written by `python -m db.fresh`. Do not edit.\n"


def create_schema(conn: sqlite3.Connection, names: tuple[str, ...]) -> bool:
    """Make the current schema on ``conn`` from the snapshot and record the migrations
    ``names`` as applied, in one transaction; only when the database has no tables yet
    (returns False, changing nothing, when it has some)."""
    statements = split_statements(SNAPSHOT.read_text(encoding="utf-8"))
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]:
            conn.execute("ROLLBACK")
            return False
        for statement in statements:
            conn.execute(statement)
        applied_at = str(datetime.now(timezone.utc))  # the text sqlite-utils records
        conn.executemany(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
            [(MIGRATION_SET, name, applied_at) for name in names],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return True


def schema_of(conn: sqlite3.Connection) -> str:
    """The SQL of every table, index, view and trigger on ``conn`` (SQLite's own objects left
    out), in the order they were made: the text of the snapshot."""
    rows = conn.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    )
    return _HEADER + "".join(f"{sql};\n" for (sql,) in rows)


def migrated_schema() -> str:
    """The schema the migrations build, on a new in-memory database."""
    from sqlite_utils import Database

    from db.migrations import apply_migrations

    db = Database(memory=True)
    apply_migrations(db)
    return schema_of(db.conn)


def split_statements(script: str) -> list[str]:
    """The statements of ``script``, each whole (a trigger's body holds semicolons of its own),
    comment lines left out."""
    out: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        if not pending and (line.startswith("--") or not line.strip()):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            out.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"{SNAPSHOT.name}: an unfinished statement at its end")
    return out


def main() -> int:
    SNAPSHOT.write_text(migrated_schema(), encoding="utf-8")
    print(f"wrote {SNAPSHOT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
