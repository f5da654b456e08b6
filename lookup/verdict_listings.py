"""How listings weigh in the verdict (see :mod:`lookup.verdict` for the scale): pure functions
over findings and evidence, kept apart so the verdict stays readable.

A number listed exactly as a named place's or organisation's counts once towards likely OK
(``LISTED_POINTS``), however many directories agree; one in the same block of 100 as a listed
number is a hint (``NEAR_LISTED_POINTS``). Evidence against the number (complaints, opinions,
the user's reports, an unassigned prefix) that reaches the suspicious threshold takes the
listing's weight away: it is still shown, so the person sees both.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from lookup.describe import listing_words
from lookup.models import Evidence, EvidenceKind, Finding, Status

LISTED_POINTS = -40.0
NEAR_LISTED_POINTS = -5.0
AGAINST_SIGNALS = ("complaints:", "source:", "user_report", "unassigned_prefix")


def listing_evidence(f: Finding, *, listed: bool) -> Evidence:
    """A listing finding as evidence: an exact match names the place (weighs once), a
    same-block match is a hint."""
    entries = f.facts.get("listings") or [{}]
    credit = f"; {entries[0]['attribution']}" if entries[0].get("attribution") else ""
    if f.facts.get("match") == "exact":
        return Evidence("listing", 0 if listed else LISTED_POINTS, f"Listed as {f.detail}{credit}.", f.source)
    return Evidence(
        "listing_block", 0 if listed else NEAR_LISTED_POINTS,
        f"Next to the listed number of {f.detail}{credit}: businesses often call from other lines of their block.",
        f.source,
    )


def weigh_listing(ev: list[Evidence], suspicious: float) -> list[Evidence]:
    """The listing keeps its weight unless the evidence against the number is strong (at least
    the suspicious threshold): then it is shown, weighing nothing."""
    against = sum(e.weight for e in ev if e.weight > 0 and e.signal.startswith(AGAINST_SIGNALS))
    if against < suspicious:
        return ev
    return [
        Evidence(e.signal, 0, f"{e.detail} The evidence against the number weighs more.", e.source)
        if e.signal in ("listing", "listing_block") and e.weight < 0 else e
        for e in ev
    ]


def listed_place(findings: Sequence[Finding]) -> dict | None:
    """The first place listed with exactly this number (a ``listings`` entry), or None."""
    for f in findings:
        if f.evidence is EvidenceKind.LISTING and f.status is Status.FOUND and f.facts.get("match") == "exact":
            entries = f.facts.get("listings") or []
            if entries:
                return entries[0]
    return None


def listed_advice(place: Mapping) -> str:
    """Who calling back reaches: "Apotheke am Markt (pharmacy), Hauptstr. 5: open now until 18:30"."""
    words = listing_words(place)
    if place.get("hours"):
        words += f": {place['hours']}"
    elif place.get("opening_hours"):
        words += f" (opening hours: {place['opening_hours']})"
    return (f"It is the listed number of {words}. Calling back reaches them, even if this call's caller ID"
            " was faked.")
