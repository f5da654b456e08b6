"""Triage: read call logs, keep every call, pick out the silent missed calls, and decide on each caller.

The readers (``lookup.calllogs``) stream calls. Every call goes to the store in
batches (de-duplicated by key) so that the verdict's history signals see every
log ever imported. In memory, triage keeps per number only the times of its
unanswered calls and voicemails (8 bytes each) and a count of refused calls,
so a log of any size costs memory in proportion to its numbers and missed
calls, never to the whole file. The silent missed calls are then grouped per
number and looked up in batches through the engine.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from hashlib import sha1
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence
from zoneinfo import ZoneInfo

from db.store import Store
from lookup.calllogs import read_calls
from lookup.calllogs.common import resolve_zone
from lookup.calllogs.rules import (
    DEFAULT_VOICEMAIL_WINDOW_S,
    WITHHELD,
    has_near,
    is_night,
    is_refused,
    is_unanswered_incoming,
    key_time,
)
from lookup.engine import Engine
from lookup.results import LookupResult
from lookup.models import Call, CallBack, CallStatus, Direction, Level, ReadTally
from lookup.timing import Wave, find_waves

# Logs whose names come from the user's own address book (so a name means "a contact").
# Asterisk's clid and a generic CSV's name column can be caller-ID text, which anyone can fake.
CONTACT_FORMATS = frozenset({"android_xml", "gvoice_takeout", "ios_callhistory", "fritzbox_csv"})
# Numbers looked up online per run unless told otherwise. The slowest default site takes one
# request every 2 seconds, so 100 numbers take three to four minutes; later runs go on with
# the numbers that still have no cached answers.
DEFAULT_ONLINE_LIMIT = 100

# What needs the user's attention first: spam to block, then doubtful, then the rest.
_ORDER = {
    Level.LIKELY_SPAM: 0,
    Level.SUSPICIOUS: 1,
    Level.UNKNOWN: 2,
    Level.LIKELY_OK: 3,
    Level.ALLOWED: 4,
    Level.BLOCKED: 5,
}


# ---------------------------------------------------------------- reading and grouping


@dataclass
class CallerTally:
    """What triage keeps in memory about one number while reading the logs."""

    unanswered: array = field(default_factory=lambda: array("d"))
    voicemails: array = field(default_factory=lambda: array("d"))
    other_incoming: array = field(default_factory=lambda: array("d"))  # only with --all
    refused: array = field(default_factory=lambda: array("d"))
    name: str | None = None
    listed: bool = False  # on a list of numbers without call times


@dataclass
class CallerGroup:
    """The calls of one number (``key`` "" = withheld callers) that triage shows: its silent
    missed calls (``times``) and, with ``--all``, its other incoming calls (``others``: answered,
    voicemail, missed but followed by a voicemail), each as sorted Unix times in an array
    (8 bytes a call, where a list of floats takes 32). ``listed``: the number is on a list
    without call times, which counts as one silent missed call when no timed one is known."""

    key: str
    times: array = field(default_factory=lambda: array("d"))
    refused: int = 0
    name: str | None = None
    others: array = field(default_factory=lambda: array("d"))
    listed: bool = False

    @property
    def count(self) -> int:
        """Silent missed calls."""
        return len(self.times) or int(self.listed)

    @property
    def shown(self) -> list[float]:
        """The times of every call shown for this number, silent or not, in order."""
        return sorted((*self.times, *self.others))

    @property
    def first(self) -> datetime | None:
        """The first call shown; None when the number is only on a list without times."""
        starts = [t[0] for t in (self.times, self.others) if t]
        return datetime.fromtimestamp(min(starts), timezone.utc) if starts else None

    @property
    def last(self) -> datetime | None:
        ends = [t[-1] for t in (self.times, self.others) if t]
        return datetime.fromtimestamp(max(ends), timezone.utc) if ends else None

    def local_times(self, zone: ZoneInfo | None) -> list[str]:
        return [datetime.fromtimestamp(t, zone).strftime("%Y-%m-%d %H:%M") for t in self.shown]


@dataclass
class TriageRow:
    group: CallerGroup
    result: LookupResult


@dataclass
class LogSummary:
    path: Path
    tally: ReadTally
    calls: int = 0


@dataclass
class TriageReport:
    rows: list[TriageRow]
    logs: list[LogSummary]
    calls_added: int
    silent_calls: int
    refused_calls: int
    blocked_now: int = 0
    looked_up_online: int = 0  # numbers asked of the online sources in this run
    left_offline: int = 0  # numbers the online limit left to stored data
    waves: list[Wave] = field(default_factory=list)

    def summary(self) -> str:
        """One line whose per-number counts add up to the number of numbers: each number falls
        in the first bucket that fits it (blocked, likely spam, suspicious, worth a call back,
        likely OK, unknown). Likely spam, worth a call back and unknown are shown even at 0."""
        numbers = [r for r in self.rows if r.group.key and r.group.count]
        others = sum(1 for r in self.rows if r.group.key and not r.group.count)  # shown by --all
        buckets = dict.fromkeys(_BUCKETS, 0)
        for row in numbers:
            buckets[_bucket(row.result)] += 1
        parts = [f"{n} {name}" for name, n in buckets.items() if n or name in _ALWAYS_SHOWN]
        withheld = sum(r.group.count for r in self.rows if not r.group.key)
        text = (
            f"{self.silent_calls} silent missed call{'s' if self.silent_calls != 1 else ''} from "
            f"{len(numbers)} number{'s' if len(numbers) != 1 else ''}: {', '.join(parts)}"
        )
        if withheld:
            text += f"; {withheld} from withheld numbers"
        if others:
            text += f"; {others} more number{'s' if others != 1 else ''} called without a silent call"
        if self.refused_calls:
            text += f"; {self.refused_calls} rejected or blocked calls kept apart"
        return text + "."


_BUCKETS = ("blocked", "likely spam", "suspicious", "worth a call back", "likely OK", "unknown")
_ALWAYS_SHOWN = {"likely spam", "worth a call back", "unknown"}
_ALARM = {Level.BLOCKED: "blocked", Level.LIKELY_SPAM: "likely spam", Level.SUSPICIOUS: "suspicious"}


def _bucket(result: LookupResult) -> str:
    """The summary bucket of one number: the alarming levels first, then whether to call back."""
    verdict = result.verdict
    if verdict is None:
        return "unknown"
    if verdict.level in _ALARM:
        return _ALARM[verdict.level]
    if verdict.call_back is CallBack.YES:
        return "worth a call back"
    return "unknown" if verdict.level is Level.UNKNOWN else "likely OK"


# Enum ``.value`` goes through a descriptor on every access; a log of a million calls reads
# it millions of times, so the row builder looks values up in plain dicts.
_VALUE = {m: m.value for m in (*Direction, *CallStatus)}
_UTC = timezone.utc


def _row(call: Call, zone: ZoneInfo | None) -> tuple:
    """The ``calls`` row for ``call``; its key is :func:`lookup.calllogs.rules.call_key` cut to 80 bits
    (computed here from the one ISO timestamp the row needs anyway). An unanswered incoming
    call is stored as silent; the few that a voicemail followed are cleared afterwards."""
    at = call.at
    if at is None:  # a list without times: stored, but never silent or at night (no repeats)
        stamp, silent, night = None, False, False
    else:
        at = at if at.tzinfo is _UTC else at.astimezone(_UTC)
        stamp = at.isoformat(timespec="seconds")
        silent = is_unanswered_incoming(call)
        night = silent and is_night(at, zone)
    direction = _VALUE[call.direction]
    status = _VALUE[call.status]
    duration = call.duration
    when = stamp if call.local_at is None else key_time(call)
    text = f"{call.e164 or WITHHELD}|{when or ''}|{direction}|{status}|{'' if duration is None else duration}"
    return (
        sha1(text.encode("utf-8")).hexdigest()[:20],
        call.e164,
        stamp,
        direction,
        status,
        duration,
        call.name,
        call.raw_number,
        call.log_format,
        int(silent),
        int(night),
        int(bool(call.name) and call.log_format in CONTACT_FORMATS),
    )


def tally_calls(
    calls: Iterable[Call], tallies: dict[str, CallerTally] | None = None, *, include_all: bool = False,
) -> dict[str, CallerTally]:
    """Add ``calls`` to the per-number ``tallies`` (a new dict when None) and return them."""
    tallies = {} if tallies is None else tallies
    for call in calls:
        _note(tallies, call, include_all)
    return tallies


def _note(tallies: dict[str, CallerTally], call: Call, include_all: bool) -> None:
    if call.direction is not Direction.INCOMING:
        return
    key = call.e164 or WITHHELD
    tally = tallies.get(key)
    if tally is None:
        tally = tallies[key] = CallerTally()
    if call.name and call.log_format in CONTACT_FORMATS:
        tally.name = call.name
    if call.at is None:  # listed without a time: the number is to be judged, once
        if is_unanswered_incoming(call):
            tally.listed = True
        return
    when = call.at.timestamp()
    if call.status is CallStatus.VOICEMAIL:
        tally.voicemails.append(when)
    elif is_unanswered_incoming(call):
        tally.unanswered.append(when)
    elif is_refused(call):
        tally.refused.append(when)
    elif include_all:
        tally.other_incoming.append(when)


def import_logs(
    store: Store, paths: Sequence[Path], *, region: str, fmt: str | None, tz: str | None, include_all: bool = False,
    batch: int = 25_000, reading: Callable[[int], None] | None = None,
) -> tuple[dict[str, CallerTally], list[LogSummary], int]:
    """Stream every log into the store (de-duplicated by call key), tallying per number what
    triage needs; ``reading(calls)`` hears how many calls are read after each stored batch.
    Raises CallLogError for a file of the wrong kind (also mid-read)."""
    tallies: dict[str, CallerTally] = {}
    logs: list[LogSummary] = []
    zone = resolve_zone(tz)

    def read_rows() -> Iterator[tuple]:
        read = 0
        for path in paths:
            summary = LogSummary(Path(path), ReadTally())
            logs.append(summary)
            for call in read_calls(path, region=region, fmt=fmt, tally=summary.tally, tz=tz):
                summary.calls += 1
                _note(tallies, call, include_all)
                yield _row(call, zone)
                read += 1
                if reading and not read % batch:
                    reading(read)

    added = store.save_calls(read_rows(), batch=batch)
    return tallies, logs, added


def group_calls(
    tallies: dict[str, CallerTally], *, since: datetime | None, include_all: bool, window_s: int = DEFAULT_VOICEMAIL_WINDOW_S
) -> tuple[list[CallerGroup], list[tuple[str, float]], int, int]:
    """Per number: the silent missed calls (missed with no voicemail from it close in time)
    and, with ``include_all``, its other incoming calls apart. Also the unanswered calls a voicemail excused
    as ``(key, time)``, and the counts of silent and refused calls, all within ``since``."""
    floor = since.timestamp() if since else float("-inf")
    groups: list[CallerGroup] = []
    excused: list[tuple[str, float]] = []
    silent_total = refused_total = 0
    for key, tally in tallies.items():
        voicemails = sorted(tally.voicemails)
        silent, answered = [], []  # answered: by a voicemail close in time
        for t in tally.unanswered:
            (answered if has_near(voicemails, t, window_s) else silent).append(t)
        excused.extend((key, t) for t in answered)
        picked = [t for t in silent if t >= floor]
        listed = tally.listed and not picked  # no time to hold against --since
        silent_total += len(picked) + listed
        others = []
        if include_all:
            others = [t for t in (*tally.other_incoming, *tally.voicemails, *answered) if t >= floor]
        refused = sum(1 for t in tally.refused if t >= floor)
        refused_total += refused
        if picked or others or listed:
            groups.append(CallerGroup(key, array("d", sorted(picked)), refused, tally.name, array("d", sorted(others)),
                                      listed))
    return groups, excused, silent_total, refused_total


async def triage(
    engine: Engine,
    paths: Sequence[Path],
    *,
    fmt: str | None = None,
    since: datetime | None = None,
    include_all: bool = False,
    offline: bool = False,
    deadline: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    online_limit: int | None = DEFAULT_ONLINE_LIMIT,
    reading: Callable[[int], None] | None = None,
) -> TriageReport:
    """Import ``paths``, group the silent missed calls per number and judge every number from
    stored data; then, unless ``offline``, look up online the numbers whose verdict the sources
    could still change (see :func:`pick_online`), through :meth:`Engine.lookup_many`: batches
    the slowest source can finish within ``deadline`` at its polite rate."""
    settings = engine.settings
    tallies, logs, added = import_logs(
        engine.store, paths, region=settings.region, fmt=fmt, tz=settings.timezone, include_all=include_all,
        reading=reading,
    )
    groups, excused, silent_count, refused = group_calls(tallies, since=since, include_all=include_all)
    engine.store.clear_silent(
        (key or None, datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds")) for key, t in excused
    )
    del excused, tallies
    inputs = [g.key if g.key else "Withheld" for g in groups]
    results: list[LookupResult] = []
    for start in range(0, len(inputs), 500):
        results += engine.lookup_offline(inputs[start : start + 500])
    online, left = ([], 0) if offline else pick_online(engine, groups, results, online_limit)
    if online:
        answers = await engine.lookup_many([inputs[i] for i in online], deadline=deadline, progress=progress)
        for i, result in zip(online, answers):
            results[i] = result
    rows = [TriageRow(g, r) for g, r in zip(groups, results)]
    rows.sort(key=attention_key)
    return TriageReport(rows, logs, added, silent_count, refused, looked_up_online=len(online), left_offline=left,
                        waves=find_waves([(r.group.key, r.result.history) for r in rows], settings.own_e164))


def pick_online(
    engine: Engine, groups: Sequence[CallerGroup], results: Sequence[LookupResult], limit: int | None
) -> tuple[list[int], int]:
    """Which numbers to look up online, as positions in ``groups``, and how many were left out
    by ``limit``. Not worth a request: withheld callers, numbers that are not numbers, your
    own lists and contacts (allowed or blocked whatever the sites say), and numbers every
    source has a fresh cached answer for. The rest go most silent calls first, then the most
    recent, so a capped run spends its requests where they matter and the next run, finding
    those cached, goes on with the following numbers."""
    candidates = [
        i
        for i, (group, result) in enumerate(zip(groups, results))
        if group.key and result.number is not None and result.number.e164
        and not (result.verdict and result.verdict.level in (Level.ALLOWED, Level.BLOCKED))
    ]
    need = engine.needs_fetch([results[i].number for i in candidates])  # type: ignore[misc]
    todo = [i for i in candidates if results[i].number.e164 in need]  # type: ignore[union-attr]
    todo.sort(key=lambda i: (-groups[i].count, -(groups[i].times[-1] if groups[i].times else 0.0)))
    if limit is None or len(todo) <= limit:
        return todo, 0
    return todo[:limit], len(todo) - limit


def attention_key(row: TriageRow) -> tuple:
    v = row.result.verdict
    level = _ORDER.get(v.level, 9) if v else 9
    return (level, -(v.score if v else 0), -row.group.count, row.group.key)
