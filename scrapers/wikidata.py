"""Wikidata through its SPARQL query service: organisations with a phone number (P1329) in a
country, with their label, what they are (the label of P31) and their website (P856).

Synced once per country by ``whocalled sync wikidata`` and matched locally. The query service
limits processing time per client and answers 429 with ``Retry-After`` (the fetcher honours
it); a User-Agent naming whocalled is sent. Values look like ``+1-202-456-1414``. The answer is
the standard SPARQL 1.1 JSON results format, read one binding at a time. An organisation with
several P31 values comes once per value: the first row of each (entity, number) is kept.
Wikidata is CC0; the entity's page is linked all the same.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, TextIO

from lookup.models import Listing, ReadTally
from lookup.numbers import listed_e164
from lookup.text import clean_text
from scrapers.base import ListingSource
from scrapers.listing_json import JsonItems

MAX_ANSWER_BYTES = 500_000_000
_ENTITY = re.compile(r"/entity/(Q\d+)$")
_COUNTRY = re.compile(r"[A-Z]{2}")


class Wikidata(ListingSource):
    name = "wikidata"
    title = "Wikidata"
    default_base_url = "https://query.wikidata.org"
    rate = 0.2
    attribution = "Wikidata (CC0)"
    enable_hint = "run: whocalled sync wikidata --country US"
    CANARIES = ("+12024561414",)  # the White House switchboard: listed (after a sync of US-DC / US)

    def query_url(self, query: str) -> str:
        from yarl import URL

        return str(URL(f"{self.base_url}/sparql").with_query({"query": query, "format": "json"}))

    def place_url(self, ref: str) -> str:
        return f"https://www.wikidata.org/wiki/{ref}"


def check_country(country: str) -> str:
    """``country`` as an upper-case ISO 3166-1 code that phonenumbers knows."""
    from lookup.regions import REGION_NAMES
    from scrapers.osm import AreaError

    code = (country or "").strip().upper()
    if not _COUNTRY.fullmatch(code) or code not in REGION_NAMES:
        raise AreaError(f"--country {country!r} is not a two-letter country code such as US or DE")
    return code


def country_query(code: str) -> str:
    """The SPARQL for the organisations with a phone number in the country ``code`` (checked)."""
    return (
        "SELECT ?item ?itemLabel ?phone ?kindLabel ?website WHERE {"
        f' ?country wdt:P297 "{code}" .'
        " ?item wdt:P17 ?country ; wdt:P1329 ?phone ."
        " OPTIONAL { ?item wdt:P31 ?kind . }"
        " OPTIONAL { ?item wdt:P856 ?website . }"
        ' SERVICE wikibase:label { bd:serviceParam wikibase:language "en,mul". } }'
    )


def _value(binding: dict[str, Any], name: str) -> str:
    cell = binding.get(name)
    return str(cell.get("value") or "") if isinstance(cell, dict) else ""


def read_organisations(stream: TextIO, area: str, region: str, tally: ReadTally) -> Iterator[Listing]:
    """One :class:`Listing` per (entity, number) of a SPARQL JSON answer to :func:`country_query`."""
    seen: set[tuple[str, str]] = set()
    for binding in JsonItems(stream, ("results", "bindings"), "the Wikidata answer"):
        if not isinstance(binding, dict):
            tally.skip("binding", "not an object")
            continue
        tally.read += 1
        match = _ENTITY.search(_value(binding, "item"))
        raw = _value(binding, "phone")
        if not match:
            tally.skip(clean_text(raw, 40) or "binding", "no Wikidata entity")
            continue
        ref = match.group(1)
        e164 = listed_e164(raw, region)
        if e164 is None:
            tally.skip(ref, f"{clean_text(raw, 60)!r} is not a phone number")
            continue
        if (ref, e164) in seen:
            continue
        seen.add((ref, e164))
        label = clean_text(_value(binding, "itemLabel"), 120)
        website = clean_text(_value(binding, "website"), 300)
        yield Listing(
            source=Wikidata.name, area=area, ref=ref, e164=e164,
            name=label if label and label != ref else None,
            kind=clean_text(_value(binding, "kindLabel"), 60) or None,
            website=website if website.startswith(("https://", "http://")) else None,
        )
