"""The household server with synced listings: the JSON API, ``/cnam`` and the page name the
listed caller, and a name from a listing is escaped on the page like any outside text."""

from __future__ import annotations

import pytest

from db.store import Store
from lookup.engine import Engine
from lookup.models import Listing
from lookup.server.app import create_app
from lookup.settings import Settings
from scrapers.osm import Osm

LISTED = "+12025550144"
HOSTILE = "+12025550160"
HOSTILE_NAME = '<script>alert("x")</script> Dr & Sons'


@pytest.fixture
async def client(aiohttp_client, tmp_path):
    settings = Settings(region="US", db_path=tmp_path / "w.db")
    store = Store(settings.db_path)
    store.replace_listings("osm", "US-DC", [
        Listing("osm", "US-DC", "node/1", LISTED, "Foggy Bottom Pharmacy", "pharmacy", "1101 Connecticut Avenue",
                None, "24/7"),
        Listing("osm", "US-DC", "node/2", HOSTILE, HOSTILE_NAME, "dentist"),
    ])
    engine = Engine(store=store, settings=settings, sources=[Osm()])
    yield await aiohttp_client(create_app(settings, store, engine))
    store.close()


async def test_the_api_answers_with_the_name_the_listings_and_links(client) -> None:
    resp = await client.get(f"/api/v1/lookup/{LISTED}")
    body = await resp.json()
    assert body["name"] == "Foggy Bottom Pharmacy"
    assert body["listings"][0]["attribution"] == "© OpenStreetMap contributors"
    assert body["listings"][0]["open_now"] is True
    assert body["call_back"] == "yes" and body["links"][0]["title"].startswith("web search for")


async def test_cnam_gives_the_listed_name(client) -> None:
    resp = await client.get(f"/cnam/{LISTED}")
    assert (await resp.text()).strip() == "Foggy Bottom Pharmacy"


async def test_a_listed_name_is_escaped_on_the_page(client) -> None:
    page = await (await client.get("/", params={"n": HOSTILE})).text()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Dr &amp; Sons" in page


async def test_the_page_shows_the_listing_with_its_credit_and_the_links(client) -> None:
    page = await (await client.get("/", params={"n": LISTED})).text()
    assert 'id="caller">Foggy Bottom Pharmacy<' in page
    assert "© OpenStreetMap contributors" in page and "open 24/7" in page
    assert 'href="https://www.openstreetmap.org/node/1"' in page
    assert '<ul class="links" id="links">' in page and "https://duckduckgo.com/?q=%22%2B1+202-555-0144%22" in page
