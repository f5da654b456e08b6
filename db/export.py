"""The export's query: one list, ordered by pattern, read a batch at a time (the hot path of
``whocalled export``, see :mod:`lookup.export`)."""

from __future__ import annotations

import sqlite3

from lookup.models import ListKind

SORT_CACHE_KIB = 2000  # SQLite's default page cache, for the export's sort (see iter_list_rows)


def iter_list_rows(
    conn: sqlite3.Connection, kind: ListKind, *, since: str | None = None, default_reason: str = "",
    reason: bool = True, added_at: bool = True,
) -> sqlite3.Cursor:
    """``(pattern, reason, added_at)`` of one list, ordered by pattern, straight from the cursor
    (read with ``fetchmany``); an empty or missing reason reads as ``default_reason``.
    ``reason=False`` or ``added_at=False`` leaves that column out of the rows: SQLite then
    neither sorts nor hands over what the export does not write.

    The table is read from end to end (``NOT INDEXED``) rather than through the index on
    ``kind``: the block list is nearly the whole table, and a scan in table order costs about
    an eighth less than a look-up per row through the index, which the planner prefers.

    The query runs (and sorts, which SQLite does before the first row) with SQLite's default
    page cache of ``SORT_CACHE_KIB``, then the connection's is restored: with the store's 16 MB
    the sorter keeps larger runs in memory and a million rows sort about a third slower."""
    columns = ["pattern"]
    args: list[str] = []
    if reason:
        columns.append("coalesce(nullif(reason, ''), ?)")
        args.append(default_reason)
    if added_at:
        columns.append("added_at")
    sql = f"SELECT {', '.join(columns)} FROM lists NOT INDEXED WHERE kind = ?"
    args.append(kind.value)
    if since:
        sql += " AND added_at >= ?"
        args.append(since)
    previous = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{SORT_CACHE_KIB}")
    try:
        return conn.execute(sql + " ORDER BY pattern", args)
    finally:
        conn.execute(f"PRAGMA cache_size = {int(previous)}")
