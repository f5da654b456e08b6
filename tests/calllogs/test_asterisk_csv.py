"""Asterisk Master.csv: quoted clid with commas, every disposition, direction from context or numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookup.calllogs import LogFormat, detect_format, read_calls
from lookup.calllogs.asterisk_csv import call_direction, parse_clid
from lookup.calllogs.common import IgnoreRow
from lookup.models import CallStatus, Direction, ReadTally

DATA = Path(__file__).parent / "data"


IN, OUT = Direction.INCOMING, Direction.OUTGOING
A, M, V = CallStatus.ANSWERED, CallStatus.MISSED, CallStatus.VOICEMAIL
MASTER = DATA / "Master.csv"

EXPECTED = [
    pytest.param(0, ("+12025550143", "2024-03-04 14:15:02", IN, A, 217, "Acme Dental, Inc."), id="answered-quoted-comma"),
    pytest.param(1, ("+18765550123", "2024-03-05 07:14:03", IN, M, 0, None), id="no-answer"),
    pytest.param(2, ("+12125550177", "2024-03-05 16:00:00", IN, M, 0, "WIRELESS CALLER"), id="busy"),
    pytest.param(3, ("+12125550178", "2024-03-05 17:00:00", IN, M, 0, "Smith, John"), id="failed"),
    pytest.param(4, ("+12125550179", "2024-03-05 18:00:00", IN, M, 0, None), id="congestion"),
    pytest.param(5, ("+14155550199", "2024-03-06 15:20:00", IN, V, 25, "Pat Doe"), id="voicemail-app"),
    pytest.param(6, ("+13055550100", "2024-03-07 02:30:00", IN, M, 0, None), id="answered-zero-billsec"),
    pytest.param(7, (None, "2024-03-07 08:03:03", IN, M, 0, None), id="anonymous"),
    pytest.param(8, ("+12125550148", "2024-03-07 14:00:00", OUT, A, 60, None), id="outgoing"),
    pytest.param(9, ("+13105550123", "2024-03-07 14:30:00", OUT, M, 0, None), id="outgoing-no-answer"),
    pytest.param(10, ("+441632960123", "2024-03-08 19:00:00", IN, M, 0, None), id="no-context-external-source"),
]


@pytest.fixture(scope="module")
def master() -> tuple[list, ReadTally]:
    tally = ReadTally()
    return list(read_calls(MASTER, tz="America/New_York", tally=tally)), tally


@pytest.mark.parametrize(("index", "expected"), EXPECTED)
def test_cdr_line(master: tuple[list, ReadTally], index: int, expected: tuple) -> None:
    call = master[0][index]
    assert (call.e164, call.at.strftime("%Y-%m-%d %H:%M:%S"), call.direction, call.status, call.duration,
            call.name) == expected


def test_counts(master: tuple[list, ReadTally]) -> None:
    calls, tally = master
    assert detect_format(MASTER) is LogFormat.ASTERISK_CSV
    assert (tally.read, tally.ignored, tally.skipped) == (len(calls), 1, 3) == (11, 1, 3)  # 100 -> 101 ignored
    assert tally.problems == [
        "line 13: bad start time 'yesterday'",
        "line 14: 11 columns, expected 16 to 18",
        "line 15: unknown disposition 'WEIRD'",
    ]


def test_sixteen_and_eighteen_columns(tmp_path: Path) -> None:
    base = '"","2125550148","100","from-pstn","""Bob"" <2125550148>","SIP/t-1","","Dial","","2024-03-04 09:00:00","","2024-03-04 09:00:05",5,0,"NO ANSWER","DOCUMENTATION"'
    path = tmp_path / "Master.csv"
    path.write_text(f'{base}\n{base},"1709560800.1","blocked-by-user"\n')
    assert detect_format(path) is LogFormat.ASTERISK_CSV
    assert [(c.e164, c.status, c.name) for c in read_calls(path, tz="UTC")] == [("+12125550148", M, "Bob")] * 2


@pytest.mark.parametrize(
    ("clid", "expected"),
    [
        pytest.param('"Acme Dental, Inc." <+12025550143>', ("Acme Dental, Inc.", "+12025550143"), id="quoted-name"),
        pytest.param("Bob <2125550148>", ("Bob", "2125550148"), id="bare-name"),
        pytest.param('"2125550148" <2125550148>', (None, "2125550148"), id="name-is-number"),
        pytest.param('"Anonymous" <anonymous>', (None, "anonymous"), id="anonymous"),
        pytest.param("2125550148", (None, "2125550148"), id="number-only"),
        pytest.param("", (None, ""), id="empty"),
    ],
)
def test_parse_clid(clid: str, expected: tuple) -> None:
    assert parse_clid(clid) == expected


@pytest.mark.parametrize(
    ("context", "src", "dst", "expected"),
    [
        pytest.param("from-trunk", "2125550148", "100", IN, id="trunk-context"),
        pytest.param("from-did-direct", "2125550148", "s", IN, id="did-context"),
        pytest.param("from-internal", "100", "12125550148", OUT, id="internal-context"),
        pytest.param("default", "2125550148", "100", IN, id="numbers-external-source"),
        pytest.param("default", "100", "2125550148", OUT, id="numbers-external-destination"),
        pytest.param("default", "", "100", IN, id="numbers-empty-source"),
    ],
)
def test_call_direction(context: str, src: str, dst: str, expected: Direction) -> None:
    assert call_direction(context, src, dst) is expected


@pytest.mark.parametrize(
    ("context", "src", "dst"),
    [
        pytest.param("from-internal", "100", "101", id="internal-context"),
        pytest.param("default", "100", "101", id="short-numbers"),
    ],
)
def test_calls_between_extensions_are_ignored(context: str, src: str, dst: str) -> None:
    with pytest.raises(IgnoreRow):
        call_direction(context, src, dst)
