"""Frozen value types shared by every part of whocalled.

Nothing here does I/O. The E.164 string (``"+12025550123"``) is the key for a
number everywhere; ``phonenumbers.PhoneNumber`` is mutable and unhashable, so
it never leaves ``lookup.numbers``. The types of call logs (:mod:`lookup.models_calls`) and of
verdicts (:mod:`lookup.models_verdicts`) are kept apart and imported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, NamedTuple

# Call-log and verdict types live in modules of their own; every importer may keep using this one.
from lookup.models_calls import (
    MAX_PROBLEMS as MAX_PROBLEMS,
    Call as Call,
    CallStatus as CallStatus,
    Direction as Direction,
    History as History,
    LogFormat as LogFormat,
    ReadTally as ReadTally,
)
from lookup.models_verdicts import CallBack as CallBack, Evidence as Evidence, Level as Level, Verdict as Verdict


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso_now() -> str:
    """The current time as ISO-8601 UTC with seconds, the form every ``*_at`` column uses."""
    return utc_now().isoformat(timespec="seconds")


# ---------------------------------------------------------------- numbers


class NumberKind(StrEnum):
    """What sort of thing the caller-ID field held."""

    NUMBER = "number"  # an ordinary dialable number, keyed by E.164
    WITHHELD = "withheld"  # Anonymous / Private / Restricted / empty
    SHORT_CODE = "short_code"  # carrier or SMS short code, e.g. 24273
    EMERGENCY = "emergency"  # 911, 112, 999 ...


class NumberType(StrEnum):
    """The number type phonenumbers derives from the numbering plan."""

    FIXED_LINE = "fixed_line"
    MOBILE = "mobile"
    FIXED_LINE_OR_MOBILE = "fixed_line_or_mobile"
    TOLL_FREE = "toll_free"
    PREMIUM_RATE = "premium_rate"
    SHARED_COST = "shared_cost"
    VOIP = "voip"
    PERSONAL = "personal"
    PAGER = "pager"
    UAN = "uan"
    VOICEMAIL = "voicemail"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Number:
    """A normalised number and what the number itself says.

    ``e164`` is ``None`` for withheld callers, short codes and emergency
    numbers; ``short`` then holds the dialled digits of a short code.
    """

    input: str
    kind: NumberKind = NumberKind.NUMBER
    e164: str | None = None
    extension: str | None = None
    short: str | None = None
    region: str | None = None  # ISO 3166-1 alpha-2, "001" for non-geographic
    country_code: int | None = None
    national: str | None = None
    international: str | None = None
    valid: bool = False
    possible: bool = False
    type: NumberType = NumberType.UNKNOWN
    location: str | None = None
    carrier: str | None = None
    time_zones: tuple[str, ...] = ()
    telemarketing: str | None = None  # the reserved telemarketing range it is in ("+33162"; lookup.telemarketing)

    @property
    def withheld(self) -> bool:
        return self.kind is NumberKind.WITHHELD

    @property
    def national_significant(self) -> str | None:
        """The digits after the country code (``"2025550123"`` for ``+12025550123``)."""
        if self.e164 is None or self.country_code is None:
            return None
        return self.e164[1 + len(str(self.country_code)) :]

    @property
    def is_nanp(self) -> bool:
        return self.country_code == 1


# ---------------------------------------------------------------- sources and findings


class Status(StrEnum):
    """How one source's attempt to answer for one number ended."""

    FOUND = "found"
    NOT_FOUND = "not_found"
    BLOCKED = "blocked"  # bot wall, captcha, challenge 403/503
    RATE_LIMITED = "rate_limited"
    LAYOUT_CHANGED = "layout_changed"
    ERROR = "error"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"  # the source does not cover this number

    @property
    def is_definite(self) -> bool:
        """Only definite answers are cached as fresh; the rest never count as "clean"."""
        return self in (Status.FOUND, Status.NOT_FOUND)


class SourceKind(StrEnum):
    """How a source is asked (each kind has its interface in :mod:`scrapers.base`)."""

    LOOKUP = "lookup"  # asked over HTTP for one number at a time
    DATASET = "dataset"  # synced in bulk into local tables, looked up offline
    PREFIX = "prefix"  # answers for a number block (NPA-NXX), cached per block
    LISTING = "listing"  # a directory of named places or organisations, synced and matched locally


class EvidenceKind(StrEnum):
    """What a finding is evidence of; the verdict weighs each kind its own way.

    ``opinion``: a community's or a service's judgement, ``spam`` 0..1 backed by ``reports``.
    ``complaints``: first-hand complaints filed with a regulator; ``spam`` is
    :func:`lookup.verdict.complaint_spam` of them (one curve for sources and verdict).
    ``numbering``: numbering-plan records (who holds a prefix); ``spam`` set only when the
    records prove the caller ID forged (an unassigned prefix).
    ``listing``: the number is listed as a named place or organisation's.
    """

    OPINION = "opinion"
    COMPLAINTS = "complaints"
    NUMBERING = "numbering"
    LISTING = "listing"


class Category(StrEnum):
    """Kinds of unwanted call, shared by sources and the user's own reports."""

    ROBOCALL = "robocall"
    SCAM = "scam"
    TELEMARKETER = "telemarketer"
    DEBT_COLLECTOR = "debt_collector"
    SURVEY = "survey"
    POLITICAL = "political"
    SILENT = "silent"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Comment:
    """One public comment about a number, as a site showed it (plain text, never HTML)."""

    text: str
    at: str | None = None  # ISO date or datetime when the site gave one
    caller: str | None = None
    call_type: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Finding:
    """What one source said about one number at one time.

    ``spam`` is the source's signal normalised to 0..1 (1 = certainly spam) and
    ``reports`` how many reports, complaints, votes or reviews back it.
    ``detail`` is a short human reason, always set for non-definite statuses.
    ``facts`` holds source-specific key facts (JSON-serialisable).
    """

    source: str
    e164: str
    status: Status
    fetched_at: str = field(default_factory=iso_now)
    name: str | None = None
    spam: float | None = None
    reports: int | None = None
    categories: tuple[str, ...] = ()
    last_reported: str | None = None
    url: str | None = None
    detail: str | None = None
    excerpt: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    comments: tuple[Comment, ...] = ()
    cached: bool = False
    evidence: EvidenceKind = EvidenceKind.OPINION  # set by the source from its class; the verdict reads it


# ---------------------------------------------------------------- what the engine hands to sources


@dataclass(frozen=True)
class ComplaintSummary:
    """What one complaint dataset holds about one number. ``subjects`` and ``call_types`` are
    ``(value, count)`` pairs, most frequent first."""

    e164: str
    complaints: int
    latest: str | None
    robocalls: int  # rows that say "robocall: yes"
    robocall_known: int  # rows that say yes or no
    subjects: tuple[tuple[str, int], ...] = ()
    call_types: tuple[tuple[str, int], ...] = ()

    @property
    def robocall_share(self) -> float | None:
        return self.robocalls / self.robocall_known if self.robocall_known else None


@dataclass
class SyncState:
    """Progress of one dataset's sync. ``state`` is free-form JSON kept by :mod:`lookup.sync`
    (per-day and per-file progress)."""

    dataset: str
    last_date: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    rows: int = 0
    updated_at: str | None = None
    detail: str | None = None
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CachedPrefix:
    """A stored answer of a prefix source for one number block (``"780-809"``)."""

    prefix: str
    source: str
    status: Status
    facts: dict[str, Any]
    fetched_at: str
    expires_at: str


class Listing(NamedTuple):
    """One number of a named place or organisation, as a listing directory (OpenStreetMap,
    Wikidata) holds it. ``ref`` is the directory's own id (``node/123``, ``Q35525``); ``area``
    the synced area it came with; ``kind`` what it is in plain words ("pharmacy")."""

    source: str
    area: str
    ref: str
    e164: str
    name: str | None = None
    kind: str | None = None
    address: str | None = None
    website: str | None = None
    opening_hours: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class ListingArea:
    """One synced area of a listing directory: how many numbers it holds and when it was synced."""

    source: str
    area: str
    rows: int
    synced_at: str
    detail: str | None = None


# ---------------------------------------------------------------- the user's lists and reports


class ListKind(StrEnum):
    BLOCK = "block"
    ALLOW = "allow"


@dataclass(frozen=True, slots=True)
class ListEntry:
    """A block or allow entry: an exact E.164 number or a prefix pattern ending in ``*``."""

    pattern: str
    kind: ListKind
    reason: str | None = None
    added_at: str = field(default_factory=iso_now)
    origin: str = "user"  # user, triage, import:<file>, contacts, server

    @property
    def is_prefix(self) -> bool:
        return self.pattern.endswith("*")

    @property
    def prefix(self) -> str:
        return self.pattern.rstrip("*")

    def matches(self, e164: str | None) -> bool:
        if e164 is None:
            return False
        if self.is_prefix:
            return e164.startswith(self.prefix)
        return e164 == self.pattern


@dataclass(frozen=True, slots=True)
class Report:
    """The user's own deliberate spam report about a number."""

    e164: str
    category: Category
    note: str | None = None
    at: str | None = None  # when the call came, ISO UTC
    created_at: str = field(default_factory=iso_now)
    id: int | None = None
    submitted_to: str | None = None
    submission: str | None = None  # result text of a submission
