"""Issue 15: calls go through a temporary table into ``calls`` in big sorted moves, so that
importing stays as quick per call in the fourth 100,000 as in the first. What the store keeps
must not change: the first row of a key wins, counts are of rows added, and rows read before
a failure are stored."""

from __future__ import annotations

import pytest

from db.store import Store


def call_row(key: str, e164: str | None, day: int, name: str | None = None) -> tuple:
    return (key, e164, f"2026-01-{day:02d}T10:00:00+00:00", "incoming", "missed", 0, name, e164, "android_xml", 1, 0, 0)


def test_moves_keep_the_first_row_of_a_key_and_count_what_was_added(tmp_path) -> None:
    with Store(tmp_path / "w.db") as store:
        rows = [call_row(f"k{i}", f"+1202555{i % 7:04d}", 1 + i % 28) for i in range(50)]
        rows.insert(10, call_row("k3", "+12025550003", 4, name="second copy"))  # same key again
        rows.append(call_row("w1", None, 2))  # withheld
        assert store.save_calls(iter(rows), batch=4, move=12) == 51
        assert store.save_calls(rows[:20], batch=4, move=12) == 0
        assert store.conn.execute("SELECT name FROM calls WHERE key = 'k3'").fetchone() == (None,)
        assert store.conn.execute("SELECT COUNT(*) FROM temp.staged_calls").fetchone() == (0,)
        assert store.histories(["+12025550003"])["+12025550003"].silent_calls == len(range(3, 50, 7))


def test_calls_read_before_a_failure_are_stored(tmp_path) -> None:
    def rows_then_failure():
        for i in range(30):
            yield call_row(f"k{i}", "+12025550143", 1 + i % 28)
        raise ValueError("the log breaks off")

    with Store(tmp_path / "w.db") as store:
        with pytest.raises(ValueError):
            store.save_calls(rows_then_failure(), batch=8, move=16)
        assert store.count_calls() == 30


def test_moves_run_beside_the_reading_and_all_rows_are_in_when_it_returns(tmp_path) -> None:
    """The moves run in a thread while the rows are read; save_calls returns only when every
    row is in ``calls``, and leaves no thread behind."""
    import threading

    seen: set[str] = set()

    def rows():
        for i in range(4_000):
            seen.update(t.name for t in threading.enumerate())
            yield call_row(f"k{i}", f"+1202555{i % 97:04d}", 1 + i % 28)

    before = threading.active_count()
    with Store(tmp_path / "w.db") as store:
        assert store.save_calls(rows(), batch=250, move=1_000) == 4_000
        assert store.count_calls() == 4_000
        assert store.conn.execute("SELECT COUNT(*) FROM temp.staged_calls").fetchone() == (0,)
    assert "whocalled-move-calls" in seen and threading.active_count() == before


def test_a_move_that_fails_in_its_thread_raises_in_the_caller(tmp_path) -> None:
    """A move the database refuses (here a trigger of this connection) fails in the thread;
    the caller gets that error, as if it had moved the rows itself, and the rows stay staged
    for the next save."""
    import sqlite3

    with Store(tmp_path / "w.db") as store:
        store.conn.execute("CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.calls"
                           " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
        with pytest.raises(sqlite3.IntegrityError, match="refused by the test"):
            store.save_calls((call_row(f"k{i}", "+12025550143", 1 + i % 28) for i in range(100)), batch=10, move=10)
        assert store.count_calls() == 0
        store.conn.execute("DROP TRIGGER refuse")
        # staged: the batch whose move failed and the one read meanwhile; reading stopped there
        assert store.save_calls([call_row("k0", "+12025550143", 1)]) == 20
