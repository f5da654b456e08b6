"""PhoneBlock.net: a German community blocklist with explicit ratings, by API (free token).

Privacy first: by default only the first ``options.prefix_length`` (6) hex
characters of ``sha1("+CC...")`` leave the machine (``GET /api/check-prefix``).
Upstream's OpenAPI file (``phoneblock.json``) documents the answer as
``{"numbers": [{"phone": "+49...", "votes": 42, "rating": ..., ...}], "range10": [...],
"range100": [...]}``: every entry of the hash bucket, named by its E.164 ``phone`` (no
hash), so the number is matched here on ``phone``. ``options.privacy = false`` uses
``/api/check`` (one ``PhoneInfo`` object) instead. No entry, or no votes, is
not_found. A rating name we do not know (upstream's own examples carry ``C_POLL``)
is kept as an unknown rating of category "other", never a layout change. Also
builds the deliberate report ``POST /api/rate`` for ``report --submit phoneblock``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from lookup.models import Category, Finding, Number, Status
from scrapers.base import Case, LayoutChanged, Page, Request, Source, detect_block_page
from scrapers.community_parse import check_status, clean_text, international_00, plural, to_int

# rating -> (spam, category or None, plain words)
RATINGS: dict[str, tuple[float, Category | None, str]] = {
    "G_FRAUD": (1.0, Category.SCAM, "fraud"),
    "F_GAMBLE": (0.95, Category.SCAM, "gambling or lottery"),
    "E_ADVERTISING": (0.85, Category.TELEMARKETER, "advertising"),
    "C_PING": (0.8, Category.SILENT, "ping call"),
    "D_POLL": (0.75, Category.SURVEY, "poll"),
    "B_MISSED": (0.6, Category.SILENT, "missed call"),
    "A_LEGITIMATE": (0.0, None, "legitimate"),
}
# Our categories as PhoneBlock ratings (it has no debt-collector or political kind).
RATING_FOR = {
    Category.SCAM: "G_FRAUD", Category.ROBOCALL: "E_ADVERTISING", Category.TELEMARKETER: "E_ADVERTISING",
    Category.SURVEY: "D_POLL", Category.POLITICAL: "D_POLL", Category.SILENT: "C_PING",
    Category.DEBT_COLLECTOR: "B_MISSED", Category.OTHER: "B_MISSED",
}


JSON = "application/json"


def sha1_upper(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest().upper()


UNKNOWN_RATING_SPAM = 0.7  # voted onto the list, kind unknown: leans to spam, less than a known kind


def phone_key(value: Any) -> str:
    """An entry's ``phone`` as ``+digits`` ("+49 30 123456" and "004930123456" alike)."""
    text = str(value or "").strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("00"):
        digits = digits[2:]
    elif not text.startswith("+"):
        return ""
    return "+" + digits if digits else ""


def find_entry(data: Any, e164: str) -> tuple[dict[str, Any] | None, str]:
    """(our entry or None, "full" or "prefix") from either documented answer shape: a
    ``PhoneInfo`` object (``/api/check``) or ``{"numbers": [PhoneInfo, ...]}`` (``/api/check-prefix``)."""
    if isinstance(data, dict) and "rating" in data and "numbers" not in data:
        return data, "full"
    entries = data.get("numbers") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise LayoutChanged("PhoneBlock answer is neither a rating nor {\"numbers\": [...]}")
    if any(isinstance(e, dict) and "phone" not in e for e in entries):
        raise LayoutChanged("PhoneBlock entries without a phone field")
    hits = [e for e in entries if isinstance(e, dict) and phone_key(e.get("phone")) == e164]
    return (hits[0] if hits else None), "prefix"


def rating_of(entry: dict[str, Any]) -> tuple[str, float, Category | None, str]:
    """(rating name, spam, category, plain words); an unknown name stays as written, category other."""
    rating = clean_text(str(entry.get("rating", ""))).upper()[:30]
    if rating in RATINGS:
        return (rating, *RATINGS[rating])
    return rating or "NONE", UNKNOWN_RATING_SPAM, Category.OTHER, f"rated {rating or 'without a rating'} (unknown rating)"


class PhoneblockNet(Source):
    name = "phoneblock_net"
    title = "PhoneBlock.net"
    regions = frozenset({"DE", "AT", "CH"})  # open to all, but its voters are mainly in Germany
    default_base_url = "https://phoneblock.net/phoneblock"
    needs_key = True
    enable_hint = ('get a free token at phoneblock.net and add [sources.phoneblock_net] token = "..." '
                   "to the config file (or set WHOCALLED_SOURCE_PHONEBLOCK_NET_TOKEN)")
    # Explicit per-number ratings with vote counts from a moderated community.
    reliability = 0.8
    CANARIES = ("+4930182720", "+4989233000")  # a spoofed agency line, a plain public line

    @property
    def is_private(self) -> bool:
        return str(self.config.options.get("privacy", True)).lower() not in ("false", "0", "no", "off")

    @property
    def prefix_length(self) -> int:
        return max(4, min(40, to_int(self.config.options.get("prefix_length")) or 6))

    def auth_headers(self) -> dict[str, str]:
        token = self.config.token or self.config.api_key
        return {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, number: Number) -> Request:
        e164 = number.e164 or ""
        full = sha1_upper(e164)
        if self.is_private:
            url = f"{self.base_url}/api/check-prefix?sha1={full[: self.prefix_length]}"
        else:
            wildcards = f"prefix10={sha1_upper(e164[:-1])}&prefix100={sha1_upper(e164[:-2])}"
            url = f"{self.base_url}/api/check?sha1={full}&{wildcards}"
        return Request(url=url, headers=self.auth_headers(), expect="json", robots=False)

    def parse(self, page: Page, number: Number) -> Finding:
        check_status(page)
        try:
            data = json.loads(page.body)
        except ValueError:
            raise LayoutChanged("PhoneBlock answer is not JSON") from None
        entry, mode = find_entry(data, number.e164 or "")
        votes = (to_int(entry.get("votes")) or 0) if entry else 0
        if entry is None or votes <= 0:
            return self.finding(number, Status.NOT_FOUND, url=page.url, detail="not in PhoneBlock's list",
                                facts={"mode": mode})
        rating, spam, category, words = rating_of(entry)
        archived = bool(entry.get("archived"))
        updated = to_int(entry.get("lastUpdate"))
        last = datetime.fromtimestamp(updated / 1000, timezone.utc).date().isoformat() if updated else None
        detail = f"{words} ({plural(votes, 'vote')})" + (", archived" if archived else "")
        return self.finding(
            number, Status.FOUND, url=page.url, spam=spam / 2 if archived else spam, reports=votes,
            categories=(category.value,) if category else (), last_reported=last, detail=detail, excerpt=detail,
            facts={"mode": mode, "rating": rating, "votes": votes, "votes_wildcard": entry.get("votesWildcard"),
                   "archived": archived},
        )

    def report_request(self, number: Number, category: Category | str, comment: str | None = None) -> Request:
        """The user's deliberate report as ``POST /api/rate`` (sent only after confirmation)."""
        body: dict[str, str] = {"phone": international_00(number), "rating": RATING_FOR[Category(category)]}
        if comment and clean_text(comment):
            body["comment"] = clean_text(comment)[:1000]
        return Request(url=f"{self.base_url}/api/rate", method="POST", headers=self.auth_headers(), json=body,
                       expect="text", robots=False)

    def parse_report_response(self, page: Page) -> tuple[bool, str]:
        """(accepted, what PhoneBlock said) for the answer to :meth:`report_request`."""
        wall = detect_block_page(page)
        text = clean_text(page.body)[:200]
        if wall:
            return False, f"blocked: {wall}"
        if 200 <= page.status < 300:
            return True, text or "rating recorded"
        if page.status in (401, 403):
            return False, f"PhoneBlock refused the token (HTTP {page.status})"
        return False, f"HTTP {page.status}" + (f": {text}" if text else "")

    CASES = (
        Case("spam", "spam_prefix.json", "+4930123456", {
            "status": "found", "spam": 1.0, "reports": 12, "categories": ("scam",), "detail": "fraud (12 votes)",
            "last_reported": "2024-05-02", "facts": {"mode": "prefix", "rating": "G_FRAUD"}}, content_type=JSON),
        Case("harmless", "harmless_prefix.json", "+43151234567", {
            "status": "found", "spam": 0.0, "reports": 3, "detail": "legitimate (3 votes)"}, content_type=JSON),
        Case("not-listed", "not_listed_prefix.json", "+41441234567", {
            "status": "not_found", "facts": {"mode": "prefix"}}, content_type=JSON),
        Case("not-listed-empty", "empty_prefix.json", "+4940123456", {"status": "not_found"}, content_type=JSON),
        Case("unknown-rating", "unknown_rating_prefix.json", "+49891234567", {
            "status": "found", "spam": UNKNOWN_RATING_SPAM, "reports": 42, "categories": ("other",),
            "detail": "rated C_POLL (unknown rating) (42 votes)", "facts": {"rating": "C_POLL"}}, content_type=JSON),
        Case("full-check", "full_check.json", "+4989123456", {
            "status": "found", "spam": 0.85, "reports": 42, "categories": ("telemarketer",),
            "last_reported": "2024-01-02", "facts": {"mode": "full", "votes_wildcard": 15}}, content_type=JSON),
        Case("blocked", "blocked.html", "+4930123456", {"status": "blocked"}, http_status=503),
        Case("layout-changed", "layout_changed.json", "+4930123456", {"status": "layout_changed"}, content_type=JSON),
    )


async def submit_report(source: PhoneblockNet, number: Number, category: str, note: str | None, settings: Any) -> tuple[bool, str]:
    """Send one report the user confirmed (the only write whocalled makes to PhoneBlock):
    ``(accepted, what PhoneBlock said)``, within 15 seconds; never raises for a failed send."""
    import asyncio

    from scrapers.base import FetchError
    from scrapers.http import Fetcher, FetchSettings

    async with Fetcher(FetchSettings.from_settings(settings, [source])) as fetcher:
        try:
            page = await fetcher.fetch(source.report_request(number, category, note),
                                       deadline=asyncio.get_running_loop().time() + 15)
        except FetchError as exc:
            return False, f"{exc.status.value}: {exc.reason}"
    return source.parse_report_response(page)
