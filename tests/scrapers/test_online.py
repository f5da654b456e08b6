"""Live canaries against the real sites: run only with ``pytest --online`` (needs the internet).

Every source in the registry is asked about its own canary numbers (``CANARIES``); the check
passes when every answer parsed to found or not_found (a bot wall, a changed layout or an error
fails it, with the reason). A dataset-only source first syncs its last few days, a listing
directory the area its canary is listed in. Sources that
need credentials read them from the environment (WHOCALLED_SOURCE_TELLOWS_API_KEY,
WHOCALLED_SOURCE_PHONEBLOCK_NET_TOKEN) and skip without.
"""

from __future__ import annotations

import os

import pytest

from db.store import Store
from lookup.canaries import canaries_for, run_canaries
from lookup.settings_load import load_settings
from lookup.sync import sync_ftc
from lookup.sync_listings import sync_osm, sync_wikidata
from scrapers.base import DatasetSource, ListingSource, Source
from scrapers.registry import source_classes

pytestmark = pytest.mark.online

CLASSES = source_classes()
SYNCS = {"ftc": lambda store, settings: sync_ftc(store, settings, days=7)}  # dataset-only sources
LISTING_SYNCS = {  # listing directories: the area of their canary (the White House switchboard)
    "osm": lambda store, settings: sync_osm(store, settings, area="US-DC"),
    "wikidata": lambda store, settings: sync_wikidata(store, settings, country="US"),
}


@pytest.mark.parametrize("cls", CLASSES, ids=[c.name for c in CLASSES])
async def test_live_canaries(cls, tmp_path) -> None:
    settings = load_settings(environ={k: v for k, v in os.environ.items() if k.startswith("WHOCALLED_SOURCE_")},
                             db_path=tmp_path / "live.db")
    source = cls(settings.source(cls.name))
    if cls.needs_key and not source.has_credentials:
        pytest.skip(f"{cls.name} needs credentials: {cls.enable_hint}")
    assert canaries_for(source), f"{cls.name} keeps no canary numbers"
    store = Store()
    if isinstance(source, DatasetSource) and not isinstance(source, Source):
        result = await SYNCS[source.dataset](store, settings)
        assert result.ok, result.summary()
    if isinstance(source, ListingSource):
        synced = await LISTING_SYNCS[source.name](store, settings)
        assert synced.ok and synced.rows, synced.summary()
    result = await run_canaries(store, settings, [source], deadline=20.0)
    assert result[cls.name].startswith("OK"), result[cls.name]
