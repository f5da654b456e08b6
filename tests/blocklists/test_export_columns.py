"""The export in columns (issue 15): the block list reaches the writers as the columns SQLite
handed over, and a writer renders them exactly as it renders the same rows one by one."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from db.export import iter_list_rows
from db.store import Store
from lookup.blocklists import ExportFormat, ExportRow, ExportStats, export_rows
from lookup.blocklists.columns import ColumnRows, iter_columns
from lookup.blocklists.common import BATCH
from lookup.export import Include, gather_rows
from lookup.models import ListEntry, ListKind

_MOD_TIME = re.compile(rb"<mod_time>\d+</mod_time>")
REASONS = ('He said "call back", now', "=cmd|' /C calc'!A0", "two\nlines", None, "", "Müller, 東京")


def fill(store: Store, count: int) -> None:
    store.add_list_entries(
        ListEntry(f"+1{2025550000 + 7919 * n % 7000000000}", ListKind.BLOCK, reason=REASONS[n % len(REASONS)],
                  added_at=f"2024-05-{1 + n % 28:02d}T12:00:00+00:00", origin="test")
        for n in range(count)
    )
    odd = ["+1999555*", "+4930*", "+4930123456", "+447911123456"]  # prefixes and numbers outside the NANP
    store.add_list_entries(ListEntry(p, ListKind.BLOCK, reason="odd", added_at="2024-06-01T00:00:00+00:00") for p in odd)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    with Store(tmp_path_factory.mktemp("columns") / "c.db") as store:
        fill(store, BATCH + 300)
        yield store


def test_a_lone_block_list_reaches_the_writers_as_fetched_columns(store: Store) -> None:
    rows = gather_rows(store, None, [Include.BLOCKED], fields=("description",))  # type: ignore[arg-type]
    assert isinstance(rows, ColumnRows)
    batches = list(iter_columns(rows, ExportStats(), prefixes=True))
    first = batches[0]
    assert isinstance(first.numbers, tuple) and len(first) == BATCH and first.prefixes is None
    assert not first.named  # the store's block list has no names: the labels are the reasons as fetched
    assert first.labels() is first.descriptions
    assert sum(map(len, batches)) == BATCH + 300 + 4
    assert any(batch.prefixes for batch in batches)


def export_bytes(rows, fmt: str, national: str | None) -> tuple[bytes, ExportStats]:
    """The export written to memory (FRITZ!Box's books in one stream), its export time fixed."""
    out = io.BytesIO()
    stats = export_rows(rows, fmt, out, national_region=national)
    return _MOD_TIME.sub(b"<mod_time>0</mod_time>", out.getvalue()), stats


@pytest.mark.parametrize("national", [None, "US", "DE"])
@pytest.mark.parametrize("fmt", [f.value for f in ExportFormat])
def test_columns_and_rows_write_the_same_bytes(fmt: str, national: str | None, store: Store) -> None:
    """The same block list through the column path and as ExportRows one by one (the merged
    path's shape), then with a name on some rows, so that the label rules show."""
    by_columns, stats_columns = export_bytes(gather_rows(store, None, [Include.BLOCKED]), fmt, national)  # type: ignore[arg-type]
    rows = list(gather_rows(store, None, [Include.BLOCKED]))  # type: ignore[arg-type]
    assert len(rows) == BATCH + 304 and all(type(row) is ExportRow for row in rows)
    by_rows, stats_rows = export_bytes(iter(rows), fmt, national)
    assert by_columns == by_rows
    assert (stats_columns.written, stats_columns.skipped_prefixes) == (stats_rows.written, stats_rows.skipped_prefixes)
    named = [row._replace(name='A Name, "quoted"') if n % 3 == 0 else row for n, row in enumerate(rows)]
    assert export_bytes(iter(named), fmt, national)[0] == export_bytes(ColumnRows(iter([tuple(zip(*named))])), fmt, national)[0]


def test_the_export_query_reads_the_table_not_the_kind_index(tmp_path) -> None:
    """The block list is nearly the whole table: a scan in table order beats a look-up per row."""
    with Store(tmp_path / "q.db") as store:
        fill(store, 10)
        sent: list[str] = []
        store.conn.set_trace_callback(sent.append)
        cursor = iter_list_rows(store.conn, ListKind.BLOCK, since="2024-01-01", default_reason="blocked")
        store.conn.set_trace_callback(None)
        query = next(sql for sql in sent if sql.lstrip().upper().startswith("SELECT PATTERN"))
        plan = " ".join(str(row[-1]) for row in store.conn.execute("EXPLAIN QUERY PLAN " + query))
        assert "SCAN lists" in plan and "INDEX" not in plan.replace("TEMP B-TREE", "")
        assert [row[0] for row in cursor.fetchall()][:2] == ["+12025550000", "+12025557919"]


def test_export_loads_phonenumbers_only_to_split_a_range() -> None:
    code = "import sys, lookup.export; print('phonenumbers' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_a_fritzbox_contact_without_a_label_is_named_by_its_number() -> None:
    rows = [ExportRow("+12025550123", "\x1b\x07 "), ExportRow("+12025550124", "Spam")]
    written = export_bytes(iter(rows), "fritzbox", None)[0].decode()
    assert "<realName>+12025550123</realName>" in written and "<realName>Spam</realName>" in written


def test_the_fritzbox_writer_loads_no_xml_parser_or_url_library() -> None:
    code = ("import sys, lookup.blocklists.fritzbox; "
            "print(sorted(m for m in ('xml.sax.saxutils', 'urllib.request', 'defusedxml') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_export_reads_the_list_without_checking_the_whole_file_first(store: Store, monkeypatch, tmp_path) -> None:
    """``PRAGMA quick_check`` reads every page of the file (0.15 s of a 110 MB one); the export
    reads the whole list before it writes, and SQLite reports damage in what it reads
    (tests/db/test_store_care.py holds the one-line report)."""
    from typer.testing import CliRunner

    from lookup.cli import app

    def refuse(self: Store) -> None:
        raise AssertionError("export ran quick_check")

    monkeypatch.setattr(Store, "check", refuse)
    out = tmp_path / "out.txt"
    result = CliRunner().invoke(app, ["export", "-f", "txt", "--db", store.path, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == BATCH + 304
