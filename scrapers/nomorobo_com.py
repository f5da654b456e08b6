"""nomorobo.com: a curated robocall blocker's public lookup pages.

``/lookup/NPANXXXXXX`` (the ten digits, no dashes: the form current clients
ask for; the site redirects between that and the older dashed form, and the
fetcher follows). HTTP 404 means the number is not listed. The markup changed
three times and all three are read, newest last:

- 2020: ``.profile-position`` says "DO NOT ANSWER" for spam; ``.profile-title`` is the reason;
- 2021+: ``.profile-preword`` says UNKNOWN / SCAM / ROBOCALL; ``.profile-list .label`` "SEVERE";
- 2025: ``meta[name=description]`` "... is a/an <kind>." (Robocall, Telemarketer, Political,
  Scam, Debt Collector, Do Not Answer, or "unknown caller"); ``span.big-alert-badge`` = activity.

UNKNOWN / "unknown caller" pages are not_found. A 200 page with none of these is
layout_changed. nomorobo wants a User-Agent (the fetcher sends one) and added a
low daily limit for anonymous lookups in 2025, hence the slow rate and long
cache; the page it shows past the limit is ``rate_limited`` (never cached),
whatever its HTTP status.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lookup.models import Category, Finding, Number, Status
from scrapers.base import Case, LayoutChanged, Page, RateLimited, Request, Source
from scrapers.community_parse import (
    categories_of, check_status, clean_text, excerpt_of, make_soup, nanp_digits, text_of,
)

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

BLOCK_KINDS = {"robocall", "telemarketer", "political", "scam", "debt collector", "do not answer"}
_KIND = re.compile(r"\bis (?:a|an) ([^.]+)", re.IGNORECASE)
# The anonymous daily limit (2025): "You've reached your daily lookup limit", "limit of 5 free lookups".
_LIMIT = re.compile(
    r"reached (?:your|the) (?:daily |free )?(?:lookup |search )?limit|daily (?:lookup |search )?limit"
    r"|limit of \d+ (?:free )?(?:lookups|searches)",
    re.IGNORECASE,
)


def limit_reason(soup: BeautifulSoup) -> str | None:
    """The limit notice's text when the page is nomorobo's daily-limit page, else None."""
    for tag in soup.select("title, h1, h2, .limit-reached, .lookup-limit, [role=alert], main p"):
        text = text_of(tag)
        if _LIMIT.search(text):
            return text[:160]
    return None


def read_markup(soup: BeautifulSoup) -> tuple[str, str, float | None, dict[str, Any]]:
    """(markup year, label, spam or None for "unknown", facts) from whichever markup the page uses."""
    title = text_of(soup.select_one(".profile-title"))
    preword = soup.select_one(".profile-preword")
    if preword is not None:
        word = text_of(preword).upper()
        severity = text_of(soup.select_one(".profile-list .label")).upper()
        if "UNKNOWN" in word:
            return "2021", title or "unknown", None, {}
        spam = 0.95 if ("SCAM" in word or "SEVERE" in severity) else 0.8
        return "2021", title or word.title(), spam, {"severity": severity.lower() or None, "kind": word.lower()}
    position = soup.select_one(".profile-position")
    if position is not None:
        spam = 0.95 if "DO NOT ANSWER" in text_of(position).upper() else 0.5
        return "2020", title or text_of(position), spam, {"position": text_of(position)}
    meta = soup.find("meta", attrs={"name": "description"})
    match = _KIND.search(clean_text(meta.get("content"))) if meta is not None else None
    if match:
        kind = clean_text(match.group(1))
        activity = text_of(soup.select_one("span.big-alert-badge")) or None
        if kind.lower() == "unknown caller":
            return "2025", kind, None, {"activity": activity}
        return "2025", kind, 0.9 if kind.lower() in BLOCK_KINDS else 0.5, {"activity": activity}
    raise LayoutChanged("none of the 2020, 2021 or 2025 nomorobo markers on the page")


class NomoroboCom(Source):
    name = "nomorobo_com"
    title = "nomorobo.com"
    regions = frozenset({"US", "CA"})
    default_base_url = "https://www.nomorobo.com"
    # Curated from honeypot lines and reviewed reports: few false positives.
    reliability = 0.85
    CANARIES = ("+18008291040", "+12024561111")  # a spoofed agency line, a plain public line
    rate = 0.5
    ttl_found_days = 60.0
    ttl_not_found_days = 14.0

    def comments_url(self, number: Number) -> str:
        return f"{self.base_url}/lookup/{nanp_digits(number)}"

    def request(self, number: Number) -> Request:
        return Request(url=self.comments_url(number), expect="html")

    def parse(self, page: Page, number: Number) -> Finding:
        if page.status == 404:
            return self.finding(number, Status.NOT_FOUND, url=page.url, detail="not in nomorobo's list",
                                facts={"http_status": 404})
        soup = make_soup(page.body)
        limit = limit_reason(soup)
        if limit:
            raise RateLimited(f"nomorobo's daily lookup limit: {limit}")
        check_status(page)
        markup, label, spam, facts = read_markup(soup)
        facts = {"markup": markup, **{k: v for k, v in facts.items() if v}}
        excerpt = excerpt_of(text_of(soup.select_one(".profile, .profile-container, main")) or label)
        if spam is None:
            return self.finding(number, Status.NOT_FOUND, url=page.url, detail="unknown to nomorobo",
                                excerpt=excerpt, facts=facts)
        words = [label, facts.get("kind"), facts.get("position")]
        categories = categories_of(words) or ((Category.ROBOCALL.value,) if spam >= 0.8 else ())
        return self.finding(number, Status.FOUND, url=page.url, spam=spam, categories=categories,
                            detail=label, excerpt=excerpt, facts=facts)

    CASES = (
        Case("spam-2020", "spam_2020.html", "+12065550147", {
            "status": "found", "spam": 0.95, "detail": "Auto Warranty Robocall",
            "categories": ("robocall",), "facts": {"markup": "2020"},
        }),
        Case("robocall-2021", "robocall_2021.html", "+18005550142", {
            "status": "found", "spam": 0.95, "detail": "Credit Card Interest Robocall",
            "categories": ("robocall",), "facts": {"markup": "2021", "severity": "severe"},
        }),
        Case("not-listed-2021", "unknown_2021.html", "+13125550181", {
            "status": "not_found", "facts": {"markup": "2021"},
        }),
        Case("spam-2025", "spam_2025.html", "+12125550100", {
            "status": "found", "spam": 0.9, "detail": "Robocall", "categories": ("robocall",),
            "facts": {"markup": "2025", "activity": "High Activity"},
        }),
        Case("neutral-2025", "neutral_2025.html", "+16135550123", {
            "status": "found", "spam": 0.5, "detail": "Charity", "categories": (),
        }),
        Case("not-listed-2025", "unknown_2025.html", "+12025550123", {
            "status": "not_found", "facts": {"markup": "2025"},
        }),
        Case("not-listed-404", "not_listed_404.html", "+12025550123", {
            "status": "not_found", "detail": "not in nomorobo's list",
        }, http_status=404),
        Case("blocked", "blocked.html", "+12065550147", {"status": "blocked"}, http_status=403),
        Case("layout-changed", "layout_changed.html", "+12065550147", {"status": "layout_changed"}),
        Case("daily-limit-2025", "daily_limit_2025.html", "+13157859930", {
            "status": "rate_limited",
            "detail": "nomorobo's daily lookup limit: You've reached your daily lookup limit",
        }),
    )
