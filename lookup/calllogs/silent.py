"""Which calls were silent, and what a log says about each number over time.

A *silent missed call* is an incoming call nobody talked on and that left no
message: status ``missed``, or ``answered`` with a length of zero seconds,
with no voicemail from the same number (withheld counts as one caller) within
``voicemail_window_s`` before or after it. Rejected and blocked calls are
refused, not missed: they are kept apart, never counted as silent.

:func:`build_histories` reads calls in one pass and keeps per number only
counters and the times of its missed calls and voicemails, so its memory
grows with the numbers and their missed calls, not with the whole log.
"""

from __future__ import annotations

import bisect
import hashlib
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from lookup.models import Call, CallStatus, Direction, History

from .common import resolve_zone

DEFAULT_VOICEMAIL_WINDOW_S = 300
NIGHT_STARTS, NIGHT_ENDS = 21, 8  # local hours: 21:00 up to 08:00
WITHHELD_KEY = ""


def call_key(call: Call) -> str:
    """A stable identity for de-duplication: the same call read twice gives the same key.

    Built from number, time (UTC, whole seconds), direction, status and
    duration; the log format is left out so one call exported twice in two
    formats collapses too.
    """
    at = call.at.astimezone(timezone.utc).replace(microsecond=0).isoformat()
    duration = "" if call.duration is None else str(call.duration)
    text = "|".join((call.e164 or WITHHELD_KEY, at, call.direction.value, call.status.value, duration))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def is_unanswered_incoming(call: Call) -> bool:
    """Incoming and nobody talked: missed, or "answered" for zero seconds."""
    if call.direction is not Direction.INCOMING:
        return False
    return call.status is CallStatus.MISSED or (call.status is CallStatus.ANSWERED and call.duration == 0)


def is_refused(call: Call) -> bool:
    return call.direction is Direction.INCOMING and call.status in (CallStatus.REJECTED, CallStatus.BLOCKED)


def voicemail_times(calls: Iterable[Call]) -> dict[str, list[float]]:
    """Sorted Unix times of the voicemails in ``calls``, per number ("" for withheld)."""
    times: dict[str, list[float]] = {}
    for call in calls:
        if call.status is CallStatus.VOICEMAIL:
            times.setdefault(call.e164 or WITHHELD_KEY, []).append(call.at.timestamp())
    for values in times.values():
        values.sort()
    return times


def has_near(times: Sequence[float], when: float, window_s: float) -> bool:
    """Whether sorted ``times`` holds a value within ``window_s`` of ``when``."""
    at = bisect.bisect_left(times, when - window_s)
    return at < len(times) and times[at] <= when + window_s


def is_silent_missed(
    call: Call, voicemails: Mapping[str, Sequence[float]], *, window_s: int = DEFAULT_VOICEMAIL_WINDOW_S
) -> bool:
    """Whether ``call`` is a silent missed call, given :func:`voicemail_times` of the same log."""
    if not is_unanswered_incoming(call):
        return False
    return not has_near(voicemails.get(call.e164 or WITHHELD_KEY, ()), call.at.timestamp(), window_s)


@dataclass(frozen=True)
class CallGroups:
    """The calls that need a decision: silent missed ones, and refused (rejected/blocked) ones apart."""

    silent: list[Call]
    refused: list[Call]


def separate_calls(calls: Iterable[Call], *, voicemail_window_s: int = DEFAULT_VOICEMAIL_WINDOW_S) -> CallGroups:
    """Silent missed calls and refused calls, each in log order."""
    calls = list(calls)
    voicemails = voicemail_times(calls)
    silent = [c for c in calls if is_silent_missed(c, voicemails, window_s=voicemail_window_s)]
    return CallGroups(silent=silent, refused=[c for c in calls if is_refused(c)])


def find_silent_calls(calls: Iterable[Call], *, voicemail_window_s: int = DEFAULT_VOICEMAIL_WINDOW_S) -> list[Call]:
    """Missed (or zero-second) incoming calls with no voicemail from that number close in time."""
    return separate_calls(calls, voicemail_window_s=voicemail_window_s).silent


def is_night(at: datetime | float, zone: ZoneInfo | None = None) -> bool:
    """Whether a moment falls between 21:00 and 08:00 in ``zone`` (default: the machine's zone)."""
    stamp = at.timestamp() if isinstance(at, datetime) else at
    local = datetime.fromtimestamp(stamp, zone) if zone is not None else datetime.fromtimestamp(stamp)
    return local.hour >= NIGHT_STARTS or local.hour < NIGHT_ENDS


@dataclass
class _Tally:
    """What one pass keeps per number."""

    unanswered: array = field(default_factory=lambda: array("d"))
    voicemails: array = field(default_factory=lambda: array("d"))
    first: float = float("inf")
    last: float = float("-inf")
    outgoing: int = 0
    answered: int = 0
    name: str | None = None
    name_at: float = float("-inf")

    def add(self, call: Call) -> None:
        when = call.at.timestamp()
        self.first = min(self.first, when)
        self.last = max(self.last, when)
        if call.name and when >= self.name_at:
            self.name, self.name_at = call.name, when
        if call.direction is Direction.OUTGOING:
            self.outgoing += 1
        elif call.status is CallStatus.VOICEMAIL:
            self.voicemails.append(when)
        elif is_unanswered_incoming(call):
            self.unanswered.append(when)
        elif call.status is CallStatus.ANSWERED:
            self.answered += 1

    def to_history(self, zone: ZoneInfo | None, window_s: int) -> History:
        voicemails = sorted(self.voicemails)
        silent = [t for t in sorted(self.unanswered) if not has_near(voicemails, t, window_s)]
        first, last = (silent[0], silent[-1]) if silent else (self.first, self.last)
        return History(
            silent_calls=len(silent),
            first_at=_iso(first),
            last_at=_iso(last),
            night_calls=sum(1 for t in silent if is_night(t, zone)),
            outgoing_calls=self.outgoing,
            answered_calls=self.answered,
            contact_name=self.name,
            voicemails=len(voicemails),
        )


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds")


def build_histories(
    calls: Iterable[Call], *, tz: str | None = None, voicemail_window_s: int = DEFAULT_VOICEMAIL_WINDOW_S
) -> dict[str, History]:
    """Per number (E.164; "" for withheld callers) what the log says, in one pass.

    ``silent_calls``, ``night_calls`` (silent calls from 21:00 to 08:00 in
    ``tz``, default the machine's zone) and ``first_at``/``last_at`` (of the
    silent calls; of all calls when there were none) follow the rules above;
    ``outgoing_calls`` counts calls the user placed, ``answered_calls``
    incoming calls that were talked on, ``voicemails`` messages left, and
    ``contact_name`` is the latest name the log shows.
    """
    zone = resolve_zone(tz)
    tallies: dict[str, _Tally] = {}
    for call in calls:
        key = call.e164 or WITHHELD_KEY
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = _Tally()
        tally.add(call)
    return {key: tally.to_history(zone, voicemail_window_s) for key, tally in tallies.items()}
