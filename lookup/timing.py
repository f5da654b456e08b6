"""When a number calls, read like a person reads it: the timing signals of one number's calls.

A person who needs you and got no answer tries again after a minute or a few; a dialler
redials within seconds, or comes back at the same time of day, day after day. The call
log holds those times, so the verdict can tell the two apart (see ``lookup.verdict``).

Only gaps after a silent call count: the call that went unanswered is the one a caller
reacts to. The next call can be of any kind (an answered call after a missed one is still
a caller trying again). Times of day are read in UTC, as the store keeps them: a change to
or from daylight saving time between the days can hide a same-time pattern for that week.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from lookup.models import History

# A redial this soon after an unanswered call is a machine's retry: people take longer
# to notice the missed call and dial again.
QUICK_REDIAL_S = 30
# Calling again within 1 to 10 minutes is what a person who needs you does (the "repeated
# call" rules of phones and NCID's hangup greylist let such a second call through).
URGENT_REDIAL_S = (60, 600)
# Calls within this span of the same time of day (30 minutes, so 15 either side)...
SAME_TIME_SPAN_S = 30 * 60
# ...on this many different days are a schedule: a dialler's campaign hours.
SAME_TIME_DAYS = 3

_DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class CallTiming:
    quick_redials: int = 0  # an unanswered call followed by another within 30 s
    urgent_redials: int = 0  # an unanswered call followed by another 1 to 10 minutes later
    same_time_days: int = 0  # most days with a silent call in one 30-minute span of the day


def read_timing(calls: Sequence[tuple[float, bool]]) -> CallTiming:
    """The timing signals of one number's incoming calls, given as ``(unix time, silent)``
    sorted by time."""
    quick = urgent = 0
    for (when, silent), (after, _) in zip(calls, calls[1:]):
        if not silent:
            continue
        gap = after - when
        if gap <= QUICK_REDIAL_S:
            quick += 1
        elif URGENT_REDIAL_S[0] <= gap <= URGENT_REDIAL_S[1]:
            urgent += 1
    silent_times = [when for when, silent in calls if silent]
    return CallTiming(quick, urgent, count_same_time_days(silent_times))


def count_same_time_days(times: Sequence[float]) -> int:
    """The largest number of different days that have a call within one span of
    :data:`SAME_TIME_SPAN_S` of the time of day (a span may cross midnight); 0 below two days."""
    if len(times) < 2:
        return 0
    marks = sorted((t % _DAY_S, int(t // _DAY_S)) for t in times)
    marks += [(tod + _DAY_S, day) for tod, day in marks]  # a span from 23:50 reaches 00:10
    best = 0
    days: dict[int, int] = {}
    start = 0
    for tod, day in marks:
        days[day] = days.get(day, 0) + 1
        while marks[start][0] <= tod - SAME_TIME_SPAN_S:
            old = marks[start][1]
            days[old] -= 1
            if not days[old]:
                del days[old]
            start += 1
        best = max(best, len(days))
    return best if best >= 2 else 0


# ---------------------------------------------------------------- waves from one block

# A wave: this many different numbers of one block calling silently within WAVE_DAYS days.
# One business may call you from two or three lines of its block (a clinic's desks); five
# silent strangers from the same hundred numbers in a week is a campaign rotating its
# caller ID. A week covers the working days a campaign runs through, and stays short enough
# that a block's unrelated callers over months do not add up to a wave.
WAVE_NUMBERS = 5
WAVE_DAYS = 7


@dataclass(frozen=True, slots=True)
class WaveRule:
    """What makes a wave (the ``[waves]`` settings): ``numbers`` or more different numbers of one
    block calling silently within ``days`` days, a block being ``block_size`` numbers (a power of
    ten), or ``nanp_block_size`` for +1 numbers (1000: the thousands-block carriers get numbers in)."""

    numbers: int = WAVE_NUMBERS
    days: int = WAVE_DAYS
    block_size: int = 100
    nanp_block_size: int = 1000

    def digits(self, block: str) -> int:
        """How many trailing digits a block leaves open."""
        size = self.nanp_block_size if block.startswith("+1") else self.block_size
        return len(str(size)) - 1

    def block_of(self, e164: str) -> str | None:
        """The block ``e164`` belongs to: its leading digits; None for anything too short."""
        if not e164.startswith("+") or not e164[1:].isdigit() or len(e164) < 9:
            return None
        return e164[: -self.digits(e164)] if self.digits(e164) else e164

    def pattern(self, block: str) -> str:
        """The block as people read it: ``+12025550xxx``."""
        return block + "x" * self.digits(block)


DEFAULT_WAVES = WaveRule()


def wave_block(e164: str) -> str | None:
    """The block of a number under the default :class:`WaveRule`: its first digits but the last two
    (a block of 100), or for NANP numbers (+1) the last three (a thousands-block of one exchange,
    the unit carriers get numbers in). None for anything too short to have a block."""
    return DEFAULT_WAVES.block_of(e164)


def find_wave(calls: Sequence[tuple[str, float]]) -> frozenset[str]:
    """The numbers of the biggest wave among one block's silent ``(e164, unix time)`` calls under
    the default rule; empty when there is none."""
    span = find_wave_span(calls, DEFAULT_WAVES)
    return span[0] if span else frozenset()


def find_wave_span(calls: Sequence[tuple[str, float]], rule: WaveRule) -> tuple[frozenset[str], float, float] | None:
    """The biggest wave among one block's silent ``(e164, unix time)`` calls: the most different
    numbers calling within ``rule.days`` days, with the first and last call of that window;
    None when fewer than ``rule.numbers``."""
    ordered = sorted(calls, key=lambda c: c[1])
    span = rule.days * _DAY_S
    counts: dict[str, int] = {}
    best: tuple[frozenset[str], float, float] = (frozenset(), 0.0, 0.0)
    start = 0
    for number, when in ordered:
        counts[number] = counts.get(number, 0) + 1
        while ordered[start][1] < when - span:
            old = ordered[start][0]
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            start += 1
        if len(counts) > len(best[0]):
            best = (frozenset(counts), ordered[start][1], when)
    return best if len(best[0]) >= rule.numbers else None


@dataclass
class Wave:
    """Silent calls from many numbers of one block within days; ``own``: the block holds one of
    the user's own numbers (neighbour spoofing: blocking it would block their neighbours).
    ``first_at`` and ``last_at``: the first and last silent call of the wave (ISO, UTC)."""

    block: str
    numbers: list[str]
    own: bool = False
    first_at: str | None = None
    last_at: str | None = None

    @property
    def command(self) -> str:
        return f"whocalled block '{self.block}*'"

    def to_json(self, rule: WaveRule = DEFAULT_WAVES) -> dict[str, object]:
        return {
            "block": rule.pattern(self.block),
            "numbers": sorted(self.numbers),
            "first_at": self.first_at,
            "last_at": self.last_at,
            "own_block": self.own,
            "command": self.command,
        }


def find_waves(histories: Sequence[tuple[str, History | None]], own: Sequence[str]) -> list[Wave]:
    """The waves that the ``(number, history)`` pairs belong to, biggest first."""
    waves: dict[str, Wave] = {}
    for number, history in histories:
        if history is None or not history.wave_block:
            continue
        block = history.wave_block
        wave = waves.setdefault(block, Wave(block, [], any(n.startswith(block) for n in own)))
        wave.numbers.append(number)
        wave.first_at = min(filter(None, (wave.first_at, history.wave_first_at)), default=None)
        wave.last_at = max(filter(None, (wave.last_at, history.wave_last_at)), default=None)
    return sorted(waves.values(), key=lambda w: (-len(w.numbers), w.block))


# ---------------------------------------------------------------- short rings

# A call that rang for less than this many seconds was hung up before anyone could reach the
# phone: a slip of the thumb once, a dialler's bait ("call me back") when it keeps happening.
SHORT_RING_S = 5
