"""Call-log readers: detect a log's format and stream its calls as :class:`~lookup.models.Call`.

Formats (one module each): SMS Backup & Restore XML (``android_xml``), Google
Voice Takeout (``gvoice_takeout``), iPhone ``CallHistory.storedata``
(``ios_callhistory``), FRITZ!Box CSV (``fritzbox_csv``), Asterisk
``Master.csv`` (``asterisk_csv``), any CSV with a header (``generic_csv``) and
a plain list of numbers (``plain_text``).

Conventions shared by all readers:

- ``at`` is aware UTC. Logs that write local time without an offset
  (FRITZ!Box, Asterisk, many CSVs) are read in ``tz`` (an IANA name), by
  default the machine's local zone, and the call keeps the clock time as
  written in ``local_at`` (its identity, whatever the zone). A log without
  times (a plain list of numbers) gives ``at`` None.
- Text logs are UTF-8, Latin-1 line by line, or UTF-16 (read as UTF-8).
- Numbers are normalised in ``region`` (the log's own country where it says
  one); a withheld caller has ``e164`` None. Short codes and emergency numbers
  are no callers to look up: they are left out and counted as *ignored*.
- Outgoing calls are ``answered`` when they lasted (or the log gives no
  length) and ``missed`` at zero seconds.
- Rows that do not parse are skipped and counted in a
  :class:`~lookup.models.ReadTally` with their position; a file of the wrong
  kind raises :class:`CallLogError`.

Reading streams: nothing holds a whole file, so a log of any size is read in
bounded memory (tests/calllogs/test_streaming.py reads every format at two
sizes). What grows is per distinct number (a cache of parsed numbers, capped),
and for a Takeout .zip the archive's own directory, one entry per page.
``read_calls`` checks the file before it returns; it can still raise
CallLogError while iterating when the content turns hostile or broken (an XML
entity declaration, an XML broken before its first call, a header that will
not split). Nothing else escapes a reader (tests/calllogs/test_fuzz.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

from lookup.models import Call, LogFormat, ReadTally

from . import android_xml, asterisk_csv, fritzbox_csv, generic_csv, gvoice_takeout, ios_callhistory, plain_text
from .common import CallLogError, LogContext, SkipRow, is_text, read_head, resolve_zone

__all__ = ["CallLogError", "LogFormat", "LogReader", "READERS", "detect_format", "read_calls"]


class LogReader(NamedTuple):
    """One registry row: a format's module, how to recognise its files, and how to read them."""

    module: ModuleType
    is_format: Callable[[Path, bytes], bool]  # (path, first bytes) -> whether the file is this format
    read: Callable[[LogContext], Iterator[Call]]
    binary: bool  # recognised from bytes that are not text (SQLite, zip) or from a folder


def _reader(module: ModuleType, *, binary: bool = False) -> LogReader:
    return LogReader(module, module.is_format, module.read, binary)


# The one list of formats: detection tries them in this order (binary containers first, then the
# text formats from most to least specific); the CLI's --format and the tests go through it too.
READERS: dict[LogFormat, LogReader] = {
    LogFormat.IOS_CALLHISTORY: _reader(ios_callhistory, binary=True),
    LogFormat.GVOICE_TAKEOUT: _reader(gvoice_takeout, binary=True),
    LogFormat.ANDROID_XML: _reader(android_xml),
    LogFormat.FRITZBOX_CSV: _reader(fritzbox_csv),
    LogFormat.ASTERISK_CSV: _reader(asterisk_csv),
    LogFormat.GENERIC_CSV: _reader(generic_csv),
    LogFormat.PLAIN_TEXT: _reader(plain_text),
}


def detect_format(path: Path | str) -> LogFormat:
    """Sniff what kind of call log ``path`` is, from its content; raises CallLogError."""
    path = Path(path)
    if path.is_dir():
        if READERS[LogFormat.GVOICE_TAKEOUT].is_format(path, b""):
            return LogFormat.GVOICE_TAKEOUT
        raise CallLogError(f"{path.name}: folder without Google Voice call pages (Takeout/Voice/Calls)")
    head = _read_head(path)
    if not head:
        raise CallLogError(f"{path.name}: empty file")
    text = is_text(head)
    for fmt, reader in READERS.items():
        if (text or reader.binary) and reader.is_format(path, head):
            return fmt
    tried = ", ".join(fmt.value for fmt in READERS)
    raise CallLogError(f"{path.name}: not a call log I can read (tried: {tried})")


def read_calls(
    path: Path | str,
    *,
    region: str = "US",
    fmt: LogFormat | str | None = None,
    tally: ReadTally | None = None,
    tz: str | None = None,
) -> Iterator[Call]:
    """Stream the calls of one log; bad rows are skipped and counted in ``tally``.

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
    ctx = LogContext(path, fmt, (region or "US").upper(), resolve_zone(tz), tally if tally is not None else ReadTally())
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


def _guard(ctx: LogContext, calls: Iterator[Call]) -> Iterator[Call]:
    """Turn I/O failures in the middle of a read, and a row problem outside any row (say in a
    header), into CallLogError: the file as a whole cannot be read."""
    try:
        yield from calls
    except OSError as exc:
        raise CallLogError(f"{ctx.name}: read failed ({exc.strerror or exc})") from None
    except SkipRow as exc:
        raise CallLogError(f"{ctx.name}: {exc}") from None
