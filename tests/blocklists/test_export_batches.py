"""The export's batch shortcuts (issue 15): they must agree with the row-by-row rules exactly."""

from __future__ import annotations

import pytest

from lookup.blocklists import FORMATS, ExportFormat, ExportRow, ExportStats, export_rows
from lookup.blocklists.common import BATCH, is_plain_batch, iter_batches, iter_entries

PLAIN = ["+12025550123", "+4930123456", "+123456789012345", "+1234567"]


@pytest.mark.parametrize(
    "odd",
    [
        "+12025550123*",  # a prefix
        "+12345678\n9",  # a line break with no plus after it
        "+1234567\n+1234567",  # two numbers in one pattern
        "12025550123",  # no plus
        "+1202+5550123",  # a plus inside
        "+1202555012٣",  # a digit that is not ASCII
        "+123456",  # too short
        "+1234567890123456",  # too long
        "+12025550123;ext=7",  # an extension
        "",
        "withheld",
    ],
)
def test_one_odd_pattern_makes_a_batch_not_plain(odd: str) -> None:
    assert is_plain_batch(PLAIN)
    for at in (0, 2, len(PLAIN)):
        assert not is_plain_batch(PLAIN[:at] + [odd] + PLAIN[at:])


def test_batches_hold_what_the_row_by_row_loop_yields() -> None:
    odd = ["+1202555*", "withheld", "+12025550123;ext=7", "+12025550199"]
    rows = [ExportRow(f"+1202555{n:04d}") for n in range(BATCH + 10)] + [ExportRow(p) for p in odd]
    by_row, by_batch = ExportStats(), ExportStats()
    expected = list(iter_entries(rows, by_row, prefixes=False))
    got = [entry for batch in iter_batches(rows, by_batch, prefixes=False) for entry in batch]
    assert got == expected
    assert (by_batch.skipped, by_batch.skipped_prefixes) == (by_row.skipped, by_row.skipped_prefixes) == (1, 1)


TEXTS = [ExportRow("+12025550123", "a \"quoted\", reason", "blocked", 100, "2024-05-01T12:00:00+00:00", "Name"),
         ExportRow("+1202555*", "=cmd", "reported", 7, "2024-05-02T12:00:00+00:00")]


@pytest.mark.parametrize("fmt", [f.value for f in ExportFormat])
def test_texts_flag_says_whether_the_writer_reads_more_than_the_pattern(fmt: str, tmp_path) -> None:
    """A format marked ``texts=False`` is exported from rows without reasons or dates: its
    output must not change when they are missing, and every other format's must."""
    full, bare = tmp_path / "full", tmp_path / "bare"
    export_rows(TEXTS, fmt, full)
    export_rows([ExportRow(row.pattern) for row in TEXTS], fmt, bare)
    assert (full.read_bytes() == bare.read_bytes()) is (not FORMATS[fmt].texts)
