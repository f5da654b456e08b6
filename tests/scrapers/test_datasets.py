"""FTC and FCC complaint files into the store: parsing, idempotence, killed imports, offline findings.

Files under ``tests/data/ftc`` and ``tests/data/fcc`` (see the README beside them); everything
else is generated here. No network: the sync tests against a local server are in
``test_datasets_sync.py``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tracemalloc
from datetime import date
from pathlib import Path

import pytest

from db.datasets import SyncState
from db.store import Store
from lookup.models import Finding, Number, Status
from lookup.numbers import normalize_number
from lookup.sync import import_fcc_files, import_ftc_files
from scrapers import ftc_gov
from scrapers.base import DatasetView
from lookup.verdict import complaint_points, complaint_spam, complaint_weight
from scrapers.complaints import RowTally, nanp_field
from scrapers.ftc_gov import FtcGov, subject_category

ROOT = Path(__file__).resolve().parents[2]
FTC = ROOT / "tests" / "data" / "ftc"
FCC = ROOT / "tests" / "data" / "fcc"
FRIDAY, SATURDAY, MONDAY = (FTC / f"DNC_Complaint_Numbers_2026-11-{d}.csv" for d in (13, 14, 16))
HEADER = ",".join(ftc_gov.COLUMNS)
TODAY = date(2026, 11, 18)


def number(raw: str) -> Number:
    return normalize_number(raw, "US", details=False)


def rows_of(store: Store, dataset: str = "ftc") -> int:
    return store.count_complaints(dataset)


def write_ftc(path: Path, count: int, *, start: int = 0) -> Path:
    """An FTC-layout file with ``count`` distinct rows (a few repeated numbers)."""
    lines = [HEADER]
    for i in range(start, start + count):
        lines.append(f"2025550{i % 97:03d},2026-11-13 10:{i // 60 % 60:02d}:{i % 60:02d},2026-11-13 09:00:00,"
                     f"Town {i},Ohio,614,Warranties & protection plans,{'Y' if i % 3 else 'N'}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- FTC files


def test_ftc_files_import_rows_and_skip_the_html_page() -> None:
    store = Store()
    progress: list[tuple[str, int, int | None]] = []
    result = import_ftc_files(store, [FRIDAY, SATURDAY, MONDAY], lambda *args: progress.append(args))
    size = FRIDAY.stat().st_size
    assert progress == [(FRIDAY.name, size, size), (MONDAY.name, MONDAY.stat().st_size, MONDAY.stat().st_size)]
    assert (result.files_read, result.rows_added, result.rows_present, result.rows_skipped) == (2, 9, 0, 3)
    assert result.skipped_files == [(SATURDAY.name, "not the FTC complaint CSV: an HTML or XML page")]
    assert result.ok and rows_of(store) == 9
    row = store.conn.execute(
        "SELECT e164, created_at, violation_at, city, state, area_code, subject, robocall FROM complaints"
        " WHERE city LIKE 'Washington%'"
    ).fetchone()
    assert row == ("+13125550187", "2026-11-13T10:22:45", "2026-11-13T10:01:00", "Washington, D.C.",
                   "District of Columbia", "202",
                   "Calls pretending to be government, businesses, or family and friends", 1)
    flags = dict(store.conn.execute(
        "SELECT e164, robocall FROM complaints WHERE e164 IN ('+14155550123', '+16175550100')"))
    assert flags == {"+14155550123": None, "+16175550100": 0}
    assert store.conn.execute("SELECT COUNT(*) FROM complaints WHERE e164 = '+12065550147'").fetchone()[0] == 1
    monday = store.conn.execute("SELECT city FROM complaints WHERE created_at = '2026-11-16T07:45:12'").fetchone()
    assert monday == ("St. Louis, MO",)
    days = store.get_sync_state("ftc").state["days"]
    assert sorted(days) == ["2026-11-13", "2026-11-16"] and days["2026-11-16"]["rows"] == 4


def test_the_monday_file_really_has_a_bom_and_crlf() -> None:
    raw = MONDAY.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfCompany_Phone_Number") and raw.count(b"\r\n") == 5


def test_importing_the_same_day_twice_adds_nothing(tmp_path: Path) -> None:
    store = Store()
    import_ftc_files(store, [FRIDAY, MONDAY])
    again = import_ftc_files(store, [FRIDAY, MONDAY])
    assert (again.rows_added, again.rows_present, again.rows_skipped) == (0, 9, 3)
    relined = tmp_path / "monday_with_lf_and_no_bom.csv"
    relined.write_text(MONDAY.read_text(encoding="utf-8-sig").replace("\r\n", "\n"), encoding="utf-8")
    assert import_ftc_files(store, [relined]).rows_added == 0
    assert rows_of(store) == 9


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"<html><body>Not found</body></html>", "an HTML or XML page"),
        (b"\x00\xff\xfe junk \x89PNG\r\n\x1a\n", "it is not text"),
        (b'{"error": "no such file"}', "it starts with '{\"error\""),
        (b"Company_Phone_Number,Created_Date,Subject\n2025550143,2026-11-13 00:00:02,Other\n", "header lacks"),
    ],
    ids=["empty", "html-page", "binary-junk", "json", "header-lost-columns"],
)
def test_a_file_that_is_not_the_ftc_csv_is_skipped_by_name(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "DNC_Complaint_Numbers_2026-11-20.csv"
    path.write_bytes(content)
    store = Store()
    result = import_ftc_files(store, [path])
    assert result.files_read == 0 and rows_of(store) == 0
    assert len(result.skipped_files) == 1 and result.skipped_files[0][0] == path.name
    assert reason in result.skipped_files[0][1]
    assert "2026-11-20" not in (store.get_sync_state("ftc").state.get("days") or {})


def test_a_missing_file_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    result = import_ftc_files(Store(), [tmp_path / "nope.csv"])
    assert not result.ok and result.failures[0][0] == "nope.csv" and "cannot read" in result.failures[0][1]


def test_junk_rows_are_skipped_and_a_damaged_file_keeps_what_came_before(tmp_path: Path) -> None:
    path = tmp_path / "damaged.csv"
    good = "2025550143,2026-11-13 00:00:02,2026-11-12 12:54:00,Springfield,Illinois,217,Other,Y\n"
    with path.open("wb") as fh:
        fh.write((HEADER + "\n" + good).encode())
        fh.write(b"\xff\xfe\x00garbage,,\n")  # invalid UTF-8 and a NUL: too few fields
        fh.write(b"2025550144,2026-11-13,2026-11-13,Caf\xe9,Ohio,614,Other,N\n")  # Latin-1 byte in the city
        fh.write(b'3125550100,"' + b"x" * 300_000 + b'",,,,,,\n')  # a field past csv's limit
        fh.write(good.replace("0143", "0145").encode())
    result = import_ftc_files(Store(), [path])
    assert result.rows_added == 2 and result.rows_skipped == 1
    assert len(result.failures) == 1 and "damaged CSV at data row 4: field larger" in result.failures[0][1]


def test_a_line_without_end_is_read_in_pieces_not_whole(tmp_path: Path) -> None:
    path = tmp_path / "endless.csv"
    with path.open("wb") as fh:
        fh.write((HEADER + "\n").encode())
        fh.write(b"2025550143," + b"9" * 20_000_000)  # 20 MB and no line break
    store = Store()
    tracemalloc.start()
    try:
        result = import_ftc_files(store, [path])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.rows_added == 0 and "field larger than field limit" in result.failures[0][1]
    assert peak < 8_000_000, peak


def test_an_import_that_dies_mid_way_leaves_whole_batches_and_a_rerun_completes_it(tmp_path: Path) -> None:
    path = write_ftc(tmp_path / "big.csv", 2500)
    store = Store(tmp_path / "w.db")

    def dies_after(limit: int):
        with path.open(encoding="utf-8", newline="") as stream:
            for i, row in enumerate(ftc_gov.read_rows(stream, RowTally())):
                if i == limit:
                    raise KeyboardInterrupt("killed")
                yield row

    with pytest.raises(KeyboardInterrupt):
        store.import_complaints(dies_after(1700), batch=500)
    assert rows_of(store) == 1500
    assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    result = import_ftc_files(store, [path])
    assert (result.rows_added, result.rows_present) == (1000, 1500) and rows_of(store) == 2500


KILLABLE = textwrap.dedent(
    """
    import sys, time
    from db.store import Store
    from scrapers import ftc_gov
    from scrapers.complaints import RowTally
    store = Store(sys.argv[1])
    def committed(count):
        print("batch", flush=True)
        time.sleep(0.2)
    with open(sys.argv[2], encoding="utf-8", newline="") as stream:
        store.import_complaints(ftc_gov.read_rows(stream, RowTally()), batch=1000, on_batch=committed)
    print("finished", flush=True)
    """
)


def test_a_killed_import_process_leaves_a_consistent_database(tmp_path: Path) -> None:
    path = write_ftc(tmp_path / "big.csv", 20_000)
    db = tmp_path / "killed.db"
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE, str(db), str(path)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for _ in range(2):
            assert proc.stdout.readline().strip() == "batch", proc.stderr.read() if proc.stderr else ""
        proc.kill()
    finally:
        proc.wait(10)
    store = Store(db)
    assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    kept = rows_of(store)
    assert 2000 <= kept < 20_000 and kept % 1000 == 0
    result = import_ftc_files(store, [path])
    assert result.rows_added == 20_000 - kept and rows_of(store) == 20_000


# ---------------------------------------------------------------- offline findings


@pytest.fixture
def synced() -> Store:
    store = Store()
    import_ftc_files(store, [FRIDAY, MONDAY])
    return store


def find(store: Store, *raws: str) -> dict[str, Finding]:
    """What the FTC source says from the synced rows, handed over as the engine does."""
    numbers = [number(r) for r in raws]
    summaries = store.complaint_summaries([n.e164 for n in numbers if n.e164], "ftc")
    return FtcGov().local_findings(numbers, DatasetView(store.get_sync_state("ftc"), summaries, TODAY))


def test_a_complained_about_number_is_found_with_its_summary(synced: Store) -> None:
    got = find(synced, "202-555-0143")["+12025550143"]
    assert got.status is Status.FOUND and got.reports == 3 and got.last_reported == "2026-11-16"
    assert got.detail == "3 FTC complaints, latest 2026-11-16, 67% robocalls: Warranties & protection plans"
    assert got.categories == ("robocall", "scam")
    assert got.facts == {"complaints": 3, "latest": "2026-11-16", "robocall_share": 0.67,
                         "subjects": {"Warranties & protection plans": 3}}
    assert got.spam == pytest.approx(complaint_spam(3, "2026-11-16", today=TODAY, robocall_share=2 / 3))
    assert got.fetched_at == synced.get_sync_state("ftc").updated_at


def test_offline_lookup_through_the_engine_shows_the_complaints(synced: Store) -> None:
    from lookup.engine import Engine
    from lookup.settings import Settings

    [result] = Engine(synced, Settings(), sources=[FtcGov()]).lookup_offline(["(202) 555-0143"])
    [source] = result.to_json()["sources"]
    assert (source["name"], source["status"], source["reports"]) == ("ftc_gov", "found", 3)
    assert result.verdict is not None and result.verdict.score > 0


def test_numbers_without_complaints_and_outside_the_data(synced: Store) -> None:
    got = find(synced, "2025550199", "+44 20 7946 0018", "Anonymous")
    assert list(got) == ["+12025550199"]
    assert got["+12025550199"].status is Status.NOT_FOUND
    assert got["+12025550199"].detail == "no FTC complaints in the synced data (2 days synced)"


def test_nothing_synced_says_how_to_sync() -> None:
    got = find(Store(), "2025550143")["+12025550143"]
    assert got.status is Status.SKIPPED and got.detail == "FTC data not synced: run whocalled sync ftc"


@pytest.mark.parametrize(
    ("subject", "category"),
    [
        ("Calls pretending to be government, businesses, or family and friends", "scam"),
        ("Reducing your debt (credit cards, mortgage, student loans)", "debt_collector"),
        ("Dropped call or no message", "silent"),
        ("Warranties & protection plans", "scam"),
        ("Computer & technical support", "scam"),
        ("Medical & prescriptions", "telemarketer"),
        ("Energy, solar, & utilities", "telemarketer"),
        ("No Subject Provided", None),
        ("Other", None),
        ("", None),
    ],
    ids=["impersonation", "debt", "dropped", "warranties", "tech-support", "medical", "unknown-subject",
         "no-subject", "other", "empty"],
)
def test_subjects_map_to_categories(subject: str, category: str | None) -> None:
    got = subject_category(subject)
    assert (got.value if got else None) == category


@pytest.mark.parametrize(
    ("count", "latest", "share", "points"),
    [
        (1, "2026-11-17", None, 15.0),
        (1, "2026-11-17", 1.0, 25.0),
        (3, "2026-11-17", 0.0, 30.0),
        (7, "2026-11-10", 0.8, 55.0),
        (30, "2026-11-10", 1.0, 70.0),
        (3, "2026-09-10", None, 21.0),  # 69 days old: x0.7
        (3, "2025-01-10", None, 12.0),  # older than 90 days: x0.4
        (1, "not a date", None, 15.0),
        (0, "2026-11-17", 1.0, 0.0),
    ],
    ids=["one", "one-robocall", "three", "seven-recent", "many", "three-aging", "three-stale", "unreadable-date",
         "none"],
)
def test_one_complaint_curve_for_sources_and_verdict(count: int, latest: str, share: float | None, points: float) -> None:
    """The sources' spam signal is the verdict's points on a 0.5..1 scale, and reads back exactly."""
    assert complaint_weight(count, latest, share, TODAY) == points
    spam = complaint_spam(count, latest, today=TODAY, robocall_share=share)
    assert spam == pytest.approx(0.5 + points / 140, abs=1e-4)
    assert complaint_points(spam) == points


@pytest.mark.parametrize(
    ("text", "e164"),
    [("2025550143", "+12025550143"), ("12025550143", "+12025550143"), ("202-555-0143", "+12025550143"),
     (" (202) 555-0143 ", "+12025550143"), ("", None), ("0125550143", None), ("202555014", None),
     ("２０２５５５０１４３", None), ("+442079460018", None)],
    ids=["ten", "eleven", "dashed", "punctuated", "empty", "bad-area-code", "short", "full-width", "foreign"],
)
def test_number_fields_normalise_without_phonenumbers(text: str, e164: str | None) -> None:
    assert nanp_field(text) == e164


# ---------------------------------------------------------------- FCC bulk CSV and exports


def test_fcc_export_imports_once_keyed_by_ticket() -> None:
    store = Store()
    first = import_fcc_files(store, [FCC / "unwanted_calls_export.csv"])
    assert (first.files_read, first.rows_added, first.rows_skipped) == (1, 11, 1) and first.ok
    again = import_fcc_files(store, [FCC / "unwanted_calls_export.csv"])
    assert (again.rows_added, again.rows_present) == (0, 11)
    row = store.conn.execute(
        "SELECT e164, created_at, violation_at, city, subject, robocall, call_type FROM complaints"
        " WHERE id = 'fcc:1000296'"
    ).fetchone()
    assert row == ("+18664100458", "2016-05-25T11:15:29", "2016-05-01", "Plantation", "Robocalls", 1,
                   "Autodialed Live Voice Call")
    assert store.get_sync_state("fcc").last_date == "2016-05-25"
    summary = store.complaint_summaries(["+18664100458"], "fcc")["+18664100458"]
    assert (summary.complaints, summary.robocalls, summary.call_types[0][1]) == (2, 2, 1)


def test_fcc_since_leaves_older_rows_out_and_field_name_csv_reads_too(tmp_path: Path) -> None:
    page = tmp_path / "soda_page.csv"
    page.write_text(
        "id,ticket_created,issue_date,issue,caller_id_number,type_of_call_or_messge,city,state\n"
        "2000001,2026-10-02T09:00:00.000,2026-10-01T00:00:00.000,Robocalls,202-555-0143,Prerecorded Voice,Reno,NV\n"
        "2000002,2026-08-02T09:00:00.000,2026-08-01T00:00:00.000,Unwanted Calls,202-555-0143,Live Voice,Reno,NV\n",
        encoding="utf-8",
    )
    store = Store()
    result = import_fcc_files(store, [page, FCC / "unwanted_calls_export.csv"], since="2026-09-01")
    assert (result.rows_added, result.rows_out_of_range, result.rows_skipped) == (1, 12, 1)
    assert store.conn.execute("SELECT id, e164, created_at FROM complaints").fetchall() == [
        ("fcc:2000001", "+12025550143", "2026-10-02T09:00:00")
    ]


def test_an_ftc_file_is_not_taken_for_the_fcc_csv() -> None:
    result = import_fcc_files(Store(), [FRIDAY])
    assert result.files_read == 0 and "not the FCC complaints CSV" in result.skipped_files[0][1]


def test_exports_list_numbers_by_complaint_count(synced: Store) -> None:
    import_fcc_files(synced, [FCC / "unwanted_calls_export.csv"])
    ftc = [(c.e164, c.complaints) for c in synced.iter_complaint_numbers("ftc", min_complaints=2)]
    assert ftc == [("+12025550143", 3), ("+13125550187", 2)]
    recent = [c.e164 for c in synced.iter_complaint_numbers("ftc", since="2026-11-16")]
    assert recent == ["+12025550143", "+13125550187", "+16175550100"]
    both = {c.e164: c.complaints for c in synced.iter_complaint_numbers(None, min_complaints=2)}
    assert both == {"+12025550143": 3, "+13125550187": 2, "+18664100458": 2}


# ---------------------------------------------------------------- sync state and prefixes


def test_sync_state_round_trips_and_survives_junk_json() -> None:
    store = Store()
    assert store.get_sync_state("ftc") is None
    store.set_sync_state(SyncState("ftc", last_date="2026-11-16", etag='"v1"', rows=9, state={"days": {"x": 1}}))
    got = store.get_sync_state("ftc")
    assert (got.last_date, got.etag, got.rows, got.state) == ("2026-11-16", '"v1"', 9, {"days": {"x": 1}})
    assert got.updated_at
    store.conn.execute("UPDATE sync_state SET state = '{not json' WHERE dataset = 'ftc'")
    assert store.get_sync_state("ftc").state == {}


def test_prefix_answers_are_cached_per_block_until_they_expire() -> None:
    store = Store()
    found = Finding("localcallingguide_com", "+17808091234", Status.FOUND, fetched_at="2026-11-01T00:00:00+00:00",
                    facts={"assigned": True, "prefix": "780-809", "company": "Distributel"})
    failed = Finding("localcallingguide_com", "+17808101234", Status.ERROR, detail="HTTP 500")
    assert store.save_prefixes("localcallingguide_com", {"780-809": found, "780-810": failed}, 90) == 1
    fresh = store.fresh_prefixes(["780-809", "780-810"], "localcallingguide_com", now="2026-12-01T00:00:00+00:00")
    assert list(fresh) == ["780-809"] and fresh["780-809"].facts["company"] == "Distributel"
    assert fresh["780-809"].expires_at == "2027-01-30T00:00:00+00:00"
    later = "2027-03-01T00:00:00+00:00"
    assert store.fresh_prefixes(["780-809"], "localcallingguide_com", now=later) == {}
    stale = store.fresh_prefixes(["780-809"], "localcallingguide_com", now=later, include_stale=True)
    assert list(stale) == ["780-809"]
    assert store.fresh_prefixes(["780-809"], "another_source") == {}
