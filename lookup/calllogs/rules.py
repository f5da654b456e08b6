"""What one call read from a log means: whether it was a silent missed call, refused, at night,
and the key that recognises it when the same log is read again.

A *silent missed call* is an incoming call nobody talked on and that left no message: status
``missed``, or ``answered`` with a length of zero seconds, with no voicemail from the same
number (withheld callers count as one) within the voicemail window before or after it.
Rejected and blocked calls are refused, not missed: kept apart, never counted as silent.
Triage (``lookup.triage``) applies these rules while it reads.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from hashlib import sha1
from zoneinfo import ZoneInfo

from lookup.models import Call, CallStatus, Direction

WITHHELD = ""  # the key of withheld callers, who count as one caller
# A missed call with a voicemail from the same number this close (before or after) left a message.
DEFAULT_VOICEMAIL_WINDOW_S = 300
NIGHT_STARTS, NIGHT_ENDS = 21, 8  # local hours: 21:00 up to 08:00


def is_unanswered_incoming(call: Call) -> bool:
    """Incoming and nobody talked: missed, or "answered" for zero seconds."""
    if call.direction is not Direction.INCOMING:
        return False
    return call.status is CallStatus.MISSED or (call.status is CallStatus.ANSWERED and call.duration == 0)


def is_refused(call: Call) -> bool:
    return call.direction is Direction.INCOMING and call.status in (CallStatus.REJECTED, CallStatus.BLOCKED)


def has_near(times: Sequence[float], when: float, window_s: float) -> bool:
    """Whether sorted ``times`` holds a value within ``window_s`` of ``when``."""
    at = bisect.bisect_left(times, when - window_s)
    return at < len(times) and times[at] <= when + window_s


def is_night(at: datetime | float, zone: ZoneInfo | None = None) -> bool:
    """Whether a moment falls between 21:00 and 08:00 in ``zone`` (default: the machine's zone)."""
    stamp = at.timestamp() if isinstance(at, datetime) else at
    local = datetime.fromtimestamp(stamp, zone) if zone is not None else datetime.fromtimestamp(stamp)
    return local.hour >= NIGHT_STARTS or local.hour < NIGHT_ENDS


def call_key(call: Call) -> str:
    """A stable identity for de-duplication: the same call read twice gives the same key.

    Built from number, time, direction, status and duration; the log format is left out so
    one call exported twice in two formats collapses too. The time is the one the log
    wrote: UTC (whole seconds) when it gave an offset; its own clock time, marked
    ``local``, when it gave none, so reading the log again in another zone finds the same
    calls; nothing for a list without times, so a number listed again is the same call. The
    ``calls`` table stores the first 20 hex digits (see ``lookup.triage``)."""
    text = "|".join((call.e164 or WITHHELD, key_time(call), call.direction.value, call.status.value,
                     "" if call.duration is None else str(call.duration)))
    return sha1(text.encode("utf-8")).hexdigest()


def key_time(call: Call) -> str:
    """The time part of :func:`call_key`."""
    if call.local_at is not None:
        return "local " + call.local_at.replace(microsecond=0).isoformat()
    if call.at is None:
        return ""
    return call.at.astimezone(timezone.utc).replace(microsecond=0).isoformat()


# format_stamp's parts: a day's "YYYY-MM-DDT", learnt per day seen (at most 49,710 days in its
# range), then "HH:MM:" and "SS+00:00" from two small tables.
_EPOCH_DAY = date(1970, 1, 1)
_DAY_PREFIXES: dict[int, str] = {}
_CLOCK = [f"{minute // 60:02d}:{minute % 60:02d}:" for minute in range(1440)]
_SECONDS = [f"{second:02d}+00:00" for second in range(60)]
_STAMP_LIMIT = 1 << 32  # beyond 2106 a float's rounding may reach the next second (see format_stamp)


def format_stamp(at: datetime, when: float) -> str:
    """Aware ``at`` (whose ``at.timestamp()`` is ``when``) as the stored ISO-8601 UTC stamp to
    the second: the text of ``at.astimezone(timezone.utc).isoformat(timespec="seconds")``,
    three times as fast; the store writes one per imported call (tests/calllogs/test_stamps.py).

    ``at.timestamp()`` is the exact count of microseconds divided by a million, correctly
    rounded; below 2**32 seconds half a float's step is under a microsecond, so its whole part
    is the second ``isoformat`` prints. Before 1970 and after 2106, datetime does the work."""
    if not 0 <= when < _STAMP_LIMIT:
        return at.astimezone(timezone.utc).isoformat(timespec="seconds")
    days, rest = divmod(int(when), 86400)
    prefix = _DAY_PREFIXES.get(days)
    if prefix is None:
        prefix = _DAY_PREFIXES[days] = (_EPOCH_DAY + timedelta(days)).isoformat() + "T"
    return prefix + _CLOCK[rest // 60] + _SECONDS[rest % 60]
