"""Call-log readers: detect a log's format and stream its calls as :class:`~lookup.models.Call`.

Formats (one module each): SMS Backup & Restore XML (``android_xml``), Google
Voice Takeout (``gvoice_takeout``), iPhone ``CallHistory.storedata``
(``ios_callhistory``), FRITZ!Box CSV (``fritzbox_csv``), Asterisk
``Master.csv`` (``asterisk_csv``), any CSV with a header (``generic_csv``) and
a plain list of numbers (``plain_text``).

Conventions shared by all readers:

- ``at`` is aware UTC. Logs that write local time without an offset
  (FRITZ!Box, Asterisk, many CSVs) are read in ``tz`` (an IANA name), by
  default the machine's local zone.
- Numbers are normalised in ``region`` (the log's own country where it says
  one); a withheld caller has ``e164`` None. Short codes and emergency numbers
  are no callers to look up: they are left out and counted as *ignored*.
- Outgoing calls are ``answered`` when they lasted (or the log gives no
  length) and ``missed`` at zero seconds.
- Rows that do not parse are skipped and counted in :class:`ReadStats` with
  their position; a file of the wrong kind raises :class:`CallLogError`.

Reading streams: nothing holds a whole file, so a log of any size is read in
bounded memory. ``read_calls`` checks the file before it returns; it can still
raise CallLogError while iterating when the content turns hostile or broken
(an XML entity declaration, an XML broken before its first call).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from lookup.models import Call

from . import android_xml, asterisk_csv, fritzbox_csv, generic_csv, gvoice_takeout, ios_callhistory, plain_text
from .common import CallLogError, LogFormat, ReadContext, ReadStats, is_text, read_head, resolve_zone
from .silent import (
    CallGroups,
    build_histories,
    call_key,
    find_silent_calls,
    is_night,
    is_silent_missed,
    separate_calls,
)

__all__ = [
    "CallGroups",
    "CallLogError",
    "LogFormat",
    "ReadStats",
    "READERS",
    "build_histories",
    "call_key",
    "detect_format",
    "find_silent_calls",
    "is_night",
    "is_silent_missed",
    "read_calls",
    "separate_calls",
]

# In detection order: binary containers first, then the text formats from most to least specific.
READERS: dict[LogFormat, ModuleType] = {
    LogFormat.IOS_CALLHISTORY: ios_callhistory,
    LogFormat.GVOICE_TAKEOUT: gvoice_takeout,
    LogFormat.ANDROID_XML: android_xml,
    LogFormat.FRITZBOX_CSV: fritzbox_csv,
    LogFormat.ASTERISK_CSV: asterisk_csv,
    LogFormat.GENERIC_CSV: generic_csv,
    LogFormat.PLAIN_TEXT: plain_text,
}
BINARY_FORMATS = frozenset({LogFormat.IOS_CALLHISTORY, LogFormat.GVOICE_TAKEOUT})


def detect_format(path: Path | str) -> LogFormat:
    """Sniff what kind of call log ``path`` is, from its content; raises CallLogError."""
    path = Path(path)
    if path.is_dir():
        if gvoice_takeout.is_format(path, b""):
            return LogFormat.GVOICE_TAKEOUT
        raise CallLogError(f"{path.name}: folder without Google Voice call pages (Takeout/Voice/Calls)")
    head = _read_head(path)
    if not head:
        raise CallLogError(f"{path.name}: empty file")
    text = is_text(head)
    for fmt, reader in READERS.items():
        if (text or fmt in BINARY_FORMATS) and reader.is_format(path, head):
            return fmt
    tried = ", ".join(fmt.value for fmt in READERS)
    raise CallLogError(f"{path.name}: not a call log I can read (tried: {tried})")


def read_calls(
    path: Path | str,
    *,
    region: str = "US",
    fmt: LogFormat | str | None = None,
    stats: ReadStats | None = None,
    tz: str | None = None,
) -> Iterator[Call]:
    """Stream the calls of one log; bad rows are skipped and counted in ``stats``.

    ``fmt`` forces a format (else :func:`detect_format`); ``tz`` is the zone of
    local times in the log (default: the machine's).
    """
    path = Path(path)
    if fmt is None:
        fmt = detect_format(path)
    else:
        try:
            fmt = LogFormat(fmt)
        except ValueError:
            raise CallLogError(f"{path.name}: unknown format {fmt!r} (one of {', '.join(READERS)})") from None
        if not path.is_dir():
            _read_head(path)
    ctx = ReadContext(path, fmt, (region or "US").upper(), resolve_zone(tz), stats if stats is not None else ReadStats())
    ctx.stats.log_format = fmt.value
    try:
        calls = READERS[fmt].read(ctx)
    except OSError as exc:
        raise CallLogError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    return _guard(ctx, calls)


def _read_head(path: Path) -> bytes:
    try:
        return read_head(path)
    except FileNotFoundError:
        raise CallLogError(f"{path.name}: no such file") from None
    except OSError as exc:
        raise CallLogError(f"{path.name}: cannot read ({exc.strerror or exc})") from None


def _guard(ctx: ReadContext, calls: Iterator[Call]) -> Iterator[Call]:
    """Turn I/O failures in the middle of a read into CallLogError."""
    try:
        yield from calls
    except OSError as exc:
        raise CallLogError(f"{ctx.name}: read failed ({exc.strerror or exc})") from None
