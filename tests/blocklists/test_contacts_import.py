"""Contacts as the allow list: vCard address books and Google Contacts CSV."""

from __future__ import annotations

from pathlib import Path

from lookup.blocklists import detect_import_format, read_entries
from lookup.models import ReadTally

ADDRESS_BOOK = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "FN:Jane Doe\r\n"
    "N:Doe;Jane;;;\r\n"
    "TEL;TYPE=CELL:(202) 555-0123\r\n"
    "item1.TEL;TYPE=pref:+1 303 555 0100 ext. 12\r\n"
    "item1.X-ABLabel:work\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;\r\n"
    "TEL;HOME:+49 30 1234\r\n"
    " 56\r\n"
    "TEL;CELL:24273\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "ORG:Dentist\\, downtown;Front desk\r\n"
    "TEL;VALUE=uri;TYPE=voice:tel:+1-617-555-0199;ext=7\r\n"
    "TEL;TYPE=fax:not a number\r\n"
    "END:VCARD\r\n"
)


def read_all(path: Path, fmt: str = "auto") -> tuple[list, ReadTally]:  # noqa: ANN001
    stats = ReadTally()
    return list(read_entries(path, fmt, tally=stats)), stats


def test_vcard_address_book_gives_allow_entries(tmp_path: Path) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_text(ADDRESS_BOOK, newline="")
    assert detect_import_format(path) == "contacts_vcard"
    entries, stats = read_all(path)
    assert [(entry.pattern, entry.name) for entry in entries] == [
        ("+12025550123", "Jane Doe"),
        ("+13035550100", "Jane Doe"),  # group prefix understood, extension dropped
        ("+4930123456", "Jürgen Müller"),  # folded line, quoted-printable N
        ("+16175550199", "Dentist, downtown"),  # tel: URI, ORG when there is no name
    ]
    assert stats.skipped == 2
    assert "short code" in stats.problems[0] and "not a phone number" in stats.problems[1]


def test_a_vcard_cut_off_before_end_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "cut.vcf"
    path.write_text("BEGIN:VCARD\nFN:Mom\nTEL:2025550123\n")
    entries, _ = read_all(path, "contacts_vcard")
    assert [(entry.pattern, entry.name) for entry in entries] == [("+12025550123", "Mom")]


GOOGLE_OLD = (
    "Name,Given Name,Additional Name,Family Name,Yomi Name,Nickname,Group Membership,"
    "E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value,Phone 2 - Type,Phone 2 - Value,"
    "Organization 1 - Name\n"
    "Jane Doe,Jane,,Doe,,,* myContacts,* Home,jane@example.com,Mobile,+1 202-555-0123 ::: (303) 555-0100,Work,617.555.0199,\n"
    ",,,,,,* myContacts,,,Main,+44 20 7946 0123,,,City Plumbing\n"
    "Nobody,,,,,,,,,,,,,\n"
    "Broken,,,,,,,,,Mobile,call me,,,\n"
)

GOOGLE_NEW = (
    "First Name,Middle Name,Last Name,Phonetic First Name,Nickname,Labels,Phone 1 - Label,Phone 1 - Value\n"
    'Ana,María,López,,,* myContacts,Mobile,"+34 612 34 56 78 ::: 612 345 679"\n'
)


def test_google_contacts_csv_old_header(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(GOOGLE_OLD)
    assert detect_import_format(path) == "google_contacts_csv"
    entries, stats = read_all(path)
    assert [(entry.pattern, entry.name) for entry in entries] == [
        ("+12025550123", "Jane Doe"),
        ("+13035550100", "Jane Doe"),
        ("+16175550199", "Jane Doe"),
        ("+442079460123", "City Plumbing"),
    ]
    assert stats.skipped == 1 and stats.problems == ["line 5: not a phone number: 'call me'"]


def test_google_contacts_csv_new_header(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(GOOGLE_NEW)
    assert detect_import_format(path) == "google_contacts_csv"
    stats = ReadTally()
    entries = list(read_entries(path, region="ES", tally=stats))
    assert [(entry.pattern, entry.name) for entry in entries] == [
        ("+34612345678", "Ana María López"),
        ("+34612345679", "Ana María López"),
    ]
