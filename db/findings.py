"""The SQL for source findings, public comments and source health, as a mixin of
:class:`db.store.Store` (which provides ``conn`` and ``atomic``). Definite answers are cached
with a TTL; a failure never overwrites a good answer and never counts as fresh."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, Callable, Iterable, Sequence

from db.sql import chunks, days_after, marks
from lookup.models import Comment, EvidenceKind, Finding, Status, iso_now


class FindingsMixin:
    # ------------------------------------------------------------ findings

    def fresh_findings(self, e164s: Sequence[str], now: str | None = None) -> dict[str, list[Finding]]:
        """Cached definite findings that have not expired, per number (one query per chunk)."""
        now = now or iso_now()
        out: dict[str, list[Finding]] = defaultdict(list)
        keys = list(dict.fromkeys(e164s))
        for chunk in chunks(keys):
            rows = self.conn.execute(
                "SELECT * FROM findings WHERE status IN ('found', 'not_found') AND expires_at > ?"
                f" AND e164 IN ({marks(len(chunk))})",
                [now, *chunk],
            )
            cols = [d[0] for d in rows.description]
            for raw in rows:
                row = dict(zip(cols, raw))
                out[row["e164"]].append(_finding_from_row(row, cached=True))
        return dict(out)

    def latest_findings(self, e164s: Sequence[str]) -> dict[str, list[Finding]]:
        """The latest stored finding per source, fresh or not (for display and diagnostics)."""
        out: dict[str, list[Finding]] = defaultdict(list)
        for chunk in chunks(list(dict.fromkeys(e164s))):
            rows = self.conn.execute(f"SELECT * FROM findings WHERE e164 IN ({marks(len(chunk))})", chunk)
            cols = [d[0] for d in rows.description]
            for raw in rows:
                row = dict(zip(cols, raw))
                out[row["e164"]].append(_finding_from_row(row, cached=True))
        return dict(out)

    def save_findings(self, findings: Iterable[Finding], ttl_days: Callable[[Finding], float]) -> int:
        """Save a batch in one transaction. Definite answers replace the row; a failure never
        overwrites a good answer (it is kept beside it), and is stored so it never counts as fresh."""
        definite, failed = [], []
        for f in findings:
            if not f.e164:
                continue
            (definite if f.status.is_definite else failed).append(f)
        health: dict[str, tuple[str | None, Finding | None]] = {}
        with self.atomic():
            if definite:
                self.conn.executemany(
                    "INSERT OR REPLACE INTO findings (e164, source, status, fetched_at, expires_at, name, spam,"
                    " reports, categories, last_reported, url, detail, excerpt, facts, evidence)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [
                        (
                            f.e164,
                            f.source,
                            f.status.value,
                            f.fetched_at,
                            days_after(f.fetched_at, ttl_days(f)),
                            f.name,
                            f.spam,
                            f.reports,
                            json.dumps(list(f.categories)),
                            f.last_reported,
                            f.url,
                            f.detail,
                            f.excerpt,
                            json.dumps(f.facts, default=str),
                            f.evidence.value,
                        )
                        for f in definite
                    ],
                )
                comment_rows = [
                    (
                        _comment_id(f, c),
                        f.e164,
                        f.source,
                        c.text,
                        c.at,
                        c.caller,
                        c.call_type,
                        c.url,
                        f.fetched_at,
                    )
                    for f in definite
                    for c in f.comments
                ]
                if comment_rows:
                    self.conn.executemany(
                        "INSERT OR IGNORE INTO comments (id, e164, source, text, at, caller, call_type, url,"
                        " fetched_at) VALUES (?,?,?,?,?,?,?,?,?)",
                        comment_rows,
                    )
                    self._trim_comments({(f.e164, f.source) for f in definite if f.comments})
                for f in definite:
                    health[f.source] = (f.fetched_at, health.get(f.source, (None, None))[1])
            for f in failed:
                self.conn.execute(
                    "INSERT INTO findings (e164, source, status, fetched_at, expires_at, detail)"
                    " VALUES (?,?,?,?,?,?) ON CONFLICT(e164, source) DO UPDATE SET"
                    " failure_status=excluded.status, failure_detail=excluded.detail,"
                    " failure_at=excluded.fetched_at,"
                    " status=CASE WHEN findings.status IN ('found','not_found') THEN findings.status"
                    " ELSE excluded.status END,"
                    " detail=CASE WHEN findings.status IN ('found','not_found') THEN findings.detail"
                    " ELSE excluded.detail END,"
                    " fetched_at=CASE WHEN findings.status IN ('found','not_found') THEN findings.fetched_at"
                    " ELSE excluded.fetched_at END",
                    (f.e164, f.source, f.status.value, f.fetched_at, f.fetched_at, f.detail),
                )
                if f.status is not Status.SKIPPED:
                    health[f.source] = (health.get(f.source, (None, None))[0], f)
            for source, (ok_at, failure) in health.items():
                self._record_health(source, ok_at, failure)
        return len(definite) + len(failed)

    def _trim_comments(self, pairs: set[tuple[str, str]], keep: int = 50) -> None:
        for e164, source in pairs:
            self.conn.execute(
                "DELETE FROM comments WHERE e164 = ? AND source = ? AND id NOT IN ("
                " SELECT id FROM comments WHERE e164 = ? AND source = ?"
                " ORDER BY COALESCE(at, '') DESC, fetched_at DESC LIMIT ?)",
                (e164, source, e164, source, keep),
            )

    def numbers_with_findings(self) -> list[str]:
        """Numbers some source said something definite about (candidates for "likely spam")."""
        return [r[0] for r in self.conn.execute(
            "SELECT DISTINCT e164 FROM findings WHERE status = 'found' ORDER BY e164")]

    def comments_for(self, e164: str, limit: int = 50) -> list[Comment]:
        rows = self.conn.execute(
            "SELECT text, at, caller, call_type, url FROM comments WHERE e164 = ?"
            " ORDER BY COALESCE(at, '') DESC LIMIT ?",
            (e164, limit),
        )
        return [Comment(text=r[0], at=r[1], caller=r[2], call_type=r[3], url=r[4]) for r in rows]

    def _record_health(self, source: str, ok_at: str | None, failure: Finding | None) -> None:
        self.conn.execute("INSERT OR IGNORE INTO source_health (source) VALUES (?)", (source,))
        if ok_at:
            self.conn.execute("UPDATE source_health SET last_success_at = ? WHERE source = ?", (ok_at, source))
        if failure is not None:
            self.conn.execute(
                "UPDATE source_health SET last_failure_at = ?, last_failure_status = ?, last_failure = ?"
                " WHERE source = ?",
                (failure.fetched_at, failure.status.value, failure.detail, source),
            )

    def source_health(self) -> dict[str, dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM source_health")
        cols = [d[0] for d in rows.description]
        return {r[0]: dict(zip(cols, r)) for r in rows}


def _finding_from_row(row: dict[str, Any], *, cached: bool) -> Finding:
    return Finding(
        source=row["source"],
        e164=row["e164"],
        status=Status(row["status"]),
        fetched_at=row["fetched_at"],
        name=row["name"],
        spam=row["spam"],
        reports=row["reports"],
        categories=tuple(json.loads(row["categories"])) if row["categories"] else (),
        last_reported=row["last_reported"],
        url=row["url"],
        detail=row["detail"],
        excerpt=row["excerpt"],
        facts=json.loads(row["facts"]) if row["facts"] else {},
        cached=cached,
        evidence=EvidenceKind(row.get("evidence") or EvidenceKind.OPINION),
    )


def _comment_id(f: Finding, c: Comment) -> str:
    import hashlib

    digest = hashlib.sha1(f"{f.e164}|{f.source}|{c.at}|{c.text}".encode("utf-8", "replace")).hexdigest()
    return digest[:24]

