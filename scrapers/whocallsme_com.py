"""whocallsme.com: a smaller sister board of 800notes on the same OctoNet "oos_" platform.

Number page ``/Phone-Number.aspx/<ten digits>``; comments, frame and the
not-listed/layout-changed rule are shared with 800notes in
:mod:`scrapers.oos_platform`. Coverage: every NANP region (see notes800_com).
"""

from __future__ import annotations

from lookup.models import Number
from scrapers.base import Case
from scrapers.community_parse import nanp_digits
from scrapers.oos_platform import OosSource


class WhocallsmeCom(OosSource):
    name = "whocallsme_com"
    title = "whocallsme.com"
    default_base_url = "https://whocallsme.com"
    # Same moderation as 800notes but far fewer reports per number, and peers
    # describe its data as weak: a supporting voice rather than a decider.
    reliability = 0.5
    CANARIES = ("+18008291040", "+12024561111")  # a spoofed agency line, a plain public line

    def number_path(self, number: Number) -> str:
        return f"/Phone-Number.aspx/{nanp_digits(number)}"

    CASES = (
        Case("spam", "spam.html", "+18005550142", {
            "status": "found", "reports": 3, "name": "Card Services",
            "categories": ("scam", "robocall"), "spam": (0.45, 0.55), "comments": 3,
            "last_reported": "2024-01-28",
        }),
        Case("harmless", "harmless.html", "+16135550123", {
            "status": "found", "reports": 1, "name": "City Library", "spam": (0.0, 0.1),
            "categories": (), "comments": 1,
        }),
        Case("not-listed", "not_listed.html", "+12025550123", {"status": "not_found", "comments": 0}),
        Case("blocked", "blocked.html", "+18005550142", {"status": "blocked", "detail": "reCAPTCHA"}),
        Case("layout-changed", "layout_changed.html", "+18005550142", {"status": "layout_changed"}),
    )
