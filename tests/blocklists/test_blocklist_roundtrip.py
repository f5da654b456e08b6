"""Round trip: what every readable format exports, ``read_entries`` reads back as the same patterns."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookup.blocklists import (
    FORMATS,
    ExportFormat,
    ExportRow,
    detect_import_format,
    export_rows,
    read_entries,
)
from lookup.models import ReadTally

# every format of the registry that is both written and read
READABLE = [ExportFormat(spec.name) for spec in FORMATS.values() if spec.writer and spec.reader]

ROWS = (
    ExportRow("+12025550123", "user block", "likely_spam", 81, "2024-05-01T12:00:00+00:00", "Card Services"),
    ExportRow("+13125550199", 'reported, "twice"; by me', None, None, "2024-05-02T08:30:00+00:00"),
    ExportRow("+18765550100", None, "suspicious", 40),
    ExportRow("+4930123456", "Berlin"),
    ExportRow("+442079460123", "Zoë in London"),
    ExportRow("+1202555*", "DC exchange 555"),
    ExportRow("+4930*", "Berlin area"),
    ExportRow("+16175550123;ext=42"),
    ExportRow("Anonymous", "withheld"),
)
EXACT = {"+12025550123", "+13125550199", "+18765550100", "+4930123456", "+442079460123", "+16175550123"}
NANP_PREFIX = "+1202555*"
FOREIGN_PREFIX = "+4930*"

# the prefixes each format can carry (the rest were skipped on export)
CARRIES = {
    ExportFormat.TXT: {NANP_PREFIX, FOREIGN_PREFIX},
    ExportFormat.CSV: {NANP_PREFIX, FOREIGN_PREFIX},
    ExportFormat.JSON: {NANP_PREFIX, FOREIGN_PREFIX},
    ExportFormat.VCARD: set(),
    ExportFormat.VCARD4: set(),
    ExportFormat.FRITZBOX: set(),
    ExportFormat.NCID: {NANP_PREFIX},
    ExportFormat.FREEPBX: set(),
    ExportFormat.ASTDB: set(),
    ExportFormat.YACB: {NANP_PREFIX, FOREIGN_PREFIX},
    ExportFormat.SPAMBLOCKER: {NANP_PREFIX, FOREIGN_PREFIX},
    ExportFormat.CALLBLOCKER: {NANP_PREFIX, FOREIGN_PREFIX},
}


def test_every_readable_format_is_in_the_table() -> None:
    assert set(CARRIES) == set(READABLE)


@pytest.mark.parametrize("fmt", sorted(READABLE), ids=str)
def test_export_then_import_gives_the_same_patterns(fmt: ExportFormat, tmp_path: Path) -> None:
    path = tmp_path / f"list.{fmt.value}"
    export_rows(ROWS, fmt, path)
    assert detect_import_format(path) == fmt.value
    stats = ReadTally()
    entries = list(read_entries(path, region="US", tally=stats))
    assert {entry.pattern for entry in entries} == EXACT | CARRIES[fmt]
    assert stats.skipped == 0, stats.problems
    assert stats.read == len(entries)


NATIONAL = [
    ExportFormat.TXT,
    ExportFormat.CSV,
    ExportFormat.JSON,
    ExportFormat.VCARD,
    ExportFormat.VCARD4,
    ExportFormat.FRITZBOX,
    ExportFormat.NCID,
    ExportFormat.FREEPBX,
    ExportFormat.ASTDB,
    ExportFormat.YACB,
]


@pytest.mark.parametrize("region", ["US", "DE"])
@pytest.mark.parametrize("fmt", NATIONAL, ids=str)
def test_national_export_reads_back_in_the_same_region(fmt: ExportFormat, region: str, tmp_path: Path) -> None:
    path = tmp_path / f"list.{fmt.value}"
    export_rows(ROWS, fmt, path, national_region=region)
    patterns = {entry.pattern for entry in read_entries(path, fmt.value, region=region)}
    expected = EXACT | CARRIES[fmt]
    if fmt is ExportFormat.NCID and region == "DE":
        expected = expected | {FOREIGN_PREFIX}  # national prefixes are anchored, so NCID carries them
    assert patterns == expected


def test_names_and_descriptions_come_back(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    export_rows(ROWS, ExportFormat.JSON, path)
    entries = {entry.pattern: entry for entry in read_entries(path)}
    assert entries["+12025550123"].name == "Card Services"
    assert entries["+13125550199"].description == 'reported, "twice"; by me'
    assert entries["+442079460123"].description == "Zoë in London"
    path = tmp_path / "list.ncid"
    export_rows(ROWS, ExportFormat.NCID, path)
    entries = {entry.pattern: entry for entry in read_entries(path)}
    assert entries["+12025550123"].name == "Card Services"
    assert entries[NANP_PREFIX].description == "DC exchange 555"


def test_fritzbox_parts_each_import(tmp_path: Path) -> None:
    stats = export_rows(ROWS, ExportFormat.FRITZBOX, tmp_path / "book.xml", chunk_size=4)
    patterns = set()
    for path in stats.files:
        patterns |= {entry.pattern for entry in read_entries(path)}
    assert len(stats.files) == 2 and patterns == EXACT
