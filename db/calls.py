"""The SQL for imported call logs, as a mixin of :class:`db.store.Store` (which provides
``conn`` and ``atomic``): storing calls, the silent-call flags, per-number histories, and the
latest silent calls the web page shows."""

from __future__ import annotations

import json
import sqlite3
from itertools import groupby
from operator import itemgetter
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from db.sql import chunks, marks
from lookup.models import History, iso_now
from lookup.timing import DEFAULT_WAVES, SHORT_RING_S, CallTiming, WaveRule, find_wave_span, read_timing


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
# unixepoch() (SQLite 3.38 and later) gives the same whole seconds as strftime('%s') (SQLite
# works both out by the same expression) as an integer, without making text and casting it
# back: about a third of the cost of reading the times (tests/db/test_histories.py).
UNIX_TIME_TEXT = "CAST(strftime('%s', at) AS REAL)"
_UNIX_TIME = "unixepoch(at)" if sqlite3.sqlite_version_info >= (3, 38) else UNIX_TIME_TEXT


def _histories(store: Any, e164s: Sequence[str], waves: WaveRule = DEFAULT_WAVES) -> dict[str, History]:
    """What the imported call logs say about each number.

    One read of the batch's calls in number and time order gives everything but the waves:
    the counts (what a GROUP BY would sum) and the timing signals (which need the times in
    order) come from the same rows, where an aggregate query and a second read of the times
    went over the same index twice. Each History is then built once, with its wave."""
    tallies: dict[str, tuple[Any, ...]] = {}
    for chunk in chunks([k for k in dict.fromkeys(e164s) if k]):
        rows = store.conn.execute(
            f"SELECT e164, at, {_UNIX_TIME}, silent, night, direction, status, contact, name, ring_s"
            f" FROM calls WHERE e164 IN ({marks(len(chunk))}) ORDER BY e164, at, rowid",  # ties as stored
            chunk,
        )
        for e164, calls in groupby(rows, key=itemgetter(0)):
            tallies[e164] = _tally_calls(calls)
    in_waves = _find_waves(store, [e164 for e164, t in tallies.items() if t[0]], waves)
    out: dict[str, History] = {}
    for e164, (silent, first, last, night, outgoing, answered, contact, voicemails, short, timing) in tallies.items():
        wave = in_waves.get(e164, _NO_WAVE)
        out[e164] = History(
            silent_calls=silent,
            first_at=first,
            last_at=last,
            night_calls=night,
            outgoing_calls=outgoing,
            answered_calls=answered,
            contact_name=contact,
            voicemails=voicemails,
            quick_redials=timing.quick_redials,
            urgent_redials=timing.urgent_redials,
            same_time_days=timing.same_time_days,
            wave_numbers=wave[0],
            wave_block=wave[1],
            wave_first_at=wave[2],
            wave_last_at=wave[3],
            short_rings=short if silent >= 2 else 0,  # one short ring is no habit: counted from two silent calls on
        )
    return out


def _tally_calls(calls: Iterable[tuple[Any, ...]]) -> tuple[Any, ...]:
    """One number's calls (rows of :func:`_histories`' query, in time order) summed up:
    ``(silent, first and last silent call, night, outgoing, answered, contact name, voicemails,
    short rings, timing)``, each as SQL would sum it (``SUM`` of the flags, ``MIN``/``MAX`` of
    the times and names, NULLs left out). Timing is read for silent callers with two or more
    incoming calls with a time: the ones it can tell about."""
    silent = night = outgoing = answered = voicemails = short = 0
    first = last = contact_name = None
    timed: list[tuple[float, Any]] = []  # incoming calls with a time: (unix time, silent)
    for _, at, unix, is_silent, is_night, direction, status, contact, name, ring_s in calls:
        if direction == "incoming":
            if at is not None:
                timed.append((unix, is_silent))
            if status == "answered":
                answered += 1
        elif direction == "outgoing":
            outgoing += 1
        if status == "voicemail":
            voicemails += 1
        if contact and name is not None and (contact_name is None or name > contact_name):
            contact_name = name
        if is_silent:
            silent += is_silent
            if at is not None:
                if first is None or at < first:
                    first = at
                if last is None or at > last:
                    last = at
            if is_night:
                night += 1
            if is_silent == 1 and ring_s is not None and ring_s < SHORT_RING_S:
                short += 1
    timing = read_timing(timed) if silent and len(timed) >= 2 else _NO_TIMING
    return silent, first, last, night, outgoing, answered, contact_name, voicemails, short, timing


_NO_TIMING = CallTiming()
_NO_WAVE: tuple[int, str | None, str | None, str | None] = (0, None, None, None)


def _find_waves(
    store: Any, silent: Sequence[str], rule: WaveRule = DEFAULT_WAVES
) -> dict[str, tuple[int, str | None, str | None, str | None]]:
    """The numbers of ``silent`` (numbers with silent calls) that are part of a wave of silent
    calls from their block (``lookup.timing``): ``(numbers in the wave, block, first, last call)``."""
    blocks: dict[str, list[str]] = {}
    for e164 in silent:
        block = rule.block_of(e164)
        if block:
            blocks.setdefault(block, []).append(e164)
    # A wave needs rule.numbers different callers in the block: most blocks have one or two, and
    # counting a block's callers reads the (e164, at) index alone, where reading their silent
    # calls reads every call's row; so only blocks with enough callers have their calls read.
    crowded: list[str] = []
    for chunk in chunks(list(blocks)):
        crowded += [block for (block,) in store.conn.execute(
            "SELECT value FROM json_each(?) WHERE (SELECT COUNT(DISTINCT e164) FROM calls"
            " WHERE e164 >= value AND e164 < value || ':') >= ?",
            (json.dumps(chunk), rule.numbers),
        )]
    found: dict[str, list[tuple[str, float]]] = {}
    for chunk in chunks(crowded):
        rows = store.conn.execute(  # ':' sorts right after '9': the range holds every number of the block
            f"SELECT b.value, c.e164, {_UNIX_TIME} FROM json_each(?) AS b JOIN calls AS c"
            " ON c.e164 >= b.value AND c.e164 < b.value || ':' WHERE c.silent = 1 AND c.at IS NOT NULL",
            (json.dumps(chunk),),
        )
        for block, e164, at in rows:
            found.setdefault(block, []).append((e164, at))
    out: dict[str, tuple[int, str | None, str | None, str | None]] = {}
    for block, members in blocks.items():
        calls = found.get(block)
        span = find_wave_span(calls, rule) if calls and len(calls) >= rule.numbers else None
        if span is None:
            continue
        wave, first, last = span
        first_at, last_at = (datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds") for t in (first, last))
        for e164 in members:
            if e164 in wave:
                out[e164] = (len(wave), block, first_at, last_at)
    return out
