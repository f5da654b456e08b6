"""FRITZ!Box call-list CSV: German 7/8-column and English headers, Latin-1, Typ numbering by variant."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from lookup.calllogs import LogFormat, detect_format, read_calls
from lookup.calllogs.fritzbox_csv import CLASSIC_CODES, WEB_CODES
from lookup.models import CallStatus, Direction, ReadTally

DATA = Path(__file__).parent / "data"


IN, OUT = Direction.INCOMING, Direction.OUTGOING
A, M, R, B = CallStatus.ANSWERED, CallStatus.MISSED, CallStatus.REJECTED, CallStatus.BLOCKED


def read(name: str, tally: ReadTally | None = None) -> list[tuple]:
    calls = read_calls(DATA / name, region="DE", tz="Europe/Berlin", tally=tally)
    return [(c.e164, c.at.strftime("%Y-%m-%d %H:%M"), c.direction, c.status, c.duration, c.name) for c in calls]


FILES = [
    pytest.param("fritzbox_de_7col.csv", [
        ("+49301234567", "2024-03-04 17:02", IN, A, 720, "Müller, Jürgen"),
        ("+4915112345678", "2024-03-04 20:47", IN, M, 0, None),
        (None, "2024-03-05 01:13", IN, M, 0, None),
        ("+498912345678", "2024-03-05 08:30", OUT, A, 300, "Zahnarztpraxis Dr. Weiß"),
        ("+499001234567", "2024-03-05 10:00", IN, B, 0, None),
        ("+49401234567", "2024-03-06 09:00", IN, A, 3720, "Bäckerei Schröder"),
        ("+492215554433", "2024-03-06 22:15", IN, M, 0, None),
    ], id="german-7-columns-latin1"),
    pytest.param("fritzbox_de_8col.csv", [
        ("+49301234567", "2024-03-11 07:05", IN, A, 180, "Müller, Jürgen"),
        ("+4917698765432", "2024-03-11 21:30", IN, M, 0, None),
        ("+499005123456", "2024-03-12 02:02", IN, B, 0, None),
        ("+494217654321", "2024-03-12 11:10", OUT, A, 840, "Gärtnerei Möller"),
        ("+4315123456", "2024-03-12 17:45", IN, A, 60, None),
    ], id="german-8-columns-ortsnetz"),
    pytest.param("fritzbox_en.csv", [
        ("+49301234567", "2024-03-13 08:15", IN, A, 240, None),
        ("+4915733344455", "2024-03-13 20:05", IN, M, 0, None),
        ("+492114455667", "2024-03-13 09:00", OUT, A, 120, None),
        (None, "2024-03-14 03:40", IN, B, 0, None),
    ], id="english-header"),
    pytest.param("fritzbox_classic_typ.csv", [
        ("+49301234567", "2019-02-01 09:00", IN, A, 120, "Müller, Jürgen"),
        ("+492211234567", "2019-02-01 10:30", OUT, A, 420, "Stadtwerke Köln"),
        ("+492217654321", "2019-02-01 11:00", OUT, M, 0, None),
        ("+491721112223", "2019-02-01 19:14", IN, M, 0, None),
        ("+499003123456", "2019-02-02 00:02", IN, B, 0, None),
    ], id="classic-typ-3-is-outgoing"),
]


@pytest.mark.parametrize(("name", "expected"), FILES)
def test_call_list(name: str, expected: list[tuple]) -> None:
    assert detect_format(DATA / name) is LogFormat.FRITZBOX_CSV
    assert read(name) == expected


def test_bad_rows_and_emergency_number_are_counted() -> None:
    tally = ReadTally()
    read("fritzbox_de_7col.csv", tally)
    assert (tally.read, tally.skipped, tally.ignored) == (7, 2, 1)  # 110 is the German police
    assert tally.problems == ["line 9: bad date '32.13.24 25:61'", "line 10: unknown Typ 'X'"]


def test_local_time_uses_the_machine_zone_by_default(local_zone) -> None:
    local_zone("Asia/Tokyo")
    (first, *_) = read_calls(DATA / "fritzbox_de_8col.csv", region="DE")
    assert first.at == datetime(2024, 3, 10, 23, 5, tzinfo=timezone.utc)  # 08:05 in Tokyo


def test_summer_time_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_bytes(
        b"sep=;\r\nTyp;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer\r\n"
        b"2;01.07.24 12:00;;030 1234567;;1;0:00\r\n"
    )
    (call,) = read_calls(path, region="DE", tz="Europe/Berlin")
    assert call.at == datetime(2024, 7, 1, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("code", "web", "classic"),
    [
        pytest.param(1, (IN, A), (IN, A), id="1-incoming"),
        pytest.param(2, (IN, M), (IN, M), id="2-missed"),
        pytest.param(3, (IN, B), (OUT, A), id="3-blocked-or-outgoing"),
        pytest.param(4, (OUT, A), (IN, B), id="4-outgoing-or-blocked"),
        pytest.param(10, (IN, R), (IN, R), id="10-tr064-rejected"),
    ],
)
def test_typ_numberings(code: int, web: tuple, classic: tuple) -> None:
    assert (WEB_CODES[code], CLASSIC_CODES[code]) == (web, classic)
