"""Import: the real samples, format detection, every reader's own syntax, and hostile input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lookup.blocklists import (
    BlocklistError,
    detect_import_format,
    read_entries,
)
from lookup.models import MAX_PROBLEMS, ReadTally

DATA = Path(__file__).parent / "data"


def read_all(path: Path, fmt: str = "auto", region: str = "US") -> tuple[list, ReadTally]:  # noqa: ANN001
    stats = ReadTally()
    return list(read_entries(path, fmt, region=region, tally=stats)), stats


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


# ---------------------------------------------------------------- the real samples


def test_ncid_sample_imports() -> None:
    path = DATA / "ncidd.blacklist"
    assert detect_import_format(path) == "ncid"
    entries, stats = read_all(path, region="MX")
    patterns = [entry.pattern for entry in entries]
    assert len(entries) == 63 and stats.skipped == 0
    assert patterns[:3] == ["+1999*", "+1264*", "+1268*"]  # ^1?999, ^1?264 ...
    assert "+1900*" in patterns
    assert "+5222288002*" in patterns  # 22288002[0-9]{2}
    assert "+52814445*" in patterns  # 814445[0-9]{4}
    assert "+523325040010" in patterns  # a whole Mexican number
    by_pattern = {entry.pattern: entry for entry in entries}
    assert by_pattern["+1876*"].description == "Jamica"
    assert by_pattern["+525587520984"].description == "Extorsion"


def test_spam_vcard_sample_imports_as_a_blocklist() -> None:
    path = DATA / "vcard_spam_contact_many_tel.vcf"
    assert detect_import_format(path) == "vcard"
    entries, stats = read_all(path)
    assert len(entries) == 200 and stats.skipped == 0
    assert entries[0].pattern == "+84598382300" and entries[-1].pattern == "+84598382499"
    assert {entry.name for entry in entries} == {"Spammer"}


def test_spam_vcard_sample_imports_as_contacts() -> None:
    entries, stats = read_all(DATA / "vcard_spam_contact_many_tel.vcf", "contacts_vcard")
    assert len({entry.pattern for entry in entries}) == 200 and stats.skipped == 0
    assert all(entry.pattern.startswith("+845983824") or entry.pattern.startswith("+845983823") for entry in entries)


def test_callblocker_sample_imports() -> None:
    path = DATA / "callblocker_blocklist_main.json"
    assert detect_import_format(path) == "callblocker"
    entries, stats = read_all(path)
    assert [(entry.pattern, entry.name) for entry in entries] == [
        ("+41449999999", "Test single number"),
        ("+4144888*", "Test range 1"),
        ("+234*", "Test range 2"),
        ("+41441119999", "Mr. X 2 in blocklist too"),
    ]
    assert stats.skipped == 1 and "SPAM*" in stats.problems[0]


# ---------------------------------------------------------------- detection

DETECT = [
    ("plain.txt", "+12025550123\n2025550199\n# comment\n", "txt"),
    ("list.csv", "number,description,verdict,score,added_at\n+12025550123,x,,,\n", "csv"),
    ("freepbx.csv", "number,description\n2025550123,x\n", "freepbx"),
    ("yacb.csv", "ID,name,pattern,creationTimestamp,numberOfCalls,lastCallTimestamp\n1,x,+1202*,0,0,\n", "yacb"),
    ("rules.csv", "pattern,description,priority,isBlacklist\n1202555.*,x,1,true\n", "spamblocker"),
    ("google.csv", "Name,Given Name,Family Name,Phone 1 - Type,Phone 1 - Value\nA,A,B,Mobile,+12025550123\n", "google_contacts_csv"),
    ("put.txt", 'database put blacklist 2025550123 "x"\n', "astdb"),
    ("blacklist", "^1?876    # Jamaica\n", "ncid"),
    ("whitelist", "2025550123 #= Mom\n", "ncid"),
    ("book.xml", '<?xml version="1.0"?><phonebooks><phonebook/></phonebooks>', "fritzbox"),
    ("mine.json", '{"format": "whocalled-blocklist", "entries": []}', "json"),
    ("numbers.json", '["+12025550123"]', "json"),
    ("cb.json", '{"name": "x", "entries": [{"number": "+1202"}]}', "callblocker"),
    ("people.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Mom\r\nTEL:+12025550123\r\nEND:VCARD\r\n", "contacts_vcard"),
    ("spam4.vcf", "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Spam\r\nTEL;VALUE=uri:tel:+12025550123\r\nEND:VCARD\r\n", "vcard4"),
]


@pytest.mark.parametrize("name,text,expected", DETECT, ids=[case[2] + "-" + case[0] for case in DETECT])
def test_detects_formats(name: str, text: str, expected: str, tmp_path: Path) -> None:
    assert detect_import_format(write(tmp_path, name, text)) == expected


@pytest.mark.parametrize(
    "text,message",
    [
        ("hello world\nthis is prose\n", "cannot tell the format"),
        ("", "empty"),
        ("Company_Phone_Number,Created_Date,Violation_Date,Consumer_City,Consumer_State,Consumer_Area_Code,Subject,Recorded_Message_Or_Robocall\n", "sync ftc"),
        ("<html><body>not a phonebook</body></html>", "not a FRITZ!Box"),
    ],
    ids=["prose", "empty", "ftc-csv", "html"],
)
def test_detection_failures_say_what_was_tried(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(BlocklistError, match=message):
        detect_import_format(write(tmp_path, "mystery.dat", text))


def test_missing_file_and_unknown_format_fail_before_iterating(tmp_path: Path) -> None:
    with pytest.raises(BlocklistError, match="no such file"):
        read_entries(tmp_path / "nope.txt", "txt")
    with pytest.raises(BlocklistError, match="no such file"):
        read_entries(tmp_path / "nope.txt")
    with pytest.raises(BlocklistError, match="cannot import format 'callkit'"):
        read_entries(write(tmp_path, "x.txt", "+12025550123\n"), "callkit")


# ---------------------------------------------------------------- malformed and hostile input


def test_malformed_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    path = write(tmp_path, "list.txt", "abc\n+1 (202) 555-0123 x 44\nAnonymous\n911\n12\n\n+1202555*  # a range\n")
    entries, stats = read_all(path, "txt")
    assert [entry.pattern for entry in entries] == ["+12025550123", "+1202555*"]
    assert stats.read == 2 and stats.skipped == 4
    assert stats.problems[0] == "line 1: not a phone number: 'abc'"
    assert stats.problems[1].startswith("line 3: withheld caller")
    assert stats.problems[2].startswith("line 4: emergency")


def test_problems_are_capped_but_all_counted(tmp_path: Path) -> None:
    path = write(tmp_path, "junk.txt", "nope\n" * (MAX_PROBLEMS + 30))
    entries, stats = read_all(path, "txt")
    assert entries == [] and stats.skipped == MAX_PROBLEMS + 30 and len(stats.problems) == MAX_PROBLEMS


def test_overlong_lines_are_never_read_whole(tmp_path: Path) -> None:
    path = write(tmp_path, "long.txt", "9" * 300_000 + "\n+12025550123\n")
    entries, stats = read_all(path, "txt")
    assert [entry.pattern for entry in entries] == ["+12025550123"]
    assert stats.problems == ["line 1: longer than 65536 characters"]


def test_junk_bytes_do_not_crash(tmp_path: Path) -> None:
    junk = bytes(range(256)) * 40 + b"\n\x00\xff+12025550123\x00\n"
    path = write(tmp_path, "junk.bin", junk)
    with pytest.raises(BlocklistError):
        detect_import_format(path)
    for fmt in ("txt", "ncid", "csv", "freepbx", "astdb", "yacb", "spamblocker", "vcard", "google_contacts_csv"):
        entries, stats = read_all(path, fmt)
        assert stats.read == len(entries)
    entries, _ = read_all(path, "txt")
    assert "+12025550123" in {entry.pattern for entry in entries}


ENTITY_BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<phonebooks><phonebook><contact><person><realName>&lol4;</realName></person>
<telephony><number>+12025550123</number></telephony></contact></phonebook></phonebooks>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE phonebooks [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<phonebooks><phonebook><contact><person><realName>&secret;</realName></person></contact></phonebook></phonebooks>
"""


@pytest.mark.parametrize("text", [ENTITY_BOMB, EXTERNAL_ENTITY], ids=["entity-bomb", "external-entity"])
def test_xml_with_a_dtd_is_refused(text: str, tmp_path: Path) -> None:
    path = write(tmp_path, "book.xml", text)
    assert detect_import_format(path) == "fritzbox"
    with pytest.raises(BlocklistError, match="refused"):
        read_all(path)


def test_broken_xml_and_json_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(BlocklistError, match="not well-formed"):
        read_all(write(tmp_path, "cut.xml", "<phonebooks><phonebook><contact>"), "fritzbox")
    with pytest.raises(BlocklistError, match="not valid JSON"):
        read_all(write(tmp_path, "cut.json", '{"entries": ['), "json")
    with pytest.raises(BlocklistError, match="not valid JSON"):
        read_all(write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000), "json")
    with pytest.raises(BlocklistError, match='not a JSON list of entries: no "entries" list'):
        read_all(write(tmp_path, "other.json", '{"numbers": []}'), "callblocker")


def test_an_oversized_json_entry_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # JSON is streamed, so a big file is fine; one entry bigger than the buffer may grow to is not
    from lookup.blocklists import jsonstream

    monkeypatch.setattr(jsonstream, "MAX_VALUE", 100)
    monkeypatch.setattr(jsonstream, "CHUNK", 16)
    small = json.dumps(["+12025550123"] * 20)
    assert len(read_all(write(tmp_path, "many.json", small), "json")[0]) == 20
    big = json.dumps([{"pattern": "+12025550123", "description": "x" * 500}])
    with pytest.raises(BlocklistError, match="longer than"):
        read_all(write(tmp_path, "big.json", big), "json")


def test_utf16_files_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, "excel.csv", "number,description\r\n2025550123,Zoë\r\n".encode("utf-16"))
    assert detect_import_format(path) == "freepbx"
    entries, _ = read_all(path)
    assert [(entry.pattern, entry.description) for entry in entries] == [("+12025550123", "Zoë")]


# ---------------------------------------------------------------- each reader's own syntax

FRITZ_BOOK = """<?xml version="1.0" encoding="utf-8"?>
<phonebooks><phonebook owner="1" name="Rufsperre">
<contact><category>0</category><person><realName>Werbung &amp; Co</realName></person>
<telephony nid="3"><number type="home" prio="1" id="0">030123456</number>
<number type="mobile" prio="0" id="1">0049 171 2345678</number><number type="intern" id="2">**610</number></telephony>
<services/><setup/><features doorphone="0"/><mod_time>1700000000</mod_time><uniqueid>12</uniqueid></contact>
<contact><category>0</category><person><realName>Vorwahl</realName></person>
<telephony nid="1"><number type="home" prio="1" id="0">0900*</number></telephony></contact>
</phonebook></phonebooks>
"""


def test_fritzbox_reader_takes_national_numbers_and_skips_internal_ones(tmp_path: Path) -> None:
    entries, stats = read_all(write(tmp_path, "book.xml", FRITZ_BOOK), region="DE")
    assert [(entry.pattern, entry.name) for entry in entries] == [
        ("+4930123456", "Werbung & Co"),
        ("+491712345678", "Werbung & Co"),
        ("+49900*", "Vorwahl"),
    ]
    assert stats.skipped == 1 and "internal" in stats.problems[0]


NCID_CASES = [
    ("^1?8005551212", "+18005551212"),
    ("18005551212", "+18005551212"),
    ("^1800555", "+1800555*"),
    ("^202555$", None),
    ("2025551212$", "+12025551212"),
    ("^1?202555[0-9]{4}", "+1202555*"),
    ("202555\\d\\d\\d\\d", "+1202555*"),
    ("4930123456", "+4930123456"),
    ("MARKETING", None),
    ('"BAD MARKETING"', None),
    ("555", None),
    ("(202|303)555", None),
]


@pytest.mark.parametrize("line,expected", NCID_CASES, ids=[case[0] for case in NCID_CASES])
def test_ncid_expressions(line: str, expected: str | None, tmp_path: Path) -> None:
    entries, stats = read_all(write(tmp_path, "blacklist", line + "\n"), "ncid")
    assert [entry.pattern for entry in entries] == ([expected] if expected else [])
    assert stats.skipped == (0 if expected else 1)


def test_ncid_name_and_number_on_one_line(tmp_path: Path) -> None:
    entries, stats = read_all(write(tmp_path, "blacklist", 'Ogre 13215551212 "#1 FAN" #= Unwanted Marketing Call\n'), "ncid")
    assert [(entry.pattern, entry.name) for entry in entries] == [("+13215551212", "Unwanted Marketing Call")]
    assert stats.skipped == 2 and "caller names" in stats.problems[0]


def test_yacb_reads_legacy_and_regex_backups(tmp_path: Path) -> None:
    legacy = "ID,name,pattern,creationTimestamp,numberOfCalls,lastCallTimestamp\n1,Bank,+1202555*,1700000000000,3,\n2,x,+120255501##,0,0,\n3,y,+1*555,0,0,\n"
    entries, stats = read_all(write(tmp_path, "yacb.csv", legacy))
    assert [(e.pattern, e.name) for e in entries] == [("+1202555*", "Bank"), ("+120255501*", "x")]
    assert stats.skipped == 1
    regex = (
        "ID,name,pattern,creationTimestamp,numberOfCalls,lastCallTimestamp,allow,position\n"
        "1,a,\\+12025550123,0,0,,false,0\n2,b,\\+1303555.*,0,0,,false,1\n3,mom,\\+12025550100,0,0,,true,2\n"
    )
    entries, stats = read_all(write(tmp_path, "yacb2.csv", regex))
    assert [e.pattern for e in entries] == ["+12025550123", "+1303555*"]
    assert stats.skipped == 1 and "allow rule" in stats.problems[0]
    entries, _ = read_all(write(tmp_path, "nophonespam.txt", "+1202555*: DC range\n"), "yacb")
    assert [(e.pattern, e.name) for e in entries] == [("+1202555*", "DC range")]


def test_spamblocker_reads_simple_regexes_only(tmp_path: Path) -> None:
    text = "pattern,description,priority,isBlacklist\n12025550123,a,1,true\n1303555.*,b,1,true\n4930\\d+,c,1,true\n(800|888).*,d,1,true\n12025550100,mom,1,false\n"
    entries, stats = read_all(write(tmp_path, "rules.csv", text))
    assert [(e.pattern, e.description) for e in entries] == [("+12025550123", "a"), ("+1303555*", "b"), ("+4930*", "c")]
    assert stats.skipped == 2


def test_astdb_and_freepbx_readers(tmp_path: Path) -> None:
    astdb = 'database put blacklist 2025550123 "Card \\"services\\""\ndatabase put blacklist blocked 1\ndatabase del blacklist 3035550100\n'
    entries, stats = read_all(write(tmp_path, "put.txt", astdb))
    assert [e.pattern for e in entries] == ["+12025550123"] and stats.skipped == 1
    freepbx = "number,description\n2025550123,Telemarketer/Call\nblocked,1\n"
    entries, _ = read_all(write(tmp_path, "freepbx.csv", freepbx))
    assert [(e.pattern, e.description) for e in entries] == [("+12025550123", "Telemarketer")]


def test_csv_without_header(tmp_path: Path) -> None:
    entries, _ = read_all(write(tmp_path, "bare.csv", "2025550123,friend's list\n+4930123456\n"), "csv")
    assert [(e.pattern, e.description) for e in entries] == [("+12025550123", "friend's list"), ("+4930123456", None)]


def test_a_list_in_national_notation_with_comments_is_detected_as_text(tmp_path) -> None:
    from lookup.blocklists import detect_import_format

    path = tmp_path / "friends.txt"
    path.write_text("# from Anna\n(212) 555-0177   # twice, no message\n(212) 555-0178\ntel:+442079460123\n")
    assert detect_import_format(path) == "txt"

