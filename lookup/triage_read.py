"""Triage's reading side: stream every call of the logs into the store, and tally per number
in memory only what triage needs (the times of unanswered calls and voicemails, 8 bytes
each, and refused calls), so a log of any size costs memory in proportion to its numbers
and missed calls, never to the whole file."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timezone
from hashlib import sha1
from pathlib import Path
from typing import Callable, Sequence
from zoneinfo import ZoneInfo

from db.store import Store
from lookup.calllogs import read_calls
from lookup.calllogs.common import resolve_zone
from lookup.calllogs.rules import WITHHELD, is_night, is_refused, is_unanswered_incoming, key_time
from lookup.models import Call, CallStatus, Direction, ReadTally

# Logs whose names come from the user's own address book (so a name means "a contact").
# Asterisk's clid and a generic CSV's name column can be caller-ID text, which anyone can fake.
CONTACT_FORMATS = frozenset({"android_xml", "gvoice_takeout", "ios_callhistory", "fritzbox_csv"})

@dataclass(slots=True)
class CallerTally:
    """What triage keeps in memory about one number while reading the logs: the times of its
    calls of each kind, an array made only for a kind it has (most numbers have one or two
    kinds, and an empty array costs 64 bytes; 80,000 numbers took 34 MB with all four)."""

    unanswered: array | None = None
    voicemails: array | None = None
    other_incoming: array | None = None  # only with --all
    refused: array | None = None
    name: str | None = None
    listed: bool = False  # on a list of numbers without call times

    def add(self, kind: str, when: float) -> None:
        """Note a call of ``kind`` (one of the array fields) at Unix time ``when``."""
        times = getattr(self, kind)
        if times is None:
            times = array("d")
            setattr(self, kind, times)
        times.append(when)


@dataclass
class LogSummary:
    path: Path
    tally: ReadTally
    calls: int = 0


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
        call.ring,
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
        tally.add("voicemails", when)
    elif is_unanswered_incoming(call):
        tally.add("unanswered", when)
    elif is_refused(call):
        tally.add("refused", when)
    elif include_all:
        tally.add("other_incoming", when)


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
