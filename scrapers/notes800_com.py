"""800notes.com: the largest free North American complaint board (OctoNet "oos_" platform).

Number page ``/Phone.aspx/1-NPA-NXX-XXXX``, later pages ``.../2``. Parsing is
shared with whocallsme in :mod:`scrapers.oos_platform`, which documents how a
genuine "nobody reported this" page (the site's frame without comments) is told
apart from a changed layout (no frame at all).

Coverage: every NANP region, not only US and CA: the site keys pages on the
ten NANP digits, and Caribbean one-ring numbers (+1 876, +1 809 ...) are
reported there a lot.
"""

from __future__ import annotations

from lookup.models import Number
from scrapers.base import Case
from scrapers.community_parse import nanp_dashed
from scrapers.oos_platform import OosSource


class Notes800Com(OosSource):
    name = "notes800_com"
    title = "800notes.com"
    default_base_url = "https://800notes.com"
    # Large, long-running, moderated community; free text is noisy, but volume and
    # call types make a many-report number a strong signal.
    reliability = 0.7
    CANARIES = ("+18008291040", "+12024561111")  # a spoofed agency line, a plain public line
    ttl_found_days = 14.0  # comments keep coming in on active numbers

    def number_path(self, number: Number) -> str:
        return f"/Phone.aspx/1-{nanp_dashed(number)}"

    CASES = (
        Case("spam", "spam.html", "+12065550147", {
            "status": "found", "name": "Acme Warranty Services", "reports": 5,
            "categories": ("telemarketer", "scam", "robocall"), "last_reported": "2024-03-05",
            "spam": (0.55, 0.7), "comments": 5, "detail": "5 reports, mostly Telemarketer",
        }),
        Case("harmless", "harmless.html", "+13125550181", {
            "status": "found", "name": "Lakeside Dental", "reports": 2, "categories": (),
            "spam": (0.0, 0.15), "comments": 2, "last_reported": "2023-11-20",
        }),
        Case("many-pages", "many_pages.html", "+12125550100", {
            "status": "found", "reports": 7, "comments": 3, "categories": ("debt_collector",),
            "facts": {"pages": 3, "comments_on_page": 3},
        }),
        Case("not-listed", "not_listed.html", "+12025550123", {
            "status": "not_found", "reports": None, "comments": 0, "detail": "no reports",
        }),
        Case("blocked", "blocked.html", "+12065550147", {
            "status": "blocked", "detail": "Cloudflare 'Just a moment' challenge",
        }, http_status=403),
        Case("layout-changed", "layout_changed.html", "+12065550147", {"status": "layout_changed"}),
        Case("bodiless-comments", "bodiless_comments.html", "+12065550147", {"status": "layout_changed"}),
        Case("div-items-2015", "spam_2015_div_items.html", "+13125550182", {
            "status": "found", "name": "Island Getaways", "reports": 2, "comments": 2,
            "categories": ("robocall", "scam"), "last_reported": "2015-06-09",
        }),
        Case("unknown-item-layout", "unknown_item_layout.html", "+12065550147", {"status": "layout_changed"}),
    )
