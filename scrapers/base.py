"""The source contract: one interface per kind of source, and the test-table row every source
fills. The request/page types the fetcher trades in, the source errors and bot-wall detection
are in :mod:`scrapers.pages` (imported here, so ``from scrapers.base import Page`` still works).

A source never does I/O and never touches the store. There are four kinds, each
an explicit class here; a source subclasses the one (or two) that fit:

- :class:`Source` (per number, ``SourceKind.LOOKUP``): the engine asks it for a
  :class:`Request`, fetches that through :mod:`scrapers.http`, and hands the
  resulting :class:`Page` to :meth:`Source.read`, which checks for a bot wall
  first and then calls the source's pure :meth:`Source.parse`.
- :class:`PrefixSource` (per number block, ``SourceKind.PREFIX``): fetched like a
  per-number source but once per :meth:`PrefixSource.cache_key`; the engine
  keeps the answer's facts per block and hands a stored one back to
  :meth:`PrefixSource.cached_finding` for any number of that block.
- :class:`DatasetSource` (bulk dataset, ``SourceKind.DATASET``): synced into
  local tables by :mod:`lookup.sync`; at lookup time the engine reads what the
  source needs (its sync state and per-number complaint summaries) and hands it
  over as a :class:`DatasetView` to :meth:`DatasetSource.local_findings`.
- :class:`ListingSource` (listing directory, ``SourceKind.LISTING``): named
  places or organisations synced in bulk; the engine hands the listings that
  match a number to :meth:`ListingSource.listing_findings`.

Every source declares what its findings are evidence of (``evidence``, an
:class:`~lookup.models.EvidenceKind`); :meth:`SourceBase.finding` stamps it on
each finding, and the verdict weighs findings by that field alone.

A missing element that the site always renders is ``layout_changed`` (raise
:class:`LayoutChanged`), never ``not_found``: a broken scraper must not look
like a clean number.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Sequence

from datetime import date, datetime

from lookup.models import (
    CachedPrefix, ComplaintSummary, EvidenceKind, Finding, Listing, Number, NumberKind, SourceKind, Status, SyncState,
    iso_now,
)
from lookup.settings import SourceConfig
from scrapers.pages import (
    Blocked as Blocked,
    FetchError as FetchError,
    LayoutChanged as LayoutChanged,
    Page,
    RateLimited as RateLimited,
    Request,
    SourceError,
    detect_block_page,
)


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


class SourceBase(ABC):
    """What every source is, whatever its kind: a name, what it covers, its configuration,
    what its findings are evidence of, its recorded test pages and its live canaries.

    ``regions`` is a set of ISO region codes the source covers; empty means
    every region. ``reliability`` (0..1) is how far the verdict trusts it.
    """

    name: ClassVar[str]
    title: ClassVar[str]  # as a person would name it: "shouldianswer.com"
    kind: ClassVar[SourceKind] = SourceKind.LOOKUP
    evidence: ClassVar[EvidenceKind] = EvidenceKind.OPINION
    regions: ClassVar[frozenset[str]] = frozenset()
    default_base_url: ClassVar[str] = ""
    needs_key: ClassVar[bool] = False  # off until the user configures credentials
    enable_hint: ClassVar[str] = ""  # how a user enables it, shown by `whocalled sources`
    enabled_by_default: ClassVar[bool] = True
    reliability: ClassVar[float] = 0.6
    rate: ClassVar[float] = 1.0  # polite default: requests per second to its host
    ttl_found_days: ClassVar[float] = 30.0
    ttl_not_found_days: ClassVar[float] = 7.0
    # Recorded pages (tests/pages/<name>/) and what reading each must give; the case-table
    # tests iterate the registry, so every source's table runs.
    CASES: ClassVar[tuple[Case, ...]] = ()
    # Live canaries for `pytest --online` and `whocalled sources --check`: numbers whose answer
    # must parse to found or not_found (usually a much-reported one and an unremarkable one).
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

    # -- helpers for subclasses and the engine
    def finding(self, number: Number, status: Status, **fields: Any) -> Finding:
        if "fetched_at" not in fields:  # (setdefault would work the time out even when given)
            fields["fetched_at"] = iso_now()
        return Finding(source=self.name, e164=number.e164 or "", status=status, evidence=self.evidence, **fields)

    def failure(self, number: Number, status: Status, reason: str) -> Finding:
        return self.finding(number, status, detail=reason)


class Source(SourceBase):
    """A per-number source (``SourceKind.LOOKUP``): subclasses set the class attributes and
    implement :meth:`request` and :meth:`parse`; the engine fetches and calls :meth:`read`."""

    kind: ClassVar[SourceKind] = SourceKind.LOOKUP

    # -- the two halves a subclass writes
    @abstractmethod
    def request(self, number: Number) -> Request:
        """What to fetch for ``number``."""

    @abstractmethod
    def parse(self, page: Page, number: Number) -> Finding:
        """Pure: turn a fetched page into a finding. Raise LayoutChanged when the page
        lacks what the site always renders."""

    def comments_url(self, number: Number) -> str | None:
        """The page about ``number`` a person can open and comment on (the links a lookup
        shows), for a number this source :meth:`supports`: the URL of :meth:`request` when it
        is a plain page (a GET of HTML, no parameters or headers), else None (an API). A source
        whose request is always such a page overrides this to make the URL alone and builds its
        request from it: a triage makes this link for every number it prints, and a Request
        built only to be thrown away cost about as much as the rest of the link."""
        request = self.request(number)
        if request.expect == "html" and request.method == "GET" and not request.params and not request.headers:
            return request.url
        return None

    # -- optional: a second request for --deep (e.g. the next page of comments)
    def deep_request(self, finding: Finding, number: Number) -> Request | None:
        """The follow-up request ``--deep`` should make after ``finding``, or None."""
        return None

    def merge(self, first: Finding, later: Finding) -> Finding:
        """Combine the first answer with the follow-up's."""
        return first

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


NumberSource = Source  # the per-number kind, under the name the other kinds follow


class PrefixSource(Source):
    """A per-block source (``SourceKind.PREFIX``): asked once per :meth:`cache_key` (an NPA-NXX)
    with the per-number :meth:`request`/:meth:`parse`; its answer's ``facts`` are stored per block
    by the engine and turned back into a finding for any number of the block."""

    kind: ClassVar[SourceKind] = SourceKind.PREFIX
    evidence: ClassVar[EvidenceKind] = EvidenceKind.NUMBERING

    @abstractmethod
    def cache_key(self, number: Number) -> str:
        """The block this source answers for (``"780-809"``)."""

    @abstractmethod
    def cached_finding(self, number: Number, cached: CachedPrefix) -> Finding:
        """A stored block answer as a finding for ``number`` (marked cached)."""


@dataclass(frozen=True)
class DatasetView:
    """What the engine read from the store for a dataset source: its sync state (None when never
    synced) and the complaint summaries of the numbers asked that have rows."""

    state: SyncState | None
    summaries: Mapping[str, ComplaintSummary]
    today: date


class DatasetSource(SourceBase):
    """A bulk dataset (``SourceKind.DATASET``) synced into local tables by :mod:`lookup.sync`.
    ``dataset`` names its rows in the store; the engine reads them and calls
    :meth:`local_findings`, which never touches the store itself."""

    kind: ClassVar[SourceKind] = SourceKind.DATASET
    evidence: ClassVar[EvidenceKind] = EvidenceKind.COMPLAINTS
    dataset: ClassVar[str]

    @abstractmethod
    def local_findings(self, numbers: Sequence[Number], view: DatasetView) -> dict[str, Finding]:
        """One finding per covered number (by E.164) from the synced data in ``view``."""


class ListingSource(SourceBase):
    """A listing directory (``SourceKind.LISTING``): named places or organisations and their
    numbers, synced in bulk by area (:mod:`lookup.sync_listings`) and matched locally (a number
    found there belongs to someone named). The engine reads the listings in the blocks of 100
    of the numbers asked (one query per batch) and hands them to :meth:`listing_findings`.

    A subclass names its directory's page for an entry (:meth:`place_url`) and the
    ``attribution`` its licence asks for wherever a name from it is shown."""

    kind: ClassVar[SourceKind] = SourceKind.LISTING
    evidence: ClassVar[EvidenceKind] = EvidenceKind.LISTING
    attribution: ClassVar[str] = ""
    ttl_found_days: ClassVar[float] = 0.0  # answered from the synced rows at every lookup, never cached

    @abstractmethod
    def place_url(self, ref: str) -> str:
        """The directory's public page for the entry ``ref`` (``node/123``, ``Q35525``)."""

    def listing_findings(
        self, numbers: Sequence[Number], blocks: Mapping[str, Sequence[Listing]], now: datetime,
        default_zone: str | None = None,
    ) -> dict[str, Finding]:
        """Per number (by E.164): a finding naming the places listed with exactly this number
        (``facts["match"] == "exact"``), else one about the listed numbers in its block of 100
        (``"block"``, no name: only a hint), else nothing. ``blocks`` maps a block (the key
        without its last two digits) to its listings of every source; ``now`` is aware."""
        from lookup.describe import listing_words
        from lookup.opening_hours import describe_hours

        out: dict[str, Finding] = {}
        for number in numbers:
            key = number.e164 or ""
            mine = [x for x in blocks.get(key[:-2], ()) if x.source == self.name]
            exact = [x for x in mine if x.e164 == key]
            zone = next((z for z in number.time_zones if "/" in z and not z.startswith("Etc/")), default_zone)
            if exact:
                entries = [self.listing_entry(x, describe_hours(x.opening_hours, now, zone)) for x in exact]
                first = next((e for e in entries if e["name"]), entries[0])
                out[key] = self.finding(
                    number, Status.FOUND, name=first["name"], url=first["url"], detail=listing_words(first),
                    facts={"match": "exact", "listings": entries},
                )
            elif mine:
                closest: dict[str, Listing] = {}  # one row per place, the nearest number first
                for x in sorted(mine, key=lambda x: abs(int(x.e164[1:]) - int(key[1:]))):
                    closest.setdefault(x.ref, x)
                firsts = list(closest.values())[:3]
                near = [{**self.listing_entry(x, None), "e164": x.e164} for x in firsts]
                out[key] = self.finding(number, Status.FOUND, url=near[0]["url"], detail=listing_words(near[0]),
                                        facts={"match": "block", "listings": near})
        return out

    def listing_entry(self, listing: Listing, hours: Any) -> dict[str, Any]:
        """One listed place as the ``listings`` JSON shows it."""
        return {
            "name": listing.name,  # None for a place without one: never a caller name then
            "kind": listing.kind,
            "address": listing.address,
            "website": listing.website,
            "opening_hours": listing.opening_hours,
            "open_now": hours.open if hours is not None else None,
            "hours": hours.words if hours is not None else None,
            "source": self.name,
            "url": self.place_url(listing.ref),
            "attribution": self.attribution,
        }

