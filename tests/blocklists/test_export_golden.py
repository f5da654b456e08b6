"""`whocalled export` output, byte for byte, against golden files written by the code before
the export was made faster (issue 15): every format, from a fixed database holding a block
list with reasons and dates, an allowlist (a number and a range inside blocked ranges), the
user's own reports, blocked ranges, and hostile text (quotes, commas, line breaks, formulas,
terminal escapes, non-Latin letters).

Two databases: the full one exported with ``--include blocked,reported`` (the merged path
through the allowlist), and the same block list alone with nothing allowed (the single-stream
path). The stderr summary is compared too. FRITZ!Box's ``<mod_time>`` is the time of the
export, so it is replaced by a placeholder before comparing.

After a deliberate change of an output format, rewrite the files with
``WHOCALLED_WRITE_GOLDEN=1 .venv/bin/python -m pytest tests/blocklists/test_export_golden.py``
and review the diff.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from db.store import Store
from lookup.blocklists import ExportFormat
from lookup.cli import app
from lookup.models import Category, ListEntry, ListKind, Report

GOLDEN = Path(__file__).parent / "golden"
WRITE = os.environ.get("WHOCALLED_WRITE_GOLDEN") == "1"
HOSTILE = (
    'He said "call back", now',
    "=cmd|' /C calc'!A0",
    "two\nlines\r\nand a tab\there",
    "\x1b]0;pwned\x07escapes\x1b[2J",
    "Mahnung für Müller, 東京 spam ☎",
    "+1+SUM(A1:A9)",
    "back\\slash; semi, comma",
    "@HYPERLINK(\"http://evil.example\")",
)
BLOCKED = [
    ("+12025550123", HOSTILE[0], "2024-05-01T12:00:00+00:00"),
    ("+12025550124", HOSTILE[0], "2024-05-01T12:00:00+00:00"),
    ("+12025550199", HOSTILE[1], "2024-05-02T08:30:00+00:00"),
    ("+13125550100", HOSTILE[2], "2024-06-11T23:59:59+00:00"),
    ("+14155550000", None, "2024-07-04T00:00:00+00:00"),
    ("+14155550001", None, "2024-07-04T00:00:00"),
    ("+4930123456", HOSTILE[4], "2025-01-31T10:00:00Z"),
    ("+493012345678", HOSTILE[3], "2025-02-01T10:00:00+00:00"),
    ("+447911123456", HOSTILE[5], "2025-03-01T09:00:00+00:00"),
    ("+33612345678", HOSTILE[6], "2025-03-02T09:00:00+00:00"),
    ("+61412345678", HOSTILE[7], "2025-03-03"),
    ("+18005550100", "", "2025-04-01T00:00:00+00:00"),
    ("+1202555*", "a whole exchange", "2024-01-01T00:00:00+00:00"),
    ("+1415555*", HOSTILE[1], "2024-01-02T00:00:00+00:00"),
    ("+4930*", HOSTILE[4], "2024-01-03T00:00:00+00:00"),
    ("+44*", None, "2024-01-04T00:00:00+00:00"),
]
ALLOWED = ["+14155550123", "+141555501*", "+12025550125", "+4930123457", "+19175550111"]
REPORTS = [
    ("+12025550123", Category.SCAM, "2025-05-01T10:00:00+00:00"),
    ("+12025550123", Category.ROBOCALL, "2025-05-03T10:00:00+00:00"),
    ("+19175550111", Category.TELEMARKETER, "2025-05-02T10:00:00+00:00"),
    ("+19175550111", Category.TELEMARKETER, "2025-04-02T10:00:00+00:00"),
    ("+4930123456", Category.OTHER, "2025-05-04T10:00:00+00:00"),
    ("+33612345678", Category.SCAM, "2025-05-05T10:00:00+00:00"),
    ("+16175550100", Category.DEBT_COLLECTOR, "2025-05-06T10:00:00+00:00"),
    ("+16175550100", Category.SURVEY, "2025-05-07T10:00:00+00:00"),
]
# (case name, database, extra options)
CASES = [
    ("merged", "full", ["--include", "blocked,reported"]),
    ("merged-national", "full", ["--include", "blocked,reported", "--national", "--chunk-size", "3", "--region", "DE"]),
    ("blocked", "blocked", []),
    ("blocked-national", "blocked", ["--national", "--chunk-size", "4"]),
    ("since", "full", ["--since", "2025-01-31"]),
    ("large", "large", []),
]
LARGE = 4500  # more than one batch of plain numbers (the writers' fast paths); compared by SHA-256
_MOD_TIME = re.compile(r"<mod_time>\d+</mod_time>")


def build_database(path: Path, *, full: bool) -> None:
    with Store(path) as store:
        store.add_list_entries(
            ListEntry(pattern, ListKind.BLOCK, reason=reason, added_at=added_at, origin="golden")
            for pattern, reason, added_at in BLOCKED
        )
        if full:
            store.add_list_entries(
                ListEntry(pattern, ListKind.ALLOW, reason="friend", added_at="2024-01-01T00:00:00+00:00") for pattern in ALLOWED
            )
            for e164, category, created_at in REPORTS:
                store.add_report(Report(e164, category, note=HOSTILE[2], at=created_at, created_at=created_at))


def build_large(path: Path) -> None:
    """``LARGE`` plain NANP numbers (no prefixes, nothing allowed), reasons and dates repeating."""
    with Store(path) as store:
        store.add_list_entries(
            ListEntry(f"+1{2025550000 + 7919 * n % 7000000000}", ListKind.BLOCK, reason=(HOSTILE + (None,))[n % 9],
                      added_at=f"2024-05-{1 + n % 28:02d}T12:00:00+00:00", origin="golden")
            for n in range(LARGE)
        )


def normalize(data: bytes) -> bytes:
    return _MOD_TIME.sub("<mod_time>0</mod_time>", data.decode("utf-8")).encode("utf-8")


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("golden-db")
    paths = {"full": folder / "full.db", "blocked": folder / "blocked.db", "large": folder / "large.db"}
    build_database(paths["full"], full=True)
    build_database(paths["blocked"], full=False)
    build_large(paths["large"])
    return paths


@pytest.mark.parametrize("case,database,options", CASES, ids=[case[0] for case in CASES])
@pytest.mark.parametrize("fmt", [f.value for f in ExportFormat])
def test_export_matches_golden(fmt: str, case: str, database: str, options: list[str], databases, tmp_path: Path) -> None:
    out = tmp_path / f"export.{fmt}"
    result = CliRunner().invoke(app, ["export", "-f", fmt, "--db", str(databases[database]), "-o", str(out), *options])
    assert result.exit_code == 0, result.output
    name = f"{case}.{fmt}."
    written = {name + path.name: normalize(path.read_bytes()) for path in sorted(tmp_path.iterdir())}
    written[name + "stderr"] = result.stderr.replace(str(tmp_path), "OUT").encode("utf-8")
    if case == "large":
        written = {file_name + ".sha256": hashlib.sha256(data).hexdigest().encode() for file_name, data in written.items()}
    if WRITE:
        for file_name, data in written.items():
            (GOLDEN / file_name).write_bytes(data)
    expected = {path.name: path.read_bytes() for path in GOLDEN.iterdir() if path.name.startswith(name)}
    assert sorted(written) == sorted(expected)
    for file_name, data in written.items():
        assert data == expected[file_name], f"{file_name} differs from the golden file"
