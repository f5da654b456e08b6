"""Shared fixtures for the call-log tests: the data folder, local-zone control, file builders."""

from __future__ import annotations

import os
import sqlite3
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from lookup.models import LogFormat

DATA = Path(__file__).parent / "data"
TAKEOUT = DATA / "takeout"
CALLS_DIR = TAKEOUT / "Takeout" / "Voice" / "Calls"
SHARED_SAMPLES = Path("/work/shared/samples")

# Real samples of every format, by name: files in tests/calllogs/data, or a file the
# ``sample_path`` fixture builds (an iPhone CallHistory database, a Takeout zip).
SAMPLES: dict[LogFormat, tuple[str, ...]] = {
    LogFormat.ANDROID_XML: ("calls-20240310091245.xml", "smses-with-calls.xml"),
    LogFormat.GVOICE_TAKEOUT: ("takeout", "takeout.zip", str(CALLS_DIR / "+17323215555 - Missed - 2016-11-22T17_57_49Z.html")),
    LogFormat.IOS_CALLHISTORY: ("CallHistory.storedata",),
    LogFormat.FRITZBOX_CSV: ("fritzbox_de_7col.csv", "fritzbox_de_8col.csv", "fritzbox_en.csv", "fritzbox_classic_typ.csv"),
    LogFormat.ASTERISK_CSV: ("Master.csv",),
    LogFormat.GENERIC_CSV: ("generic_calls.csv",),
    LogFormat.PLAIN_TEXT: ("numbers.txt",),
}
# A CallHistory.storedata sample: Core Data seconds since 2001, as the phone writes them.
STOREDATA_SAMPLE = (
    {"Z_PK": 1, "ZDATE": 731404800.5, "ZDURATION": 0.0, "ZADDRESS": b"+18765550123", "ZORIGINATED": 0,
     "ZANSWERED": 0, "ZCALLTYPE": 1, "ZNAME": None, "ZISO_COUNTRY_CODE": "us", "ZBLOCKEDBYEXTENSION": 0},
    {"Z_PK": 2, "ZDATE": 731408400.0, "ZDURATION": 95.2, "ZADDRESS": "(212) 555-0148", "ZORIGINATED": 1,
     "ZANSWERED": 1, "ZCALLTYPE": 1, "ZNAME": "Maria Lopez", "ZISO_COUNTRY_CODE": "us", "ZBLOCKEDBYEXTENSION": 0},
    {"Z_PK": 3, "ZDATE": 731412000.0, "ZDURATION": 0.0, "ZADDRESS": "030 1234567", "ZORIGINATED": 0,
     "ZANSWERED": 0, "ZCALLTYPE": 1, "ZNAME": None, "ZISO_COUNTRY_CODE": "de", "ZBLOCKEDBYEXTENSION": 1},
)

STOREDATA_COLUMNS = (
    "Z_PK", "ZDATE", "ZDURATION", "ZADDRESS", "ZORIGINATED", "ZANSWERED", "ZCALLTYPE", "ZNAME",
    "ZISO_COUNTRY_CODE", "ZSERVICE_PROVIDER", "ZBLOCKEDBYEXTENSION",
)


@pytest.fixture
def local_zone() -> Iterator[Callable[[str], None]]:
    """Set the process's local zone (TZ + tzset) for one test and restore it afterwards."""
    saved = os.environ.get("TZ")

    def set_zone(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield set_zone
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


def write_storedata(path: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str] = STOREDATA_COLUMNS) -> Path:
    """A CallHistory.storedata-like SQLite file with ZCALLRECORD rows."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_MAX INTEGER)")
        db.execute(f"CREATE TABLE ZCALLRECORD ({', '.join(columns)})")
        for row in rows:
            cols = [c for c in columns if c in row]
            db.execute(
                f"INSERT INTO ZCALLRECORD ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                [row[c] for c in cols],
            )
        db.commit()
    return path


def write_takeout_zip(path: Path, extra: dict[str, bytes] | None = None) -> Path:
    """The Takeout fixture folder zipped as Google ships it, plus any extra members."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Takeout/archive_browser.html", "<html><body>Archive</body></html>")
        for page in sorted(CALLS_DIR.iterdir()):
            archive.write(page, f"Takeout/Voice/Calls/{page.name}")
        for member, data in (extra or {}).items():
            archive.writestr(member, data)
    return path


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that asks for ``sample`` runs once per sample of every format, ``(format, name)``;
    one that asks for ``log_format`` once per format of the registry."""
    if "sample" in metafunc.fixturenames:
        cases = [pytest.param((fmt, name), id=f"{fmt.value}-{Path(name).name}")
                 for fmt, names in SAMPLES.items() for name in names]
        metafunc.parametrize("sample", cases)
    if "log_format" in metafunc.fixturenames:
        from lookup.calllogs import READERS

        metafunc.parametrize("log_format", list(READERS), ids=[fmt.value for fmt in READERS])


@pytest.fixture
def samples() -> dict[LogFormat, tuple[str, ...]]:
    return SAMPLES


@pytest.fixture
def sample_path(tmp_path: Path) -> Callable[[str], Path]:
    """The path of a sample named in SAMPLES, building the ones that are not files in data/."""

    def find(name: str) -> Path:
        if (tmp_path / name).exists():
            return tmp_path / name
        if name == "CallHistory.storedata":
            return write_storedata(tmp_path / name, STOREDATA_SAMPLE)
        if name == "takeout.zip":
            return write_takeout_zip(tmp_path / name)
        return DATA / name

    return find


@pytest.fixture
def make_storedata(tmp_path: Path) -> Callable[..., Path]:
    """Build a CallHistory.storedata-like SQLite file with ZCALLRECORD rows."""

    def build(rows: Sequence[dict[str, Any]], columns: Sequence[str] = STOREDATA_COLUMNS,
              name: str = "CallHistory.storedata") -> Path:
        return write_storedata(tmp_path / name, rows, columns)

    return build


@pytest.fixture
def make_takeout_zip(tmp_path: Path) -> Callable[..., Path]:
    """Zip the Takeout fixture folder (as Google ships it), plus any extra members."""

    def build(extra: dict[str, bytes] | None = None, name: str = "takeout-20240310T101010Z-001.zip") -> Path:
        return write_takeout_zip(tmp_path / name, extra)

    return build
