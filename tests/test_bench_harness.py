"""The benchmark harness (bench/common.py, bench/run.py): interleaving, per-process peak memory,
the uniform result line and the summary of `make bench`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[1] / "bench"


def load(name: str):
    sys.path.insert(0, str(BENCH))  # the bench scripts import common as a sibling
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


common = load("common")
run = load("run")


def test_interleave_alternates_and_reports_median_and_spread() -> None:
    order: list[str] = []
    floor_times = iter([9.0, 1.0, 1.0, 2.0])  # the first is the untimed warm-up round
    ours_times = iter([9.0, 2.0, 3.0, 5.0])

    def floor():
        order.append("floor")
        return next(floor_times)

    def ours():
        order.append("ours")
        return common.Run(next(ours_times), peak_mb=40.0)

    measured = common.interleave(floor, ours, 3)
    assert order == ["floor", "ours"] * 4
    assert measured.ratios == [2.0, 3.0, 2.5]
    assert measured.ratio == 2.5 and measured.spread == (2.0, 3.0)
    assert measured.floor_s == 1.0 and measured.peak_mb == 40.0
    inverse = common.interleave(lambda: 1.0, lambda: 4.0, 2, inverse=True, warmup=False)
    assert inverse.ratios == [0.25, 0.25]


def test_each_process_reports_its_own_peak_memory() -> None:
    """Neither an earlier child's peak nor the bench's own memory (a child forked from a big
    process starts with its peak) is lent to a command."""
    held = bytearray(150 * 1024 * 1024)
    held[::4096] = b"x" * len(held[::4096])  # touched: resident in this process
    big = common.run_process([sys.executable, "-c", "b = bytearray(120 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"])
    small = common.run_process([sys.executable, "-c", "pass"])
    del held
    assert 120 < big.peak_mb < 150 + 120
    assert small.peak_mb < 60, f"peak {small.peak_mb:.0f} MB: not the command's own"


def test_a_failing_command_ends_the_bench_with_its_message() -> None:
    with pytest.raises(SystemExit, match="benchmark command failed \\(3\\).*went wrong"):
        common.run_process([sys.executable, "-c", "import sys; print('went wrong', file=sys.stderr); sys.exit(3)"])


def test_result_line_names_ratio_floor_spread_peak_and_verdict() -> None:
    fig = common.Figure("P5", "triage 100k calls", 2.41, 2.5, floor="floor 1.37 s", spread=(2.3, 2.6))
    assert fig.line() == "P5 triage 100k calls: 2.41x floor (floor 1.37 s, spread 2.30-2.60), target <= 2.5: met"
    heavy = common.Figure("P2", "lookup -", 1.5, 2.0, peak_mb=90.0, peak_limit_mb=80.0)
    assert heavy.ratio_met and not heavy.met
    assert heavy.line().endswith("peak 90 MB (< 80), target <= 2: MISSED")
    slow = common.Figure("P3", "import", 0.4, 0.5, lower_is_better=False)
    assert not slow.met and "target >= 0.5: MISSED" in slow.line()


def test_summary_lists_every_figure_and_fails_on_a_miss(tmp_path, capsys) -> None:
    script = tmp_path / "bench_fake.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(BENCH)!r})\n"
        "from common import Figure, report_figure\n"
        "ok = report_figure(Figure('F1', 'first', 1.1, 1.2, spread=(1.0, 1.3)))\n"
        "ok &= report_figure(Figure('F2', 'second, with a long description of what it measures', 3.0, 2.0))\n"
        "print('ordinary output')\n"
        "sys.exit(0 if ok else 1)\n"
    )
    silent = tmp_path / "bench_old.py"
    silent.write_text("print('no figures here')\n")
    code, figures = run.run_script(script, [])
    assert code == 1 and [f["id"] for f in figures] == ["F1", "F2"]
    assert "ordinary output" in capsys.readouterr().out  # passed through; BENCH lines are not
    rows = run.summary_rows([("bench_fake.py", code, figures), ("bench_old.py", *run.run_script(silent, []))])
    assert [(r[0], r[-1]) for r in rows] == [("F1", "met"), ("F2", "MISSED"), ("bench_old.py", "met")]
    table = run.format_table(rows)
    assert all(len(line) <= 80 for line in table.splitlines())
    assert "1.00-1.30" in table and "<= 2" in table
