"""Triage's reading side: stream every call of the logs into the store, and tally per number
in memory only what triage needs (the times of unanswered calls and voicemails, 8 bytes
each, and refused calls), so a log of any size costs memory in proportion to its numbers
and missed calls, never to the whole file."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from hashlib import sha1
from pathlib import Path
from typing import Callable, Sequence
from zoneinfo import ZoneInfo

from db.store import Store
from lookup.calllogs import read_calls
from lookup.calllogs.common import resolve_zone
from lookup.calllogs.rules import WITHHELD, format_stamp, is_night, key_time
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
_INCOMING = Direction.INCOMING
_MISSED, _ANSWERED, _VOICEMAIL = CallStatus.MISSED, CallStatus.ANSWERED, CallStatus.VOICEMAIL
_REFUSED = (CallStatus.REJECTED, CallStatus.BLOCKED)


def _take(call: Call, zone: ZoneInfo | None, tallies: dict[str, CallerTally] | None, include_all: bool) -> tuple:
    """The ``calls`` row for ``call``, noting the call in ``tallies`` on the way (unless None).

    One function for both, because a log's every call passes here: the call's fields are
    unpacked once, and "unanswered" and the Unix time are worked out once for the row and
    the tally. They agree with :func:`lookup.calllogs.rules.is_unanswered_incoming`,
    ``is_refused``, ``is_night`` and ``call_key`` (tests/calllogs/test_triage_rows.py compares
    them on hundreds of generated calls of every kind).

    The row's key is :func:`lookup.calllogs.rules.call_key` cut to 80 bits (computed here
    from the one ISO timestamp the row needs anyway). An unanswered incoming call is stored as
    silent; the few that a voicemail followed are cleared afterwards."""
    e164, at, direction, status, duration, name, raw_number, log_format, local_at, ring = call
    incoming = direction is _INCOMING
    unanswered = incoming and (status is _MISSED or (status is _ANSWERED and duration == 0))
    contact = bool(name) and log_format in CONTACT_FORMATS
    if at is None:  # a list without times: stored, but never silent or at night (no repeats)
        when = stamp = None
        silent = night = False
    else:
        when = at.timestamp()
        stamp = format_stamp(at, when)
        silent = unanswered
        night = silent and is_night(when, zone)
    if tallies is not None and incoming:
        _note(tallies, e164 or WITHHELD, status, unanswered, when, name if contact else None, include_all)
    direction = _VALUE[direction]
    status = _VALUE[status]
    key_when = stamp if local_at is None else key_time(call)
    text = f"{e164 or WITHHELD}|{key_when or ''}|{direction}|{status}|{'' if duration is None else duration}"
    return (
        sha1(text.encode("utf-8")).hexdigest()[:20],
        e164,
        stamp,
        direction,
        status,
        duration,
        name,
        raw_number,
        log_format,
        int(silent),
        int(night),
        int(contact),
        ring,
    )


def _note(tallies: dict[str, CallerTally], key: str, status: CallStatus, unanswered: bool, when: float | None,
          contact_name: str | None, include_all: bool) -> None:
    """Note one incoming call of ``key`` (the number, or WITHHELD) at Unix time ``when``."""
    tally = tallies.get(key)
    if tally is None:
        tally = tallies[key] = CallerTally()
    if contact_name:
        tally.name = contact_name
    if when is None:  # listed without a time: the number is to be judged, once
        if unanswered:
            tally.listed = True
        return
    if status is _VOICEMAIL:
        tally.add("voicemails", when)
    elif unanswered:
        tally.add("unanswered", when)
    elif status in _REFUSED:
        tally.add("refused", when)
    elif include_all:
        tally.add("other_incoming", when)


def _row(call: Call, zone: ZoneInfo | None) -> tuple:
    """The ``calls`` row for ``call`` (see :func:`_take`)."""
    return _take(call, zone, None, False)


def tally_calls(
    calls: Iterable[Call], tallies: dict[str, CallerTally] | None = None, *, include_all: bool = False,
) -> dict[str, CallerTally]:
    """Add ``calls`` to the per-number ``tallies`` (a new dict when None) and return them."""
    tallies = {} if tallies is None else tallies
    for call in calls:
        _take(call, None, tallies, include_all)
    return tallies


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
                yield _take(call, zone, tallies, include_all)
                read += 1
                if reading and not read % batch:
                    reading(read)

    added = store.save_calls(read_rows(), batch=batch)
    return tallies, logs, added
