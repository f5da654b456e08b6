"""Export: each format's own syntax, prefixes and non-numbers per format, national form, splitting."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
import vobject
from lxml import etree

from lookup.blocklists import BlocklistError, ExportFormat, ExportRow, export_rows

# Exact numbers from several countries, NANP and foreign prefixes, an extension, a withheld caller
# and junk: every exporter meets all of them.
ROWS = (
    ExportRow("+12025550123", "user block", "likely_spam", 81, "2024-05-01T12:00:00+00:00", "Card Services"),
    ExportRow("+13125550199", "reported, twice", None, None, "2024-05-02T08:30:00+00:00"),
    ExportRow("+18765550100", None, "suspicious", 40),
    ExportRow("+4930123456", "Berlin", None, None, "2024-05-03T09:00:00+00:00"),
    ExportRow("+442079460123", "London"),
    ExportRow("+1202555*", "DC exchange 555"),
    ExportRow("+4930*", "Berlin area"),
    ExportRow("+16175550123;ext=42", "extension is not part of the number"),
    ExportRow("Anonymous", "withheld"),
    ExportRow("", "empty"),
    ExportRow("call me maybe"),
)
EXACT = {"+12025550123", "+13125550199", "+18765550100", "+4930123456", "+442079460123", "+16175550123"}
PREFIXES = {"+1202555*", "+4930*"}
NOT_NUMBERS = 3


def export_text(fmt: ExportFormat, rows=ROWS, **options) -> tuple[str, object]:  # noqa: ANN001
    out = io.StringIO()
    stats = export_rows(rows, fmt, out, **options)
    return out.getvalue(), stats


# format -> prefixes it writes (in its own syntax); the others are skipped and counted
PREFIXES_WRITTEN = {
    ExportFormat.TXT: 2,
    ExportFormat.CSV: 2,
    ExportFormat.JSON: 2,
    ExportFormat.VCARD: 0,
    ExportFormat.VCARD4: 0,
    ExportFormat.FRITZBOX: 0,
    ExportFormat.NCID: 1,  # a foreign prefix has no safe NCID form without --national
    ExportFormat.FREEPBX: 0,
    ExportFormat.ASTDB: 0,
    ExportFormat.YACB: 2,
    ExportFormat.SPAMBLOCKER: 2,
    ExportFormat.CALLBLOCKER: 2,
    ExportFormat.CALLKIT: 0,
}


@pytest.mark.parametrize("fmt", list(ExportFormat), ids=str)
def test_counts_prefixes_and_non_numbers(fmt: ExportFormat) -> None:
    rows = sorted(ROWS, key=lambda row: row.pattern) if fmt is ExportFormat.CALLKIT else ROWS
    text, stats = export_text(fmt, rows)
    written_prefixes = PREFIXES_WRITTEN[fmt]
    assert stats.written == len(EXACT) + written_prefixes
    assert stats.skipped_prefixes == len(PREFIXES) - written_prefixes
    assert stats.skipped == NOT_NUMBERS
    assert "Anonymous" not in text and "call me maybe" not in text
    assert "ext=" not in text.lower() and "6175550123" in text.replace("-", "")  # the extension is dropped


def test_txt_is_one_number_per_line_with_our_prefix_form() -> None:
    text, _ = export_text(ExportFormat.TXT)
    assert text.splitlines() == [
        "+12025550123", "+13125550199", "+18765550100", "+4930123456", "+442079460123", "+1202555*", "+4930*", "+16175550123"
    ]


def test_csv_has_the_documented_columns() -> None:
    text, _ = export_text(ExportFormat.CSV)
    records = list(csv.DictReader(io.StringIO(text)))
    assert list(records[0]) == ["number", "description", "verdict", "score", "added_at"]
    assert records[0] == {
        "number": "+12025550123",
        "description": "user block",
        "verdict": "likely_spam",
        "score": "81",
        "added_at": "2024-05-01T12:00:00+00:00",
    }
    assert records[1]["description"] == "reported, twice"
    assert records[2]["description"] == ""


def test_json_is_one_document() -> None:
    text, _ = export_text(ExportFormat.JSON)
    document = json.loads(text)
    assert document["format"] == "whocalled-blocklist"
    assert document["entries"][0] == {
        "pattern": "+12025550123",
        "description": "user block",
        "name": "Card Services",
        "verdict": "likely_spam",
        "score": 81,
        "added_at": "2024-05-01T12:00:00+00:00",
    }
    assert {entry["pattern"] for entry in document["entries"]} == EXACT | PREFIXES


def test_empty_exports_are_still_valid() -> None:
    assert json.loads(export_text(ExportFormat.JSON, [])[0])["entries"] == []
    assert json.loads(export_text(ExportFormat.CALLBLOCKER, [])[0])["entries"] == []
    assert etree.fromstring(export_text(ExportFormat.FRITZBOX, [])[0].encode()).tag == "phonebooks"
    assert export_text(ExportFormat.VCARD, [])[0] == ""


@pytest.mark.parametrize("fmt", [ExportFormat.VCARD, ExportFormat.VCARD4], ids=str)
def test_vcard_parses_with_vobject(fmt: ExportFormat) -> None:
    text, _ = export_text(fmt)
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    cards = list(vobject.readComponents(text))
    assert len(cards) == 1
    card = cards[0]
    assert card.fn.value == "Spam"
    numbers = {re.sub(r"[^\d+]", "", tel.value) for tel in card.contents["tel"]}
    assert numbers == EXACT


def test_vcard_3_and_4_tel_lines() -> None:
    v3, _ = export_text(ExportFormat.VCARD)
    v4, _ = export_text(ExportFormat.VCARD4)
    assert "TEL;TYPE=CELL,VOICE:+12025550123\r\n" in v3
    assert "VERSION:3.0\r\n" in v3 and "N:;Spam;;;\r\n" in v3
    assert "TEL;VALUE=uri;TYPE=voice:tel:+1-202-555-0123\r\n" in v4
    assert "TEL;VALUE=uri;TYPE=voice:tel:+4930123456\r\n" in v4
    assert "VERSION:4.0\r\n" in v4


def test_vcard_splits_into_contacts() -> None:
    text, stats = export_text(ExportFormat.VCARD, chunk_size=4)
    cards = list(vobject.readComponents(text))
    assert [card.fn.value for card in cards] == ["Spam", "Spam 2"]
    assert [len(card.contents["tel"]) for card in cards] == [4, 2]
    assert stats.written == 6


def test_vcard_lines_fold_at_75_octets() -> None:
    from lookup.blocklists.vcard import fold_line

    line = "NOTE:" + "é" * 80
    folded = fold_line(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


FRITZ_CONTACT_CHILDREN = ["category", "person", "telephony", "services", "setup", "features", "mod_time", "uniqueid"]


def test_fritzbox_xml_has_the_phonebook_structure() -> None:
    text, _ = export_text(ExportFormat.FRITZBOX)
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = etree.fromstring(text.encode())
    assert root.tag == "phonebooks"
    (book,) = root
    assert book.tag == "phonebook" and book.get("name") == "whocalled"
    contacts = book.findall("contact")
    assert len(contacts) == len(EXACT)
    for contact in contacts:
        assert [child.tag for child in contact] == FRITZ_CONTACT_CHILDREN
        assert contact.findtext("category") == "0"
        assert contact.find("person/realName") is not None
        assert contact.find("telephony").get("nid") == "1"
        number = contact.find("telephony/number")
        assert (number.get("type"), number.get("prio"), number.get("id")) == ("home", "1", "0")
        assert contact.find("features").get("doorphone") == "0"
        assert contact.findtext("mod_time").isdigit()
    assert {c.findtext("telephony/number") for c in contacts} == EXACT
    assert contacts[0].findtext("person/realName") == "Card Services"


def test_fritzbox_splits_into_files_at_the_book_limit(tmp_path: Path) -> None:
    out = tmp_path / "block.xml"
    stats = export_rows(ROWS, ExportFormat.FRITZBOX, out, chunk_size=2)
    assert stats.files == [out, tmp_path / "block-2.xml", tmp_path / "block-3.xml"]
    numbers = []
    for path in stats.files:
        root = etree.parse(str(path)).getroot()
        assert [book.tag for book in root] == ["phonebook"]
        numbers += [n.text for n in root.iter("number")]
    assert len(numbers) == 6 and set(numbers) == EXACT


def test_fritzbox_split_on_a_stream_gives_several_books_in_one_document() -> None:
    text, stats = export_text(ExportFormat.FRITZBOX, chunk_size=4)
    root = etree.fromstring(text.encode())
    assert [book.get("name") for book in root] == ["whocalled", "whocalled 2"]
    assert stats.files == []


NCID_ENTRY = re.compile(r"(\^1\?\d{3,10}|\^\d{2,15}|\d{8,15})(?: {4}#=? \S.*)?")


def test_ncid_lines_are_in_its_syntax() -> None:
    text, _ = export_text(ExportFormat.NCID)
    entries = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert all(NCID_ENTRY.fullmatch(line) for line in entries), entries
    assert "^1?2025550123    #= Card Services" in entries
    assert "^1?3125550199    # reported, twice" in entries
    assert "^1?202555    # DC exchange 555" in entries
    assert "4930123456    # Berlin" in entries


def test_ncid_national_writes_anchored_national_numbers() -> None:
    text, stats = export_text(ExportFormat.NCID, national_region="DE")
    assert "^030123456    # Berlin" in text.splitlines()
    assert "^030    # Berlin area" in text.splitlines()
    assert stats.skipped_prefixes == 0


def test_freepbx_and_astdb_lines() -> None:
    freepbx, _ = export_text(ExportFormat.FREEPBX, national_region="US")
    assert freepbx.splitlines()[:3] == ["number,description", "2025550123,user block", '3125550199,"reported, twice"']
    astdb, _ = export_text(ExportFormat.ASTDB, national_region="US")
    assert astdb.splitlines()[0] == 'database put blacklist 2025550123 "user block"'
    assert 'database put blacklist 8765550100 "whocalled"' in astdb.splitlines()
    assert 'database put blacklist +4930123456 "Berlin"' in astdb.splitlines()


def test_yacb_spamblocker_callblocker_callkit() -> None:
    yacb, _ = export_text(ExportFormat.YACB)
    records = list(csv.reader(io.StringIO(yacb)))
    assert records[0] == ["ID", "name", "pattern", "creationTimestamp", "numberOfCalls", "lastCallTimestamp"]
    assert records[1] == ["1", "Card Services", "+12025550123", "1714564800000", "0", ""]
    assert ["+1202555*", "+4930*"] == [r[2] for r in records if r[2].endswith("*")]
    spamblocker, _ = export_text(ExportFormat.SPAMBLOCKER)
    lines = spamblocker.splitlines()
    assert lines[0] == "pattern,description,priority,isBlacklist"
    assert "13125550199,reported  twice,1,true" not in lines and "13125550199,reported twice,1,true" in lines
    assert "1202555.*,DC exchange 555,1,true" in lines
    callblocker = json.loads(export_text(ExportFormat.CALLBLOCKER)[0])
    assert callblocker["entries"][0] == {"name": "Card Services", "number": "+12025550123", "date_modified": "2024-05-01 12:00:00 +0000"}
    assert {"+1202555", "+4930"} <= {entry["number"] for entry in callblocker["entries"]}
    callkit, _ = export_text(ExportFormat.CALLKIT, sorted(ROWS, key=lambda row: row.pattern))
    values = [int(line) for line in callkit.splitlines()]
    assert values == sorted(set(values)) and len(values) == 6


def test_callkit_is_strictly_ascending_across_lengths_and_deduplicated() -> None:
    patterns = sorted(["+4930123456", "+12025550123", "+442079460123", "+12025550123", "+33123456789", "+1202555*"])
    text, stats = export_text(ExportFormat.CALLKIT, [ExportRow(p) for p in patterns])
    assert text.splitlines() == ["4930123456", "12025550123", "33123456789", "442079460123"]
    assert (stats.written, stats.skipped, stats.skipped_prefixes) == (4, 1, 1)


def test_callkit_refuses_unordered_rows() -> None:
    with pytest.raises(BlocklistError, match="ordered"):
        export_text(ExportFormat.CALLKIT, [ExportRow("+12025550199"), ExportRow("+12025550123")])


@pytest.mark.parametrize("fmt", [ExportFormat.NCID, ExportFormat.ASTDB, ExportFormat.TXT, ExportFormat.SPAMBLOCKER], ids=str)
def test_hostile_names_cannot_add_lines(fmt: ExportFormat) -> None:
    evil = ExportRow("+12025550123", 'x"\n^1?.* #= all\r\ndatabase put blacklist 1 "y', name='Evil\n.*\u2028"')
    text, stats = export_text(fmt, [evil])
    entries = [line for line in text.splitlines() if line and not line.startswith(("#", "pattern,"))]
    assert len(entries) == 1 and stats.written == 1
    if fmt is ExportFormat.ASTDB:
        assert entries[0].count('"') == 2


def test_hostile_names_stay_well_formed_xml_and_json() -> None:
    evil = ExportRow("+12025550123", name='<script>alert("&")</script>\x00\x1b]0;')
    root = etree.fromstring(export_text(ExportFormat.FRITZBOX, [evil])[0].encode())
    assert root.findtext("phonebook/contact/person/realName") == '<script>alert("&")</script> ]0;'
    assert json.loads(export_text(ExportFormat.JSON, [evil])[0])["entries"][0]["name"].startswith("<script>")
    assert json.loads(export_text(ExportFormat.CALLBLOCKER, [evil])[0])["entries"][0]["name"].startswith("<script>")


def test_national_form_only_for_the_regions_country_code() -> None:
    text, _ = export_text(ExportFormat.TXT, national_region="US")
    assert text.splitlines()[:5] == ["2025550123", "3125550199", "8765550100", "+4930123456", "+442079460123"]
    assert "202555*" in text.splitlines()
    text, _ = export_text(ExportFormat.TXT, national_region="DE")
    assert "030123456" in text.splitlines() and "030*" in text.splitlines() and "+12025550123" in text.splitlines()
    v4, _ = export_text(ExportFormat.VCARD4, national_region="US")
    assert "TEL;VALUE=text;TYPE=voice:2025550123\r\n" in v4 and "tel:+4930123456" in v4
    callkit, _ = export_text(ExportFormat.CALLKIT, sorted(ROWS, key=lambda r: r.pattern), national_region="US")
    assert "12025550123" in callkit.splitlines()


def test_binary_stream_and_path_outputs(tmp_path: Path) -> None:
    binary = io.BytesIO()
    export_rows(ROWS, ExportFormat.TXT, binary)
    assert binary.getvalue().decode().startswith("+12025550123\n")
    path = tmp_path / "list.txt"
    stats = export_rows(iter(ROWS), "txt", path)
    assert stats.files == [path] and path.read_text().count("\n") == stats.written


def test_bad_arguments_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(BlocklistError, match="unknown export format 'pdf'"):
        export_rows(ROWS, "pdf", io.StringIO())
    with pytest.raises(BlocklistError, match="chunk size"):
        export_rows(ROWS, ExportFormat.VCARD, io.StringIO(), chunk_size=0)
    with pytest.raises(BlocklistError, match="unknown region"):
        export_rows(ROWS, ExportFormat.TXT, io.StringIO(), national_region="XX")
    with pytest.raises(BlocklistError, match="cannot write"):
        export_rows(ROWS, ExportFormat.TXT, tmp_path / "missing" / "dir" / "x.txt")


def test_export_streams_rows_lazily() -> None:
    consumed = 0

    def endless():  # noqa: ANN202
        nonlocal consumed
        for index in range(50_000):
            consumed += 1
            yield ExportRow(f"+1202{index:07d}")

    stats = export_rows(endless(), ExportFormat.TXT, io.StringIO())
    assert stats.written == consumed == 50_000
