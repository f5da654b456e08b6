"""who-called.co.uk: a UK community board of unwanted callers.

``/Number/<national number with its leading 0>``. The number page shows
``div.call-stats-item`` blocks: "User reputation:" negative / undetermined /
positive, "Number of searches:", "Number of comments:". An undetermined number
with no comments is one nobody has reported (not_found); a page without the
blocks is layout_changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lookup.models import Finding, Number, Status
from scrapers.base import Case, LayoutChanged, Page, Request, Source
from scrapers.community_parse import check_status, excerpt_of, iso_date, make_soup, parse_int, plural, text_of

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

SPAM_OF = {"negative": 0.85, "undetermined": 0.5, "positive": 0.1}


def read_stats(soup: BeautifulSoup) -> dict[str, str]:
    """Lower-cased label (without the colon) -> the value text of each stats block."""
    stats: dict[str, str] = {}
    for block in soup.select("div.call-stats-item"):
        text = text_of(block)
        label, sep, value = text.partition(":")
        if sep:
            stats[label.strip().lower()] = value.strip()
    return stats


class WhoCalledCoUk(Source):
    name = "who_called_co_uk"
    title = "who-called.co.uk"
    regions = frozenset({"GB"})
    default_base_url = "https://who-called.co.uk"
    # Reputation is a crowd vote with the comment count behind it; a middling site.
    reliability = 0.6
    CANARIES = ("+443002003300", "+442072195000")  # a spoofed agency line, a plain public line

    def comments_url(self, number: Number) -> str:
        return f"{self.base_url}/Number/0{number.national_significant}"

    def request(self, number: Number) -> Request:
        return Request(url=self.comments_url(number), expect="html")

    def parse(self, page: Page, number: Number) -> Finding:
        check_status(page)
        soup = make_soup(page.body)
        stats = read_stats(soup)
        if not stats:
            raise LayoutChanged("no div.call-stats-item blocks on the number page")
        reputation_text = stats.get("user reputation", "").lower()
        reputation = next((r for r in SPAM_OF if r in reputation_text), None)
        if reputation is None:
            raise LayoutChanged(f"no known 'User reputation' value among {sorted(stats)[:6]}")
        comments = parse_int(stats.get("number of comments"))
        searches = parse_int(stats.get("number of searches"))
        facts = {"reputation": reputation, "searches": searches, "comments": comments}
        excerpt = excerpt_of(" | ".join(text_of(b) for b in soup.select("div.call-stats-item")))
        if reputation == "undetermined" and not comments:
            return self.finding(number, Status.NOT_FOUND, url=page.url, detail="no comments yet",
                                excerpt=excerpt, facts=facts)
        detail = f"{reputation} reputation" + (f" from {plural(comments, 'comment')}" if comments else "")
        return self.finding(
            number, Status.FOUND, url=page.url, spam=SPAM_OF[reputation], reports=comments, detail=detail,
            last_reported=iso_date(stats.get("last comment")), excerpt=excerpt, facts=facts,
        )

    CASES = (
        Case("spam", "spam.html", "+442079460123", {
            "status": "found", "spam": 0.85, "reports": 14, "last_reported": "2024-02-18",
            "detail": "negative reputation from 14 comments",
            "facts": {"reputation": "negative", "searches": 1230, "comments": 14},
        }),
        Case("harmless", "harmless.html", "+441134960456", {
            "status": "found", "spam": 0.1, "reports": 3, "detail": "positive reputation from 3 comments",
        }),
        Case("not-listed", "not_listed.html", "+441184960789", {
            "status": "not_found", "reports": None, "facts": {"reputation": "undetermined", "comments": 0},
        }),
        Case("blocked", "blocked.html", "+442079460123", {"status": "blocked"}, http_status=503),
        Case("layout-changed", "layout_changed.html", "+442079460123", {"status": "layout_changed"}),
    )
