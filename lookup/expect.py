"""Calls the user is waiting for (``whocalled expect``): a courier, a clinic, a repair firm, a
bank's verification. Such calls come from numbers never seen before, so without this they
look like any unknown caller, or worse.

An expectation names who is expected and which callers may be them: one number, a prefix
(``+4420*``), or a country; with none of these, any number of the home country (the ``region``
setting). It is open until its end (default :data:`DEFAULT_DAYS` days; a date alone means the
end of that day, local time) or until the user closes it (``--done``); then it stops matching.

While one is open, a matching caller is "maybe the call you expect from DHL": the evidence
item :data:`EXPECTED` (:data:`EXPECTED_POINTS`), call-back advice ``yes``, and a level no
higher than ``unknown``, so ``triage --block-spam`` never blocks it and the server's screen
lets it ring. Which callers it does *not* take (:func:`match_expectation`):

- the user's own word says otherwise: the caller is on the block list, or the user reported
  it (a caller already on the allowlist or in the contacts needs no expectation);
- the number proves the call is not the expected one: an invalid or impossible number, the
  user's own number, an unassigned prefix (forged caller ID), a premium-rate number;
- for a country-wide expectation only: the rest of the evidence reaches "likely spam". A
  country is wide and a spam campaign from it more likely than the courier; the reasons say
  the caller matched, with no weight. An expectation for a number or prefix the user named
  still wins over other people's reports and call patterns: firms that call many people
  (couriers, clinics' call centres) collect complaints, and the user said they expect them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Sequence

from lookup.models import Evidence, Number, iso_now

if TYPE_CHECKING:
    from db.store import Store
    from lookup.settings import Settings, Thresholds

EXPECTED = "expected_call"  # the evidence item's signal
EXPECTED_DOUBTED = "expected_call_doubted"  # matched a country-wide one, but the evidence is against it
EXPECTED_POINTS = -40  # the user's own word, for a while: as much as a named place's listing
DEFAULT_DAYS = 7  # how long an expectation stays open when no --until is given
MAX_WHO = 80  # characters kept of who is expected

# Signals that rule an expectation out whatever its scope (see the module docstring).
RULED_OUT = frozenset(
    {"allowlist", "blocklist", "contact", "user_report", "invalid", "impossible", "own_number",
     "unassigned_prefix", "premium_rate"}
)


class ExpectError(ValueError):
    """An expectation that cannot be stored or closed; the message is one line."""


class Scope(StrEnum):
    NUMBER = "number"
    PREFIX = "prefix"
    COUNTRY = "country"


@dataclass(frozen=True)
class Expectation:
    """One expected call. ``pattern`` is an E.164 number, a ``+CC...*`` prefix or a region code."""

    id: int
    who: str
    scope: Scope
    pattern: str
    until_at: str  # ISO UTC
    created_at: str
    done_at: str | None = None

    def matches(self, number: Number) -> bool:
        if number.e164 is None:
            return False
        if self.scope is Scope.NUMBER:
            return number.e164 == self.pattern
        if self.scope is Scope.PREFIX:
            return number.e164.startswith(self.pattern.rstrip("*"))
        return number.region == self.pattern

    @property
    def specificity(self) -> int:
        """How narrowly it names the caller: a number, then longer prefixes, then a country."""
        if self.scope is Scope.NUMBER:
            return 100
        return len(self.pattern) if self.scope is Scope.PREFIX else 0

    def callers(self) -> str:
        """Which callers match, in words."""
        if self.scope is Scope.NUMBER:
            return self.pattern
        if self.scope is Scope.PREFIX:
            return f"numbers starting {self.pattern.rstrip('*')}"
        from lookup.verdict import region_name

        return f"any number from {region_name(self.pattern)}"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "who": self.who, "scope": self.scope.value, "pattern": self.pattern,
                "until_at": self.until_at, "created_at": self.created_at, "done_at": self.done_at}


@dataclass(frozen=True)
class Match:
    """An expectation that matched a caller, the evidence item it adds, and whether it applies
    (a doubted country-wide match is shown with no weight and changes nothing else)."""

    expectation: Expectation
    evidence: Evidence
    applies: bool

    @property
    def advice(self) -> str:
        return f"Maybe the call you expect from {self.expectation.who}: call back."


def match_expectation(
    number: Number, expectations: Sequence[Expectation], evidence: Sequence[Evidence], thresholds: "Thresholds"
) -> Match | None:
    """The open expectation that ``number`` may be the call of (the most specific one, then the
    one ending first), given the rest of the ``evidence``; None when none matches or the
    evidence rules the caller out (see the module docstring)."""
    found = [x for x in expectations if x.matches(number)]
    if not found or any(e.signal in RULED_OUT for e in evidence):
        return None
    best = max(found, key=lambda x: (x.specificity, -found.index(x)))
    label = f"(expectation #{best.id}: {best.callers()})"
    if best.scope is Scope.COUNTRY and sum(e.weight for e in evidence) >= thresholds.likely_spam:
        why = (f"It would fit the call you expect from {best.who} {label}, but the evidence against it "
               "is too strong to take it for that call.")
        return Match(best, Evidence(EXPECTED_DOUBTED, 0, why, "you"), applies=False)
    why = f"Maybe the call you expect from {best.who} {label}."
    return Match(best, Evidence(EXPECTED, EXPECTED_POINTS, why, "you"), applies=True)


# ---------------------------------------------------------------- stored expectations


def add_expectation(
    store: "Store", settings: "Settings", who: str, *, number: str | None = None, prefix: str | None = None,
    country: str | None = None, until: str | None = None, now: datetime | None = None,
) -> Expectation:
    """Store a new open expectation; raises :class:`ExpectError` for input it cannot take."""
    from lookup.lists import ListError, list_pattern
    from lookup.text import clean_text

    name = clean_text(who, MAX_WHO)
    if not name:
        raise ExpectError("say who you expect a call from, e.g. whocalled expect \"DHL\"")
    if sum(x is not None for x in (number, prefix, country)) > 1:
        raise ExpectError("give at most one of --number, --prefix and --country")
    try:
        if number is not None:
            scope, pattern = Scope.NUMBER, list_pattern(number, settings.region)
            if pattern.endswith("*"):
                raise ExpectError(f"--number takes one number, not a range: use --prefix {number.strip()[:40]}")
        elif prefix is not None:
            text = prefix.strip()
            scope, pattern = Scope.PREFIX, list_pattern(text if text.endswith("*") else text + "*", settings.region)
        else:
            scope, pattern = Scope.COUNTRY, check_country(country) if country is not None else settings.region
    except ListError as exc:
        raise ExpectError(f"--{'number' if number is not None else 'prefix'}: {exc}") from None
    moment = now or datetime.now(timezone.utc)
    until_at = until_time(until, moment)
    rid = store.add_expectation(name, scope.value, pattern, until_at, iso_now())
    return expectation_of(store.expectation_row(rid))  # type: ignore[arg-type]


def check_country(raw: str) -> str:
    from lookup.regions import REGION_NAMES

    code = raw.strip().upper()
    if code not in REGION_NAMES:
        raise ExpectError(f"--country: not a two-letter country code such as GB or US: {raw[:20]!r}")
    return code


_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def until_time(text: str | None, now: datetime) -> str:
    """When an expectation ends, as ISO UTC: ``text`` read by :func:`lookup.lists.parse_when`
    (a date alone is the end of that day, local time), or :data:`DEFAULT_DAYS` from ``now``."""
    from lookup.lists import ListError, parse_when

    if text is None or not text.strip():
        return (now + timedelta(days=DEFAULT_DAYS)).isoformat(timespec="seconds")
    plain = text.strip()
    try:
        until = parse_when(plain + " 23:59:59" if _PLAIN_DATE.fullmatch(plain) else plain)
    except ListError as exc:
        raise ExpectError(f"--until: {exc}") from None
    if datetime.fromisoformat(until) <= now:
        raise ExpectError(f"--until: {text.strip()[:40]} is already past")
    return until


def open_expectations(store: "Store", now: str | None = None) -> list[Expectation]:
    """The expectations open at ``now`` (ISO UTC, default now), soonest to end first."""
    return [expectation_of(row) for row in store.open_expectation_rows(now or iso_now())]


def close_expectation(store: "Store", expectation_id: int) -> Expectation:
    """Mark one expectation done; returns it as it was. An unknown or closed one is an error
    (one that ended by itself may still be closed: it then leaves the list for good)."""
    row = store.expectation_row(expectation_id)
    if row is None:
        raise ExpectError(f"there is no expectation #{expectation_id} (see: whocalled expect)")
    found = expectation_of(row)
    if found.done_at is not None:
        raise ExpectError(f"expectation #{expectation_id} ({found.who}) was already closed")
    store.close_expectation(expectation_id, iso_now())
    return found


def expectation_of(row: Sequence[Any]) -> Expectation:
    return Expectation(int(row[0]), row[1], Scope(row[2]), row[3], row[4], row[5], row[6])
