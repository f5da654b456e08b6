"""phonespamfilter: a bare report count per number, from regional hosts.

``<host>/check.php?phone=<national significant number>`` answers with nothing
but an integer (served as text/html or text/plain). Hosts: phonespamfilter.com
for US/CA, .co.uk (GB), .fr (FR), .co.nz (NZ) and au.phonespamfilter.com (AU).
Each regional host can be overridden with ``options.base_url_<region>``
(e.g. ``base_url_gb``); a plain ``base_url`` (a mirror or a test server) is
used for every region that has no option of its own. Zero means not listed;
a body that is not an integer (and not a bot wall) is layout_changed.
"""

from __future__ import annotations

import re

from lookup.models import Finding, Number, Status
from scrapers.base import Case, LayoutChanged, Page, Request, Source
from scrapers.community_parse import check_status, clean_text, make_soup, plural, saturate, text_of

REGIONAL_HOSTS = {
    "US": "http://www.phonespamfilter.com",
    "CA": "http://www.phonespamfilter.com",
    "GB": "http://www.phonespamfilter.co.uk",
    "FR": "http://www.phonespamfilter.fr",
    "NZ": "http://www.phonespamfilter.co.nz",
    "AU": "http://au.phonespamfilter.com",
}
_COUNT = re.compile(r"[0-9]{1,9}")
HALF_SPAM_AT = 10  # reports at which the signal reaches 0.5 (peers block at 5 to 50)


def read_count(body: str) -> int:
    text = clean_text(body)
    if not _COUNT.fullmatch(text) and "<" in text and len(text) < 500:  # a tiny HTML wrapper
        text = text_of(make_soup(body).body)
    if not _COUNT.fullmatch(text):
        raise LayoutChanged(f"expected a bare report count, got {text[:60]!r}")
    return int(text)


class PhonespamfilterCom(Source):
    name = "phonespamfilter_com"
    title = "phonespamfilter"
    regions = frozenset(REGIONAL_HOSTS)
    default_base_url = REGIONAL_HOSTS["US"]
    # A bare count with no text or category behind it; thresholds differ by peer.
    reliability = 0.5
    CANARIES = ("+18008291040", "+12024561111")  # a spoofed agency line, a plain public line

    def host_for(self, number: Number) -> str:
        region = (number.region or "US").upper()
        option = self.config.options.get(f"base_url_{region.lower()}")
        if option:
            return str(option).rstrip("/")
        if self.config.base_url:
            return self.base_url
        return REGIONAL_HOSTS.get(region, self.default_base_url)

    def comments_url(self, number: Number) -> str:
        return f"{self.host_for(number)}/check.php?phone={number.national_significant}"

    def request(self, number: Number) -> Request:
        # expect="html": the count comes as text/html, which the fetcher would refuse as "text"
        return Request(url=self.comments_url(number), expect="html")

    def parse(self, page: Page, number: Number) -> Finding:
        check_status(page)
        count = read_count(page.body)
        facts = {"count": count, "host": self.host_for(number)}
        if count == 0:
            return self.finding(number, Status.NOT_FOUND, url=page.url, detail="no reports", excerpt="0", facts=facts)
        return self.finding(number, Status.FOUND, url=page.url, spam=saturate(count, HALF_SPAM_AT), reports=count,
                            detail=plural(count, "report"), excerpt=str(count), facts=facts)

    CASES = (
        Case("spam", "spam.txt", "+12065550147", {
            "status": "found", "reports": 27, "spam": (0.7, 0.75), "detail": "27 reports",
        }, content_type="text/html; charset=UTF-8"),
        Case("harmless-low", "low.txt", "+13125550181", {
            "status": "found", "reports": 1, "spam": (0.05, 0.1), "detail": "1 report",
        }, content_type="text/plain"),
        Case("not-listed", "not_listed.txt", "+12025550123", {"status": "not_found", "reports": None},
             content_type="text/html"),
        Case("gb-host", "gb_spam.txt", "+442079460123", {
            "status": "found", "reports": 12, "facts": {"host": "http://www.phonespamfilter.co.uk"},
        }, content_type="text/html"),
        Case("blocked", "blocked.html", "+12065550147", {"status": "blocked"}, http_status=503),
        Case("layout-changed", "layout_changed.html", "+12065550147", {"status": "layout_changed"}),
    )
