"""Frozen value types of imported call logs: one call, what a log says about a number, and the
tally of reading any imported file. Nothing here does I/O.

Re-exported by :mod:`lookup.models`, so ``from lookup.models import Call`` works as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class Direction(StrEnum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"


class CallStatus(StrEnum):
    ANSWERED = "answered"
    MISSED = "missed"
    VOICEMAIL = "voicemail"
    REJECTED = "rejected"
    BLOCKED = "blocked"


class LogFormat(StrEnum):
    """The call-log formats whocalled reads (one reader module each, in ``lookup.calllogs``)."""

    ANDROID_XML = "android_xml"
    GVOICE_TAKEOUT = "gvoice_takeout"
    IOS_CALLHISTORY = "ios_callhistory"
    FRITZBOX_CSV = "fritzbox_csv"
    ASTERISK_CSV = "asterisk_csv"
    GENERIC_CSV = "generic_csv"
    PLAIN_TEXT = "plain_text"


class Call(NamedTuple):
    """One call from an imported call log. ``e164`` is ``None`` when the caller was withheld.

    A named tuple rather than a frozen dataclass: readers build one per row, and a
    frozen dataclass's ``__init__`` costs four times as much (a million-call log spends
    seconds on it)."""

    e164: str | None
    at: datetime | None  # timezone-aware, UTC; None when the log gives no time (a plain list of numbers)
    direction: Direction
    status: CallStatus
    duration: int | None = None  # seconds; None when the log does not say
    name: str | None = None  # contact name as the log shows it
    raw_number: str = ""
    log_format: str = ""
    local_at: datetime | None = None  # the log's own clock time when it gave no offset (naive)
    ring: int | None = None  # seconds it rang before it was answered or given up; None unless the log records it

    @property
    def withheld(self) -> bool:
        return self.e164 is None


@dataclass(frozen=True, slots=True)
class History:
    """What the user's own call logs say about one number (feeds the verdict)."""

    silent_calls: int = 0  # silent missed calls from this number
    first_at: str | None = None
    last_at: str | None = None
    night_calls: int = 0  # silent calls between 21:00 and 08:00 local time
    outgoing_calls: int = 0  # the user called this number
    answered_calls: int = 0
    contact_name: str | None = None
    voicemails: int = 0
    quick_redials: int = 0  # redialled within 30 s of an unanswered call (lookup.timing)
    urgent_redials: int = 0  # called again 1 to 10 minutes after an unanswered call
    same_time_days: int = 0  # most days with a silent call at about the same time of day
    wave_numbers: int = 0  # numbers of its block in the wave of silent calls it is part of
    wave_block: str | None = None  # that block's leading digits (lookup.timing.wave_block)
    wave_first_at: str | None = None  # the wave's first and last silent call
    wave_last_at: str | None = None
    short_rings: int = 0  # silent calls that rang under 5 s, where the log says; 0 below two silent calls


# ---------------------------------------------------------------- reading files


MAX_PROBLEMS = 20  # reasons kept for skipped rows; the count goes on past them


@dataclass
class ReadTally:
    """What reading one file gave: items read, rows skipped (with where and why, the first
    ``MAX_PROBLEMS``), rows ignored on purpose. The one "read N, skipped M" of whocalled:
    call logs, blocklist and contact imports and dataset files all count with it."""

    read: int = 0
    skipped: int = 0
    ignored: int = 0  # rows that parse but are no caller (short codes, texts, internal calls)
    problems: list[str] = field(default_factory=list)  # "line 14: bad date"

    def skip(self, where: str, why: str = "") -> None:
        """Count one skipped row and keep its place and reason while there is room."""
        self.skipped += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{where}: {why}" if why and where else where or why)

    def summary(self) -> str:
        """One line for a warning: ``skipped 2 rows (line 3: bad date; line 9: ...)``; "" when none."""
        if not self.skipped:
            return ""
        more = "; ..." if self.skipped > len(self.problems) else ""
        rows = "row" if self.skipped == 1 else "rows"
        return f"skipped {self.skipped} {rows} ({'; '.join(self.problems)}{more})"
