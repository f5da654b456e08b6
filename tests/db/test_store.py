"""The Store: migrations, WAL, lists and prefixes, reports, findings cache rules."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from sqlite_utils import Database

from db.migrations import migrations
from db.store import Store, StoreError
from lookup.models import Category, Comment, Finding, ListEntry, ListKind, Report, Status
from lookup.numbers import normalize_number


def test_migrations_apply_twice_and_wal_is_on(tmp_path) -> None:
    path = tmp_path / "w.db"
    Store(path).close()
    with Store(path) as store:
        assert store.journal_mode() == "wal"
        applied = [m.name for m in migrations.applied(store.db)]
        assert applied == ["m001_core", "m002_datasets_calls_comments", "m003_call_flags", "m004_partial_silent_index", "m005_robots",
                           "m006_finding_evidence", "m007_plain_lists_without_times", "m008_listings",
                           "m009_name_blocks", "m010_expectations",
                           "m011_call_ring_time", "m012_community_list"]
        assert {"numbers", "findings", "lists", "reports", "complaints", "calls", "comments", "sync_state"} <= set(store.db.table_names())
        assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_old_schema_upgrades_without_loss(tmp_path) -> None:
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="m002_datasets_calls_comments")
    db["lists"].insert({"pattern": "+12025550143", "kind": "block", "reason": "old", "added_at": "2025-01-01T00:00:00+00:00", "origin": "user"})
    db["reports"].insert({"e164": "+12025550143", "category": "scam", "created_at": "2025-01-01T00:00:00+00:00"})
    db.close()
    with Store(path) as store:
        assert "calls" in store.db.table_names()
        assert [e.reason for e in store.list_entries()] == ["old"]
        assert [r.category for r in store.list_reports()] == [Category.SCAM]


def test_not_a_database_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "junk.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open database"):
        Store(bad)


def test_lists_and_prefix_matching() -> None:
    store = Store()
    assert store.add_list_entry(ListEntry("+12025550143", ListKind.ALLOW, "pharmacy"))
    assert store.add_list_entry(ListEntry("+1202555*", ListKind.BLOCK, "spoofers"))
    assert not store.add_list_entry(ListEntry("+1202555*", ListKind.BLOCK, "again"))
    match = store.matching_entries(["+12025550143", "+12025550199", "+14155550100"])
    assert {e.kind for e in match["+12025550143"]} == {ListKind.ALLOW, ListKind.BLOCK}
    assert [e.pattern for e in match["+12025550199"]] == ["+1202555*"]
    assert "+14155550100" not in match
    assert [e.pattern for e in store.iter_list_entries(ListKind.BLOCK)] == ["+1202555*"]
    removed = store.remove_list_entry("+1202555*")
    assert removed is not None and removed.reason == "again"
    assert store.remove_list_entry("+1202555*") is None


def test_bulk_add_reports_only_new_rows() -> None:
    store = Store()
    rows = [ListEntry(f"+1202555{i:04d}", ListKind.BLOCK) for i in range(50)]
    assert store.add_list_entries(rows) == 50
    assert store.add_list_entries(rows) == 0


def test_reports_round_trip() -> None:
    store = Store()
    rid = store.add_report(Report("+12025550143", Category.ROBOCALL, note="warranty", at="2026-11-20T14:05:00+00:00"))
    store.record_submission(rid, "phoneblock", "accepted")
    [r] = store.list_reports(["+12025550143"])
    assert (r.id, r.category, r.note, r.submitted_to, r.submission) == (rid, Category.ROBOCALL, "warranty", "phoneblock", "accepted")
    assert store.list_reports(["+10000000000"]) == []


def test_numbers_facts_are_stored_once() -> None:
    store = Store()
    n = normalize_number("+1 876 881 2345")
    store.save_numbers([n])
    got = store.get_numbers(["+18768812345"])["+18768812345"]
    assert (got.region, got.carrier, got.location, got.type) == ("JM", "Digicel", "Jamaica", n.type)


def _finding(status: Status, source: str = "s1", at: datetime | None = None, **kw) -> Finding:
    at = at or datetime.now(timezone.utc)
    return Finding(source=source, e164="+12025550143", status=status, fetched_at=at.isoformat(timespec="seconds"), **kw)


def test_only_definite_findings_are_fresh_and_failures_never_replace_them() -> None:
    store = Store()
    store.save_findings([_finding(Status.FOUND, spam=0.9, reports=12, name="Acme")], lambda f: 30)
    store.save_findings([_finding(Status.BLOCKED, detail="captcha"), _finding(Status.TIMEOUT, source="s2", detail="slow")], lambda f: 30)
    fresh = store.fresh_findings(["+12025550143"])["+12025550143"]
    assert [(f.source, f.status, f.name, f.cached) for f in fresh] == [("s1", Status.FOUND, "Acme", True)]
    row = store.conn.execute("SELECT failure_status, failure_detail FROM findings WHERE source='s1'").fetchone()
    assert row == ("blocked", "captcha")
    latest = {f.source: f.status for f in store.latest_findings(["+12025550143"])["+12025550143"]}
    assert latest == {"s1": Status.FOUND, "s2": Status.TIMEOUT}
    health = store.source_health()
    assert health["s1"]["last_failure_status"] == "blocked" and health["s1"]["last_success_at"]


def test_expired_findings_are_not_fresh() -> None:
    store = Store()
    old = datetime.now(timezone.utc) - timedelta(days=8)
    store.save_findings([_finding(Status.NOT_FOUND, at=old)], lambda f: 7)
    assert store.fresh_findings(["+12025550143"]) == {}
    store.save_findings([_finding(Status.NOT_FOUND)], lambda f: 7)
    assert list(store.fresh_findings(["+12025550143"])) == ["+12025550143"]


def test_comments_are_kept_to_the_latest_50() -> None:
    store = Store()
    comments = tuple(Comment(text=f"call {i} <script>x</script>", at=f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:00:00") for i in range(70))
    store.save_findings([_finding(Status.FOUND, comments=comments)], lambda f: 30)
    kept = store.comments_for("+12025550143", limit=100)
    assert len(kept) == 50
    assert kept[0].at >= kept[-1].at
    assert "<script>" in kept[0].text


def test_concurrent_writer_waits_instead_of_failing(tmp_path) -> None:
    path = tmp_path / "c.db"
    Store(path).close()
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO lists VALUES ('+1', 'block', NULL, 'x', 'user')")
    import threading

    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
    with Store(path) as store:
        store.add_list_entry(ListEntry("+12025550143", ListKind.BLOCK))
        assert len(store.list_entries()) == 2


def test_calls_table_from_an_early_build_gains_its_flags(tmp_path) -> None:
    path = tmp_path / "early.db"
    db = Database(path)
    migrations.apply(db, stop_before="m002_datasets_calls_comments")
    db["calls"].create({"key": str, "e164": str, "at": str, "direction": str, "status": str, "duration": int,
                        "name": str, "raw_number": str, "log_format": str, "imported_at": str}, pk="key")
    db["calls"].insert({"key": "k1", "e164": "+12025550143", "at": "2026-01-01T00:00:00+00:00", "direction": "incoming",
                        "status": "missed", "duration": 0})
    db["_sqlite_migrations"].insert({"migration_set": "whocalled", "name": "m002_datasets_calls_comments",
                                     "applied_at": "2026-01-01"})
    db.close()
    with Store(path) as store:
        assert {"silent", "night", "contact"} <= set(store.db["calls"].columns_dict)
        assert store.count_calls() == 1
        assert store.histories(["+12025550143"])["+12025550143"].silent_calls == 0


def test_latest_silent_calls_read_through_the_partial_index(tmp_path) -> None:
    """Databases from before m004 lose the full (silent, at) index for a partial one, and the
    web page's query for the latest silent calls still uses an index, not a scan and sort."""
    path = tmp_path / "m003.db"
    db = Database(path)
    migrations.apply(db, stop_before="m004_partial_silent_index")
    assert "idx_calls_silent_at" in {i.name for i in db["calls"].indexes}
    db.close()
    with Store(path) as store:
        rows = [(f"k{i}", "+12025550143", f"2026-01-0{i}T00:00:00+00:00", "incoming", "missed", 0, None, None,
                 "android", i % 2, 0, 0) for i in range(1, 8)]
        assert store.save_calls(rows) == 7
        names = {r[1] for r in store.conn.execute("PRAGMA index_list(calls)")}
        assert "idx_calls_silent" in names and "idx_calls_silent_at" not in names
        plan = " ".join(r[3] for r in store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT e164, at, name FROM calls WHERE silent = 1 ORDER BY at DESC LIMIT 20"))
        assert "USING INDEX idx_calls_silent" in plan and "TEMP B-TREE" not in plan
        assert [at[9] for _, at, _ in store.recent_silent_calls()] == ["7", "5", "3", "1"]


def test_the_schema_names_are_the_migrations() -> None:
    """The store opens a current file without sqlite-utils by comparing names: the list must
    be the migrations themselves, in order (add a migration's name to SCHEMA with it)."""
    from db.store import SCHEMA

    assert list(SCHEMA) == [m.name for m in migrations._migrations]


def test_a_current_database_opens_without_sqlite_utils(tmp_path) -> None:
    import subprocess
    import sys

    path = tmp_path / "w.db"
    Store(path).close()
    code = (
        "import sys\n"
        "from db.store import Store\n"
        f"s = Store({str(path)!r})\n"
        "with s.atomic():\n"
        "    with s.atomic():\n"  # a savepoint
        "        s.conn.execute(\"INSERT INTO lists (pattern, kind, added_at, origin) VALUES ('+1202*', 'block', 'x', 'user')\")\n"
        "print('sqlite_utils' in sys.modules, s.conn.execute('SELECT COUNT(*) FROM lists').fetchone()[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "1"]


def test_a_failing_inner_block_rolls_back_only_itself(tmp_path) -> None:
    with Store(tmp_path / "w.db") as store:
        with store.atomic():
            store.add_list_entry(ListEntry("+12025550100", ListKind.BLOCK))
            with pytest.raises(RuntimeError):
                with store.atomic():
                    store.add_list_entry(ListEntry("+12025550101", ListKind.BLOCK))
                    raise RuntimeError("inner")
        assert [e.pattern for e in store.list_entries()] == ["+12025550100"]



def test_page_cache_can_be_limited_for_a_streaming_command(tmp_path) -> None:
    with Store(tmp_path / "c.db") as store:
        assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == -16384
        store.limit_page_cache(4096)
        assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == -4096


def test_the_schema_snapshot_is_what_the_migrations_build() -> None:
    """db/schema.sql makes new databases: it must be the migrations' schema, written out (after
    adding a migration, run `python -m db.fresh`)."""
    from db.fresh import SNAPSHOT, migrated_schema

    assert SNAPSHOT.read_text(encoding="utf-8") == migrated_schema(), "db/schema.sql is stale: run python -m db.fresh"


def test_a_new_database_made_in_one_step_equals_a_migrated_one(tmp_path) -> None:
    """A file with no tables is made from the snapshot without sqlite-utils; one that has some
    (here: stopped after the first migration) is migrated. Both end with the same objects, the
    same SQL, and every migration recorded as applied; reopening changes nothing."""
    import subprocess
    import sys

    from db.fresh import schema_of

    new = tmp_path / "new.db"
    code = (
        "import sys\n"
        "from db.store import Store\n"
        f"Store({str(new)!r}).close()\n"
        "print('sqlite_utils' in sys.modules)\n"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() == ["False"]
    old = tmp_path / "old.db"
    db = Database(old)
    migrations.apply(db, stop_before="m002_datasets_calls_comments")
    db.close()
    Store(old).close()
    made, migrated = sqlite3.connect(new), sqlite3.connect(old)
    assert schema_of(made) == schema_of(migrated)
    assert made.execute("PRAGMA application_id").fetchone() == migrated.execute("PRAGMA application_id").fetchone()
    names = "SELECT migration_set, name FROM _sqlite_migrations ORDER BY id"
    assert made.execute(names).fetchall() == migrated.execute(names).fetchall()
    stamp = made.execute("SELECT applied_at FROM _sqlite_migrations LIMIT 1").fetchone()[0]
    assert datetime.fromisoformat(stamp).tzinfo is not None  # the text sqlite-utils writes
    before = schema_of(made)
    made.close()
    with Store(new) as store:
        assert schema_of(store.conn) == before
        assert [m.name for m in migrations.applied(store.db)] == [m.name for m in migrations._migrations]


def test_snapshot_statements_are_split_whole() -> None:
    from db.fresh import split_statements

    script = "-- a comment\nCREATE TABLE t (a);\n\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n"
    assert split_statements(script) == ["CREATE TABLE t (a);", "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  SELECT 1;\n  SELECT 2;\nEND;"]
    with pytest.raises(ValueError):
        split_statements("CREATE TABLE t (a")
