"""``sync osm`` against a local Overpass stand-in: one query per area, politeness, failures
that keep the last good rows, and --max-age."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from aiohttp import web

from lookup.sync_listings import UnknownArea, sync_osm

from .conftest import page, recorded


async def test_an_area_is_asked_once_and_saved(directory, store, fetcher) -> None:
    site = await directory(recorded("osm/us-dc.json"))
    result = await sync_osm(store, site.settings(), area="us-dc", fetcher=fetcher)
    assert result.ok and result.rows == 9 and result.tally.read == 6, result.summary()
    assert len(site.requests) == 1
    asked = site.requests[0]
    assert 'area["ISO3166-2"="US-DC"]' in asked["data"] and "out tags center;" in asked["data"]
    assert "whocalled" in asked["user_agent"].lower()
    [area] = store.listing_areas("osm")
    assert (area.area, area.rows) == ("US-DC", 9)
    assert store.count_listings("osm") == 9


async def test_429_with_retry_after_is_waited_out(directory, store, fetcher) -> None:
    body = page("osm/us-dc.json").read_bytes()

    async def answer(request: web.Request, n: int) -> web.Response:
        if n == 1:
            return web.Response(status=429, text="Too many requests", headers={"Retry-After": "1"})
        return web.Response(body=body, content_type="application/json")

    site = await directory(answer)
    started = datetime.now(timezone.utc)
    result = await sync_osm(store, site.settings(), area="US-DC", fetcher=fetcher)
    assert result.ok and result.rows == 9
    assert len(site.requests) == 2
    assert datetime.now(timezone.utc) - started >= timedelta(seconds=0.9)  # the server's wait, not our backoff


async def test_429_until_the_end_is_a_failed_sync(directory, store, fetcher) -> None:
    async def answer(request: web.Request, n: int) -> web.Response:
        return web.Response(status=429, text="Too many requests", headers={"Retry-After": "0"})

    site = await directory(answer)
    result = await sync_osm(store, site.settings(), area="US-DC", fetcher=fetcher)
    assert not result.ok and "rate_limited" in result.failure
    assert store.listing_areas() == []


@pytest.mark.parametrize("bad", ["osm/runtime-error.json", "cut"], ids=["remark-runtime-error", "cut-off-mid-stream"])
async def test_a_failed_resync_keeps_the_rows_of_the_last_good_one(directory, store, fetcher, bad) -> None:
    good = page("osm/us-dc.json").read_bytes()

    async def answer(request: web.Request, n: int) -> web.StreamResponse:
        if n == 1:
            return web.Response(body=good, content_type="application/json")
        if bad == "cut":  # a server that drops the connection part-way through the body
            response = web.StreamResponse(headers={"Content-Type": "application/json", "Content-Length": str(len(good))})
            await response.prepare(request)
            await response.write(good[: len(good) // 2])
            request.transport.close()
            return response
        return web.Response(body=page(bad).read_bytes(), content_type="application/json")

    site = await directory(answer)
    assert (await sync_osm(store, site.settings(), area="US-DC", fetcher=fetcher)).rows == 9
    result = await sync_osm(store, site.settings(), area="US-DC", fetcher=fetcher, max_age_days=0)
    assert not result.ok, result.summary()
    assert "nothing changed" in result.summary()
    assert store.count_listings("osm") == 9
    assert store.listing_areas()[0].rows == 9


async def test_an_unknown_area_is_an_error_that_says_so(directory, store, fetcher) -> None:
    site = await directory(recorded("osm/no-area.json"))
    with pytest.raises(UnknownArea, match="no area with the code US-ZZ"):
        await sync_osm(store, site.settings(), area="US-ZZ", fetcher=fetcher)
    assert store.listing_areas() == []


async def test_a_fresh_area_is_not_downloaded_again(directory, store, fetcher) -> None:
    site = await directory(recorded("osm/us-dc.json"))
    settings = site.settings()
    await sync_osm(store, settings, area="US-DC", fetcher=fetcher)
    again = await sync_osm(store, settings, area="US-DC", fetcher=fetcher)
    assert again.fresh_since and "still fresh" in again.summary()
    assert len(site.requests) == 1
    later = datetime.now(timezone.utc) + timedelta(days=8)
    await sync_osm(store, settings, area="US-DC", fetcher=fetcher, now=later)
    assert len(site.requests) == 2


async def test_areas_are_kept_apart_and_a_resync_replaces_only_its_own(directory, store, fetcher) -> None:
    site = await directory(recorded("osm/us-dc.json"))
    settings = site.settings()
    await sync_osm(store, settings, area="US-DC", fetcher=fetcher)
    await sync_osm(store, settings, bbox="38.89,-77.04,38.91,-77.02", fetcher=fetcher)
    assert "(38.89,-77.04,38.91,-77.02)" in site.requests[1]["data"]
    assert [a.area for a in store.listing_areas()] == ["US-DC", "bbox 38.89,-77.04,38.91,-77.02"]
    assert store.count_listings("osm") == 18
    await sync_osm(store, settings, area="US-DC", fetcher=fetcher, max_age_days=0)
    assert store.count_listings("osm") == 18 and store.db["listings"].count == 18  # replaced, not added


async def test_a_saved_answer_is_read_without_the_network(store) -> None:
    from lookup.settings import Settings

    result = await sync_osm(store, Settings(), area="US-DC", file=page("osm/us-dc.json"))
    assert result.ok and result.rows == 9
    assert store.listing_areas()[0].detail == "file us-dc.json"


async def test_a_saved_answer_cut_off_mid_way_keeps_the_earlier_rows(store, tmp_path) -> None:
    from lookup.settings import Settings

    await sync_osm(store, Settings(), area="US-DC", file=page("osm/us-dc.json"))
    text = page("osm/us-dc.json").read_text(encoding="utf-8")
    cut = tmp_path / "cut.json"
    cut.write_text(text[: text.index("Example Visitor Office")], encoding="utf-8")
    result = await sync_osm(store, Settings(), area="US-DC", file=cut)
    assert not result.ok and "cut off" in result.failure
    assert store.count_listings("osm") == 9 and store.listing_areas()[0].detail == "file us-dc.json"


async def test_progress_counts_the_numbers_saved(store) -> None:
    from lookup.settings import Settings

    seen: list[tuple[str, int, int | None]] = []
    await sync_osm(store, Settings(), area="US-DC", file=page("osm/us-dc.json"), progress=lambda *a: seen.append(a))
    assert seen == [("US-DC", 9, None)]
