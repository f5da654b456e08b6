"""OpenStreetMap through the Overpass API: the phone numbers of the places in an area,
downloaded once per area by ``whocalled sync osm`` and matched locally.

One query per area (``phone``, ``contact:phone``, ``mobile``, ``contact:mobile``; ``out tags
center;``), never one per lookup. The area query first prints the area's own id
(``.a out ids;``), so an area code that matches nothing is told apart from an area without
phone numbers. Overpass reports a query that ran out of time or memory as HTTP 200 with a
``remark`` holding "runtime error": :func:`read_places` raises then, after the elements, so
the sync is rolled back instead of keeping a partial area.

Phone values are messy: ``;``-joined lists (sometimes ``,``), ``ext 12`` and ``-0``
switchboard suffixes, national notations, ``(0)`` in international numbers, letters. A ``,``
or ``/`` splits a value only where each side is a whole number on its own (German ``+49 (0) 26
74 / 546`` is one number). Each piece goes through the project's parser; what is not a number
is counted and skipped. Data is ODbL: wherever a name from here is shown, so is
:attr:`Osm.attribution`.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, TextIO

from lookup.models import Listing, ReadTally
from lookup.numbers import NumberError, listed_e164, normalize_number
from lookup.text import clean_text
from scrapers.base import ListingSource
from scrapers.listing_json import AnswerError, JsonItems

PHONE_TAGS = ("phone", "contact:phone", "mobile", "contact:mobile")
KIND_TAGS = ("amenity", "shop", "office", "healthcare", "craft", "tourism")
QUERY_TIMEOUT_S = 900
MAX_ANSWER_BYTES = 2_000_000_000
_AREA = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")
_SPLIT_ALWAYS = re.compile(r"\s*;\s*")
_KIND_WORDS = {"doctors": "doctor", "yes": None, "fast_food": "fast food", "car_repair": "car repair"}
NAME_LIMIT = 120
NUMBER_FIRST = frozenset({"US", "CA", "GB", "IE", "AU", "NZ", "FR", "LU", "BE", "IL", "ZA", "IN", "PH", "SG"})


class AreaError(ValueError):
    """An ``--area`` or ``--bbox`` that cannot be asked for (one line, names the problem)."""


class NoSuchArea(AnswerError):
    """The area code matched no area in OpenStreetMap."""


class Osm(ListingSource):
    name = "osm"
    title = "OpenStreetMap"
    default_base_url = "https://overpass-api.de/api"
    rate = 0.2  # public Overpass servers ask for few, large requests
    attribution = "© OpenStreetMap contributors"
    enable_hint = "run: whocalled sync osm --area US-DC (or another ISO 3166-2 code)"
    CANARIES = ("+12024561414",)  # the White House switchboard: listed (after a sync of US-DC / US)

    def query_url(self, query: str) -> str:
        from yarl import URL

        return str(URL(f"{self.base_url}/interpreter").with_query({"data": query}))

    def place_url(self, ref: str) -> str:
        return f"https://www.openstreetmap.org/{ref}"


def check_area(area: str) -> str:
    """``area`` as an ISO 3166-2 (``US-DC``) or ISO 3166-1 (``LU``) code, upper case."""
    code = (area or "").strip().upper()
    if not _AREA.fullmatch(code):
        raise AreaError(f"--area {area!r} is not an ISO 3166-2 code such as US-DC (or a country code such as LU)")
    from lookup.regions import REGION_NAMES

    if code[:2] not in REGION_NAMES:
        raise AreaError(f"--area {area!r}: {code[:2]} is not a country code")
    return code


def check_bbox(text: str) -> tuple[float, float, float, float]:
    """``S,W,N,E`` in degrees, south below north, each within the globe."""
    try:
        south, west, north, east = (float(part) for part in text.split(","))
    except ValueError:
        raise AreaError(f"--bbox {text!r} is not four numbers S,W,N,E (such as 38.89,-77.04,38.91,-77.02)") from None
    if not (-90 <= south < north <= 90 and -180 <= west <= 180 and -180 <= east <= 180):
        raise AreaError(f"--bbox {text!r}: need -90 <= S < N <= 90 and W, E within -180..180")
    return south, west, north, east


def _places_query(scope: str) -> str:
    parts = "".join(f'nwr["{tag}"]{scope};' for tag in PHONE_TAGS)
    return f"({parts});out tags center;"


def area_query(area: str) -> str:
    """The Overpass QL for the places with a phone number in ``area`` (a checked code)."""
    key = "ISO3166-2" if "-" in area else "ISO3166-1"
    level = "" if "-" in area else "[admin_level=2]"
    return f'[out:json][timeout:{QUERY_TIMEOUT_S}];area["{key}"="{area}"]{level}->.a;.a out ids;' + _places_query("(area.a)")


def bbox_query(bbox: tuple[float, float, float, float]) -> str:
    return f"[out:json][timeout:{QUERY_TIMEOUT_S}];" + _places_query("({},{},{},{})".format(*bbox))


def read_places(
    stream: TextIO, area: str, region: str, tally: ReadTally, *, need_area: bool = False,
) -> Iterator[Listing]:
    """The numbers of the places in an Overpass JSON answer, one :class:`Listing` each.
    National notations are read in the place's ``addr:country`` or else ``region``. Raises
    :class:`AnswerError` at the end when Overpass reported a runtime error, or (``need_area``)
    when the answer holds no area element: the area code matched nothing."""
    items = JsonItems(stream, ("elements",), "the Overpass answer")
    saw_area = False
    for element in items:
        if not isinstance(element, dict):
            tally.skip("element", "not an object")
            continue
        kind = element.get("type")
        if kind == "area":
            saw_area = True
            continue
        tally.read += 1
        yield from place_listings(element, area, region, tally)
    remark = str(items.others.get("remark") or "")
    if "runtime error" in remark.lower():
        raise AnswerError(f"Overpass did not finish the query: {clean_text(remark, 200)}")
    if need_area and not saw_area:
        raise NoSuchArea(f"OpenStreetMap has no area with the code {area} (check it, e.g. US-DC, DE-BE, LU)")


def place_listings(element: dict[str, Any], area: str, region: str, tally: ReadTally) -> list[Listing]:
    """The listings of one Overpass element: one per distinct number in its phone tags."""
    tags, kind, number = element.get("tags"), element.get("type"), element.get("id")
    if kind not in ("node", "way", "relation") or not isinstance(number, int) or isinstance(number, bool):
        tally.skip(clean_text(str(kind), 20) or "element", "not a node, way or relation with a numeric id")
        return []
    ref = f"{kind}/{number}"
    if not isinstance(tags, dict):
        tally.skip(ref, "no tags")
        return []
    country = str(tags.get("addr:country") or "").strip().upper()
    where = country if len(country) == 2 and country.isalpha() else region
    numbers: dict[str, None] = {}
    for tag in PHONE_TAGS:
        value = tags.get(tag)
        if not isinstance(value, str) or not value.strip():
            continue
        for piece in split_phone_value(value, where):
            e164 = listed_e164(piece, where)
            if e164 is None:
                tally.skip(ref, f"{tag}={clean_text(piece, 60)!r} is not a phone number")
                continue
            numbers[e164] = None
    if not numbers:
        return []
    center = element.get("center") if isinstance(element.get("center"), dict) else element
    lat, lon = center.get("lat"), center.get("lon")
    place = Listing(
        source=Osm.name, area=area, ref=ref, e164="",
        name=clean_text(tags.get("name") or tags.get("brand") or tags.get("operator"), NAME_LIMIT) or None,
        kind=kind_words(tags), address=address_of(tags, where), website=website_of(tags),
        opening_hours=clean_text(tags.get("opening_hours"), 200) or None,
        lat=float(lat) if isinstance(lat, (int, float)) else None,
        lon=float(lon) if isinstance(lon, (int, float)) else None,
    )
    return [place._replace(e164=e164) for e164 in numbers]


def split_phone_value(value: str, region: str) -> list[str]:
    """The numbers in one tag value: split at ``;`` always, at ``,`` and ``/`` only where every
    side is a whole number on its own."""
    out: list[str] = []
    for part in _SPLIT_ALWAYS.split(value.strip()) if ";" in value else (value.strip(),):
        if not part:
            continue
        if "," not in part and "/" not in part:
            out.append(part)
            continue
        for mark in (",", "/"):
            if mark in part:
                pieces = [p.strip() for p in part.split(mark)]
                if len(pieces) > 1 and all(is_whole_number(p, region) for p in pieces):
                    out.extend(pieces)
                    break
        else:
            out.append(part)
    return out


def is_whole_number(text: str, region: str) -> bool:
    try:
        return normalize_number(text, region, details=False).valid
    except NumberError:
        return False


def kind_words(tags: dict[str, Any]) -> str | None:
    """What the place is, in plain words: ``amenity=pharmacy`` is "pharmacy"."""
    for key in KIND_TAGS:
        value = tags.get(key)
        if isinstance(value, str) and value.strip():
            value = value.strip().split(";")[0]
            word = _KIND_WORDS.get(value, value.replace("_", " "))
            return clean_text(word or key, 60)
    return None


def address_of(tags: dict[str, Any], region: str) -> str | None:
    """``Hauptstr. 5, 10115 Berlin`` from the ``addr:*`` tags (or ``addr:full``); the house
    number first where the country writes it so (``1101 Connecticut Avenue``)."""
    if tags.get("addr:full"):
        return clean_text(str(tags["addr:full"]), 200) or None
    order = ("addr:housenumber", "addr:street") if region in NUMBER_FIRST else ("addr:street", "addr:housenumber")
    street = " ".join(str(tags[k]) for k in order if tags.get(k))
    town = " ".join(str(tags[k]) for k in ("addr:postcode", "addr:city") if tags.get(k))
    return clean_text(", ".join(p for p in (street, town) if p), 200) or None


def website_of(tags: dict[str, Any]) -> str | None:
    for key in ("website", "contact:website", "url"):
        value = clean_text(str(tags.get(key) or ""), 300)
        if value.startswith(("https://", "http://")):
            return value
    return None
