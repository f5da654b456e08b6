"""Evidence from the call log and the number's range (see :mod:`lookup.verdict` for the scale
and the reasons behind each weight): repeated and night calls, the timing signals (redials,
schedules, waves), calls that rang only a few seconds, and a number in a range reserved for
telemarketing. Pure functions, kept apart so the verdict stays readable.
"""

from __future__ import annotations

from lookup.models import Evidence, History, Number
from lookup.regions import REGION_NAMES
from lookup.telemarketing import range_of
from lookup.timing import DEFAULT_WAVES, SAME_TIME_DAYS, SHORT_RING_S, WaveRule

TELEMARKETING_POINTS = 20  # a legal sales caller: unwanted by most, never a scam by itself
SHORT_RINGS_POINTS = 20  # two or more silent calls that rang under 5 s: a dialler baiting a call back
SHORT_RINGS_MIN = 2  # one short ring is a slip of the thumb; two are a habit
# The weights of the call-log signals; why each is what it is: lookup.verdict's docstring.
URGENT_REDIAL_POINTS = -20  # called again after 1-10 minutes: a person who needs you
QUICK_REDIAL_POINTS = 15  # redialled within 30 s: a dialler's retry
SAME_TIME_POINTS = 20  # silent calls at the same time of day on 3+ days: a schedule
WAVE_POINTS = 30  # one of 5+ numbers of a block calling silently within a week: a campaign


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


def evidence_from_history(history: History | None, waves: WaveRule = DEFAULT_WAVES) -> list[Evidence]:
    if history is None:
        return []
    ev: list[Evidence] = []
    if history.silent_calls >= 2:
        ev.append(
            Evidence(
                "repeated_silent",
                min(10 * (history.silent_calls - 1), 30),
                f"Called you {history.silent_calls} times without leaving a message.",
                "call log",
            )
        )
    if history.night_calls:
        if history.silent_calls > 1:
            what = f"{history.night_calls} of its {history.silent_calls} silent calls came at night."
            ev.append(Evidence("night_calls", 10, what, "call log"))
        else:
            ev.append(_NIGHT_CALL)
    ev += _timing_evidence(history, waves)
    if history.outgoing_calls:
        ev.append(_CALLED_BEFORE)
    if history.answered_calls:
        ev.append(_ANSWERED_BEFORE)
    if history.voicemails:
        ev.append(_LEFT_VOICEMAIL)
    return ev


# Evidence is frozen: the items whose words never change are made once, not for every number.
_NIGHT_CALL = Evidence("night_calls", 10, "It called at night.", "call log")
_CALLED_BEFORE = Evidence("called_before", -30, "You have called this number yourself before.", "call log")
_ANSWERED_BEFORE = Evidence("answered_before", -10, "You have talked with this number before.", "call log")
_LEFT_VOICEMAIL = Evidence("left_voicemail", -5, "They left a voicemail before.", "call log")


def _times(n: int) -> str:
    return "" if n == 1 else f" ({n} times)"


def _timing_evidence(history: History, waves: WaveRule = DEFAULT_WAVES) -> list[Evidence]:
    """What the times of the calls say (see ``lookup.timing``)."""
    ev: list[Evidence] = []
    if history.urgent_redials:
        why = f"Called again a few minutes after a call you missed{_times(history.urgent_redials)}: someone who tries again that soon usually needs you."
        ev.append(Evidence("urgent_redial", URGENT_REDIAL_POINTS, why, "call log"))
    if history.quick_redials:
        why = f"Redialled within 30 seconds of a call you missed{_times(history.quick_redials)}: diallers retry that fast, people rarely do."
        ev.append(Evidence("quick_redial", QUICK_REDIAL_POINTS, why, "call log"))
    if history.same_time_days >= SAME_TIME_DAYS:
        why = f"Called silently at about the same time of day on {history.same_time_days} different days: the schedule of a calling machine."
        ev.append(Evidence("same_time_days", SAME_TIME_POINTS, why, "call log"))
    if history.wave_numbers and history.wave_block:
        why = f"One of {history.wave_numbers} numbers from {waves.pattern(history.wave_block)} that called you silently within {waves.days} days: one campaign rotating its caller ID."
        ev.append(Evidence("wave", WAVE_POINTS, why, "call log"))
    return ev
