"""Lookups against synced listings: the caller's name, the ``listings`` JSON, the verdict and
call-back advice, the same-block hint, links, and what a listing never outweighs."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from lookup.cli.render import render_result
from lookup.engine import Engine
from lookup.models import Category, EvidenceKind, Finding, History, Level, ListEntry, ListKind, Report, Status
from lookup.numbers import normalize_number
from lookup.settings import Settings
from lookup.sync_listings import sync_osm
from lookup.verdict import score
from scrapers.osm import Osm
from scrapers.registry import load_sources

from .conftest import page

PHARMACY = "+12025550144"


@pytest.fixture
def engine(store) -> Engine:
    settings = Settings(region="US")
    asyncio.run(sync_osm(store, settings, area="US-DC", file=page("osm/us-dc.json")))
    return Engine(store, settings, load_sources(settings))


def one(engine: Engine, raw: str):
    [result] = engine.lookup_offline([raw])
    return result


def test_an_exact_listing_names_the_caller_and_says_to_call_back(engine) -> None:
    result = one(engine, "(202) 555-0144")
    data = result.to_json()
    assert data["name"] == "Foggy Bottom Pharmacy"
    [listed] = data["listings"]
    assert set(listed) >= {"name", "kind", "address", "website", "opening_hours", "open_now", "source", "url", "attribution"}
    assert listed["url"] == "https://www.openstreetmap.org/node/2044125441"
    assert listed["attribution"] == "© OpenStreetMap contributors"
    assert isinstance(listed["open_now"], bool)
    assert data["verdict"] == "likely_ok" and data["call_back"] == "yes"
    assert "listed number of Foggy Bottom Pharmacy" in data["call_back_reason"]
    assert "even if this call's caller ID was faked" in data["call_back_reason"]
    assert any(r["signal"] == "listing" and r["weight"] < 0 for r in data["reasons"])


def test_a_place_is_found_by_each_of_its_numbers(engine) -> None:
    for raw in ("+1 202-555-0181", "+1 202-555-0182", "202.555.0183"):
        assert one(engine, raw).to_json()["name"] == "Example Visitor Office", raw
    assert one(engine, "+49 2674 546").to_json()["name"] == "Bäckerei am Markt"


def test_text_shows_the_name_with_its_credit_the_hours_and_the_links(engine) -> None:
    text = render_result(one(engine, "+12025550181"))
    assert "caller:    Example Visitor Office (© OpenStreetMap contributors)" in text
    assert "listed:    Example Visitor Office (government) · open 24/7 · © OpenStreetMap contributors" in text
    assert 'web search for "+1 202-555-0181": https://duckduckgo.com/?q=%22%2B1+202-555-0181%22' in text
    assert "shouldianswer.com comments: " in text


def test_links_search_both_notations_and_point_at_community_pages(engine) -> None:
    links = one(engine, "+12025550199").to_json()["links"]
    titles = [link["title"] for link in links]
    assert titles[:2] == ['web search for "+1 202-555-0199"', 'web search for "(202) 555-0199"']
    assert any(t == "800notes.com comments" or t.endswith(" comments") for t in titles[2:])
    assert all(link["url"].startswith(("https://", "http://")) for link in links)
    assert any(link["url"] == "https://800notes.com/Phone.aspx/1-202-555-0199" for link in links)


def test_a_number_next_to_a_listed_one_is_only_a_hint(engine) -> None:
    data = one(engine, "+12025550145").to_json()
    assert "name" not in data and data["listings"] == []
    assert data["near_listings"][0]["name"] == "Foggy Bottom Pharmacy"
    hint = next(r for r in data["reasons"] if r["signal"] == "listing_block")
    assert -10 < hint["weight"] < 0
    assert "businesses often call from other lines of their block" in hint["detail"]
    assert data["verdict"] == "unknown"


def test_the_block_list_wins_and_both_are_shown(engine, store) -> None:
    store.add_list_entry(ListEntry(PHARMACY, ListKind.BLOCK, reason="keeps calling"))
    data = one(engine, PHARMACY).to_json()
    assert data["verdict"] == "blocked" and data["call_back"] == "no"
    assert data["name"] == "Foggy Bottom Pharmacy"
    assert {r["signal"] for r in data["reasons"]} >= {"blocklist", "listing"}


def test_strong_evidence_against_the_number_outweighs_a_listing(engine, store) -> None:
    store.add_report(Report(PHARMACY, Category.SCAM))
    data = one(engine, PHARMACY).to_json()
    listing = next(r for r in data["reasons"] if r["signal"] == "listing")
    assert listing["weight"] == 0 and "weighs more" in listing["detail"]
    assert data["verdict"] in ("suspicious", "likely_spam") and data["call_back"] != "yes"


def listing_finding(e164: str) -> Finding:
    return Finding("osm", e164, Status.FOUND, name="Apotheke am Markt", detail="Apotheke am Markt (pharmacy), Hauptstr. 5",
                   evidence=EvidenceKind.LISTING, facts={"match": "exact", "listings": [{
                       "name": "Apotheke am Markt", "kind": "pharmacy", "address": "Hauptstr. 5",
                       "opening_hours": "Mo-Fr 08:00-18:30", "hours": "open now until 18:30"}]})


def test_many_complaints_make_a_listed_number_likely_spam_still_named() -> None:
    number = normalize_number("+49 30 1234567", "DE")
    complaints = Finding("ftc_gov", number.e164, Status.FOUND, spam=0.95, reports=40, evidence=EvidenceKind.COMPLAINTS)
    verdict = score(number, [listing_finding(number.e164), complaints], settings=Settings(region="DE"))
    assert verdict.level is Level.LIKELY_SPAM
    assert verdict.call_back.value == "no"
    quiet = score(number, [listing_finding(number.e164)], settings=Settings(region="DE"))
    assert quiet.level is Level.LIKELY_OK
    assert quiet.call_back_reason.startswith("It is the listed number of Apotheke am Markt (pharmacy), Hauptstr. 5: open now until 18:30.")


def test_your_contact_name_comes_before_a_listing() -> None:
    from lookup.results import caller_name

    number = normalize_number("+49 30 1234567", "DE")
    finding = listing_finding(number.e164)
    assert caller_name([finding]) == "Apotheke am Markt"
    assert caller_name([finding], History(contact_name="Aunt Ida")) == "Aunt Ida"
    named = Finding("tellows", number.e164, Status.FOUND, name="Some Caller Name")
    assert caller_name([named, finding]) == "Apotheke am Markt"  # a listing before a site's caller name


def test_one_query_reads_the_listings_of_a_whole_batch(engine, store) -> None:
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    engine.lookup_offline(["+12025550144", "+12025550181", "+12025550199", "+492674546"])
    store.conn.set_trace_callback(None)
    assert len([s for s in statements if "FROM listings" in s]) == 1


def test_open_now_is_worked_out_in_the_places_time_zone() -> None:
    from lookup.models import Listing

    number = normalize_number("+12025550144", "US")
    listing = Listing("osm", "US-DC", "node/1", number.e164, "Late Pharmacy", "pharmacy", None, None, "Mo-Su 08:00-20:00")
    blocks = {number.e164[:-2]: [listing]}
    # 00:30 UTC on a Tuesday is 19:30 on Monday in Washington: open; 01:30 UTC is 20:30: closed
    evening = Osm().listing_findings([number], blocks, datetime(2026, 12, 8, 0, 30, tzinfo=timezone.utc))
    late = Osm().listing_findings([number], blocks, datetime(2026, 12, 8, 1, 30, tzinfo=timezone.utc))
    assert evening[number.e164].facts["listings"][0]["hours"] == "open now until 20:00"
    assert late[number.e164].facts["listings"][0]["open_now"] is False
