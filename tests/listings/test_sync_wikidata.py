"""``sync wikidata``: a SPARQL JSON answer from a local stand-in of the query service."""

from __future__ import annotations

import pytest
from aiohttp import web

from lookup.engine import Engine
from lookup.settings import Settings
from lookup.sync_listings import sync_wikidata
from scrapers.osm import AreaError
from scrapers.registry import load_sources

from .conftest import page, recorded


async def test_a_country_is_asked_once_and_its_organisations_saved(directory, store, fetcher) -> None:
    site = await directory(recorded("wikidata/us.json", content_type="application/sparql-results+json"))
    result = await sync_wikidata(store, site.settings(), country="us", fetcher=fetcher)
    assert result.ok and result.rows == 2, result.summary()
    assert result.tally.skipped == 1 and "see website" in result.tally.summary()
    asked = site.requests[0]
    assert asked["path"] == "/sparql" and asked["format"] == "json"
    assert 'wdt:P297 "US"' in asked["query"] and "wdt:P1329" in asked["query"]
    assert "whocalled" in asked["user_agent"].lower() and "sparql-results+json" in asked["accept"]
    assert [(a.source, a.area, a.rows) for a in store.listing_areas()] == [("wikidata", "US", 2)]


async def test_429_with_retry_after_is_waited_out(directory, store, fetcher) -> None:
    body = page("wikidata/us.json").read_bytes()

    async def answer(request: web.Request, n: int) -> web.Response:
        if n == 1:
            return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": "1"})
        return web.Response(body=body, content_type="application/json")

    site = await directory(answer)
    result = await sync_wikidata(store, site.settings(), country="US", fetcher=fetcher)
    assert result.ok and len(site.requests) == 2


async def test_an_organisation_is_named_with_its_kind_and_page(store) -> None:
    settings = Settings(region="US")
    await sync_wikidata(store, settings, country="US", file=page("wikidata/us.json"))
    engine = Engine(store, settings, load_sources(settings))
    [white_house, unlabelled] = [r.to_json() for r in engine.lookup_offline(["+1 202-456-1414", "+12025550190"])]
    assert white_house["name"] == "White House"
    [listed] = white_house["listings"]
    assert listed["kind"] == "official residence"  # the first row of the entity and number
    assert listed["url"] == "https://www.wikidata.org/wiki/Q35525"
    assert listed["website"] == "https://www.whitehouse.gov/"
    assert unlabelled["listings"][0]["name"] is None and "name" not in unlabelled  # the id is no name
    assert unlabelled["listings"][0]["url"] == "https://www.wikidata.org/wiki/Q9000001"


async def test_a_bad_country_is_refused_before_any_request(store) -> None:
    for bad in ("USA", "U1", "", "XX"):
        with pytest.raises(AreaError):
            await sync_wikidata(store, Settings(), country=bad)
