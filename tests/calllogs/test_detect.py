"""Format detection from content (not the suffix), and clear errors for files of the wrong kind."""

from __future__ import annotations

import sqlite3
import zipfile
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from lookup.calllogs import READERS, CallLogError, LogFormat, detect_format, read_calls

DATA = Path(__file__).parent / "data"
TAKEOUT = DATA / "takeout"
CALLS_DIR = TAKEOUT / "Takeout" / "Voice" / "Calls"


TRIED = "tried: " + ", ".join(fmt.value for fmt in READERS)


def test_every_format_has_one_registry_row() -> None:
    assert set(READERS) == set(LogFormat)
    for fmt, reader in READERS.items():
        assert reader.module.FORMAT is fmt
        assert (reader.is_format, reader.read) == (reader.module.is_format, reader.module.read)


def test_every_format_has_samples(samples: dict[LogFormat, tuple[str, ...]]) -> None:
    """The sample table the format tests iterate covers the registry: no format escapes them."""
    assert set(samples) == set(READERS) and all(samples.values())


def test_detects_sample(sample: tuple[LogFormat, str], sample_path: Callable[[str], Path]) -> None:
    fmt, name = sample
    assert detect_format(sample_path(name)) is fmt
    assert next(iter(read_calls(sample_path(name))), None) is not None


@pytest.mark.parametrize(
    ("name", "source"),
    [
        pytest.param("backup.dat", "calls-20240310091245.xml", id="android-xml-without-suffix"),
        pytest.param("calls.txt", "Master.csv", id="asterisk-named-txt"),
        pytest.param("export.xml", "fritzbox_de_8col.csv", id="fritzbox-named-xml"),
    ],
)
def test_content_wins_over_suffix(tmp_path: Path, name: str, source: str) -> None:
    path = tmp_path / name
    path.write_bytes((DATA / source).read_bytes())
    assert detect_format(path) is detect_format(DATA / source)


def test_detects_storedata_and_zip(make_storedata: Callable[..., Path], make_takeout_zip: Callable[..., Path]) -> None:
    assert detect_format(make_storedata([], name="calls.bin")) is LogFormat.IOS_CALLHISTORY
    assert detect_format(make_takeout_zip(name="export.dat")) is LogFormat.GVOICE_TAKEOUT


WRONG_FILES = [
    pytest.param("calls.bin", bytes(range(256)) * 64, id="binary-junk"),
    pytest.param("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200, id="png"),
    pytest.param("contacts.json", b'{"contacts": [{"name": "Maria", "tel": "+12125550148"}]}', id="json"),
    pytest.param("page.html", b"<html><body><script>alert(1)</script><p>Hello</p></body></html>", id="html"),
    pytest.param("notes.txt", "Einkaufsliste: Milch, Brot, Käse\nTermin beim Zahnarzt\n".encode("latin-1"),
                 id="latin1-prose"),
    pytest.param("feed.xml", b"<?xml version='1.0'?><rss><channel><title>x</title></channel></rss>", id="other-xml"),
    pytest.param("fake.zip", b"PK\x03\x04" + b"\xff" * 300, id="broken-zip"),
]


@pytest.mark.parametrize(("name", "content"), WRONG_FILES)
def test_wrong_file_names_the_formats_tried(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CallLogError) as caught:
        detect_format(path)
    assert str(caught.value) == f"{name}: not a call log I can read ({TRIED})"


def test_other_sqlite_is_wrong_kind(tmp_path: Path) -> None:
    path = tmp_path / "sms.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT)")
    with pytest.raises(CallLogError, match=r"sms.db: not a call log I can read \(tried: ios_callhistory"):
        detect_format(path)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        pytest.param(lambda p: p.write_bytes(b""), "empty file", id="empty"),
        pytest.param(lambda p: None, "no such file", id="missing"),
        pytest.param(lambda p: p.mkdir(), "folder without Google Voice call pages", id="empty-folder"),
    ],
)
def test_empty_missing_and_folder(tmp_path: Path, setup: Callable[[Path], None], message: str) -> None:
    path = tmp_path / "calls-x"
    setup(path)
    with pytest.raises(CallLogError, match=f"calls-x: {message}"):
        read_calls(path)


def test_errors_are_value_errors_with_one_line() -> None:
    with pytest.raises(ValueError) as caught:
        read_calls(DATA / "nothing-here.xml")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("fmt", "source", "message"),
    [
        pytest.param("fritzbox_csv", "Master.csv", "FRITZ!Box header", id="fritzbox-on-asterisk"),
        pytest.param("android_xml", "fritzbox_en.csv", "not well-formed XML", id="xml-on-csv"),
        pytest.param("ios_callhistory", "numbers.txt", "not a readable SQLite database", id="sqlite-on-text"),
        pytest.param("gvoice_takeout", "generic_calls.csv", "not a Google Voice call page", id="takeout-on-csv"),
        pytest.param("vcard", "numbers.txt", "unknown format 'vcard'", id="unknown-format-name"),
    ],
)
def test_forced_format_on_wrong_file(fmt: str, source: str, message: str) -> None:
    with pytest.raises(CallLogError, match=message):
        list(read_calls(DATA / source, fmt=fmt))


def test_unknown_time_zone() -> None:
    with pytest.raises(CallLogError, match="unknown time zone 'Mars/Olympus'"):
        read_calls(DATA / "Master.csv", tz="Mars/Olympus")


def test_zip_of_a_takeout_without_calls_folder_name(tmp_path: Path) -> None:
    path = tmp_path / "takeout.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for page in CALLS_DIR.glob("*.html"):
            archive.write(page, f"Voice/{page.name}")  # no Calls folder: not a Takeout layout
    with pytest.raises(CallLogError, match="not a call log I can read"):
        detect_format(path)
    assert TAKEOUT.is_dir()


def test_utf16_logs_read_like_their_utf8_originals(sample: tuple[LogFormat, str], sample_path: Callable[[str], Path],
                                                   tmp_path: Path) -> None:
    """Windows tools save "Unicode" text as UTF-16 with a byte-order mark: every text format
    reads the same calls from it as from the UTF-8 original, in either byte order."""
    fmt, name = sample
    source = sample_path(name)
    if READERS[fmt].binary or source.suffix == ".html":
        pytest.skip("not a text format")
    data = source.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # FRITZ!Box lists are Latin-1
    text = text.replace("encoding='UTF-8'", "encoding='UTF-16'")
    expected = list(read_calls(source, tz="Europe/Berlin"))
    for codec in ("utf-16", "utf-16-be"):
        path = tmp_path / f"{codec}-{Path(name).name}"
        encoded = text.encode(codec)
        path.write_bytes(encoded if codec == "utf-16" else b"\xfe\xff" + encoded)
        assert detect_format(path) is fmt
        assert list(read_calls(path, tz="Europe/Berlin")) == expected


def test_a_nul_byte_costs_its_line_not_the_log(tmp_path: Path) -> None:
    lines = (DATA / "generic_calls.csv").read_bytes().split(b"\n")
    lines[2] = lines[2][:10] + b"\x00" + lines[2][10:]
    path = tmp_path / "calls.csv"
    path.write_bytes(b"\n".join(lines))
    assert detect_format(path) is LogFormat.GENERIC_CSV
    from lookup.models import ReadTally

    tally = ReadTally()
    calls = list(read_calls(path, tally=tally))
    assert len(calls) == len(list(read_calls(DATA / "generic_calls.csv"))) - 1
    assert "line 3: binary junk" in tally.problems
