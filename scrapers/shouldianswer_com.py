"""shouldianswer.com: user ratings (positive / neutral / negative) with reviews.

Two markups are read: the newer search page (``/search?q=+E164``;
``div.mainInfo div.score.<rating>``, the caller's name in the first ``span`` of
mainInfo that is not a rating label) and the older number page
(``/phone-number/<n>``; ``.scoreContainer div > .negative``, name in
``.number div > span``). The rating labels are spans that are direct children
of ``div.number`` (``<span class="negative">Negative</span>``): they are never
taken for the caller's name. Requests use the newer URL. A rating of
``unknown`` is the site's "no reviews" page: not_found. A page with neither
block is layout_changed.

The Spanish, Italian, French and German sister sites share this markup and
write their category and review lines in their own language ("Categoría:
VENDEDOR TELEFÓNICO", "Catégorie : Agence de recouvrement", "Kategorie:
Telefonverkauf"); those words map to categories too
(:mod:`scrapers.community_parse`).

Coverage: all NANP regions (pages are keyed on +1 numbers) and Spain, Italy,
France and Germany, whose sister sites share the markup (the search takes any
``+E164``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lookup.models import Finding, Number, Status
from scrapers.base import Case, LayoutChanged, Page, Request, Source
from scrapers.community_parse import (
    NANP_REGIONS, categories_of, check_status, excerpt_of, iso_date, make_soup, parse_int, plural, real_name,
    text_of,
)

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

RATINGS = ("negative", "neutral", "positive", "unknown")
SISTER_REGIONS = frozenset({"ES", "IT", "FR", "DE"})  # sister sites with the same markup
SPAM_OF = {"negative": 0.9, "neutral": 0.5, "positive": 0.1}
_REVIEWS = re.compile(
    r"(\d[\d,.]*)\s+(?:user\s+)?(?:reviews?|ratings?|comments?|reseñas?|valoraciones|opiniones|comentarios"
    r"|avis|évaluations|commentaires|recensioni|valutazioni|commenti|bewertungen|kommentare)",
    re.IGNORECASE,
)
_CATEGORY = re.compile(r"(?:category|call type|categoría|categoria|catégorie|kategorie)\s*:\s*([^\n]{2,40})",
                       re.IGNORECASE)
_LATEST = re.compile(r"(?:last|latest)\s+(?:review|rating|report)\w*\s*:\s*([^\n]{6,20})", re.IGNORECASE)


def find_rating(soup: BeautifulSoup) -> tuple[str, Tag] | None:
    """(rating, the block holding it) from the newer or the older markup."""
    main = soup.select_one("div.mainInfo")
    if main is not None:
        score = main.select_one("div.score")
        if score is None:
            raise LayoutChanged("div.mainInfo without div.score")
        rating = next((c for c in score.get("class", []) if c in RATINGS), None)
        if rating is None:
            raise LayoutChanged(f"unknown score class {score.get('class')}")
        return rating, main
    container = soup.select_one(".scoreContainer")
    if container is not None:
        rating = next((r for r in RATINGS if container.select_one(f"div > .{r}")), None)
        if rating is None:
            raise LayoutChanged(".scoreContainer without a known rating element")
        return rating, container
    return None


def is_newer(block: Tag) -> bool:
    return "mainInfo" in (block.get("class") or [])


def is_rating_label(span: Tag) -> bool:
    """A rating span: a direct child of ``div.number``, or one whose class names a rating."""
    parent = span.parent
    in_number = parent is not None and parent.name == "div" and "number" in (parent.get("class") or [])
    return in_number or any(c in RATINGS for c in span.get("class") or [])


def find_name(soup: BeautifulSoup, block: Tag) -> str | None:
    if is_newer(block):
        span = next((s for s in block.find_all("span") if not is_rating_label(s)), None)
    else:
        span = soup.select_one(".number div > span")
    return real_name(text_of(span))


class ShouldianswerCom(Source):
    name = "shouldianswer_com"
    title = "shouldianswer.com"
    regions = NANP_REGIONS | SISTER_REGIONS
    default_base_url = "https://www.shouldianswer.com"
    # Ratings come from reviews plus the site's own activity detection; a rating
    # with few reviews is weak, so reports carry the confidence.
    reliability = 0.7
    CANARIES = ("+18008291040", "+12024561111")  # a spoofed agency line, a plain public line

    def comments_url(self, number: Number) -> str:
        # E.164 is "+" and digits: "%2B" and the digits is what urlencode makes of it, at a
        # fraction of its cost (a triage makes this link for every number it shows).
        return f"{self.base_url}/search?q=%2B{number.e164[1:]}"

    def request(self, number: Number) -> Request:
        return Request(url=self.comments_url(number), expect="html")

    def parse(self, page: Page, number: Number) -> Finding:
        check_status(page)
        soup = make_soup(page.body)
        found = find_rating(soup)
        if found is None:
            raise LayoutChanged("neither div.mainInfo nor .scoreContainer on the page")
        rating, block = found
        text = text_of(block)
        lines = "\n".join(block.stripped_strings)  # one text node per line for the regexes
        if rating == "unknown":
            return self.finding(number, Status.NOT_FOUND, url=page.url, detail="no rating yet",
                                excerpt=excerpt_of(text), facts={"rating": rating})
        reviews = _REVIEWS.search(lines)
        reports = parse_int(reviews.group(1)) if reviews else None
        kinds = _CATEGORY.search(lines)
        latest = _LATEST.search(lines)
        detail = f"{rating} rating" + (f" from {plural(reports, 'review')}" if reports else "")
        return self.finding(
            number, Status.FOUND, url=page.url, name=find_name(soup, block), spam=SPAM_OF[rating],
            reports=reports, categories=categories_of([kinds.group(1)] if kinds else []),
            last_reported=iso_date(latest.group(1)) if latest else None, detail=detail,
            excerpt=excerpt_of(text), facts={"rating": rating, "markup": "newer" if is_newer(block) else "older"},
        )

    CASES = (
        Case("spam", "spam.html", "+12065550147", {
            "status": "found", "name": "Acme Warranty Services", "spam": 0.9, "reports": 41,
            "categories": ("telemarketer",), "last_reported": "2024-03-02",
            "detail": "negative rating from 41 reviews", "facts": {"rating": "negative", "markup": "newer"},
        }),
        Case("harmless", "harmless.html", "+13125550181", {
            "status": "found", "name": "Lakeside Dental", "spam": 0.1, "reports": 12,
            "detail": "positive rating from 12 reviews", "categories": (),
        }),
        Case("neutral", "neutral.html", "+12125550100", {
            "status": "found", "spam": 0.5, "reports": 3, "categories": ("survey",),
        }),
        Case("not-listed", "not_listed.html", "+12025550123", {"status": "not_found", "detail": "no rating yet"}),
        Case("older-markup", "older_spam.html", "+18005550142", {
            "status": "found", "name": "Card Services", "spam": 0.9, "reports": 17,
            "facts": {"markup": "older"}, "categories": ("robocall",),
        }),
        Case("name-after-rating-span", "name_after_rating_span.html", "+12065550199", {
            "status": "found", "name": "Sunny Roof Solar", "spam": 0.9, "reports": 9, "categories": ("telemarketer",),
        }),
        Case("sister-es", "sister_es_responderono.html", "+34912345678", {
            "status": "found", "name": "Energía Ahorro SL", "reports": 27, "categories": ("telemarketer",),
        }),
        Case("sister-fr", "sister_fr.html", "+33123456789", {
            "status": "found", "name": None, "reports": 6, "categories": ("debt_collector",),
        }),
        Case("sister-de", "sister_de.html", "+49301234567", {
            "status": "found", "name": "Umfrage-Institut Nord", "spam": 0.5, "reports": 4,
            "categories": ("telemarketer",),
        }),
        Case("blocked", "blocked.html", "+12065550147", {"status": "blocked", "detail": "hCaptcha"},
             http_status=403),
        Case("layout-changed", "layout_changed.html", "+12065550147", {"status": "layout_changed"}),
    )
