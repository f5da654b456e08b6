"""Triage: read call logs, keep every call, pick out the silent missed calls, and decide on each caller.

The readers (``lookup.calllogs``) stream calls; all calls are stored
(de-duplicated by key) so that the verdict's history signals see every log
ever imported; the silent missed calls of the logs given are grouped per
number and looked up in one batch through the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence
from zoneinfo import ZoneInfo

from db.store import Store
from lookup.calllogs import CallGroups, ReadStats, call_key, is_night, read_calls, separate_calls
from lookup.calllogs.common import resolve_zone
from lookup.engine import Engine, LookupResult
from lookup.models import Call, CallBack, CallStatus, Direction, Level

# Logs whose names come from the user's own address book (so a name means "a contact").
# Asterisk's clid and a generic CSV's name column can be caller-ID text, which anyone can fake.
CONTACT_FORMATS = frozenset({"android_xml", "gvoice_takeout", "ios_callhistory", "fritzbox_csv"})
WITHHELD = ""

# What needs the user's attention first: spam to block, then doubtful, then the rest.
_ORDER = {
    Level.LIKELY_SPAM: 0,
    Level.SUSPICIOUS: 1,
    Level.UNKNOWN: 2,
    Level.LIKELY_OK: 3,
    Level.ALLOWED: 4,
    Level.BLOCKED: 5,
}


@dataclass
class CallerGroup:
    """The silent missed calls of one number (``key`` "" = withheld callers)."""

    key: str
    calls: list[Call] = field(default_factory=list)
    refused: int = 0
    name: str | None = None

    @property
    def count(self) -> int:
        return len(self.calls)

    @property
    def first(self) -> datetime:
        return min(c.at for c in self.calls)

    @property
    def last(self) -> datetime:
        return max(c.at for c in self.calls)

    def local_times(self, zone: ZoneInfo | None) -> list[str]:
        return [c.at.astimezone(zone).strftime("%Y-%m-%d %H:%M") for c in sorted(self.calls, key=lambda c: c.at)]


@dataclass
class TriageRow:
    group: CallerGroup
    result: LookupResult


@dataclass
class LogSummary:
    path: Path
    stats: ReadStats
    calls: int = 0


@dataclass
class TriageReport:
    rows: list[TriageRow]
    logs: list[LogSummary]
    calls_added: int
    silent_calls: int
    refused_calls: int
    blocked_now: int = 0

    def summary(self) -> str:
        numbers = [r for r in self.rows if r.group.key]
        spam = sum(1 for r in self.rows if r.result.verdict and r.result.verdict.level is Level.LIKELY_SPAM)
        back = sum(1 for r in numbers if r.result.verdict and r.result.verdict.call_back is CallBack.YES)
        unknown = sum(1 for r in self.rows if r.result.verdict and r.result.verdict.level is Level.UNKNOWN)
        withheld = sum(r.group.count for r in self.rows if not r.group.key)
        text = (
            f"{self.silent_calls} silent missed call{'s' if self.silent_calls != 1 else ''} from "
            f"{len(numbers)} number{'s' if len(numbers) != 1 else ''}: {spam} likely spam, "
            f"{back} worth a call back, {unknown} unknown"
        )
        if withheld:
            text += f"; {withheld} from withheld numbers"
        if self.refused_calls:
            text += f"; {self.refused_calls} rejected or blocked calls kept apart"
        return text + "."


def _row(call: Call, key: str) -> tuple:
    return (
        key,
        call.e164,
        call.at.astimezone(timezone.utc).isoformat(timespec="seconds"),
        call.direction.value,
        call.status.value,
        call.duration,
        call.name,
        call.raw_number,
        call.log_format,
        0,
        0,
        int(bool(call.name) and call.log_format in CONTACT_FORMATS),
    )


def _needs_decision(call: Call, include_all: bool) -> bool:
    """Calls worth keeping in memory: unanswered, voicemail and refused incoming calls
    (or every incoming call with ``--all``). Answered and outgoing calls only go to the store."""
    if call.direction is not Direction.INCOMING:
        return False
    if include_all:
        return True
    return call.status is not CallStatus.ANSWERED or call.duration == 0


def import_logs(
    store: Store, paths: Sequence[Path], *, region: str, fmt: str | None, tz: str | None, include_all: bool = False,
    batch: int = 5000,
) -> tuple[list[Call], list[LogSummary], int]:
    """Stream every log into the store (de-duplicated by call key) and keep in memory only the
    calls that need a decision. Raises CallLogError for a file of the wrong kind."""
    kept: list[Call] = []
    logs: list[LogSummary] = []
    added = 0
    pending: list[tuple] = []
    for path in paths:
        stats = ReadStats()
        summary = LogSummary(Path(path), stats)
        for call in read_calls(path, region=region, fmt=fmt, stats=stats, tz=tz):
            summary.calls += 1
            pending.append(_row(call, call_key(call)))
            if _needs_decision(call, include_all):
                kept.append(call)
            if len(pending) >= batch:
                added += store.save_calls(pending)
                pending.clear()
        logs.append(summary)
    if pending:
        added += store.save_calls(pending)
    return kept, logs, added


def group_calls(
    calls: Sequence[Call], parts: CallGroups, *, since: datetime | None, include_all: bool
) -> tuple[list[CallerGroup], int, int]:
    """Silent missed calls (or, with ``include_all``, every incoming call) grouped per number."""
    picked = list(parts.silent)
    if include_all:
        seen = {call_key(c) for c in picked}
        picked += [c for c in calls if c.direction.value == "incoming" and call_key(c) not in seen]
    if since is not None:
        picked = [c for c in picked if c.at >= since]
    groups: dict[str, CallerGroup] = {}
    for c in picked:
        g = groups.setdefault(c.e164 or WITHHELD, CallerGroup(c.e164 or WITHHELD))
        g.calls.append(c)
        if c.name and c.log_format in CONTACT_FORMATS:
            g.name = c.name
    refused = [c for c in parts.refused if since is None or c.at >= since]
    for c in refused:
        if (c.e164 or WITHHELD) in groups:
            groups[c.e164 or WITHHELD].refused += 1
    silent_count = sum(1 for c in parts.silent if since is None or c.at >= since)
    return list(groups.values()), silent_count, len(refused)


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
    batch: int = 25,
) -> TriageReport:
    settings = engine.settings
    zone = resolve_zone(settings.timezone)
    calls, logs, added = import_logs(
        engine.store, paths, region=settings.region, fmt=fmt, tz=settings.timezone, include_all=include_all
    )
    parts = separate_calls(calls)
    engine.store.mark_silent([(int(is_night(c.at, zone)), call_key(c)) for c in parts.silent])
    groups, silent_count, refused = group_calls(calls, parts, since=since, include_all=include_all)
    inputs = [g.key if g.key else "Withheld" for g in groups]
    results: list[LookupResult] = []
    total = len(inputs)
    for start in range(0, total, batch):
        chunk = inputs[start : start + batch]
        if offline:
            results += engine.lookup_offline(chunk)
        else:
            results += await engine.lookup(chunk, deadline=deadline)
        if progress:
            progress(min(start + batch, total), total)
    rows = [TriageRow(g, r) for g, r in zip(groups, results)]
    rows.sort(key=attention_key)
    return TriageReport(rows, logs, added, silent_count, refused)


def attention_key(row: TriageRow) -> tuple:
    v = row.result.verdict
    level = _ORDER.get(v.level, 9) if v else 9
    return (level, -(v.score if v else 0), -row.group.count, row.group.key)
