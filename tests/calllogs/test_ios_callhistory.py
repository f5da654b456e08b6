"""iPhone CallHistory.storedata: ZCALLRECORD rows with Apple-epoch dates, read-only, schema checks."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lookup.calllogs import CallLogError, LogFormat, detect_format, read_calls
from lookup.models import CallStatus, Direction, ReadTally


APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=timezone.utc)


def apple_seconds(iso: str) -> float:
    """Seconds since 2001-01-01 UTC, as ZCALLRECORD.ZDATE stores them."""
    return (datetime.fromisoformat(iso) - APPLE_EPOCH).total_seconds()


IN, OUT = Direction.INCOMING, Direction.OUTGOING
A, M, B = CallStatus.ANSWERED, CallStatus.MISSED, CallStatus.BLOCKED
PHONE, FACETIME_AUDIO = 1, 16

ROWS = [
    dict(Z_PK=1, ZDATE=apple_seconds("2024-03-04T23:02:11.250+00:00"), ZDURATION=312.4, ZADDRESS="+12125550148",
         ZORIGINATED=0, ZANSWERED=1, ZCALLTYPE=PHONE, ZNAME="Maria Lopez", ZISO_COUNTRY_CODE="us",
         ZSERVICE_PROVIDER="com.apple.Telephony"),
    dict(Z_PK=2, ZDATE=apple_seconds("2024-03-05T00:15:40+00:00"), ZDURATION=45.0, ZADDRESS=b"(212) 555-0148",
         ZORIGINATED=1, ZANSWERED=0, ZCALLTYPE=PHONE, ZISO_COUNTRY_CODE="us"),
    dict(Z_PK=3, ZDATE=apple_seconds("2024-03-05T07:14:03+00:00"), ZDURATION=0.0, ZADDRESS="8765550123",
         ZORIGINATED=0, ZANSWERED=0, ZCALLTYPE=PHONE, ZISO_COUNTRY_CODE="us"),
    dict(Z_PK=4, ZDATE=apple_seconds("2024-03-06T14:30:00+00:00"), ZDURATION=0.0, ZADDRESS=None,
         ZORIGINATED=0, ZANSWERED=0, ZCALLTYPE=PHONE),
    dict(Z_PK=5, ZDATE=apple_seconds("2024-03-07T20:01:33+00:00"), ZDURATION=0.0, ZADDRESS="+12125559876",
         ZORIGINATED=0, ZANSWERED=0, ZCALLTYPE=PHONE, ZBLOCKEDBYEXTENSION=1),
    dict(Z_PK=6, ZDATE=apple_seconds("2024-03-08T09:00:00+00:00"), ZDURATION=61.6, ZADDRESS="030 1234567",
         ZORIGINATED=0, ZANSWERED=1, ZCALLTYPE=PHONE, ZISO_COUNTRY_CODE="de"),
    dict(Z_PK=7, ZDATE=apple_seconds("2024-03-08T10:00:00+00:00"), ZDURATION=20.0, ZADDRESS="friend@icloud.com",
         ZORIGINATED=0, ZANSWERED=1, ZCALLTYPE=FACETIME_AUDIO, ZSERVICE_PROVIDER="com.apple.FaceTime"),
    dict(Z_PK=8, ZDATE=None, ZDURATION=0.0, ZADDRESS="2125550177", ZORIGINATED=0, ZANSWERED=0),
    dict(Z_PK=9, ZDATE=apple_seconds("2024-03-09T14:00:00+00:00"), ZDURATION=0.0, ZADDRESS="3105550123",
         ZORIGINATED=1, ZANSWERED=0, ZCALLTYPE=PHONE),
]

EXPECTED = [
    pytest.param(0, ("+12125550148", "2024-03-04T23:02:11.250+00:00", IN, A, 312, "Maria Lopez"), id="answered"),
    pytest.param(1, ("+12125550148", "2024-03-05T00:15:40+00:00", OUT, A, 45, None), id="outgoing-blob-address"),
    pytest.param(2, ("+18765550123", "2024-03-05T07:14:03+00:00", IN, M, 0, None), id="missed"),
    pytest.param(3, (None, "2024-03-06T14:30:00+00:00", IN, M, 0, None), id="withheld"),
    pytest.param(4, ("+12125559876", "2024-03-07T20:01:33+00:00", IN, B, 0, None), id="blocked-by-extension"),
    pytest.param(5, ("+49301234567", "2024-03-08T09:00:00+00:00", IN, A, 62, None), id="log-country-de"),
    pytest.param(6, ("+13105550123", "2024-03-09T14:00:00+00:00", OUT, M, 0, None), id="outgoing-unconnected"),
]


@pytest.mark.parametrize(("index", "expected"), EXPECTED)
def test_record(make_storedata: Callable[..., Path], index: int, expected: tuple) -> None:
    calls = list(read_calls(make_storedata(ROWS)))
    call = calls[index]
    e164, at, direction, status, duration, name = expected
    assert (call.e164, call.at, call.direction, call.status, call.duration, call.name) == (
        e164, datetime.fromisoformat(at), direction, status, duration, name,
    )


def test_counts_facetime_handles_and_bad_rows(make_storedata: Callable[..., Path]) -> None:
    tally = ReadTally()
    path = make_storedata(ROWS)
    assert detect_format(path) is LogFormat.IOS_CALLHISTORY
    assert len(list(read_calls(path, tally=tally))) == 7
    assert (tally.ignored, tally.skipped, tally.problems) == (1, 1, ["record 8: no date"])


def test_older_schema_without_optional_columns(make_storedata: Callable[..., Path]) -> None:
    columns = ("ZDATE", "ZDURATION", "ZADDRESS", "ZORIGINATED", "ZANSWERED")
    rows = [{k: v for k, v in row.items() if k in columns} for row in ROWS[:3]]
    calls = list(read_calls(make_storedata(rows, columns)))
    assert [(c.e164, c.status) for c in calls] == [("+12125550148", A), ("+12125550148", A), ("+18765550123", M)]


def test_file_is_opened_read_only(make_storedata: Callable[..., Path]) -> None:
    path = make_storedata(ROWS)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    path.chmod(0o444)
    assert len(list(read_calls(path))) == 7
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no journal or WAL left behind


def test_wrong_schema_is_named(make_storedata: Callable[..., Path]) -> None:
    path = make_storedata([{"ZDATE": 1.0}], ("ZDATE", "ZORIGINATED"))
    with pytest.raises(CallLogError, match="ZCALLRECORD lacks ZADDRESS, ZANSWERED; unknown CallHistory schema"):
        read_calls(path)


def test_other_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "AddressBook.sqlitedb"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY, First TEXT)")
    db.close()
    with pytest.raises(CallLogError, match="AddressBook.sqlitedb: not a call log I can read"):
        detect_format(path)
    with pytest.raises(CallLogError, match="without a ZCALLRECORD table"):
        read_calls(path, fmt=LogFormat.IOS_CALLHISTORY)


def test_truncated_database(make_storedata: Callable[..., Path], tmp_path: Path) -> None:
    whole = make_storedata(ROWS).read_bytes()
    path = tmp_path / "broken.storedata"
    path.write_bytes(whole[:100] + b"\xff" * 3000)
    with pytest.raises(CallLogError):
        list(read_calls(path, fmt=LogFormat.IOS_CALLHISTORY))


def test_apple_epoch_conversion(make_storedata: Callable[..., Path]) -> None:
    (call,) = read_calls(make_storedata([dict(ZDATE=0.0, ZDURATION=1.0, ZADDRESS="2125550148",
                                              ZORIGINATED=0, ZANSWERED=1)]))
    assert call.at == datetime(2001, 1, 1, tzinfo=timezone.utc)
