"""Evidence from call patterns that sit beside the timing signals (see :mod:`lookup.verdict` for the
scale and the reasons behind each weight): a number in a range reserved for telemarketing, and
calls that rang only a few seconds. Pure functions, kept apart so the verdict stays readable.
"""

from __future__ import annotations

from lookup.models import Evidence, History, Number
from lookup.regions import REGION_NAMES
from lookup.telemarketing import range_of
from lookup.timing import SHORT_RING_S

TELEMARKETING_POINTS = 20  # a legal sales caller: unwanted by most, never a scam by itself
SHORT_RINGS_POINTS = 20  # two or more silent calls that rang under 5 s: a dialler baiting a call back
SHORT_RINGS_MIN = 2  # one short ring is a slip of the thumb; two are a habit


def telemarketing_evidence(number: Number) -> list[Evidence]:
    """The number is in a range its country reserves for telemarketing."""
    found = range_of(number.telemarketing) if number.telemarketing else None
    if found is None:
        return []
    country = REGION_NAMES.get(found.region, found.region)
    why = (f"Telemarketing (legal range): {number.national or number.e164} is in a range {country} reserves for "
           f"sales calls ({found.authority}). A sales pitch, not a scam.")
    return [Evidence("telemarketing_range", TELEMARKETING_POINTS, why, found.authority or "numbering plan")]


def short_ring_evidence(history: History | None) -> list[Evidence]:
    """Silent calls that rang under :data:`SHORT_RING_S` seconds, when the log says how long."""
    if history is None or history.short_rings < SHORT_RINGS_MIN:
        return []
    why = (f"{history.short_rings} of its silent calls rang for less than {SHORT_RING_S} seconds: too short to pick up, "
           "the trick of diallers that want a missed call and a call back.")
    return [Evidence("short_rings", SHORT_RINGS_POINTS, why, "call log")]
