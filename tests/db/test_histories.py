"""``Store.histories`` gathers a batch's call-log signals in a few queries (an aggregate per
number, the times of the timed callers, the silent calls of their blocks) and builds each
History once. These tests hold it to a plain reading of every stored call in Python, on
hundreds of generated callers: same-second calls, calls without a time, night and contact
calls, ring times, and numbers crowded into a few blocks so that waves form (and some do not)."""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from db.store import Store
from lookup.models import History
from lookup.timing import DEFAULT_WAVES, SHORT_RING_S, WaveRule, find_wave_span, read_timing

START = datetime(2026, 3, 1, tzinfo=timezone.utc)
BLOCKS = ("+12025550", "+12025551", "+14158670", "+44207946", "+4930123")  # few blocks: waves form


def generate_calls(seed: int, callers: int = 300) -> list[tuple[Any, ...]]:
    """Rows for ``Store.save_calls``: each caller calls one to nine times over a month, often
    within minutes of the last call, sometimes at the very same second."""
    rng = random.Random(seed)
    rows: list[tuple[Any, ...]] = []
    numbers = sorted({f"{block}{rng.randrange(1000):03d}" for block in rng.choices(BLOCKS, k=callers)})
    for e164 in numbers:
        when = START + timedelta(days=rng.uniform(0, 30))
        for _ in range(rng.randint(1, 9)):
            when += rng.choice([timedelta(0), timedelta(seconds=rng.randint(1, 40)),
                                timedelta(minutes=rng.randint(1, 12)), timedelta(days=rng.randint(1, 3),
                                                                                   minutes=rng.randint(-20, 20))])
            direction = rng.choice(["incoming"] * 5 + ["outgoing"])
            status = rng.choice(["missed", "missed", "answered", "voicemail", "rejected"])
            silent = int(direction == "incoming" and status == "missed" and rng.random() < 0.9)
            at = None if rng.random() < 0.03 else when.isoformat(timespec="seconds")
            contact = int(rng.random() < 0.05)
            name = rng.choice([None, "Ann", "Bob"]) if contact or rng.random() < 0.2 else None
            ring_s = rng.choice([None, None, 2, 4, 5, 9])
            rows.append((f"{e164}-{len(rows)}", e164, at, direction, status, 0, name, e164, "test", silent,
                         int(silent and rng.random() < 0.3), contact, ring_s))
    return rows


def unix(at: str) -> float:
    return datetime.fromisoformat(at).timestamp()


def expected_histories(rows: list[tuple[Any, ...]], rule: WaveRule = DEFAULT_WAVES) -> dict[str, History]:
    """Every field of every number's History, read from the calls one by one."""
    calls: dict[str, list[tuple[Any, ...]]] = {}
    for row in sorted(rows, key=lambda r: (r[1], r[2] or "")):  # stored by number and time, ties as given
        calls.setdefault(row[1], []).append(row)
    waves: dict[str, tuple[int, str, str, str]] = {}
    for block in {rule.block_of(e164) for e164 in calls}:
        silent = [(r[1], unix(r[2])) for e164, rs in calls.items() if e164.startswith(block)  # type: ignore[arg-type]
                  for r in rs if r[9] == 1 and r[2] is not None]
        span = find_wave_span(silent, rule)
        if span is not None:
            first, last = (datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds") for t in span[1:])
            waves.update((e164, (len(span[0]), block, first, last)) for e164 in span[0])  # type: ignore[misc]
    out = {}
    for e164, rs in calls.items():
        silent = [r for r in rs if r[9]]
        timed_in = [(unix(r[2]), r[9]) for r in rs if r[3] == "incoming" and r[2] is not None]
        timing = read_timing(timed_in) if silent and len(timed_in) >= 2 else read_timing([])
        silent_at = [r[2] for r in silent if r[2] is not None]
        names = [r[6] for r in rs if r[11] and r[6] is not None]
        wave = waves.get(e164, (0, None, None, None)) if silent else (0, None, None, None)
        out[e164] = History(
            silent_calls=len(silent), first_at=min(silent_at, default=None), last_at=max(silent_at, default=None),
            night_calls=sum(1 for r in silent if r[10]), outgoing_calls=sum(1 for r in rs if r[3] == "outgoing"),
            answered_calls=sum(1 for r in rs if r[4] == "answered" and r[3] == "incoming"),
            contact_name=max(names, default=None), voicemails=sum(1 for r in rs if r[4] == "voicemail"),
            quick_redials=timing.quick_redials, urgent_redials=timing.urgent_redials,
            same_time_days=timing.same_time_days, wave_numbers=wave[0], wave_block=wave[1], wave_first_at=wave[2],
            wave_last_at=wave[3],
            short_rings=sum(1 for r in silent if r[12] is not None and r[12] < SHORT_RING_S) if len(silent) >= 2 else 0,
        )
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_histories_agree_with_reading_every_call(seed: int) -> None:
    rows = generate_calls(seed)
    expected = expected_histories(rows)
    assert sum(1 for h in expected.values() if h.wave_block) >= 5  # the generator makes waves...
    assert any(h.silent_calls and not h.wave_block for h in expected.values())  # ...and silent callers outside them
    assert sum(1 for h in expected.values() if h.quick_redials or h.urgent_redials or h.same_time_days) >= 20
    with Store(":memory:") as store:
        store.save_calls(rows)
        asked = sorted(expected)
        rng = random.Random(seed)
        some = rng.sample(asked, len(asked) // 3)  # the blocks' other callers still count towards waves
        assert store.histories([*asked, "+19999999999", ""]) == expected
        assert store.histories(some) == {k: expected[k] for k in some}


def test_histories_under_another_wave_rule() -> None:
    rule = WaveRule(numbers=3, days=2, block_size=1000, nanp_block_size=10_000)
    rows = generate_calls(4)
    expected = expected_histories(rows, rule)
    assert any(h.wave_block for h in expected.values())
    with Store(":memory:") as store:
        store.save_calls(rows)
        assert store.histories(sorted(expected), rule) == expected


@pytest.mark.skipif(sqlite3.sqlite_version_info < (3, 38), reason="unixepoch() came with SQLite 3.38")
def test_unixepoch_gives_the_seconds_strftime_gives() -> None:
    """The times histories read come from unixepoch() where SQLite has it: the same seconds as
    the text of strftime('%s') cast back, for every shape of stored time (and none)."""
    from db.calls import _UNIX_TIME, UNIX_TIME_TEXT

    rng = random.Random(5)
    times = [(START + timedelta(seconds=rng.randint(-10**9, 10**9))).isoformat(timespec="seconds") for _ in range(2000)]
    times += ["2026-03-01T10:00:00.999+00:00", "2026-03-01 10:00:00", "2026-03-01T10:00:00Z", "2026-03-01",
              "1969-12-31T23:59:59.5+00:00", "1900-01-01T00:00:00+00:00", "not a time", "", None]
    with Store(":memory:") as store:
        store.conn.execute("CREATE TEMP TABLE t (at)")
        store.conn.executemany("INSERT INTO t VALUES (?)", [(t,) for t in times])
        rows = store.conn.execute(f"SELECT at, {_UNIX_TIME}, {UNIX_TIME_TEXT} FROM t").fetchall()
    assert _UNIX_TIME != UNIX_TIME_TEXT
    assert [(at, new) for at, new, _ in rows] == [(at, old) for at, _, old in rows]
    assert all(type(new) is int for _, new, old in rows if old is not None)


def test_waves_at_the_edge_of_enough_callers() -> None:
    """A block with exactly as many silent callers as a wave needs has one; a block with one
    fewer has none, however many other callers it has (only its callers' count lets its calls be
    read at all)."""
    def call(e164: str, minutes: int, silent: int = 1) -> tuple[Any, ...]:
        when = (START + timedelta(minutes=minutes)).isoformat(timespec="seconds")
        return (f"{e164}-{minutes}-{silent}", e164, when, "incoming", "missed" if silent else "answered", 0, None,
                e164, "test", silent, 0, 0, None)

    rows = [call(f"+12125550{i:03d}", i) for i in range(DEFAULT_WAVES.numbers)]  # a wave, just
    rows += [call(f"+12125551{i:03d}", i) for i in range(DEFAULT_WAVES.numbers - 1)]  # one caller short...
    rows += [call("+12125551999", 3, silent=0)]  # ...with another caller who was answered
    rows += [call(f"+12125552{i:03d}", i) for i in range(DEFAULT_WAVES.numbers - 1)]  # one short, alone
    rows += [call("+4420794600" + f"{i:02d}", i) for i in range(DEFAULT_WAVES.numbers)]  # a wave of 100s
    expected = expected_histories(rows)
    assert {h.wave_block for h in expected.values()} == {None, "+12125550", "+4420794600"}
    assert expected["+12125550000"].wave_numbers == DEFAULT_WAVES.numbers
    with Store(":memory:") as store:
        store.save_calls(rows)
        assert store.histories(sorted(expected)) == expected
