"""The schema, as sqlite-utils migrations applied every time a database is opened.

Migrations are append-only: never edit one that has shipped; add the next.
Every table that concerns a number is keyed or indexed by ``e164``;
timestamps are ISO-8601 UTC text in ``*_at`` columns.
"""

from __future__ import annotations

import hashlib

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("whocalled")


@migrations()
def m001_core(db: Database) -> None:
    """Numbers and their facts, findings per source, the user's lists and reports."""
    db["numbers"].create(
        {
            "e164": str,
            "region": str,
            "country_code": int,
            "national": str,
            "international": str,
            "valid": int,
            "possible": int,
            "type": str,
            "location": str,
            "carrier": str,
            "time_zones": str,  # JSON list
            "first_seen_at": str,
            "updated_at": str,
        },
        pk="e164",
    )
    db["findings"].create(
        {
            "e164": str,
            "source": str,
            "status": str,
            "fetched_at": str,
            "expires_at": str,
            "name": str,
            "spam": float,
            "reports": int,
            "categories": str,  # JSON list
            "last_reported": str,
            "url": str,
            "detail": str,
            "excerpt": str,
            "facts": str,  # JSON object
            "failure_status": str,  # the latest failed attempt, kept beside a good answer
            "failure_detail": str,
            "failure_at": str,
        },
        pk=("e164", "source"),
    )
    db["lists"].create(
        {"pattern": str, "kind": str, "reason": str, "added_at": str, "origin": str},
        pk="pattern",
        not_null={"kind", "added_at", "origin"},
    )
    db["lists"].create_index(["kind"])
    db["reports"].create(
        {
            "id": int,
            "e164": str,
            "category": str,
            "note": str,
            "at": str,
            "created_at": str,
            "submitted_to": str,
            "submission": str,
        },
        pk="id",
        not_null={"e164", "category", "created_at"},
    )
    db["reports"].create_index(["e164"])


@migrations()
def m002_datasets_calls_comments(db: Database) -> None:
    """Bulk complaint datasets, imported call logs, public comments, prefix facts, source health."""
    db["complaints"].create(
        {
            "id": str,  # dataset + stable hash of the source row: re-imports add nothing
            "dataset": str,
            "e164": str,
            "created_at": str,
            "violation_at": str,
            "city": str,
            "state": str,
            "area_code": str,
            "subject": str,
            "robocall": int,  # 1, 0 or NULL when the row does not say
            "call_type": str,
        },
        pk="id",
        not_null={"dataset"},
    )
    db["complaints"].create_index(["e164", "created_at"])
    db["calls"].create(
        {
            "key": str,
            "e164": str,
            "at": str,
            "direction": str,
            "status": str,
            "duration": int,
            "name": str,
            "raw_number": str,
            "log_format": str,
            "silent": int,  # a silent missed call (missed, no voicemail close in time)
            "night": int,  # came at night in the user's time zone
            "contact": int,  # the name is from the user's own address book (not caller-ID text)
            "imported_at": str,
        },
        pk="key",
    )
    db["calls"].create_index(["e164", "at"])
    db["comments"].create(
        {
            "id": str,
            "e164": str,
            "source": str,
            "text": str,
            "at": str,
            "caller": str,
            "call_type": str,
            "url": str,
            "fetched_at": str,
        },
        pk="id",
    )
    db["comments"].create_index(["e164", "source"])
    db["prefixes"].create(
        {"prefix": str, "source": str, "status": str, "facts": str, "fetched_at": str, "expires_at": str},
        pk=("prefix", "source"),
    )
    db["sync_state"].create(
        {
            "dataset": str,
            "last_date": str,
            "etag": str,
            "last_modified": str,
            "rows": int,
            "updated_at": str,
            "detail": str,
            "state": str,  # JSON: per-file progress for resumable imports
        },
        pk="dataset",
    )
    db["source_health"].create(
        {
            "source": str,
            "last_success_at": str,
            "last_failure_at": str,
            "last_failure_status": str,
            "last_failure": str,
        },
        pk="source",
    )


@migrations()
def m003_call_flags(db: Database) -> None:
    """Silent/night/contact flags on calls (databases from early builds lack them) and an
    index for the latest silent calls."""
    columns = db["calls"].columns_dict
    for name in ("silent", "night", "contact"):
        if name not in columns:
            db["calls"].add_column(name, int)
    db["calls"].create_index(["silent", "at"], if_not_exists=True)


@migrations()
def m004_partial_silent_index(db: Database) -> None:
    """The latest-silent-calls index covers only silent calls. A full ``(silent, at)`` index
    grew with every imported call, although only silent ones are ever read through it;
    the partial one makes importing 100,000 calls about 0.1 s quicker."""
    db.execute("DROP INDEX IF EXISTS idx_calls_silent_at")
    db.execute("CREATE INDEX IF NOT EXISTS idx_calls_silent ON calls (at) WHERE silent = 1")


@migrations()
def m005_robots(db: Database) -> None:
    """robots.txt answers kept between runs (at most a day, as RFC 9309 allows), so a lookup
    does not ask every site for its robots.txt again on every start. ``body`` is the text as
    served; an empty body stands for "no robots.txt" (a 4xx answer), which allows everything."""
    db["robots"].create({"origin": str, "body": str, "fetched_at": str}, pk="origin", not_null={"body", "fetched_at"})


@migrations()
def m006_finding_evidence(db: Database) -> None:
    """What a cached finding is evidence of (opinion, complaints, numbering, listing): the verdict
    weighs a finding by it, so it must survive the cache. Rows from before read as opinion."""
    if "evidence" not in db["findings"].columns_dict:
        db["findings"].add_column("evidence", str)


@migrations()
def m007_plain_lists_without_times(db: Database) -> None:
    """Calls read from a plain list of numbers have no time. They used to carry the file's
    modification time, so every re-read after an edit stored them again and a list saved at
    night made each number "call at night". Their rows lose the time and the silent and
    night flags (a list is neither a repeat nor at night), and the copies of one number
    collapse into the one row whose key a list read today gives (the call key without a
    time, frozen here as it was when this migration shipped)."""
    db.execute(
        "DELETE FROM calls WHERE log_format = 'plain_text' AND rowid NOT IN"
        " (SELECT MIN(rowid) FROM calls WHERE log_format = 'plain_text' GROUP BY e164)"
    )
    rows = db.execute("SELECT key, e164 FROM calls WHERE log_format = 'plain_text'").fetchall()
    for key, e164 in rows:
        new_key = hashlib.sha1(f"{e164 or ''}||incoming|missed|".encode("utf-8")).hexdigest()[:20]
        db.execute(
            "UPDATE calls SET key = ?, at = NULL, direction = 'incoming', status = 'missed', duration = NULL,"
            " silent = 0, night = 0 WHERE key = ?",
            (new_key, key),
        )


@migrations()
def m008_listings(db: Database) -> None:
    """Listing directories (OpenStreetMap, Wikidata) synced by area: one row per number of a
    named place, and one row per synced area. Rows are found by their block of 100 numbers
    (the E.164 key without its last two digits): one index answers both the exact match (the
    row's ``e164`` checked among the block's rows) and the same-block hint. A sync writes its
    rows under a new ``generation`` and then points the area at it, so lookups never see half an
    area and a failed sync leaves the last good one in place."""
    db["listings"].create(
        {
            "source": str, "area": str, "generation": int, "ref": str, "e164": str, "block": str, "name": str,
            "kind": str, "address": str, "website": str, "opening_hours": str, "lat": float, "lon": float,
        },
        not_null={"source", "area", "generation", "ref", "e164", "block"},
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_listings_block ON listings (block)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_listings_area ON listings (source, area, generation)")
    db["listing_areas"].create(
        {"source": str, "area": str, "generation": int, "rows": int, "synced_at": str, "detail": str},
        pk=("source", "area"),
        not_null={"source", "area", "generation", "synced_at"},
    )


@migrations()
def m009_name_blocks(db: Database) -> None:
    """Blocked caller-name patterns (``whocalled block --name "*WARRANTY*"``): a glob, stored
    upper case, matched against the caller name a PBX passes to the screen."""
    db["name_blocks"].create(
        {"pattern": str, "reason": str, "added_at": str, "origin": str},
        pk="pattern",
        not_null={"added_at", "origin"},
    )


@migrations()
def m010_expectations(db: Database) -> None:
    """Calls the user is waiting for (``whocalled expect``): who, how a caller matches
    (``scope`` number, prefix or country, with its ``pattern``), until when, and when the user
    closed it (``done_at``, NULL while open). Open ones are read by the one index."""
    db["expectations"].create(
        {"id": int, "who": str, "scope": str, "pattern": str, "until_at": str, "created_at": str, "done_at": str},
        pk="id",
        not_null={"who", "scope", "pattern", "until_at", "created_at"},
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_expectations_open ON expectations (done_at, until_at)")


@migrations()
def m011_call_ring_time(db: Database) -> None:
    """How long an unanswered call rang, in seconds, where the log records it (Asterisk CDRs, a
    CSV with a ring column); NULL for every other call. Calls stored before keep NULL."""
    if "ring_s" not in db["calls"].columns_dict:
        db["calls"].add_column("ring_s", int)


@migrations()
def m012_community_list(db: Database) -> None:
    """The household's copy of its community server's list (``whocalled sync community``): the
    listed numbers and the list version each arrived with; the version synced to is kept in
    ``sync_state`` under ``community``."""
    db["community_list"].create({"e164": str, "version": int}, pk="e164", not_null={"version"})


def apply_migrations(db: Database) -> None:
    migrations.apply(db)

