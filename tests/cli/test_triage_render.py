"""The triage table as people read it: it fits an 80-column terminal without cutting a reason,
shows the first rows with how many more there are, costs little when piped, and a huge
caller name cannot stall it."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from rich.console import Console

from db.store import Store
from lookup.cli.render_triage import DEFAULT_TOP, print_triage
from lookup.engine import Engine
from lookup.settings import Settings
from lookup.triage import triage

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "calls-example.xml"


def android_log(path: Path, numbers: int, name: str = "(Unknown)") -> Path:
    rows = "".join(
        f'<call number="+1201555{i:04d}" duration="0" date="{1_790_000_000_000 + i * 61_000}" type="3"'
        f' presentation="1" contact_name="{name if i == 0 else "(Unknown)"}" />'
        for i in range(numbers)
    )
    path.write_text(f"<?xml version='1.0' encoding='UTF-8'?><calls count=\"{numbers}\">{rows}</calls>", encoding="utf-8")
    return path


async def report_of(path: Path, include_all: bool = False):
    settings = Settings(region="US", timezone="UTC")
    with Store() as store:
        return await triage(Engine(store=store, settings=settings), [path], offline=True, include_all=include_all), settings


def rendered(report, settings, width: int, top: int | None = None) -> list[str]:
    out = io.StringIO()
    print_triage(report, settings, top=top, console=Console(file=out, width=width, force_terminal=False))
    return out.getvalue().splitlines()


@pytest.mark.parametrize("width", [80, 100, 140])
async def test_the_table_fits_the_terminal_and_cuts_no_reason(width) -> None:
    report, settings = await report_of(EXAMPLE, include_all=True)
    lines = rendered(report, settings, width)
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    text = " ".join(" ".join(lines).replace("│", " ").split())
    for reason in ("the bait of one-ring scams", "calling it back can cost a lot per minute", "In your contacts as Pharmacy"):
        assert reason in text, (width, reason)
    assert "Mom" in text  # the name of a contact is not cut off
    assert "likely OK" in text and "likely ok" not in text  # as lookup and the summary say it


async def test_a_terminal_shows_the_first_rows_and_says_how_many_more(tmp_path) -> None:
    report, settings = await report_of(android_log(tmp_path / "calls.xml", DEFAULT_TOP + 15))
    lines = rendered(report, settings, 80)
    assert sum(line.startswith("+1 201") for line in lines) == DEFAULT_TOP
    assert any("and 15 more numbers" in line for line in lines)
    every = rendered(report, settings, 80, top=0)
    assert sum(line.startswith("+1 201") for line in every) == DEFAULT_TOP + 15


async def test_piped_output_is_plain_whole_and_cheap(tmp_path, capsys) -> None:
    report, settings = await report_of(android_log(tmp_path / "calls.xml", 3000))
    start = time.perf_counter()
    print_triage(report, settings)  # stdout is not a terminal here
    elapsed = time.perf_counter() - start
    out = capsys.readouterr().out.splitlines()
    # 3000 numbers of three thousands-blocks, one a minute: each block is a wave (issue 16), one line each
    assert len(report.waves) == 3 and out[-3].startswith("Wave: 1000 numbers from +12015550xxx")
    assert out[0].split()[:2] == ["number", "calls"] and len(out) == 3000 + 2 + 3
    assert elapsed < 1.0, elapsed  # a rich table of these rows took seconds


async def test_a_huge_caller_name_is_capped(tmp_path) -> None:
    report, settings = await report_of(android_log(tmp_path / "calls.xml", 3, name="A" * 2_000_000))
    start = time.perf_counter()
    lines = rendered(report, settings, 80)
    assert time.perf_counter() - start < 5
    assert max(len(line) for line in lines) <= 80
    from lookup.cli.render_triage import MAX_NAME, MAX_WHY

    assert sum(line.count("A") for line in lines) <= MAX_WHY + MAX_NAME  # the reason quotes the name, capped


def test_top_and_contradicting_formats_through_the_cli(tmp_path) -> None:
    from typer.testing import CliRunner

    from lookup.cli import app

    log = android_log(tmp_path / "calls.xml", 12)
    result = CliRunner().invoke(app, ["triage", "--offline", "--top", "5", str(log)])
    assert result.exit_code == 0
    assert sum(line.startswith("+1 201") for line in result.stdout.splitlines()) == 5
    assert "and 7 more numbers" in result.stdout
    both = CliRunner().invoke(app, ["triage", "--offline", "--json", "--csv", str(log)])
    assert both.exit_code == 2 and "contradict" in both.stderr


def test_reading_a_big_log_reports_progress(tmp_path) -> None:
    from lookup.triage_read import import_logs

    seen: list[int] = []
    with Store() as store:
        import_logs(store, [android_log(tmp_path / "calls.xml", 2_500)], region="US", fmt=None, tz="UTC",
                    batch=1_000, reading=seen.append)
    assert seen == [1_000, 2_000]

