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
