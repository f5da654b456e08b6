"""`whocalled sources`: listing, how to enable, last success/failure, and --check against a local server."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web
from typer.testing import CliRunner

from lookup.cli import app

PAGES = Path(__file__).parents[1] / "pages"


def rows(out: str) -> dict[str, dict]:
    return {r["name"]: r for r in (json.loads(line) for line in out.splitlines())}


def test_lists_every_source_with_how_to_enable() -> None:
    r = CliRunner().invoke(app, ["sources", "--json"])
    assert r.exit_code == 0
    got = rows(r.stdout)
    assert {"shouldianswer_com", "nomorobo_com", "tellows", "phoneblock_net"} <= set(got)
    assert got["tellows"]["enabled"] is False and "api_key" in got["tellows"]["how_to_enable"]
    assert got["who_called_co_uk"]["countries"] == ["GB"]
    # sync state as fields of their own, not one string
    assert got["ftc_gov"]["synced_at"] is None and got["ftc_gov"]["synced_rows"] is None
    text = CliRunner().invoke(app, ["sources"]).stdout
    assert "to enable:" in text


def test_check_says_which_source_looks_broken(thread_server, tmp_path) -> None:
    good = (PAGES / "shouldianswer_com" / "spam.html").read_bytes()
    changed = (PAGES / "nomorobo_com" / "layout_changed.html").read_bytes()

    async def answer(request: web.Request) -> web.Response:
        body = good if request.path.startswith("/sia") else changed
        return web.Response(body=body, content_type="text/html")

    async def robots(request: web.Request) -> web.Response:
        return web.Response(status=404)

    site = web.Application()
    site.router.add_get("/robots.txt", robots)
    site.router.add_get("/{tail:.*}", answer)
    base = thread_server(site)
    cfg = tmp_path / "c.toml"
    from scrapers.registry import source_names

    names = [n for n in source_names() if n not in ("shouldianswer_com", "nomorobo_com")]
    cfg.write_text(
        f'[sources.shouldianswer_com]\nbase_url = "{base}/sia"\nrate = 100\n'
        f'[sources.nomorobo_com]\nbase_url = "{base}/nmr"\nrate = 100\n'
        + "".join(f"[sources.{n}]\nenabled = false\n" for n in names)
    )
    r = CliRunner().invoke(app, ["sources", "--check", "--json", "--config", str(cfg), "--deadline", "5"])
    assert r.exit_code == 1, r.output  # a monitor sees the broken source in the exit code
    assert r.stderr.strip() == "whocalled: 1 source looks broken: nomorobo_com"
    got = rows(r.stdout)
    assert got["shouldianswer_com"]["check"].startswith("OK")
    assert got["nomorobo_com"]["check"].startswith("BROKEN? layout_changed")
    assert got["nomorobo_com"]["last_failure"].startswith("layout_changed")
    assert got["shouldianswer_com"]["last_success_at"]
    healthy = cfg.read_text().replace('[sources.nomorobo_com]\nbase_url = "' + base + '/nmr"\nrate = 100\n', "[sources.nomorobo_com]\nenabled = false\n")
    cfg.write_text(healthy)
    again = CliRunner().invoke(app, ["sources", "--check", "--config", str(cfg), "--deadline", "5"])
    assert again.exit_code == 0, again.output


def test_sync_state_is_shown_as_fields() -> None:
    sample = sorted((Path(__file__).parents[1] / "data" / "ftc").glob("*.csv"))[0]
    assert CliRunner().invoke(app, ["sync", "ftc", str(sample)]).exit_code == 0
    got = rows(CliRunner().invoke(app, ["sources", "--json"]).stdout)
    assert got["ftc_gov"]["synced_rows"] > 0 and got["ftc_gov"]["synced_at"].startswith("20")
    assert "rows)" in CliRunner().invoke(app, ["sources"]).stdout
