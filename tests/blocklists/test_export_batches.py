"""The export's batch shortcuts (issue 15): they must agree with the row-by-row rules exactly."""

from __future__ import annotations

from itertools import repeat

import pytest

from lookup.blocklists import FORMATS, ExportFormat, ExportRow, ExportStats, export_rows
from lookup.blocklists.columns import iter_columns
from lookup.blocklists.common import BATCH, is_plain_batch, iter_entries

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
    got = [
        (number, is_prefix)
        for batch in iter_columns(rows, by_batch, prefixes=False)
        for number, is_prefix in zip(batch.numbers, batch.prefixes or repeat(False))
    ]
    assert got == [(number, is_prefix) for _, number, is_prefix in expected]
    assert (by_batch.skipped, by_batch.skipped_prefixes) == (by_row.skipped, by_row.skipped_prefixes) == (1, 1)


FULL = [
    ExportRow("+12025550123", "a \"quoted\", reason", "blocked", 100, "2024-05-01T12:00:00+00:00", "Name"),
    ExportRow("+12025550124", "=cmd", "reported", 7, "2024-05-02T12:00:00+00:00"),
    ExportRow("+12025550125", None, "blocked", 100, "2024-05-03T12:00:00+00:00", "Only a name"),
    ExportRow("+1202555*", "range", "blocked", 100, "2024-05-04T12:00:00+00:00"),
]
OTHER_FIELDS = [field for field in ExportRow._fields if field != "pattern"]


@pytest.mark.parametrize("field", OTHER_FIELDS)
@pytest.mark.parametrize("fmt", [f.value for f in ExportFormat])
def test_format_fields_name_exactly_what_the_writer_reads(fmt: str, field: str, tmp_path) -> None:
    """An export leaves out of the rows what ``FormatSpec.fields`` does not name: the output
    must not change when such a field is empty, and must change when a named one is."""
    full, blank = tmp_path / "full", tmp_path / "blank"
    export_rows(FULL, fmt, full)
    export_rows([row._replace(**{field: None}) for row in FULL], fmt, blank)
    assert (full.read_bytes() != blank.read_bytes()) is (field in FORMATS[fmt].fields)


def test_the_export_query_leaves_the_store_cache_as_it_was(tmp_path) -> None:
    from db.export import SORT_CACHE_KIB, iter_list_rows
    from db.store import Store
    from lookup.models import ListEntry, ListKind

    with Store(tmp_path / "w.db") as store:
        store.add_list_entries(ListEntry(f"+1202555{n:04d}", ListKind.BLOCK, reason="r") for n in range(3))
        before = store.conn.execute("PRAGMA cache_size").fetchone()[0]
        assert before != -SORT_CACHE_KIB  # otherwise this test proves nothing
        cursor = iter_list_rows(store.conn, ListKind.BLOCK)
        assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == before
        assert [row[0] for row in cursor.fetchall()] == ["+12025550000", "+12025550001", "+12025550002"]
