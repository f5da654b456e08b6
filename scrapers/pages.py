"""What a source and the fetcher trade: the :class:`Request` a source wants fetched, the
:class:`Page` the fetcher hands back, the errors that end an attempt (each carrying its
:class:`~lookup.models.Status`), and the markers that tell a bot wall from content.

Nothing here does I/O. :mod:`scrapers.base` imports these for the source contract (and
re-exports them, so ``from scrapers.base import Page`` works as before).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from lookup.models import Status


class SourceError(Exception):
    """A source could not give an answer. ``status`` says which kind of failure."""

    status: Status = Status.ERROR

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Blocked(SourceError):
    status = Status.BLOCKED


class RateLimited(SourceError):
    status = Status.RATE_LIMITED


class LayoutChanged(SourceError):
    status = Status.LAYOUT_CHANGED


class FetchError(SourceError):
    """Raised by the fetcher; ``status`` is timeout, rate_limited, blocked or error."""

    def __init__(self, status: Status, reason: str):
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Request:
    """What a source wants fetched. ``expect`` names the body kind: html, json, text or xml."""

    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    expect: str = "html"
    robots: bool = True  # honour the host's robots.txt (APIs meant for programs set False)


@dataclass(frozen=True)
class Page:
    """A finished HTTP response as the fetcher hands it to a source."""

    url: str
    status: int
    body: str
    content_type: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)


# Markers of bot walls and challenge pages (Cloudflare, hCaptcha, reCAPTCHA, DataDome,
# PerimeterX, Sucuri, Akamai). Matched case-insensitively against the first 64 KiB.
_BLOCK_MARKERS: tuple[tuple[str, str], ...] = (
    ("just a moment...", "Cloudflare 'Just a moment' challenge"),
    ("cf-browser-verification", "Cloudflare browser check"),
    ("cf_chl_opt", "Cloudflare challenge"),
    ("challenge-platform", "Cloudflare challenge"),
    ("attention required! | cloudflare", "Cloudflare block page"),
    ("checking your browser before accessing", "browser check page"),
    ("g-recaptcha", "reCAPTCHA"),
    ("h-captcha", "hCaptcha"),
    ("hcaptcha.com", "hCaptcha"),
    ("captcha-delivery.com", "DataDome captcha"),
    ("px-captcha", "PerimeterX captcha"),
    ("sucuri website firewall", "Sucuri firewall"),
    ("access denied</title>", "access denied page"),
    ("are you a robot", "robot check"),
    ("verify you are human", "human verification"),
    ("unusual traffic from your computer", "unusual-traffic block"),
)
_CAPTCHA = re.compile(r"\bcaptcha\b", re.IGNORECASE)


def detect_block_page(page: Page) -> str | None:
    """Return why ``page`` is a bot wall or challenge, or ``None`` if it looks like content.

    A 403/503/429 whose body is HTML is treated as a wall even without a known
    marker; a captcha word inside an ordinary 200 page (a comment mentioning
    one) is not, unless a known marker is present.
    """
    head = page.body[:65536].lower()
    for marker, why in _BLOCK_MARKERS:
        if marker in head:
            return why
    if page.status in (403, 503) and ("<html" in head or "<!doctype" in head):
        return f"HTTP {page.status} challenge page"
    if page.status in (403, 503) and _CAPTCHA.search(head):
        return f"HTTP {page.status} captcha"
    if page.status == 403:
        return "HTTP 403 Forbidden"
    return None
