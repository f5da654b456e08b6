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

TAKEOUT = Path(__file__).parent / "data" / "takeout"
CALLS_DIR = TAKEOUT / "Takeout" / "Voice" / "Calls"

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


@pytest.fixture
def make_storedata(tmp_path: Path) -> Callable[..., Path]:
    """Build a CallHistory.storedata-like SQLite file with ZCALLRECORD rows."""

    def build(rows: Sequence[dict[str, Any]], columns: Sequence[str] = STOREDATA_COLUMNS,
              name: str = "CallHistory.storedata") -> Path:
        path = tmp_path / name
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

    return build


@pytest.fixture
def make_takeout_zip(tmp_path: Path) -> Callable[..., Path]:
    """Zip the Takeout fixture folder (as Google ships it), plus any extra members."""

    def build(extra: dict[str, bytes] | None = None, name: str = "takeout-20240310T101010Z-001.zip") -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("Takeout/archive_browser.html", "<html><body>Archive</body></html>")
            for page in sorted(CALLS_DIR.iterdir()):
                archive.write(page, f"Takeout/Voice/Calls/{page.name}")
            for member, data in (extra or {}).items():
                archive.writestr(member, data)
        return path

    return build
