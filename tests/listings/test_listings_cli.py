"""The commands: ``sync osm``, ``sync wikidata``, ``sources`` with areas, ``lookup`` with names."""

from __future__ import annotations

import json

from aiohttp import web
from typer.testing import CliRunner

from lookup.cli import app

from .conftest import page

OSM_FILE = str(page("osm/us-dc.json"))


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_sync_osm_from_a_file_then_lookup_names_the_caller() -> None:
    r = invoke("sync", "osm", "--file", OSM_FILE, "--area", "US-DC")
    assert r.exit_code == 0, r.output
    assert "osm US-DC: 9 numbers of 6 places saved" in r.stdout
    assert "skipped 2 rows" in r.stderr  # the values that are no number, in one line
    data = json.loads(invoke("lookup", "--offline", "--json", "+1 202 555 0170").stdout)
    assert data["name"] == "Logan Circle Dental"
    assert data["listings"][0]["opening_hours"] == "PH off; Mo-Th 09:00-17:00"
    assert data["listings"][0]["open_now"] is None  # a form not read here is shown as written
    assert data["links"] and data["call_back"] == "yes"
    text = invoke("lookup", "--offline", "+1 202 555 0170").stdout
    assert "hours: PH off; Mo-Th 09:00-17:00" in text and "© OpenStreetMap contributors" in text


def test_bad_input_is_one_line_and_exit_2() -> None:
    for args, words in [
        (("--area", "Washington"), "not an ISO 3166-2 code"),
        (("--bbox", "1,2,3"), "not four numbers"),
        (("--area", "US-DC", "--bbox", "1,2,3,4"), "contradict"),
        ((), "say which area"),
        (("--file", "/no/such/answer.json"), "no such file"),
    ]:
        r = invoke("sync", "osm", *args)
        assert r.exit_code == 2, (args, r.output)
        assert words in r.stderr and "Traceback" not in r.output and len(r.stderr.strip().splitlines()) == 1
    r = invoke("sync", "wikidata", "--country", "USA")
    assert r.exit_code == 2 and "two-letter country code" in r.stderr


def configure(tmp_path, monkeypatch, base: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[sources.osm]\nbase_url = "{base}/api"\n[sources.wikidata]\nbase_url = "{base}"\n')
    monkeypatch.setenv("WHOCALLED_CONFIG", str(config))


def test_an_unknown_area_exits_2_and_a_failed_sync_exits_1(thread_server, tmp_path, monkeypatch) -> None:
    answers = {"US-ZZ": page("osm/no-area.json"), "US-DC": page("osm/runtime-error.json")}

    async def answer(request: web.Request) -> web.Response:
        name = next(code for code in answers if code in request.query["data"])
        return web.Response(body=answers[name].read_bytes(), content_type="application/json")

    app_ = web.Application()
    app_.router.add_get("/api/interpreter", answer)
    configure(tmp_path, monkeypatch, thread_server(app_))
    r = invoke("sync", "osm", "--area", "US-ZZ")
    assert r.exit_code == 2 and "no area with the code US-ZZ" in r.stderr, r.output
    r = invoke("sync", "osm", "--area", "US-DC")
    assert r.exit_code == 1, r.output
    assert "sync failed, nothing changed: Overpass did not finish the query: runtime error" in r.stderr
    assert "0 numbers" not in r.output


def test_sources_shows_each_area_with_its_rows_and_date() -> None:
    invoke("sync", "osm", "--file", OSM_FILE, "--area", "US-DC")
    invoke("sync", "wikidata", "--file", str(page("wikidata/us.json")))
    rows = {row["name"]: row for row in map(json.loads, invoke("sources", "--json").stdout.splitlines())}
    [area] = rows["osm"]["areas"]
    assert (area["area"], area["rows"]) == ("US-DC", 9) and area["synced_at"]
    assert rows["osm"]["synced_rows"] == 9 and rows["wikidata"]["areas"][0]["area"] == "file us.json"
    text = invoke("sources").stdout
    assert "area US-DC: 9 numbers, synced " in text
    assert "area file us.json: 2 numbers" in text


def test_triage_names_a_listed_silent_caller_with_the_credit(tmp_path) -> None:
    invoke("sync", "osm", "--file", OSM_FILE, "--area", "US-DC")
    log = tmp_path / "missed.txt"
    log.write_text("+1 202 555 0170\n+1 202 555 0199\n")
    r = invoke("triage", "--offline", str(log))
    assert r.exit_code == 0, r.output
    [line] = [line for line in r.stdout.splitlines() if line.startswith("+1 202-555-0170")]
    assert "Logan Circle Dental" in line and "© OpenStreetMap contributors" in line
    rows = {row["e164"]: row for row in map(json.loads, invoke("triage", "--offline", "--json", str(log)).stdout.splitlines())}
    assert rows["+12025550170"]["name"] == "Logan Circle Dental"
