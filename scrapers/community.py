"""A whocalled community server (``whocalled community serve``): the votes of the households
in one's own group, asked k-anonymously.

Only ``+`` and the first digits of the number leave the house (all but the last three, or
``hidden_digits = 2``); the server answers with every voted number in that range and the
match is made here. Off until ``[sources.community] base_url`` and ``token`` are set. Also
builds the member's deliberate votes (``report --submit community``, ``allow --share``) and
the request for the whole community list (``export --include community``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone

from lookup.models import EvidenceKind, Finding, Number, Status
from lookup.verdict import complaint_spam
from scrapers.base import Case, LayoutChanged, Page, Request, Source, detect_block_page
from scrapers.community_parse import check_status, plural

JSON = "application/json"


class WhocalledCommunity(Source):
    name = "community"
    title = "whocalled community server"
    needs_key = True
    enable_hint = ('ask your community\'s operator for a token, then add [sources.community] base_url = "http://..."'
                   ' and token = "..." to the config file')
    reliability = 0.9  # votes of known households, at least two of them before a number is listed
    # `whocalled community serve` on this machine; the source stays off until base_url is set
    default_base_url = "http://127.0.0.1:8788"
    # Any number gets a definite answer from a working server (listed, or not voted on).
    CANARIES = ("+12025550143", "+442079460123")
    rate = 5.0
    ttl_found_days = 1.0  # the community's votes change daily
    ttl_not_found_days = 1.0

    @property
    def enabled(self) -> bool:
        return bool(self.config.base_url) and super().enabled

    @property
    def hidden_digits(self) -> int:
        return 2 if str(self.config.options.get("hidden_digits", 3)) == "2" else 3

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.token or self.config.api_key or ''}"}

    def request(self, number: Number) -> Request:
        prefix = (number.e164 or "")[: -self.hidden_digits]
        return Request(url=f"{self.base_url}/api/v1/community/check/{prefix}", headers=self.auth_headers(),
                       expect="json", robots=False)

    def parse(self, page: Page, number: Number) -> Finding:
        check_status(page)
        try:
            data = json.loads(page.body)
        except ValueError:
            raise LayoutChanged("the community server's answer is not JSON") from None
        entries = data.get("numbers") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise LayoutChanged("the community server's answer has no list of numbers")
        entry = next((e for e in entries if isinstance(e, dict) and e.get("number") == number.e164), None)
        if entry is None:
            return self.finding(number, Status.NOT_FOUND, url=page.url, detail="no community member voted on it",
                                facts={"range": len(entries)})
        spam, legit = int(entry.get("spam") or 0), int(entry.get("legit") or 0)
        listed = entry.get("listed") is True
        words = []
        if spam:
            words.append(f"{plural(spam, 'community member')} reported it")
        if legit:
            words.append(f"{plural(legit, 'community member')} said it is legitimate")
        detail = ", ".join(words) + ("; on the community list" if listed else "")
        last = entry.get("last_vote_at")
        last_day = datetime.fromtimestamp(last, timezone.utc).date().isoformat() if isinstance(last, int) and last > 0 else None
        categories = tuple(str(c) for c in entry.get("categories") or () if isinstance(c, str))[:3]
        found = self.finding(
            number, Status.FOUND, url=page.url, spam=spam / (spam + legit) if spam + legit else 0.5,
            reports=spam + legit, categories=categories, last_reported=last_day, detail=detail, excerpt=detail,
            facts={"spam_voters": spam, "legit_voters": legit, "listed": listed, "range": len(entries)},
        )
        if spam > legit:
            # Votes of known households are first-hand reports, weighed as complaints are (the
            # votes that outweigh the legit ones, fading with age), not as anonymous opinions.
            today = datetime.now(timezone.utc).date()
            return replace(found, evidence=EvidenceKind.COMPLAINTS,
                           spam=complaint_spam(spam - legit, last_day, today=today))
        return found  # legit votes as many or more: an opinion leaning towards "fine"

    def copy_finding(self, number: Number, listed: bool, synced_at: str) -> Finding:
        """What the household's copy of the list (``whocalled sync community``, made at
        ``synced_at``) says of ``number``: listed or not. Dated at the sync, so a check made
        online after it counts instead (the latest finding of a source wins)."""
        day = synced_at[:10]
        if not listed:
            return self.finding(number, Status.NOT_FOUND, fetched_at=synced_at,
                                detail=f"not on the community list (your copy of {day})")
        detail = f"on the community list (your copy of {day})"
        today = datetime.now(timezone.utc).date()
        # listed: at least two members' spam votes outweigh the legit ones (the rule's least)
        found = self.finding(number, Status.FOUND, fetched_at=synced_at, spam=complaint_spam(2, day, today=today),
                             detail=detail, excerpt=detail, facts={"listed": True, "copy": day})
        return replace(found, evidence=EvidenceKind.COMPLAINTS)

    # -- the member's deliberate acts
    def vote_request(self, number: Number, verdict: str, category: str | None = None, note: str | None = None) -> Request:
        body = {"number": number.e164, "verdict": verdict, "category": category, "note": (note or "")[:500] or None}
        return Request(url=f"{self.base_url}/api/v1/community/votes", method="POST", headers=self.auth_headers(),
                       json={k: v for k, v in body.items() if v}, expect="json", robots=False)

    def list_request(self, since: int = 0) -> Request:
        return Request(url=f"{self.base_url}/api/v1/community/list", params={"since": str(since)},
                       headers=self.auth_headers(), expect="json", robots=False)

    def parse_answer(self, page: Page) -> tuple[bool, str, dict]:
        """(accepted, what the server said, its JSON object) for a vote or list request."""
        wall = detect_block_page(page)
        if wall:
            return False, f"blocked: {wall}", {}
        try:
            data = json.loads(page.body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return False, f"HTTP {page.status}: the answer is not a JSON object", {}
        if 200 <= page.status < 300:
            return True, "vote recorded" if "verdict" in data else "list received", data
        return False, f"HTTP {page.status}: {str(data.get('error', ''))[:200]}", data

    CASES = (
        Case("listed", "listed.json", "+12025550143", {
            "status": "found", "evidence": "complaints", "reports": 4, "categories": ("robocall",),
            "detail": "3 community members reported it, 1 community member said it is legitimate; on the community list",
            "facts": {"listed": True, "spam_voters": 3}}, content_type=JSON),
        Case("legit", "listed.json", "+12025550178", {
            "status": "found", "spam": 0.0, "detail": "2 community members said it is legitimate"}, content_type=JSON),
        Case("not-voted", "listed.json", "+12025550100", {"status": "not_found"}, content_type=JSON),
        Case("blocked", "blocked.html", "+12025550143", {"status": "blocked"}, http_status=503),
        Case("refused-token", "refused.json", "+12025550143", {"status": "error"}, http_status=401, content_type=JSON),
        Case("layout-changed", "layout_changed.json", "+12025550143", {"status": "layout_changed"}, content_type=JSON),
    )


async def exchange(source: WhocalledCommunity, request: Request, settings: object, timeout: float = 15.0) -> tuple[bool, str, dict]:
    """Send one request the member asked for (a vote, or the list) through the fetcher:
    ``(accepted, what the server said, its JSON object)``; never raises for a failed send."""
    import asyncio

    from scrapers.base import FetchError
    from scrapers.http import Fetcher, FetchSettings

    async with Fetcher(FetchSettings.from_settings(settings, [source])) as fetcher:  # type: ignore[arg-type]
        try:
            page = await fetcher.fetch(request, deadline=asyncio.get_running_loop().time() + timeout)
        except FetchError as exc:
            return False, f"{exc.status.value}: {exc.reason}", {}
    return source.parse_answer(page)
