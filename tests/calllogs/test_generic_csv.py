"""Generic CSV with a header: every delimiter, BOM, header names, date and type spellings; plain text lists."""

from __future__ import annotations

import csv
import io
from datetime import timezone
from pathlib import Path

import pytest

from lookup.calllogs import LogFormat, detect_format, read_calls
from lookup.calllogs.common import LogContext, SkipRow, resolve_zone
from lookup.calllogs.generic_csv import call_kind, find_layout
from lookup.calllogs.textrows import DateReader, parse_duration
from lookup.models import CallStatus, Direction, ReadTally

DATA = Path(__file__).parent / "data"


IN, OUT = Direction.INCOMING, Direction.OUTGOING
A, M, V, R, B = CallStatus.ANSWERED, CallStatus.MISSED, CallStatus.VOICEMAIL, CallStatus.REJECTED, CallStatus.BLOCKED
GENERIC = DATA / "generic_calls.csv"

EXPECTED = [
    ("+12125550148", "2024-03-04 23:02:11", IN, A, 312, "Maria Lopez"),
    ("+18765550123", "2024-03-05 07:14:03", IN, M, 0, None),
    (None, "2024-03-06 14:30:00", IN, M, 0, None),
    ("+14155550199", "2024-03-07 15:20:00", IN, M, 0, None),
    ("+14155550199", "2024-03-07 15:20:41", IN, V, 38, None),
    ("+18005550111", "2024-03-07 19:05:09", IN, R, 0, None),
    ("+12125559876", "2024-03-07 20:01:33", IN, B, None, None),
    ("+13105550123", "2024-03-08 14:00:00", OUT, M, 0, None),
    ("+16465550100", "2024-03-08 13:30:00", IN, A, 120, "Chen, Dr."),
]


def rewrite(delimiter: str, bom: bool, tmp_path: Path) -> Path:
    """The fixture re-written with another delimiter, with or without its BOM."""
    rows = list(csv.reader(io.StringIO(GENERIC.read_text(encoding="utf-8-sig"))))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path = tmp_path / "export.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8"))
    return path


@pytest.mark.parametrize("bom", [pytest.param(True, id="bom"), pytest.param(False, id="no-bom")])
@pytest.mark.parametrize(
    "delimiter",
    [pytest.param(",", id="comma"), pytest.param(";", id="semicolon"), pytest.param("|", id="pipe"),
     pytest.param("\t", id="tab")],
)
def test_every_delimiter(delimiter: str, bom: bool, tmp_path: Path) -> None:
    path = rewrite(delimiter, bom, tmp_path)
    assert detect_format(path) is LogFormat.GENERIC_CSV
    tally = ReadTally()
    calls = read_calls(path, tz="America/New_York", tally=tally)
    got = [(c.e164, c.at.strftime("%Y-%m-%d %H:%M:%S"), c.direction, c.status, c.duration, c.name) for c in calls]
    assert got == EXPECTED
    assert tally.problems == ["line 11: bad date 'not a date'", "line 12: unknown call type 'teleported'"]


@pytest.mark.parametrize(
    ("header", "roles"),
    [
        pytest.param("Call Date,Phone Number,Contact Name,Call Type,Duration (s)",
                     dict(stamp=0, number=1, name=2, types=[3], duration=4), id="phone-backup-app"),
        pytest.param("date;time;from;direction;status;seconds",
                     dict(date=0, time=1, number=2, types=[3, 4], duration=5), id="date-and-time-split"),
        pytest.param("caller|name|timestamp", dict(number=0, name=1, stamp=2), id="pipe-caller"),
        pytest.param("Nummer\tDatum\tDauer\tTyp", dict(number=0, date=1, duration=2, types=[3]), id="german-tab"),
        pytest.param("duration,caller id,start", dict(duration=0, number=1, stamp=2), id="duration-first"),
    ],
)
def test_header_sniffing(header: str, roles: dict) -> None:
    layout = find_layout(header)
    assert layout is not None
    assert {key: getattr(layout, key) for key in roles} == roles


@pytest.mark.parametrize("header", [pytest.param("a,b,c", id="no-number"), pytest.param("number", id="one-column")])
def test_header_without_number_column(header: str) -> None:
    assert find_layout(header) is None


def reader(region_day_first: bool = False) -> DateReader:
    ctx = LogContext(Path("x.csv"), LogFormat.GENERIC_CSV, zone=resolve_zone("America/New_York"))
    return DateReader(ctx, day_first=region_day_first)


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        pytest.param("2024-03-04T18:02:11Z", False, "2024-03-04 18:02:11", id="iso-z"),
        pytest.param("2024-03-04T18:02:11+01:00", False, "2024-03-04 17:02:11", id="iso-offset"),
        pytest.param("2024-03-04 18:02:11", False, "2024-03-04 23:02:11", id="iso-local"),
        pytest.param("1709593331", False, "2024-03-04 23:02:11", id="unix-seconds"),
        pytest.param("1709593331000", False, "2024-03-04 23:02:11", id="unix-millis"),
        pytest.param("03/04/2024 6:02:11 PM", False, "2024-03-04 23:02:11", id="us-12-hour"),
        pytest.param("04/03/2024 18:02", True, "2024-03-04 23:02:00", id="day-first"),
        pytest.param("04.03.24 18:02", False, "2024-03-04 23:02:00", id="german-short"),
        pytest.param("Mar 4, 2024 18:02:11", False, "2024-03-04 23:02:11", id="readable-date"),
    ],
)
def test_dates(text: str, day_first: bool, expected: str) -> None:
    ctx_reader = reader(day_first)
    at = ctx_reader.ctx.to_utc(ctx_reader.parse(text))
    assert at.tzinfo is not None
    assert at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S") == expected


@pytest.mark.parametrize("text", [pytest.param("soon", id="word"), pytest.param("", id="empty"),
                                  pytest.param("1969-12-31 23:59:59", id="too-old")])
def test_bad_dates(text: str) -> None:
    with pytest.raises(SkipRow):
        reader().parse(text)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("72", 72, id="seconds"), pytest.param("72.6", 73, id="fraction"),
        pytest.param("1:12", 72, id="m-ss"), pytest.param("0:01:12", 72, id="h-mm-ss"),
        pytest.param("1m 12s", 72, id="units"), pytest.param("PT1M12S", 72, id="iso"),
        pytest.param("null", None, id="null"),
    ],
)
def test_durations(text: str, seconds: int | None) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("values", "duration", "expected"),
    [
        pytest.param(["Incoming"], 30, (IN, A), id="incoming-lasted"),
        pytest.param(["Incoming"], 0, (IN, M), id="incoming-zero"),
        pytest.param(["OUTGOING_TYPE"], 12, (OUT, A), id="android-constant-name"),
        pytest.param(["inbound", "no-answer"], 0, (IN, M), id="direction-and-status-columns"),
        pytest.param(["3"], 0, (IN, M), id="android-code-missed"),
        pytest.param(["6"], 0, (IN, B), id="android-code-blocked"),
        pytest.param(["Declined"], 0, (IN, R), id="declined"),
        pytest.param([], None, (IN, M), id="no-type-no-duration"),
    ],
)
def test_call_kind(values: list[str], duration: int | None, expected: tuple) -> None:
    assert call_kind(values, duration) == expected


def test_plain_text_list() -> None:
    path = DATA / "numbers.txt"
    tally = ReadTally()
    assert detect_format(path) is LogFormat.PLAIN_TEXT
    calls = list(read_calls(path, tally=tally))
    assert [c.e164 for c in calls] == ["+18765550123", "+12125550177", "+12125550178", "+442079460123", None]
    assert {(c.direction, c.status, c.duration) for c in calls} == {(IN, M, None)}
    assert {(c.at, c.local_at) for c in calls} == {(None, None)}  # a list says nothing about when
    assert tally.problems == ["line 7: not a phone number: 'call me maybe'"]


def test_line_too_long_and_binary_junk(tmp_path: Path) -> None:
    path = tmp_path / "numbers.txt"
    path.write_bytes(b"2125550148\n" + b"9" * (2 << 20) + b"\n2125550177\n\x00\x01\x02junk\n3105550123\n")
    tally = ReadTally()
    calls = list(read_calls(path, fmt=LogFormat.PLAIN_TEXT, tally=tally))
    assert [c.e164 for c in calls] == ["+12125550148", "+12125550177", "+13105550123"]
    assert tally.problems == ["line 2: line too long", "line 4: binary junk"]
