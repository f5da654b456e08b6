"""SMS Backup & Restore XML: every type and presentation, bad rows, hostile XML, streaming memory."""

from __future__ import annotations

import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lookup.calllogs import CallLogError, LogFormat, detect_format, read_calls
from lookup.models import Call, CallStatus, Direction, ReadTally

DATA = Path(__file__).parent / "data"


BACKUP = DATA / "calls-20240310091245.xml"
IN, OUT = Direction.INCOMING, Direction.OUTGOING
A, M, V, R, B = CallStatus.ANSWERED, CallStatus.MISSED, CallStatus.VOICEMAIL, CallStatus.REJECTED, CallStatus.BLOCKED


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def backup() -> tuple[list[Call], ReadTally]:
    tally = ReadTally()
    return list(read_calls(BACKUP, tally=tally)), tally


# index in the yielded calls -> (e164, at UTC, direction, status, duration, name)
EXPECTED = [
    pytest.param(0, ("+12125550148", "2024-03-04 23:02:11", IN, A, 312, "Maria Lopez"), id="type1-incoming"),
    pytest.param(1, ("+12125550148", "2024-03-05 00:15:40", OUT, A, 45, "Maria Lopez"), id="type2-outgoing"),
    pytest.param(2, ("+18765550123", "2024-03-05 07:14:03", IN, M, 0, None), id="type3-missed-unknown-name"),
    pytest.param(4, (None, "2024-03-06 14:30:00", IN, M, 0, None), id="presentation2-restricted"),
    pytest.param(5, (None, "2024-03-06 16:12:13", IN, M, 0, None), id="presentation3-unknown"),
    pytest.param(6, (None, "2024-03-06 17:00:01", IN, A, 0, None), id="presentation4-payphone"),
    pytest.param(8, ("+14155550199", "2024-03-07 15:20:41", IN, V, 38, None), id="type4-voicemail"),
    pytest.param(9, ("+18005550111", "2024-03-07 19:45:09", IN, R, 0, None), id="type5-rejected"),
    pytest.param(10, ("+12125559876", "2024-03-07 20:01:33", IN, B, 0, None), id="type6-blocked"),
    pytest.param(11, ("+16465550100", "2024-03-08 13:30:00", IN, A, 120, "Dr. Chen Office"), id="type7-elsewhere"),
    pytest.param(12, ("+13105550123", "2024-03-08 14:00:00", OUT, M, 0, None), id="type2-not-connected"),
    pytest.param(13, (None, "2024-03-09 03:10:00", IN, M, None, None), id="literal-null-everywhere"),
    pytest.param(14, ("+12015550123", "2024-03-10 04:40:00", IN, A, 0, None), id="type1-zero-seconds"),
]


@pytest.mark.parametrize(("index", "expected"), EXPECTED)
def test_backup_call(backup: tuple[list[Call], ReadTally], index: int, expected: tuple) -> None:
    call = backup[0][index]
    e164, at, direction, status, duration, name = expected
    assert (call.e164, call.at, call.direction, call.status, call.duration, call.name) == (
        e164, utc(at), direction, status, duration, name,
    )
    assert call.log_format == "android_xml"


def test_backup_counts_skipped_rows_with_positions(backup: tuple[list[Call], ReadTally]) -> None:
    calls, tally = backup
    assert (tally.read, tally.skipped, tally.ignored) == (len(calls), 4, 2) == (15, 4, 2)
    assert tally.problems == [
        "element 17 (line 21): bad date 'yesterday'",
        "element 18 (line 22): unknown call type '9'",
        "element 19 (line 23): too short for US: '12'",
        "element 20 (line 24): no date",
    ]
    assert tally.summary().startswith("skipped 4 rows (element 17 (line 21)")


def test_withheld_keeps_raw_number(backup: tuple[list[Call], ReadTally]) -> None:
    assert [c.raw_number for c in backup[0] if c.withheld] == ["", "-1", "-3", "null"]


def test_calls_inside_smses_from_real_snippets() -> None:
    calls = list(read_calls(DATA / "smses-with-calls.xml"))
    assert detect_format(DATA / "smses-with-calls.xml") is LogFormat.ANDROID_XML
    assert [(c.e164, c.direction, c.status, c.duration, c.name) for c in calls] == [
        ("+18885551234", OUT, A, 72, "Joe Blow"),
        ("+17738446228", IN, M, 0, None),
    ]
    assert calls[0].at == datetime(2018, 3, 15, 4, 38, 8, 853000, tzinfo=timezone.utc)


BOMB = """<?xml version="1.0"?>
{pad}<!DOCTYPE calls [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<calls count="1"><call number="2125550148" duration="0" date="1709593331000" type="3" contact_name="&lol9;" /></calls>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE calls [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<calls count="1"><call number="2125550148" duration="0" date="1709593331000" type="3" contact_name="&secret;" /></calls>
"""


@pytest.mark.parametrize(
    ("text", "why"),
    [
        pytest.param(BOMB.format(pad=""), "entity declarations", id="billion-laughs"),
        pytest.param(BOMB.format(pad="<!--" + "x" * 70_000 + "-->\n"), "entity declarations",
                     id="billion-laughs-past-the-sniffed-head"),
        pytest.param(EXTERNAL, "entity declarations", id="external-entity"),
    ],
)
def test_entity_tricks_are_refused(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "calls-bomb.xml"
    path.write_text(text)
    tracemalloc.start()
    try:
        with pytest.raises(CallLogError, match=f"calls-bomb.xml: refused to read XML with {why}"):
            list(read_calls(path, fmt=LogFormat.ANDROID_XML))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # nothing was expanded


def test_broken_off_xml_keeps_calls_before_the_break(tmp_path: Path) -> None:
    text = BACKUP.read_text()
    cut = text.index("<call", text.index('date="1709708327000"'))  # element 4 starts here
    path = tmp_path / "calls-cut.xml"
    path.write_text(text[: cut + 30])
    tally = ReadTally()
    calls = list(read_calls(path, tally=tally))
    assert len(calls) == 4
    assert tally.skipped == 1 and "XML breaks off" in tally.problems[0]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("<calls count='1'>\x01\x02 junk <call", id="junk-before-first-call"),
        pytest.param("<calls><note></calls><call number='1' type='1' date='1' />", id="mismatched-tag"),
    ],
)
def test_xml_broken_before_any_call_is_an_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "calls-junk.xml"
    path.write_text(text)
    with pytest.raises(CallLogError, match="calls-junk.xml: not well-formed XML"):
        list(read_calls(path, fmt="android_xml"))


def test_large_backup_streams_in_bounded_memory(tmp_path: Path) -> None:
    """100,000 calls (13 MB; as Call objects about 30 MB) are read with a peak of a few MB."""
    path = tmp_path / "calls-big.xml"
    start = 1_700_000_000_000
    with path.open("w") as fh:
        fh.write("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count=\"100000\">\n")
        for i in range(100_000):
            fh.write(
                f'  <call number="+1212555{i % 2000:04d}" duration="{i % 7}" date="{start + i * 1000}" '
                f'type="{i % 6 + 1}" presentation="1" contact_name="(Unknown)" />\n'
            )
        fh.write("</calls>\n")
    tally = ReadTally()
    tracemalloc.start()
    try:
        missed = sum(1 for call in read_calls(path, tally=tally) if call.status is CallStatus.MISSED)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert tally.read == 100_000 and tally.skipped == 0
    assert missed > 15_000
    assert peak < 4 << 20, f"peak {peak / 1e6:.1f} MB for a {path.stat().st_size / 1e6:.0f} MB file"


def test_giant_element_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lookup.calllogs import android_xml

    monkeypatch.setattr(android_xml, "MAX_ELEMENT_BYTES", 1 << 20)
    path = tmp_path / "calls-giant.xml"
    path.write_text('<calls count="2"><call number="2125550148" duration="0" date="1709593331000" type="3" />'
                    '<call number="2125550148" contact_name="' + "A" * (3 << 20) + '" /></calls>')
    calls = []
    with pytest.raises(CallLogError, match="calls-giant.xml: an XML element larger than 1 MB; refused"):
        calls.extend(read_calls(path))
    assert len(calls) == 1


def test_contact_names_are_cleaned_like_all_outside_text(tmp_path: Path) -> None:
    """A name is a stranger's text: bidi overrides and line breaks go, and it is cut short."""
    path = tmp_path / "calls-names.xml"
    path.write_text(
        "<calls count='2'>"
        '<call number="+12015550123" duration="0" date="1709622843000" type="3" presentation="1"'
        ' contact_name="Evil\u202egnp.exe&#10;&#9;Name" />'
        f'<call number="+12015550124" duration="0" date="1709622843000" type="3" presentation="1" contact_name="{"x" * 5000}" />'
        "</calls>",
        encoding="utf-8",
    )
    names = [c.name for c in read_calls(path)]
    assert names == ["Evil gnp.exe Name", "x" * 200]


def test_the_names_read_without_a_look_are_the_ones_that_mean_no_name() -> None:
    """parse_call skips name_or_none for the app's "(Unknown)" and "null": they must be names it
    turns into None."""
    from lookup.calllogs.android_xml import _NO_NAME
    from lookup.calllogs.common import name_or_none

    assert _NO_NAME and all(name_or_none(value) is None for value in _NO_NAME)
