"""Small parsing tools shared by the community and API sources (pure, no I/O).

Every HTML page goes through :func:`make_soup`, which caps the size and drops
``<script>``/``<style>`` so that nothing executable or invisible ever reaches a
finding; text comes out through :func:`text_of` as plain, whitespace-collapsed
strings. Site words ("Debt collector", "G_FRAUD", "Scam suspicion") become our
:class:`~lookup.models.Category` values through :func:`categories_of`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from lookup.text import clean_text, plural  # noqa: F401  plural: re-exported for the sources
from lookup.models import Category, Number
from scrapers.base import LayoutChanged, Page, SourceError

if TYPE_CHECKING:  # bs4 is imported when a page is parsed, not when the registry loads
    from bs4 import BeautifulSoup, Tag

MAX_PARSE_CHARS = 1_000_000  # a number page is far smaller; anything past this is junk
EXCERPT_CHARS = 300

# NANP regions: the US, Canada and the Caribbean/Pacific members of +1. 800notes and
# whocallsme key pages on the ten NANP digits, so they answer for all of these
# (and wangiri numbers such as +1 876 Jamaica are exactly what people look up there).
NANP_REGIONS = frozenset(
    "US CA AG AI AS BB BM BS DM DO GD GU JM KN KY LC MP MS PR SX TC TT VC VG VI".split()
)

_INVISIBLE = ("script", "style", "noscript", "template", "iframe", "object", "embed")
_INT = re.compile(r"\d[\d,.\u00a0 ]*")

# (needle, category): the first needle found in a lower-cased site word wins. Besides English:
# the words of tellows' German and French sites and of shouldianswer's sister sites (Spanish,
# Italian, French, German), which share its markup and name categories in their own language.
_CATEGORY_NEEDLES: tuple[tuple[str, Category], ...] = (
    ("robo", Category.ROBOCALL),
    ("recorded", Category.ROBOCALL),
    ("automated", Category.ROBOCALL),
    ("bandansage", Category.ROBOCALL),  # de: Bandansage (recorded announcement)
    ("mensaje grabado", Category.ROBOCALL),
    ("message enregistré", Category.ROBOCALL),
    ("messaggio registrato", Category.ROBOCALL),
    ("scam", Category.SCAM),
    ("fraud", Category.SCAM),
    ("phishing", Category.SCAM),
    ("gambl", Category.SCAM),
    ("lottery", Category.SCAM),
    ("sweepstake", Category.SCAM),
    ("cost trap", Category.SCAM),
    ("betrug", Category.SCAM),  # German words as tellows.de and PhoneBlock users write them
    ("kostenfalle", Category.SCAM),
    ("gewinnspiel", Category.SCAM),
    ("abzocke", Category.SCAM),
    ("estafa", Category.SCAM),  # es
    ("arnaque", Category.SCAM),  # fr
    ("escroquerie", Category.SCAM),
    ("truffa", Category.SCAM),  # it
    ("debt", Category.DEBT_COLLECTOR),
    ("collect", Category.DEBT_COLLECTOR),
    ("inkasso", Category.DEBT_COLLECTOR),
    ("recouvrement", Category.DEBT_COLLECTOR),  # fr: Agence de recouvrement
    ("cobro", Category.DEBT_COLLECTOR),  # es: cobro de deudas, agencia de cobro
    ("cobrador", Category.DEBT_COLLECTOR),
    ("recobro", Category.DEBT_COLLECTOR),
    ("recupero crediti", Category.DEBT_COLLECTOR),  # it
    ("telemarket", Category.TELEMARKETER),
    ("télémarket", Category.TELEMARKETER),
    ("marketing", Category.TELEMARKETER),
    ("advertis", Category.TELEMARKETER),
    ("werbung", Category.TELEMARKETER),
    ("telefonverkauf", Category.TELEMARKETER),  # de
    ("vendedor telef", Category.TELEMARKETER),  # es: Vendedor telefónico
    ("venta telef", Category.TELEMARKETER),
    ("publicidad", Category.TELEMARKETER),
    ("démarchage", Category.TELEMARKETER),  # fr
    ("télévente", Category.TELEMARKETER),
    ("vente par téléphone", Category.TELEMARKETER),
    ("publicit", Category.TELEMARKETER),  # fr publicité, it pubblicità is below
    ("pubblicit", Category.TELEMARKETER),
    ("vendita telefonica", Category.TELEMARKETER),  # it
    ("venditore telefonico", Category.TELEMARKETER),
    ("sales", Category.TELEMARKETER),
    ("cold call", Category.TELEMARKETER),
    ("survey", Category.SURVEY),
    ("poll", Category.SURVEY),
    ("umfrage", Category.SURVEY),
    ("encuesta", Category.SURVEY),  # es
    ("sondage", Category.SURVEY),  # fr
    ("sondaggio", Category.SURVEY),  # it
    ("politic", Category.POLITICAL),
    ("politique", Category.POLITICAL),
    ("política", Category.POLITICAL),
    ("campaign", Category.POLITICAL),
    ("silent", Category.SILENT),
    ("ping call", Category.SILENT),
    ("ping-anruf", Category.SILENT),
    ("llamada silenciosa", Category.SILENT),
    ("appel silencieux", Category.SILENT),
    ("chiamata muta", Category.SILENT),
    ("no one", Category.SILENT),
    ("hang up", Category.SILENT),
    ("harass", Category.OTHER),
    ("harcèlement", Category.OTHER),  # fr: Harcèlement téléphonique
    ("acoso", Category.OTHER),  # es
    ("molesti", Category.OTHER),  # es molestias, it molestie
    ("belästigung", Category.OTHER),  # de
    ("telefonterror", Category.OTHER),
    ("prank", Category.OTHER),
    ("nuisance", Category.OTHER),
    ("spam", Category.OTHER),
)


def make_soup(body: str) -> BeautifulSoup:
    """Parse HTML leniently (lxml), capped in size, with script-like elements removed."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body[:MAX_PARSE_CHARS], "lxml")
    for tag in soup.find_all(_INVISIBLE):
        tag.decompose()
    return soup


def text_of(tag: Tag | None) -> str:
    return clean_text(tag.get_text(" ")) if tag is not None else ""


_NO_NAMES = frozenset({"", "unknown", "n/a", "na", "none", "no name", "?", "-", "not given", "unknown caller"})


def real_name(name: str | None) -> str | None:
    """A caller name as shown, or None for placeholders such as "Unknown" or "N/A"."""
    name = clean_text(name)
    return None if name.lower() in _NO_NAMES else name


def excerpt_of(text: str, limit: int = EXCERPT_CHARS) -> str | None:
    text = clean_text(text)
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def parse_int(text: str | None) -> int | None:
    """The first whole number in ``text`` ("1,234 reviews" -> 1234), or None."""
    match = _INT.search(text or "")
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group(0))
    return int(digits) if digits and len(digits) <= 12 else None


def to_int(value: object) -> int | None:
    """An int from a JSON value that may be a number or a numeric string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


_DATE_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d")


def iso_date(text: str | None) -> str | None:
    """An ISO date (YYYY-MM-DD) from the date forms sites print, or None ("3 days ago")."""
    text = clean_text(text)
    match = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        try:
            return datetime(year, month, day).date().isoformat()
        except ValueError:
            return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def category_of(word: str | None) -> Category | None:
    low = clean_text(word).lower()
    if not low:
        return None
    for needle, category in _CATEGORY_NEEDLES:
        if needle in low:
            return category
    return None


def categories_of(words: Iterable[str | None]) -> tuple[str, ...]:
    """Distinct category values for site words, in first-seen order."""
    seen: list[str] = []
    for word in words:
        category = category_of(word)
        if category is not None and category.value not in seen:
            seen.append(category.value)
    return tuple(seen)


def saturate(count: int | float, half: float) -> float:
    """0 for no reports, 0.5 at ``half`` reports, approaching 1 as reports pile up."""
    return 0.0 if count <= 0 else round(count / (count + half), 3)


def check_status(page: Page) -> None:
    """Raise for HTTP errors a page parser cannot read; a 404 means the URL scheme moved."""
    if page.status < 400:
        return
    if page.status == 404:
        raise LayoutChanged("HTTP 404 for the number page (has the URL scheme changed?)")
    if page.status in (401, 402, 403, 407):
        raise SourceError(f"HTTP {page.status}: access refused (check the credentials)")
    raise SourceError(f"HTTP {page.status} from the site")


def nanp_digits(number: Number) -> str:
    """The ten NANP digits (NPA NXX XXXX) of a +1 number."""
    nsn = number.national_significant or ""
    if number.country_code != 1 or len(nsn) != 10:
        raise ValueError(f"not a NANP number: {number.e164}")
    return nsn


def nanp_dashed(number: Number) -> str:
    digits = nanp_digits(number)
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def international_00(number: Number) -> str:
    """``+4930123456`` -> ``004930123456`` (the form tellows and PhoneBlock's rate API take)."""
    return "00" + (number.e164 or "").lstrip("+")
