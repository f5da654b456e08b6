"""iPhone ``CallHistory.storedata``: a Core Data SQLite file with the table ``ZCALLRECORD``.

``ZDATE`` counts seconds since 2001-01-01 UTC, ``ZDURATION`` is REAL seconds,
``ZADDRESS`` a BLOB or TEXT as dialled, ``ZORIGINATED`` 1 for outgoing and
``ZANSWERED`` 1 for answered. An incoming call that was not answered is missed,
unless a call-blocking extension blocked it (``ZBLOCKEDBYEXTENSION``, newer
iOS). ``ZISO_COUNTRY_CODE`` gives the country the call was made in; national
numbers are read in that country. FaceTime handles that are e-mail addresses
are ignored (no number to look up).

The file is opened read-only (``mode=ro`` URI); a copy still being written
by the phone is never changed.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from lookup.models import Call, CallStatus, Direction, LogFormat

from .common import CallLogError, IgnoreRow, LogContext, SkipRow, check_date, emit_calls, name_or_none, outgoing_status

FORMAT = LogFormat.IOS_CALLHISTORY
APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=timezone.utc)
SQLITE_MAGIC = b"SQLite format 3\x00"
REQUIRED = ("ZDATE", "ZADDRESS", "ZORIGINATED", "ZANSWERED")
OPTIONAL = ("Z_PK", "ZDURATION", "ZNAME", "ZISO_COUNTRY_CODE", "ZBLOCKEDBYEXTENSION")


def is_format(path: Path, head: bytes) -> bool:
    if not head.startswith(SQLITE_MAGIC):
        return False
    try:
        with closing(open_readonly(path)) as db:
            return "ZCALLRECORD" in _tables(db)
    except sqlite3.DatabaseError:
        return False


def open_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def read(ctx: LogContext) -> Iterator[Call]:
    query = _query(ctx)  # schema errors surface here, before the first call is asked for
    return emit_calls(ctx, _rows(ctx, query), parse_row)


def _tables(db: sqlite3.Connection) -> set[str]:
    return {row[0].upper() for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _query(ctx: LogContext) -> str:
    try:
        with closing(open_readonly(ctx.path)) as db:
            if "ZCALLRECORD" not in _tables(db):
                raise CallLogError(f"{ctx.name}: SQLite file without a ZCALLRECORD table (not CallHistory.storedata)")
            columns = {row[1].upper() for row in db.execute("PRAGMA table_info(ZCALLRECORD)")}
    except sqlite3.DatabaseError as exc:
        raise CallLogError(f"{ctx.name}: not a readable SQLite database ({exc})") from None
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise CallLogError(f"{ctx.name}: ZCALLRECORD lacks {', '.join(missing)}; unknown CallHistory schema")
    selected = [name if name in columns else f"NULL AS {name}" for name in REQUIRED + OPTIONAL]
    return f"SELECT {', '.join(selected)} FROM ZCALLRECORD ORDER BY ZDATE"


def _rows(ctx: LogContext, query: str) -> Iterator[tuple[str, sqlite3.Row]]:
    with closing(open_readonly(ctx.path)) as db:
        db.row_factory = sqlite3.Row
        # Text that is not UTF-8 (a damaged copy) would stop the whole read; it gets U+FFFD.
        db.text_factory = lambda data: data.decode("utf-8", "replace")
        try:
            for index, row in enumerate(db.execute(query), start=1):
                key = row["Z_PK"] if row["Z_PK"] is not None else index
                yield f"record {key}", row
        except sqlite3.DatabaseError as exc:
            ctx.tally.skip("database", f"read stopped: {exc}")


def parse_row(row: sqlite3.Row, ctx: LogContext) -> Call:
    seconds = _number(row["ZDATE"], "date")
    if seconds is None:
        raise SkipRow("no date")
    try:
        at = check_date(APPLE_EPOCH + timedelta(seconds=seconds))
    except OverflowError:
        raise SkipRow(f"implausible date {seconds!r}") from None
    address = _address(row["ZADDRESS"])
    if "@" in address:
        raise IgnoreRow("FaceTime e-mail handle")
    length = _number(row["ZDURATION"], "duration")
    duration = None if length is None else max(0, round(length))
    if row["ZORIGINATED"] == 1:
        direction, status = Direction.OUTGOING, outgoing_status(duration)
    elif row["ZANSWERED"] == 1:
        direction, status = Direction.INCOMING, CallStatus.ANSWERED
    elif _is_set(row["ZBLOCKEDBYEXTENSION"]):
        direction, status = Direction.INCOMING, CallStatus.BLOCKED
    else:
        direction, status = Direction.INCOMING, CallStatus.MISSED
    country = row["ZISO_COUNTRY_CODE"]
    region = country.strip().upper() if isinstance(country, str) and len(country.strip()) == 2 else None
    name = name_or_none(row["ZNAME"]) if isinstance(row["ZNAME"], str) else None
    return ctx.make_call(address, at, direction, status, duration=duration, name=name, region=region)


def _number(value: Any, what: str) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SkipRow(f"bad {what} {str(value)[:20]!r}") from None
    if not math.isfinite(number):  # inf, nan
        raise SkipRow(f"bad {what} {str(value)[:20]!r}")
    return number


def _address(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace").strip("\x00 ")
    return str(value).strip()


def _is_set(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (int, float)):
        return value != 0
    return bool(str(value).strip()) and str(value).strip() != "0"
