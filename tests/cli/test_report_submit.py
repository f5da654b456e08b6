"""`report --submit phoneblock`: deliberate, confirmed, recorded; never automatic."""

from __future__ import annotations

import json

import pytest
from aiohttp import web
from typer.testing import CliRunner

from lookup.cli import app


@pytest.fixture
def phoneblock(thread_server):
    received: list[tuple[str, dict]] = []

    async def rate(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer good-token":
            return web.Response(status=401, text="bad token")
        received.append((request.path, await request.json()))
        return web.Response(text="OK")

    async def robots(request: web.Request) -> web.Response:
        return web.Response(status=404)

    web_app = web.Application()
    web_app.router.add_post("/phoneblock/api/rate", rate)
    web_app.router.add_get("/robots.txt", robots)
    return thread_server(web_app) + "/phoneblock", received


def config(tmp_path, base: str, token: str = "good-token"):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'region = "DE"\n[sources.phoneblock_net]\nbase_url = "{base}"\ntoken = "{token}"\n')
    return str(cfg)


def reports() -> list[dict]:
    out = CliRunner().invoke(app, ["reports", "--json"]).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_submit_after_yes(phoneblock, tmp_path) -> None:
    base, received = phoneblock
    r = CliRunner().invoke(app, ["report", "030 1234567", "-c", "scam", "--note", "fake bank", "--submit", "phoneblock",
                                 "--yes", "--config", config(tmp_path, base)])
    assert r.exit_code == 0, r.output
    assert "Sent to PhoneBlock" in r.stdout
    [(path, body)] = received
    assert body["phone"] == "0049301234567" and body["comment"] == "fake bank"
    [rep] = reports()
    assert rep["submitted_to"] == "phoneblock" and rep["submission"].startswith("accepted")
    assert "good-token" not in r.output


def test_declined_confirmation_sends_nothing(phoneblock, tmp_path) -> None:
    base, received = phoneblock
    r = CliRunner().invoke(app, ["report", "030 1234567", "-c", "scam", "--submit", "phoneblock", "--config", config(tmp_path, base)],
                           input="n\n")
    assert r.exit_code == 0 and "Not sent" in r.stdout
    assert received == []
    [rep] = reports()
    assert rep["submitted_to"] is None


def test_refused_token_is_recorded_and_exit_1(phoneblock, tmp_path) -> None:
    base, received = phoneblock
    r = CliRunner().invoke(app, ["report", "030 1234567", "-c", "scam", "--submit", "phoneblock", "--yes",
                                 "--config", config(tmp_path, base, token="wrong")])
    assert r.exit_code == 1 and "did not take the report" in r.stderr
    [rep] = reports()
    assert rep["submission"].startswith("failed")


def test_submit_without_token_is_a_usage_error(tmp_path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("")
    r = CliRunner().invoke(app, ["report", "+49 30 1234567", "-c", "scam", "--submit", "phoneblock", "--config", str(cfg)])
    assert r.exit_code == 2 and "needs your PhoneBlock token" in r.stderr
    assert reports() == []


def test_plain_reports_are_never_sent(phoneblock, tmp_path) -> None:
    base, received = phoneblock
    r = CliRunner().invoke(app, ["report", "030 1234567", "-c", "scam", "--config", config(tmp_path, base)])
    assert r.exit_code == 0 and received == []
