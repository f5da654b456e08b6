"""Issue 15: printed as lines (--json, --csv), triage keeps each judged row in a spool as its
line, not as objects: the lines come out in the same order as the rows held in memory would,
--top and --block-spam's list still work, and the report holds a fraction of the memory (what stays is per number: its group, its brief)."""

from __future__ import annotations

import gc
import io
import os
import tracemalloc
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from db.store import Store
from lookup.cli.render_triage import print_triage, row_renderer
from lookup.engine import Engine
from lookup.settings import Settings
from lookup.triage import triage
from lookup.triage_spool import RowSpool


def android_log(path: Path, numbers: int) -> Path:
    """Silent calls from ``numbers`` numbers, a few of them twice (so the order has levels)."""
    rows = "".join(
        f'<call number="+1{876 if i % 9 == 0 else 201}555{i:04d}" duration="0"'
        f' date="{1_790_000_000_000 + i * 3_600_000 + r * 900_000}" type="3" presentation="1" contact_name="(Unknown)" />'
        for i in range(numbers) for r in range(1 + (i % 3 == 0))
    )
    path.write_text(f"<?xml version='1.0' encoding='UTF-8'?><calls count=\"{numbers}\">{rows}</calls>", encoding="utf-8")
    return path


async def triaged(log: Path, *, spooled: bool, csv_out: bool = False):
    settings = Settings(region="US", timezone="UTC")
    with Store() as store:
        render = row_renderer(settings, csv_out=csv_out) if spooled else None
        report = await triage(Engine(store=store, settings=settings), [log], offline=True, render=render)
    return report, settings


def printed(report, settings, **options) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        print_triage(report, settings, **options)
    return out.getvalue()


async def test_spooled_lines_are_the_rows_in_report_order(tmp_path) -> None:
    log = android_log(tmp_path / "calls.xml", 300)
    held, settings = await triaged(log, spooled=False)
    spooled, _ = await triaged(log, spooled=True)
    assert held.rows and not spooled.rows and len(spooled.spool) == len(held.rows) == 300
    for options in ({"json_out": True}, {"json_out": True, "top": 7}):
        assert printed(spooled, settings, **options) == printed(held, settings, **options)
    top7 = printed(spooled, settings, top=7, json_out=True).splitlines()
    assert len(top7) == 7 + bool(held.waves) and all('"e164"' in line for line in top7[:7])
    assert spooled.summary() == held.summary() and spooled.waves == held.waves
    assert spooled.spam_numbers() == [r.result.number.e164 for r in held.rows
                                      if r.result.verdict.level.value == "likely_spam"] != []
    csv_held, _ = await triaged(log, spooled=False)
    csv_spooled, _ = await triaged(log, spooled=True, csv_out=True)
    assert printed(csv_spooled, settings, csv_out=True) == printed(csv_held, settings, csv_out=True)


async def test_a_spooled_report_holds_a_fraction_of_the_memory(tmp_path) -> None:
    log = android_log(tmp_path / "calls.xml", 2000)
    sizes = []
    await triaged(log, spooled=True)  # caches and tables loaded once are not the report's
    for spooled in (False, True):
        gc.collect()
        tracemalloc.start()
        report, _ = await triaged(log, spooled=spooled)
        gc.collect()
        sizes.append(tracemalloc.get_traced_memory()[0])
        tracemalloc.stop()
        del report
    held, spooled = sizes
    assert spooled < held / 2.5, sizes  # measured: 1.1 MB against 3.4 MB


@pytest.mark.parametrize("pread", [True, False], ids=["pread", "seek"])
def test_rows_added_after_reading_go_to_the_end_and_replace_their_position(pread, monkeypatch) -> None:
    """Rows are appended without a seek; lines() reads with os.pread where there is one (the
    file stays at its end), else it seeks, and the next add seeks back to the end. Either way,
    rows added after a read (and a row replaced by its online answer) read back whole."""
    if not pread:
        monkeypatch.delattr(os, "pread", raising=False)
    spool = RowSpool(lambda row: f"{row}\n")
    for position in range(5):
        spool.add(position, f"row {position} Zürich")
    assert list(spool.lines([4, 0])) == ["row 4 Zürich\n", "row 0 Zürich\n"]
    spool.add(2, "row 2 answered online")
    spool.add(6, "row 6")
    assert len(spool) == 6
    assert list(spool.lines([0, 1, 2, 3, 4, 6])) == [
        "row 0 Zürich\n", "row 1 Zürich\n", "row 2 answered online\n", "row 3 Zürich\n", "row 4 Zürich\n", "row 6\n",
    ]
    spool.close()
