"""Every import reader streams: the peak memory of reading a file does not grow with the file
(issue 20 item 6: a FRITZ!Box XML of non-contact elements and JSON lists grew with it)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from lookup.blocklists import FORMATS, BlocklistError, ExportRow, ImportFormat, export_rows, jsonstream, read_entries
from lookup.models import ReadTally

SMALL = 300
GROWTH = 32 * 1024  # what 4x the entries may add to the peak: noise, never the file
READABLE = [spec.name for spec in FORMATS.values() if spec.reader]


def number(index: int) -> str:
    return f"+1202{200 + index // 10_000}{index % 10_000:04d}"


def write_list(fmt: str, path: Path, count: int) -> None:
    """``count`` entries with names and descriptions, in ``fmt`` (by its writer where it has one)."""
    if fmt == "google_contacts_csv":
        lines = "".join(f"Person {index},{number(index)}\n" for index in range(count))
        path.write_text("Name,Phone 1 - Value\n" + lines)
        return
    writer = "vcard" if fmt == "contacts_vcard" else fmt
    rows = (ExportRow(number(index), description=f"why {index}", name=f"name {index}") for index in range(count))
    export_rows(rows, writer, path, chunk_size=50 if writer.startswith("vcard") else 10**9)


def peak_reading(path: Path, fmt: str) -> tuple[int, int]:
    """(entries read, peak bytes allocated while reading them one by one)."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_entries(path, ImportFormat(fmt)))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_every_reader_is_measured() -> None:
    assert sorted(READABLE) == sorted(f.value for f in ImportFormat if f is not ImportFormat.AUTO)


@pytest.mark.parametrize("fmt", READABLE)
def test_peak_memory_does_not_grow_with_the_file(fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonstream, "CHUNK", 4096)  # small chunks, so that the small file is already many of them
    ext = FORMATS[fmt].extension
    write_list(fmt, tmp_path / f"warm.{ext}", 20)
    peak_reading(tmp_path / f"warm.{ext}", fmt)  # metadata and caches load once, outside the measure
    write_list(fmt, tmp_path / f"small.{ext}", SMALL)
    write_list(fmt, tmp_path / f"large.{ext}", 4 * SMALL)
    small_count, small_peak = peak_reading(tmp_path / f"small.{ext}", fmt)
    large_count, large_peak = peak_reading(tmp_path / f"large.{ext}", fmt)
    assert (small_count, large_count) == (SMALL, 4 * SMALL)
    assert large_peak - small_peak < GROWTH, (small_peak, large_peak)


def write_fritzbox_noise(path: Path, elements: int) -> None:
    """A phonebook where almost everything is not a contact (the issue's 30 MB file, smaller)."""
    contact = "<contact><person><realName>Spam</realName></person><telephony><number>+12025550123</number></telephony></contact>"
    noise = "<note kind='x'><text>not a contact</text></note>" * elements
    path.write_text(f"<phonebooks><phonebook name='x'>{contact}{noise}{contact}</phonebook>{noise}</phonebooks>")


def test_fritzbox_elements_that_are_not_contacts_do_not_pile_up(tmp_path: Path) -> None:
    write_fritzbox_noise(tmp_path / "small.xml", 5_000)
    write_fritzbox_noise(tmp_path / "large.xml", 20_000)
    small_count, small_peak = peak_reading(tmp_path / "small.xml", "fritzbox")
    large_count, large_peak = peak_reading(tmp_path / "large.xml", "fritzbox")
    assert small_count == large_count == 2
    assert large_peak - small_peak < GROWTH, (small_peak, large_peak)


def test_a_fritzbox_contact_keeps_its_name_and_every_number(tmp_path: Path) -> None:
    path = tmp_path / "book.xml"
    path.write_text(
        "<phonebooks><phonebook><contact><category>0</category><person><realName>Two lines</realName></person>"
        "<telephony><number>+12025550123</number><number>+12025550124</number></telephony></contact>"
        "<contact><telephony><number>+12025550125</number></telephony></contact></phonebook></phonebooks>"
    )
    entries = list(read_entries(path, ImportFormat.FRITZBOX))
    assert [(e.pattern, e.name) for e in entries] == [
        ("+12025550123", "Two lines"), ("+12025550124", "Two lines"), ("+12025550125", None)
    ]


@pytest.mark.parametrize(
    ("text", "patterns"),
    [
        ('[ "+12025550123" , {"number": "+12025550124"} ]', ["+12025550123", "+12025550124"]),
        ('{"format": "whocalled-blocklist", "other": {"a": [1, 2]}, "entries": [{"pattern": "+1202555*"}], "z": 1}', ["+1202555*"]),
        ('{"entries": []}', []),
        ("[]", []),
    ],
    ids=["bare-list", "object-with-other-keys", "empty-entries", "empty-list"],
)
def test_json_streaming_reads_the_documented_shapes(text: str, patterns: list[str], tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(jsonstream, "CHUNK", 3)  # values cut across chunks everywhere
    path = tmp_path / "list.json"
    path.write_text(text)
    assert [entry.pattern for entry in read_entries(path, ImportFormat.JSON)] == patterns


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"entries": [{"pattern": "+12025550123"}', "expected ',' or ']'"),
        ('{"entries": [1 2]}', "expected ',' or ']'"),
        ('[1] [2]', "more after the end"),
        ('"just a string"', "expected an object"),
        ('{"entries": ["+12025550123", tru]}', "not valid JSON"),
    ],
    ids=["cut", "no-comma", "two-documents", "a-string", "bad-literal"],
)
def test_broken_json_is_one_line_error(text: str, message: str, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(jsonstream, "CHUNK", 5)
    path = tmp_path / "broken.json"
    path.write_text(text)
    with pytest.raises(BlocklistError, match=message) as caught:
        list(read_entries(path, ImportFormat.JSON))
    assert "\n" not in str(caught.value)


def write_folded_vcard(path: Path, folds: int) -> None:
    """One property folded over ``folds`` continuation lines, then a number that must still be read."""
    fold = " " + "x" * 60 + "\r\n"
    path.write_text(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Spam\r\nNOTE:start\r\n{fold * folds}TEL:+12025550123\r\nEND:VCARD\r\n")


def test_a_vcard_line_folded_without_end_is_skipped_in_flat_memory(tmp_path: Path) -> None:
    write_folded_vcard(tmp_path / "warm.vcf", 10)
    peak_reading(tmp_path / "warm.vcf", "vcard")
    write_folded_vcard(tmp_path / "small.vcf", 5_000)
    write_folded_vcard(tmp_path / "large.vcf", 20_000)
    small_count, small_peak = peak_reading(tmp_path / "small.vcf", "vcard")
    large_count, large_peak = peak_reading(tmp_path / "large.vcf", "vcard")
    assert small_count == large_count == 1
    assert large_peak - small_peak < GROWTH, (small_peak, large_peak)
    tally = ReadTally()
    assert [e.pattern for e in read_entries(tmp_path / "large.vcf", ImportFormat.VCARD, tally=tally)] == ["+12025550123"]
    assert tally.skipped == 1 and "folded line longer than" in tally.problems[0]
