"""The Source protocol, the request/page types the fetcher trades in, and bot-wall detection.

A source never does I/O and never touches the database. The engine asks it
for a :class:`Request`, fetches that through :mod:`scrapers.http`, and hands
the resulting :class:`Page` to :meth:`Source.read`, which checks for a bot
wall first and then calls the source's pure :meth:`Source.parse`.

A missing element that the site always renders is ``layout_changed`` (raise
:class:`LayoutChanged`), never ``not_found``: a broken scraper must not look
like a clean number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from lookup.models import Finding, Number, NumberKind, SourceKind, Status, iso_now
from lookup.settings import SourceConfig


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


@dataclass(frozen=True)
class Case:
    """One row of a source's test table: a recorded page and what parsing it must give.

    ``page`` is a path under ``tests/pages/<source>/``; ``expect`` maps Finding
    field names to expected values (``status`` at least).
    """

    id: str
    page: str
    number: str
    expect: Mapping[str, Any]
    http_status: int = 200
    content_type: str = "text/html; charset=utf-8"

    def mismatches(self, finding: Finding) -> list[str]:
        """How ``finding`` differs from ``expect`` (empty when it matches). ``facts`` compares
        the named keys only, ``comments`` the count, a ``(low, high)`` spam a range."""
        out = []
        for name, want in self.expect.items():
            got = getattr(finding, name)
            if name == "status":
                ok = got is Status(want)
            elif name == "comments":
                ok = len(got) == want
            elif name == "facts":
                got = {key: got.get(key) for key in want}
                ok = got == want
            elif name == "spam" and isinstance(want, tuple):
                ok = got is not None and want[0] <= got <= want[1]
            elif isinstance(want, float):
                ok = got is not None and abs(got - want) < 1e-6
            else:
                ok = got == want
            if not ok:
                out.append(f"{name}: got {got!r}, want {want!r} ({finding.status.value}: {finding.detail})")
        return out


class Source:
    """Base class for a lookup source. Subclasses set the class attributes and
    implement :meth:`request` and :meth:`parse`.

    ``regions`` is a set of ISO region codes the source covers; empty means
    every region. ``reliability`` (0..1) is how far the verdict trusts it.
    """

    name: ClassVar[str]
    title: ClassVar[str]  # as a person would name it: "shouldianswer.com"
    kind: ClassVar[SourceKind] = SourceKind.LOOKUP
    regions: ClassVar[frozenset[str]] = frozenset()
    default_base_url: ClassVar[str] = ""
    needs_key: ClassVar[bool] = False  # off until the user configures credentials
    enable_hint: ClassVar[str] = ""  # how a user enables it, shown by `whocalled sources`
    enabled_by_default: ClassVar[bool] = True
    reliability: ClassVar[float] = 0.6
    rate: ClassVar[float] = 1.0  # polite default: requests per second to its host
    ttl_found_days: ClassVar[float] = 30.0
    ttl_not_found_days: ClassVar[float] = 7.0
    CASES: ClassVar[tuple[Case, ...]] = ()
    # Live canaries for `pytest --online` and `whocalled sources --check`: a number the site
    # lists as spam, and an unremarkable one. Empty: the source has no canary yet.
    CANARIES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: SourceConfig | None = None):
        self.config = config or SourceConfig()

    # -- configuration
    @property
    def base_url(self) -> str:
        return (self.config.base_url or self.default_base_url).rstrip("/")

    @property
    def enabled(self) -> bool:
        if self.config.enabled is not None:
            return bool(self.config.enabled) and (not self.needs_key or self.has_credentials)
        return self.enabled_by_default and (not self.needs_key or self.has_credentials)

    @property
    def has_credentials(self) -> bool:
        return bool(self.config.api_key or self.config.token)

    def ttl_days(self, status: Status) -> float:
        if status is Status.FOUND:
            return self.config.ttl_days if self.config.ttl_days is not None else self.ttl_found_days
        if status is Status.NOT_FOUND:
            if self.config.not_found_ttl_days is not None:
                return self.config.not_found_ttl_days
            return self.ttl_not_found_days
        return 0.0

    def supports(self, number: Number) -> bool:
        """Whether this source can answer for ``number`` (a source declines, never fails)."""
        if number.kind is not NumberKind.NUMBER or number.e164 is None:
            return False
        return not self.regions or (number.region or "") in self.regions

    # -- the two halves a subclass writes
    def request(self, number: Number) -> Request:
        raise NotImplementedError

    def parse(self, page: Page, number: Number) -> Finding:
        """Pure: turn a fetched page into a finding. Raise LayoutChanged when the page
        lacks what the site always renders."""
        raise NotImplementedError

    # -- optional: a second request for --deep (e.g. the next page of comments)
    def deep_request(self, finding: Finding, number: Number) -> Request | None:
        """The follow-up request ``--deep`` should make after ``finding``, or None."""
        return None

    def merge(self, first: Finding, later: Finding) -> Finding:
        """Combine the first answer with the follow-up's."""
        return first

    # -- helpers for subclasses and the engine
    def finding(self, number: Number, status: Status, **fields: Any) -> Finding:
        return Finding(source=self.name, e164=number.e164 or "", status=status, fetched_at=iso_now(), **fields)

    def failure(self, number: Number, status: Status, reason: str) -> Finding:
        return self.finding(number, status, detail=reason)

    def read(self, page: Page, number: Number) -> Finding:
        """Bot-wall check, then :meth:`parse`; every failure becomes a finding status."""
        wall = detect_block_page(page)
        if wall:
            return self.failure(number, Status.BLOCKED, wall)
        if page.status == 429:
            return self.failure(number, Status.RATE_LIMITED, "HTTP 429 Too Many Requests")
        try:
            return self.parse(page, number)
        except SourceError as exc:
            return self.failure(number, exc.status, exc.reason)
        except Exception as exc:  # a parser bug must not take the other sources down
            return self.failure(number, Status.ERROR, f"parser failed: {type(exc).__name__}: {exc}")
