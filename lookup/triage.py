"""Triage: read call logs, keep every call, pick out the silent missed calls, and decide on each caller.

The readers (``lookup.calllogs``) stream calls. Every call goes to the store
(de-duplicated by key) so that the verdict's history signals see every log ever
imported; in memory, triage keeps per number only the times of its missed calls
(see :mod:`lookup.triage_read`). The silent missed calls are then grouped per
number and looked up in batches through the engine; printed as lines, each row
goes to a spool as soon as it is judged (:mod:`lookup.triage_spool`).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence
from zoneinfo import ZoneInfo

from lookup.calllogs.rules import DEFAULT_VOICEMAIL_WINDOW_S, has_near
from lookup.engine import Engine
from lookup.models import CallBack, Level
from lookup.results import LookupResult
from lookup.timing import Wave, find_waves
from lookup.triage_read import CallerTally, LogSummary, import_logs
from lookup.triage_spool import RowBrief, RowSpool

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


@dataclass(slots=True)
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
    # Every row in brief, in report order; with ``spool`` (rows printed as they were judged,
    # see lookup.triage_spool) ``rows`` stays empty and the printed lines are in the spool.
    briefs: list[RowBrief] = field(default_factory=list)
    spool: RowSpool | None = None

    def summary(self) -> str:
        """One line whose per-number counts add up to the number of numbers: each number falls
        in the first bucket that fits it (blocked, likely spam, suspicious, worth a call back,
        likely OK, unknown). Likely spam, worth a call back and unknown are shown even at 0."""
        briefs = self.briefs or [brief_row(r) for r in self.rows]
        numbers = [b for b in briefs if b.key and b.count]
        others = sum(1 for b in briefs if b.key and not b.count)  # shown by --all
        buckets = dict.fromkeys(_BUCKETS, 0)
        for brief in numbers:
            buckets[brief.bucket] += 1
        parts = [f"{n} {name}" for name, n in buckets.items() if n or name in _ALWAYS_SHOWN]
        withheld = sum(b.count for b in briefs if not b.key)
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

    def spam_numbers(self) -> list[str]:
        """The numbers judged likely spam, in report order (for ``--block-spam``)."""
        return [b.spam for b in self.briefs or [brief_row(r) for r in self.rows] if b.spam]


_BUCKETS = ("blocked", "likely spam", "suspicious", "worth a call back", "likely OK", "unknown")
_ALWAYS_SHOWN = {"likely spam", "worth a call back", "unknown"}
_ALARM = {Level.BLOCKED: "blocked", Level.LIKELY_SPAM: "likely spam", Level.SUSPICIOUS: "suspicious"}


def brief_row(row: TriageRow, position: int = 0) -> RowBrief:
    result, verdict, history = row.result, row.result.verdict, row.result.history
    spam = verdict is not None and verdict.level is Level.LIKELY_SPAM and result.number is not None
    in_wave = history is not None and history.wave_block
    return RowBrief(attention_key(row), position, _bucket(result), result.number.e164 if spam else None,  # type: ignore[union-attr]
                    history if in_wave else None)


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


_NO_TIMES = array("d")  # shared by the groups without other calls (never appended to)


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
        voicemails = sorted(tally.voicemails or ())
        silent, answered = [], []  # answered: by a voicemail close in time
        for t in tally.unanswered or ():
            (answered if has_near(voicemails, t, window_s) else silent).append(t)
        excused.extend((key, t) for t in answered)
        picked = [t for t in silent if t >= floor]
        listed = tally.listed and not picked  # no time to hold against --since
        silent_total += len(picked) + listed
        others = []
        if include_all:
            others = [t for t in (*(tally.other_incoming or ()), *voicemails, *answered) if t >= floor]
        refused = sum(1 for t in tally.refused or () if t >= floor)
        refused_total += refused
        if picked or others or listed:
            groups.append(CallerGroup(key, array("d", sorted(picked)), refused, tally.name,
                                      array("d", sorted(others)) if others else _NO_TIMES, listed))
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
    ends: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    online_limit: int | None = DEFAULT_ONLINE_LIMIT,
    reading: Callable[[int], None] | None = None,
    render: Callable[[TriageRow], str] | None = None,
) -> TriageReport:
    """Import ``paths``, group the silent missed calls per number and judge every number from
    stored data; then, unless ``offline``, look up online the numbers whose verdict the sources
    could still change (see :func:`pick_online`), through :meth:`Engine.lookup_many`: batches
    the slowest source can finish within ``deadline`` at its polite rate, none asking past
    ``ends`` (a ``time.monotonic()`` time: the command's start plus its ``--deadline``). With
    ``render`` (a row to its printed line), rows are printed into a spool as they are judged
    instead of kept (see :mod:`lookup.triage_spool`)."""
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
    spool = RowSpool(render) if render else None
    briefs: dict[int, RowBrief] = {}

    def keep(position: int, result: LookupResult) -> None:  # with a spool: print the row now
        row = TriageRow(groups[position], result)
        briefs[position] = brief_row(row, position)
        spool.add(position, row)  # type: ignore[union-attr]

    todo: list[int] = []
    for start in range(0, len(inputs), 500):
        batch = engine.lookup_offline(inputs[start : start + 500])
        if not offline:
            todo += online_candidates(engine, groups[start : start + len(batch)], batch, start)
        if spool is None:
            results += batch
        else:
            for position, result in enumerate(batch, start):
                keep(position, result)
    online, left = ([], 0) if offline else limit_online(groups, todo, online_limit)
    if online:
        answers = await engine.lookup_many([inputs[i] for i in online], deadline=deadline, progress=progress,
                                           ends=ends)
        for i, result in zip(online, answers):
            if spool is None:
                results[i] = result
            else:
                keep(i, result)
    rows = [TriageRow(g, r) for g, r in zip(groups, results)]
    rows.sort(key=attention_key)
    ordered = sorted(briefs.values()) if spool else [brief_row(r) for r in rows]
    return TriageReport(rows, logs, added, silent_count, refused, looked_up_online=len(online), left_offline=left,
                        waves=find_waves([(b.key, b.history) for b in ordered if b.history], settings.own_e164),  # type: ignore[misc]
                        briefs=ordered, spool=spool)


def pick_online(
    engine: Engine, groups: Sequence[CallerGroup], results: Sequence[LookupResult], limit: int | None
) -> tuple[list[int], int]:
    """Which numbers to look up online, as positions in ``groups``, and how many were left out
    by ``limit``. Not worth a request: withheld callers, numbers that are not numbers, your
    own lists and contacts (allowed or blocked whatever the sites say), and numbers every
    source has a fresh cached answer for. The rest go most silent calls first, then the most
    recent, so a capped run spends its requests where they matter and the next run, finding
    those cached, goes on with the following numbers."""
    return limit_online(groups, online_candidates(engine, groups, results), limit)


def online_candidates(
    engine: Engine, groups: Sequence[CallerGroup], results: Sequence[LookupResult], offset: int = 0
) -> list[int]:
    """The positions (plus ``offset``) of the numbers worth a request (see :func:`pick_online`)."""
    candidates = [
        i
        for i, (group, result) in enumerate(zip(groups, results))
        if group.key and result.number is not None and result.number.e164
        and not (result.verdict and result.verdict.level in (Level.ALLOWED, Level.BLOCKED))
    ]
    need = engine.needs_fetch([results[i].number for i in candidates])  # type: ignore[misc]
    return [i + offset for i in candidates if results[i].number.e164 in need]  # type: ignore[union-attr]


def limit_online(groups: Sequence[CallerGroup], todo: list[int], limit: int | None) -> tuple[list[int], int]:
    """``todo`` most silent calls first, then the most recent, cut to ``limit``; and how many were cut."""
    todo.sort(key=lambda i: (-groups[i].count, -(groups[i].times[-1] if groups[i].times else 0.0)))
    if limit is None or len(todo) <= limit:
        return todo, 0
    return todo[:limit], len(todo) - limit


def attention_key(row: TriageRow) -> tuple:
    v = row.result.verdict
    level = _ORDER.get(v.level, 9) if v else 9
    return (level, -(v.score if v else 0), -row.group.count, row.group.key)
