"""The SQL for imported call logs, as a mixin of :class:`db.store.Store` (which provides
``conn`` and ``atomic``): storing calls, the silent-call flags, per-number histories, and the
latest silent calls the web page shows."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from db.sql import chunks, marks
from lookup.models import History, iso_now
from lookup.timing import DEFAULT_WAVES, SHORT_RING_S, WaveRule, find_wave_span, read_timing


class CallsMixin:
    # ------------------------------------------------------------ imported call logs

    def save_calls(self, rows: Iterable[tuple[Any, ...]], *, batch: int = 25_000, move: int = 200_000) -> int:
        """Insert calls, ignoring ones already stored (same key). Rows are
        ``(key, e164, at, direction, status, duration, name, raw_number, log_format, silent, night, contact,
        ring_s)`` (``ring_s`` may be left off: no ring time).
        Returns rows added.

        The rows go first into a temporary table without indexes (``batch`` at a time), and
        from there into ``calls`` ``move`` at a time, sorted by number and time (the rows of
        one key keep the order given, so the first one stays). Inserted in log order, every
        transaction touched nearly every page of the ``(e164, at)`` index, so each batch
        rewrote more of it as the table grew (12 us a call in the first 100,000, 27 us in the
        fourth); sorted and in fewer transactions, the cost per call stays nearly flat. Each
        move is one short transaction (about a second for 200,000 calls), so a huge log never
        holds one long write lock. Rows staged when reading fails are still stored.

        One big move also leaves each number's calls side by side in the table. Moving 25,000
        at a time in a thread beside the reading (a move runs without Python's lock) hid most
        of the moving, but spread a number's calls over every move: reading the histories of
        the 100,000-call P5 log then took 0.1 s more, and the whole run came out 0.03 s
        quicker on a quiet machine, no quicker under load, with 0.1 s more CPU and 6 MB more
        memory (the thread's sorts keep their own malloc arena)."""
        self.conn.execute(_STAGING_TABLE)
        staged = added = 0
        pending: list[tuple[Any, ...]] = []
        try:
            for row in rows:
                pending.append(row)
                if len(pending) >= batch:
                    staged += _stage_calls(self, pending)
                    pending.clear()
                    if staged >= move:
                        added += _move_staged_calls(self)
                        staged = 0
        finally:
            if pending:
                _stage_calls(self, pending)
            added += _move_staged_calls(self)
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

    def histories(self, e164s: Sequence[str], waves: WaveRule = DEFAULT_WAVES) -> dict[str, History]:
        """What the imported call logs say about each number (``waves``: what makes a wave)."""
        return _histories(self, e164s, waves)

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




_STAGING_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS staged_calls (key, e164, at, direction, status, duration, name, raw_number,"
    " log_format, silent, night, contact, ring_s)"
)
_CALL_COLUMNS = "key, e164, at, direction, status, duration, name, raw_number, log_format, silent, night, contact, ring_s"


def _stage_calls(store: Any, rows: list[tuple[Any, ...]]) -> int:
    """Append ``rows`` to the temporary table (this connection's own: no lock on the database)."""
    with store.atomic():
        store.conn.executemany("INSERT INTO temp.staged_calls VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               [r if len(r) == 13 else (*r, None) for r in rows])
    return len(rows)


def _move_staged_calls(store: Any) -> int:
    """Insert the staged calls into ``calls`` in one transaction, sorted; returns rows added."""
    with store.atomic():
        before = store.conn.total_changes
        store.conn.execute(
            f"INSERT OR IGNORE INTO calls ({_CALL_COLUMNS}, imported_at) SELECT {_CALL_COLUMNS}, ?"
            " FROM temp.staged_calls ORDER BY e164, at, rowid",
            (iso_now(),),
        )
        added = store.conn.total_changes - before
        store.conn.execute("DELETE FROM temp.staged_calls")
    return added


# A stored time as Unix seconds, worked out by SQLite (``at`` is ISO 8601 UTC to the second):
# the same number ``datetime.fromisoformat(at).timestamp()`` gives, without a Python call a row.
_UNIX_TIME = "CAST(strftime('%s', at) AS REAL)"


def _histories(store: Any, e164s: Sequence[str], waves: WaveRule = DEFAULT_WAVES) -> dict[str, History]:
    """What the imported call logs say about each number, aggregated in SQL."""

    out: dict[str, History] = {}
    timed: list[str] = []  # silent callers with two or more timed calls: the ones timing can tell about
    for chunk in chunks([k for k in dict.fromkeys(e164s) if k]):
        rows = store.conn.execute(
            "SELECT e164, SUM(silent), MIN(CASE WHEN silent THEN at END), MAX(CASE WHEN silent THEN at END),"
            " SUM(CASE WHEN silent AND night THEN 1 ELSE 0 END), SUM(direction = 'outgoing'),"
            " SUM(status = 'answered' AND direction = 'incoming'), MAX(CASE WHEN contact THEN name END),"
            " SUM(status = 'voicemail'), SUM(direction = 'incoming' AND at IS NOT NULL)"
            f" FROM calls WHERE e164 IN ({marks(len(chunk))}) GROUP BY e164",
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
            if r[1] and (r[9] or 0) >= 2:
                timed.append(r[0])
    _add_timing(store, out, timed)
    _add_waves(store, out, waves)
    _add_short_rings(store, out)
    return out


def _add_waves(store: Any, out: dict[str, History], rule: WaveRule = DEFAULT_WAVES) -> None:
    """Mark the numbers that are part of a wave of silent calls from their block (``lookup.timing``)."""
    blocks: dict[str, list[str]] = {}
    for e164, history in out.items():
        block = rule.block_of(e164) if history.silent_calls else None
        if block:
            blocks.setdefault(block, []).append(e164)
    found: dict[str, list[tuple[str, float]]] = {}
    for chunk in chunks(list(blocks)):
        rows = store.conn.execute(  # ':' sorts right after '9': the range holds every number of the block
            f"SELECT b.value, c.e164, {_UNIX_TIME} FROM json_each(?) AS b JOIN calls AS c"
            " ON c.e164 >= b.value AND c.e164 < b.value || ':' WHERE c.silent = 1 AND c.at IS NOT NULL",
            (json.dumps(chunk),),
        )
        for block, e164, at in rows:
            found.setdefault(block, []).append((e164, at))
    for block, members in blocks.items():
        span = find_wave_span(found.get(block, []), rule)
        if span is None:
            continue
        wave, first, last = span
        first_at, last_at = (datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds") for t in (first, last))
        for e164 in members:
            if e164 in wave:
                out[e164] = replace(out[e164], wave_numbers=len(wave), wave_block=block, wave_first_at=first_at,
                                    wave_last_at=last_at)


def _add_short_rings(store: Any, out: dict[str, History]) -> None:
    """Count the silent calls that rang under ``SHORT_RING_S`` seconds (only logs that record
    ring time fill ``ring_s``), for numbers with two or more silent calls: one call is no habit."""
    silent = [e164 for e164, history in out.items() if history.silent_calls >= 2]
    for chunk in chunks(silent):
        rows = store.conn.execute(
            f"SELECT e164, COUNT(*) FROM calls WHERE silent = 1 AND ring_s < ? AND e164 IN ({marks(len(chunk))})"
            " GROUP BY e164",
            (SHORT_RING_S, *chunk),
        )
        for e164, count in rows:
            out[e164] = replace(out[e164], short_rings=count)


def _add_timing(store: Any, out: dict[str, History], timed: Sequence[str]) -> None:
    """Fill in the timing signals (``lookup.timing``) of the ``timed`` numbers."""
    for chunk in chunks(timed):
        rows = store.conn.execute(
            f"SELECT e164, {_UNIX_TIME}, silent FROM calls WHERE direction = 'incoming' AND at IS NOT NULL"
            f" AND e164 IN ({marks(len(chunk))}) ORDER BY e164, at",
            chunk,
        )
        calls: dict[str, list[tuple[float, bool]]] = {}
        for e164, at, silent in rows:
            calls.setdefault(e164, []).append((at, bool(silent)))
        for e164, times in calls.items():
            timing = read_timing(times)
            out[e164] = replace(
                out[e164],
                quick_redials=timing.quick_redials,
                urgent_redials=timing.urgent_redials,
                same_time_days=timing.same_time_days,
            )

