"""``--deadline`` is wall time for the whole command (issue 17): ``lookup`` and ``triage`` of
several numbers against a site that accepts every request and never answers, at a pace of one
number per batch, end within the deadline instead of spending it once per batch. The real
shouldianswer.com source and fetcher against a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from aiohttp import web
from typer.testing import CliRunner

from lookup.cli import app
from scrapers.registry import source_classes

NUMBERS = [f"+1202555{n:04d}" for n in range(111, 116)]
DEADLINE = 1.5
SLACK = 1.0  # opening the database and printing, on a loaded machine


@pytest.fixture
def stalled(thread_server, tmp_path) -> Path:
    """A config enabling shouldianswer.com alone, at 2 requests a second (so one number per
    batch of a 1.5 s deadline), against a site that holds every number's request open."""

    async def hold(request: web.Request) -> web.Response:
        while request.transport is not None and not request.transport.is_closing():
            await asyncio.sleep(0.05)  # until the client gives up
        return web.Response(status=504)

    async def robots(request: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nAllow: /\n")

    site = web.Application()
    site.router.add_get("/robots.txt", robots)
    site.router.add_get("/{tail:.*}", hold)
    base = thread_server(site)
    lines = []
    for cls in source_classes():
        if cls.name == "shouldianswer_com":
            lines += [f"[sources.{cls.name}]", f'base_url = "{base}"', "rate = 2", ""]
        else:
            lines += [f"[sources.{cls.name}]", "enabled = false", ""]
    cfg = tmp_path / "config.toml"
    cfg.write_text("\n".join(lines))
    return cfg


def run_timed(args: list[str]) -> tuple[float, object]:
    """The command's wall time in this process, once the modules it loads are loaded (as a
    first run in a test process would otherwise count building every command and importing)."""
    warm = CliRunner().invoke(app, ["lookup", "+12025550100", "--offline", "--db", args[-1] + "-warm"])
    assert warm.exit_code == 0, warm.output
    import bs4  # noqa: F401 - the source's parser, imported on its first page
    started = time.monotonic()
    result = CliRunner().invoke(app, args)
    return time.monotonic() - started, result


def test_lookup_deadline_is_wall_time_for_all_its_numbers(stalled, tmp_path) -> None:
    took, result = run_timed(["lookup", *NUMBERS, "--json", "--deadline", str(DEADLINE),
                              "--config", str(stalled), "--db", str(tmp_path / "w.db")])
    assert result.exit_code == 0, result.output
    assert took < DEADLINE + SLACK, took  # one deadline per batch would be 3 x 1.5 s before the site is paused
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["e164"] for a in answers] == NUMBERS  # every number answered, in input order
    statuses = {s["status"] for a in answers for s in a["sources"] if s["name"] == "shouldianswer_com"}
    assert statuses == {"timeout"}
    assert "shouldianswer_com (timeout)" in result.stderr


def test_triage_deadline_counts_from_the_start_of_the_command(stalled, tmp_path) -> None:
    rows, t = [], 1_790_000_000_000
    for number in NUMBERS:
        t += 3_600_000
        rows.append(f'<call number="{number}" duration="0" date="{t}" type="3" presentation="1" contact_name="(Unknown)" />')
    log = tmp_path / "calls.xml"
    log.write_text(f"<?xml version='1.0' ?><calls count='{len(rows)}'>{''.join(rows)}</calls>")
    took, result = run_timed(["triage", str(log), "--json", "--deadline", str(DEADLINE),
                              "--config", str(stalled), "--db", str(tmp_path / "w.db")])
    assert result.exit_code == 0, result.output
    assert took < DEADLINE + SLACK, took
    rows_out = [row for row in map(json.loads, result.stdout.splitlines()) if "waves" not in row]  # the last line lists waves
    assert {row["e164"] for row in rows_out} == set(NUMBERS)
