"""tellows: score 1 (trustworthy) .. 9 (dangerous) from a large European community, by API.

Needs the user's own partner API key: ``GET /basic/num/<00CC...>?json=1&apikeyMd5=<md5 of key>``.
The key's md5 travels only in the request's query parameters; it never reaches
a finding (the finding's URL is the public number page). The body may carry a
text warning before or after the JSON, so decoding starts at the first ``{``.

tellows answers every number, unknown ones with its default score 5 and no
comments: comments == 0 is therefore not_found, whatever the score. Spam is
(score - 1) / 8, raised to at least 0.9 when Superfecta's rule holds
(score >= 7, comments >= 2, searches >= 5).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from lookup.models import Finding, Number, Status
from scrapers.base import Case, LayoutChanged, Page, Request, Source, SourceError
from scrapers.community_parse import categories_of, check_status, clean_text, international_00, plural, to_int

# tellows runs country sites for these; the API takes any number in 00 form.
TELLOWS_REGIONS = frozenset(
    "DE AT CH GB IE FR BE NL LU IT ES PT PL CZ SK HU SE DK NO FI GR TR RU US CA AU NZ ZA MX BR AR CL CO IN JP".split()
)


def decode_object(body: str) -> dict[str, Any]:
    """The first JSON object in ``body``, ignoring text around it."""
    start = body.find("{")
    if start < 0:
        raise LayoutChanged("no JSON object in the tellows answer")
    try:
        data, _ = json.JSONDecoder().raw_decode(body[start:])
    except ValueError as exc:
        raise LayoutChanged(f"tellows answer is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("tellows"), dict):
        raise LayoutChanged("tellows JSON without a 'tellows' object")
    return data["tellows"]


def caller_types(raw: Any) -> list[str]:
    """Names from ``callerTypes`` however it nests ({"caller": [{"name": ..}]}, a list, a dict)."""
    if isinstance(raw, dict):
        raw = raw.get("caller", [raw] if "name" in raw else [])
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        return []
    names = [item.get("name") if isinstance(item, dict) else item for item in raw]
    return [clean_text(n)[:60] for n in names if isinstance(n, str) and clean_text(n)]


class Tellows(Source):
    name = "tellows"
    title = "tellows"
    regions = TELLOWS_REGIONS
    default_base_url = "https://www.tellows.de"
    needs_key = True
    enable_hint = ('add your tellows API key to the config file as [sources.tellows] api_key = "..." '
                   "or set WHOCALLED_SOURCE_TELLOWS_API_KEY")
    # A scored, comment-backed community API; strong where it has comments.
    reliability = 0.75
    CANARIES = ("+4930182720", "+4989233000")  # a spoofed agency line, a plain public line

    def key_md5(self) -> str:
        key = self.config.api_key or ""
        if self.config.options.get("key_is_md5"):
            return key.strip().lower()
        return hashlib.md5(key.encode("utf-8")).hexdigest()

    def request(self, number: Number) -> Request:
        # expect="html" keeps the fetcher from judging the body: the JSON may follow a text
        # warning and come as text/html; parse finds it and walls are still detected in read.
        return Request(url=f"{self.base_url}/basic/num/{international_00(number)}",
                       params={"json": "1", "apikeyMd5": self.key_md5()}, expect="html", robots=False)

    def parse(self, page: Page, number: Number) -> Finding:
        check_status(page)
        info = decode_object(page.body)
        score = to_int(info.get("score"))
        warned = not page.body.strip().startswith("{") or not page.body.strip().endswith("}")
        if score is None or not 1 <= score <= 9:
            if warned:  # the warning text itself is never repeated: it is the API's, not ours to show
                raise SourceError("tellows sent a warning and no score: is the api_key right?")
            raise LayoutChanged(f"tellows score missing or out of range: {str(info.get('score'))[:20]!r}")
        searches, comments = to_int(info.get("searches")) or 0, to_int(info.get("comments")) or 0
        types = caller_types(info.get("callerTypes"))
        facts = {"score": score, "searches": searches, "comments": comments, "caller_types": types[:5],
                 "api_warning": warned}
        url = f"{self.base_url}/num/{international_00(number)}"
        summary = f"score {score} of 9, {plural(searches, 'search')}, {plural(comments, 'comment')}"
        if comments == 0:
            return self.finding(number, Status.NOT_FOUND, url=url, detail=f"score {score} of 9 with no comments",
                                excerpt=summary, facts=facts)
        spam = round((score - 1) / 8, 3)
        if score >= 7 and comments >= 2 and searches >= 5:
            spam, facts["superfecta_spam"] = max(spam, 0.9), True
        detail = f"score {score} of 9 from {plural(comments, 'comment')}"
        return self.finding(number, Status.FOUND, url=url, spam=spam, reports=comments,
                            categories=categories_of(types), detail=detail, excerpt=summary, facts=facts)

    CASES = (
        Case("spam", "spam.json", "+4930123456", {
            "status": "found", "spam": 0.9, "reports": 23, "categories": ("telemarketer", "scam"),
            "detail": "score 8 of 9 from 23 comments", "facts": {"superfecta_spam": True, "api_warning": True},
        }, content_type="text/html; charset=utf-8"),
        Case("harmless", "harmless.json", "+43151234567", {
            "status": "found", "spam": 0.125, "reports": 4, "detail": "score 2 of 9 from 4 comments",
        }, content_type="application/json"),
        Case("not-listed", "not_listed.json", "+41441234567", {
            "status": "not_found", "reports": None, "detail": "score 5 of 9 with no comments",
        }, content_type="application/json"),
        Case("french-caller-types", "french_caller_types.json", "+33123456789", {
            "status": "found", "reports": 11, "categories": ("debt_collector", "other"),
        }, content_type="application/json"),
        Case("german-caller-types", "german_caller_types.json", "+498912345678", {
            "status": "found", "reports": 5, "categories": ("telemarketer", "scam", "other"),
        }, content_type="application/json"),
        Case("blocked", "blocked.html", "+4930123456", {"status": "blocked"}, http_status=403),
        Case("layout-changed", "layout_changed.json", "+4930123456", {"status": "layout_changed"},
             content_type="application/json"),
    )
