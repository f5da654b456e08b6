"""Google Voice Takeout: the real call pages, every accepted path, zips with junk, hostile pages."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from lookup.calllogs import CallLogError, LogFormat, detect_format, gvoice_takeout, read_calls
from lookup.models import Call, CallStatus, Direction, ReadTally

DATA = Path(__file__).parent / "data"
TAKEOUT = DATA / "takeout"
CALLS_DIR = TAKEOUT / "Takeout" / "Voice" / "Calls"


IN, OUT = Direction.INCOMING, Direction.OUTGOING
A, M, V = CallStatus.ANSWERED, CallStatus.MISSED, CallStatus.VOICEMAIL

# real page file name -> (e164, at, direction, status, duration, name)
PAGES = [
    pytest.param("+17323215555 - Missed - 2016-11-22T17_57_49Z.html",
                 ("+17323215555", "2016-11-22T17:57:49+00:00", IN, M, None, None), id="missed"),
    pytest.param("+17323215555 - Received - 2016-11-22T22_27_58Z.html",
                 ("+17323215555", "2016-11-22T22:27:58+00:00", IN, A, 4, None), id="received"),
    pytest.param("+17323216666 - Placed - 2011-09-03T20_12_00Z.html",
                 ("+17323216666", "2011-09-03T20:12:00+00:00", OUT, M, 0, None), id="placed-zero-seconds"),
    pytest.param("+17323218888 - 2015-03-20T03_59_29Z.html",
                 ("+17323218888", "2015-03-20T03:59:29+00:00", OUT, A, 60, None), id="placed-no-label-in-name"),
    pytest.param("Edson Arantes do Nascimento - Voicemail - 2016-05-01T00_16_43Z.html",
                 ("+15703214444", "2016-05-01T00:16:43+00:00", IN, V, 28, "Edson Arantes do Nascimento"),
                 id="voicemail"),
    pytest.param("Susie Glow - Recorded - 2019-05-22T18_18_56Z.html",
                 ("+18885554321", "2019-05-22T18:18:56.616000+00:00", IN, A, 1786, "Susie Glow"), id="recorded"),
]


@pytest.fixture(scope="module")
def folder_calls() -> dict[str, Call]:
    return {call.at.isoformat(): call for call in read_calls(TAKEOUT)}


@pytest.mark.parametrize(("file_name", "expected"), PAGES)
def test_real_page(file_name: str, expected: tuple, folder_calls: dict[str, Call]) -> None:
    e164, at, direction, status, duration, name = expected
    single = list(read_calls(CALLS_DIR / file_name))
    assert len(single) == 1
    call = single[0]
    assert (call.e164, call.at, call.direction, call.status, call.duration, call.name) == (
        e164, datetime.fromisoformat(at), direction, status, duration, name,
    )
    assert folder_calls[at] == call  # the folder read gives the same call


def test_text_pages_are_ignored_and_attachments_not_counted() -> None:
    tally = ReadTally()
    calls = list(read_calls(TAKEOUT, tally=tally))
    assert (tally.read, tally.ignored, tally.skipped) == (len(calls), 2, 0) == (6, 2, 0)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(CALLS_DIR, id="calls-folder"),
        pytest.param(CALLS_DIR.parent, id="voice-folder"),
        pytest.param(CALLS_DIR.parent.parent, id="takeout-folder"),
        pytest.param(TAKEOUT, id="unpacked-into-folder"),
    ],
)
def test_every_folder_level_is_accepted(path: Path) -> None:
    assert detect_format(path) is LogFormat.GVOICE_TAKEOUT
    assert len(list(read_calls(path))) == 6


def test_single_page_is_detected() -> None:
    assert detect_format(CALLS_DIR / "+17323215555 - Missed - 2016-11-22T17_57_49Z.html") is LogFormat.GVOICE_TAKEOUT


def test_zip_is_read_member_by_member(make_takeout_zip: Callable[..., Path], tmp_path: Path) -> None:
    path = make_takeout_zip({"Takeout/Mail/All mail.mbox": b"From nobody\n" * 1000})
    assert detect_format(path) is LogFormat.GVOICE_TAKEOUT
    tally = ReadTally()
    calls = list(read_calls(path, tally=tally))
    assert sorted(c.at for c in calls) == sorted(c.at for c in read_calls(TAKEOUT))
    assert (tally.read, tally.ignored, tally.skipped) == (6, 2, 0)
    assert list(tmp_path.iterdir()) == [path]  # nothing extracted


def _corrupt_member(path: Path, member: str) -> None:
    """Flip bytes in the middle of one member's compressed data."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data = bytearray(path.read_bytes())
    name_len = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    for i in range(start + 5, start + min(info.compress_size - 2, 45)):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def test_zip_with_junk_bombs_and_broken_members(make_takeout_zip: Callable[..., Path]) -> None:
    victim = "Takeout/Voice/Calls/+15555550100 - Missed - 2020-01-01T00_00_00Z.html"
    source = (CALLS_DIR / "+17323215555 - Missed - 2016-11-22T17_57_49Z.html").read_text()
    path = make_takeout_zip({
        "Takeout/Voice/Calls/junk - Missed - 2020-01-02T00_00_00Z.html": bytes(range(256)) * 40,
        "Takeout/Voice/Calls/bomb - Missed - 2020-01-03T00_00_00Z.html": b"\0" * (gvoice_takeout.MAX_PAGE_BYTES + 1),
        victim: source.encode() * 3,
    })
    _corrupt_member(path, victim)
    tally = ReadTally()
    calls = list(read_calls(path, tally=tally))
    assert len(calls) == 6
    assert tally.skipped == 3
    reasons = " | ".join(tally.problems)
    assert "bomb - Missed - 2020-01-03T00_00_00Z.html: page too large" in reasons
    assert "junk - Missed - 2020-01-02T00_00_00Z.html: no call on this page" in reasons
    assert "+15555550100 - Missed - 2020-01-01T00_00_00Z.html: broken zip member" in reasons


def test_zip_listing_too_many_entries_is_refused(
    make_takeout_zip: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_takeout_zip()
    monkeypatch.setattr(gvoice_takeout, "MAX_ZIP_ENTRIES", 5)
    with pytest.raises(CallLogError, match=r"lists 10 entries, more than the 5 allowed"):
        read_calls(path)


def test_zip_without_voice_calls(tmp_path: Path) -> None:
    path = tmp_path / "takeout-20240101.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Takeout/Mail/All mail.mbox", "From nobody\n")
    with pytest.raises(CallLogError, match="not a call log I can read"):
        detect_format(path)
    with pytest.raises(CallLogError, match="zip holds no Takeout/Voice/Calls pages"):
        read_calls(path, fmt=LogFormat.GVOICE_TAKEOUT)


def test_entity_bomb_page_is_not_expanded(tmp_path: Path) -> None:
    page = tmp_path / "+17323215555 - Missed - 2016-11-22T17_57_49Z.html"
    laughs = "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    page.write_text(
        f'<?xml version="1.0"?><!DOCTYPE html [<!ENTITY l0 "lol">{laughs}]>'
        '<html><body><div class="haudio"><span class="fn">Missed call from</span>'
        '<div class="contributor vcard"><a class="tel" href="tel:+17323215555"><span class="fn">&l9;</span></a></div>'
        '<abbr class="published" title="2016-11-22T09:57:49.000-08:00">x</abbr><script>alert(1)</script></div>'
        "</body></html>"
    )
    (call,) = read_calls(page)
    assert call.e164 == "+17323215555" and call.status is CallStatus.MISSED
    assert call.name is None or len(call.name) < 20


def test_withheld_caller_page(tmp_path: Path) -> None:
    source = (CALLS_DIR / "+17323215555 - Missed - 2016-11-22T17_57_49Z.html").read_text()
    page = tmp_path / " - Missed - 2016-11-22T17_57_49Z.html"
    page.write_text(source.replace('href="tel:+17323215555"', 'href="tel:"'))
    (call,) = read_calls(page)
    assert call.withheld and call.status is CallStatus.MISSED
