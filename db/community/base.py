"""The community store: one interface, written once over a few backend primitives.

The SQL here is plain enough for SQLite and PostgreSQL alike (``?`` placeholders, which the
PostgreSQL backend turns into ``%s``); each backend supplies the connection, the schema and
how a write transaction takes its locks (:mod:`db.community.sqlite_store`,
:mod:`db.community.postgres_store`).

Tables: ``members`` (token stored as an HMAC under a per-server secret, never in clear),
``votes`` (one per member and number: a new vote replaces the old), ``listing`` (each number
that was ever listed, with the list version at which it last changed) and ``counters`` (the
list version). A vote, a revocation or the fading of old votes that changes whether a number
is listed bumps the version, so ``GET /list?since=V`` returns only the changes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Sequence

from db.community.rule import Rule, Tally, Verdict, iter_tallies, tally_rows

MIN_PREFIX_DIGITS = 4  # "+" and at least 4 digits: a check never asks for a whole country
HIDDEN_DIGITS = 2  # numbers in a range have at least this many digits after the prefix
MAX_PREFIX_DIGITS = 15 - HIDDEN_DIGITS  # E.164 numbers have at most 15 digits
MAX_NOTE = 500
TOKEN_PREFIX = "wcc_"
_TALLY_SQL: dict[tuple[str, str], str] = {}  # the tally statement per filter and backend


class CommunityError(ValueError):
    """A request the community store refuses (one-line message, the caller's mistake)."""


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    created_at: str
    revoked_at: str | None = None
    votes: int = 0

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class ListChanges:
    """The list since a version: numbers added and removed, and the version now."""

    version: int
    added: list[str]
    removed: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "added": self.added, "removed": self.removed}


def iso_utc(epoch: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if epoch is None else epoch, timezone.utc).isoformat(timespec="seconds")


def check_prefix(prefix: str) -> None:
    """Refuse a prefix that is not ``+`` and a number's first digits (CommunityError)."""
    digits = prefix[1:]
    if not (prefix.startswith("+") and digits.isascii() and digits.isdigit()
            and MIN_PREFIX_DIGITS <= len(digits) <= MAX_PREFIX_DIGITS):
        raise CommunityError(f"a prefix is '+' and {MIN_PREFIX_DIGITS} to {MAX_PREFIX_DIGITS} digits"
                             f" (a number without its last {HIDDEN_DIGITS} or more)")


def range_end(prefix: str) -> str:
    """The first string after every number that starts with ``prefix`` (':' follows '9')."""
    return prefix + ":"


class CommunityStore(ABC):
    """Members, votes and the versioned list of one community. Subclasses give the backend."""

    rule: Rule

    # ---------------------------------------------------------------- backend primitives

    @abstractmethod
    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run one statement; its rows (empty for statements without rows)."""

    @abstractmethod
    def _write(self, lock_key: str | None = None) -> AbstractContextManager[None]:
        """A write transaction; with ``lock_key``, writers of the same key run one at a time."""

    def _stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple]:
        """Run one query; its rows one at a time (a backend may stream them from its cursor)."""
        return iter(self._run(sql, params))

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def add_votes_bulk(self, rows: Iterable[tuple[int, str, str, str | None, int]]) -> None:
        """Load ``(member_id, e164, verdict, category, voted_at)`` rows fast, without touching
        the list (for benchmarks and imports; call :meth:`relist_all` afterwards). They are
        not in the vote change log: running servers see them at their next start."""

    # ---------------------------------------------------------------- secret and members

    def _secret(self) -> bytes:
        rows = self._run("SELECT value FROM community_meta WHERE key = 'secret'")
        if rows:
            return bytes.fromhex(rows[0][0])
        with self._write("secret"):
            self._run("INSERT INTO community_meta (key, value) VALUES ('secret', ?) ON CONFLICT (key) DO NOTHING",
                      (secrets.token_hex(32),))
        return bytes.fromhex(self._run("SELECT value FROM community_meta WHERE key = 'secret'")[0][0])

    def hash_token(self, token: str) -> str:
        if not hasattr(self, "_secret_bytes"):
            self._secret_bytes = self._secret()
        return hmac.new(self._secret_bytes, token.encode("utf-8", "replace"), hashlib.sha256).hexdigest()

    def add_member(self, name: str) -> str:
        """Add a member; return the token, which exists only in this answer (stored hashed)."""
        name = " ".join(name.split())
        if not name or len(name) > 80 or not name.isprintable():
            raise CommunityError("a member name is 1 to 80 printable characters")
        token = TOKEN_PREFIX + secrets.token_urlsafe(24)
        with self._write("members"):
            if self._run("SELECT 1 FROM members WHERE name = ?", (name,)):
                raise CommunityError(f"there is already a member named {name!r}")
            self._run("INSERT INTO members (name, token_hash, created_at) VALUES (?, ?, ?)",
                      (name, self.hash_token(token), iso_utc()))
        return token

    def list_members(self) -> list[Member]:
        rows = self._run(
            "SELECT m.id, m.name, m.created_at, m.revoked_at, COUNT(v.e164) FROM members m"
            " LEFT JOIN votes v ON v.member_id = m.id GROUP BY m.id, m.name, m.created_at, m.revoked_at ORDER BY m.name"
        )
        return [Member(int(r[0]), r[1], r[2], r[3], int(r[4])) for r in rows]

    def member_for_token(self, token: str) -> Member | None:
        """The active member holding ``token``, or None (unknown or revoked)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        rows = self._run("SELECT id, name, created_at, revoked_at FROM members WHERE token_hash = ?",
                         (self.hash_token(token),))
        if not rows or rows[0][3] is not None:
            return None
        return Member(int(rows[0][0]), rows[0][1], rows[0][2], None)

    def revoke_member(self, name: str, now: float | None = None) -> int:
        """Revoke ``name``: its token stops working and its votes stop counting. Returns how
        many numbers changed on the list. Unknown or already revoked: CommunityError."""
        with self._write("members"):
            rows = self._run("SELECT id, revoked_at FROM members WHERE name = ?", (" ".join(name.split()),))
            if not rows:
                raise CommunityError(f"no member named {name!r}")
            if rows[0][1] is not None:
                raise CommunityError(f"{name!r} was already revoked on {rows[0][1][:10]}")
            self._run("UPDATE members SET revoked_at = ? WHERE id = ?", (iso_utc(), rows[0][0]))
            self._touch(member_id=rows[0][0])
        numbers = [r[0] for r in self._run("SELECT e164 FROM votes WHERE member_id = ? ORDER BY e164", (rows[0][0],))]
        return self._relist(numbers, now)

    # ---------------------------------------------------------------- votes and the list

    def cast_vote(self, member: Member, e164: str, verdict: str, category: str | None = None,
                  note: str | None = None, now: float | None = None) -> Tally:
        """Record ``member``'s vote on ``e164`` (replacing an earlier one) and update the list.
        Returns the number's tally after the vote."""
        if verdict not in Verdict.ALL:
            raise CommunityError('"verdict" must be "spam" or "legit"')
        now = time.time() if now is None else now
        with self._write(e164):
            self._run(
                "INSERT INTO votes (member_id, e164, verdict, category, note, voted_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (member_id, e164) DO UPDATE SET verdict = excluded.verdict,"
                " category = excluded.category, note = excluded.note, voted_at = excluded.voted_at",
                (member.id, e164, verdict, category, (note or None) and note[:MAX_NOTE], int(now)),
            )
            tally = self._tally_one(e164, now)
            self._set_listed(e164, tally.listed, now)
            self._touch(e164)
        return tally

    def check_range(self, prefix: str, now: float | None = None) -> list[Tally]:
        """Every number starting with ``prefix`` and at least :data:`HIDDEN_DIGITS` digits
        longer that has votes of active members, ordered by number."""
        check_prefix(prefix)
        now = time.time() if now is None else now
        return tally_rows(self._run(
            self._tally_sql("v.e164 >= ? AND v.e164 < ? AND length(v.e164) >= ?"),
            (now, self.rule.decay_per_second, prefix, range_end(prefix), len(prefix) + HIDDEN_DIGITS),
        ), self.rule)

    # The votes of active members, aggregated per number: voters each way, the weighted score
    # (a vote weighs exp(-k * age)), the spam votes' categories and the newest vote.
    _TALLY = (
        "SELECT v.e164, SUM(CASE WHEN v.verdict = 'spam' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN v.verdict = 'legit' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN v.verdict = 'spam' THEN 1.0 ELSE -1.0 END * exp((v.voted_at - ?) * ?)),"
        " {concat}, MAX(v.voted_at) FROM votes v JOIN members m ON m.id = v.member_id"
        " WHERE {where} AND m.revoked_at IS NULL GROUP BY v.e164 ORDER BY v.e164"
    )
    CONCAT_CATEGORIES = "group_concat(CASE WHEN v.verdict = 'spam' THEN v.category END)"

    def _tally_sql(self, where: str) -> str:
        return _TALLY_SQL.get((where, self.CONCAT_CATEGORIES)) or _TALLY_SQL.setdefault(
            (where, self.CONCAT_CATEGORIES), self._TALLY.format(concat=self.CONCAT_CATEGORIES, where=where))

    def tally_number(self, e164: str, now: float | None = None) -> Tally:
        return self._tally_one(e164, time.time() if now is None else now)

    def _tally_one(self, e164: str, now: float) -> Tally:
        rows = self._run(self._tally_sql("v.e164 = ?"), (now, self.rule.decay_per_second, e164))
        return (tally_rows(rows, self.rule) or [Tally(e164)])[0]

    def _set_listed(self, e164: str, listed: bool, now: float) -> bool:
        """Inside a write transaction: record ``listed`` for ``e164`` under a new version if it
        changed. Returns whether it did."""
        rows = self._run("SELECT listed FROM listing WHERE e164 = ?", (e164,))
        if (bool(rows[0][0]) if rows else False) == listed:
            return False
        version = self._run("UPDATE counters SET value = value + 1 WHERE name = 'list_version' RETURNING value")[0][0]
        self._run(
            "INSERT INTO listing (e164, listed, version, changed_at) VALUES (?, ?, ?, ?) ON CONFLICT (e164) DO UPDATE"
            " SET listed = excluded.listed, version = excluded.version, changed_at = excluded.changed_at",
            (e164, int(listed), int(version), iso_utc(now)),
        )
        return True

    def _relist(self, numbers: Iterable[str], now: float | None = None) -> int:
        """Decide each number again, one short transaction each; how many changed."""
        changed = 0
        now = time.time() if now is None else now
        for e164 in numbers:
            with self._write(e164):
                changed += self._set_listed(e164, self._tally_one(e164, now).listed, now)
        return changed

    def _touch(self, e164: str | None = None, member_id: int | None = None) -> None:
        """Inside a write transaction: note under a new vote version that ``e164`` (or every
        number ``member_id`` voted on) changed, for :meth:`tallies_since`. The counter row is
        locked until commit, so versions become visible in order and a reader never skips one."""
        version = self._run("UPDATE counters SET value = value + 1 WHERE name = 'vote_version' RETURNING value")[0][0]
        upsert = " ON CONFLICT (e164) DO UPDATE SET version = excluded.version"
        if e164 is not None:
            self._run("INSERT INTO touched (e164, version) VALUES (?, ?)" + upsert, (e164, int(version)))
        else:
            self._run("INSERT INTO touched (e164, version) SELECT e164, ? FROM votes WHERE member_id = ?" + upsert,
                      (int(version), member_id))

    def vote_version(self) -> int:
        return int(self._run("SELECT value FROM counters WHERE name = 'vote_version'")[0][0])

    def tallies_since(self, version: int, at: float) -> tuple[int, list[str] | None, Iterable[Tally]]:
        """What changed in the votes after vote version ``version``, for a copy kept in memory:
        ``(version now, numbers touched, their tallies)``. The tallies' scores are weighed at
        ``at`` (a fixed epoch: a score at ``now`` is it times ``exp(-k * (now - at))``); a
        touched number without a tally has no counting votes left. ``version`` -1 (nothing
        held yet) or one the store never reached: every tally, streamed (consume it before the
        next call), and None for the numbers touched."""
        current = self.vote_version()
        params: tuple = (at, self.rule.decay_per_second)
        if 0 <= version <= current:
            if version == current:
                return current, [], []
            touched = [r[0] for r in self._run("SELECT e164 FROM touched WHERE version > ?", (version,))]
            rows = self._run(self._tally_sql("v.e164 IN (SELECT e164 FROM touched WHERE version > ?)"), params + (version,))
            return current, touched, tally_rows(rows, self.rule)
        return current, None, iter_tallies(self._stream(self._tally_sql("1 = 1"), params), self.rule)

    def listed_numbers(self) -> list[str]:
        return [r[0] for r in self._run("SELECT e164 FROM listing WHERE listed = 1 ORDER BY e164")]

    def refresh_listing(self, now: float | None = None, numbers: Sequence[str] | None = None) -> int:
        """Let old votes fade: decide the listed numbers (or ``numbers``) again at ``now``."""
        return self._relist(self.listed_numbers() if numbers is None else numbers, now)

    def relist_all(self, now: float | None = None) -> int:
        """Decide every voted number again (after :meth:`add_votes_bulk`)."""
        numbers = [r[0] for r in self._run("SELECT DISTINCT e164 FROM votes ORDER BY e164")]
        return self._relist(numbers, now)

    def changes_since(self, version: int) -> ListChanges:
        """The numbers added to and removed from the list after ``version`` (0: the whole list,
        no removals) and the version they bring the caller to."""
        rows = self._run("SELECT e164, listed, version FROM listing WHERE version > ? ORDER BY e164", (version,))
        added = [r[0] for r in rows if r[1]]
        removed = [r[0] for r in rows if not r[1]] if version > 0 else []
        newest = max((int(r[2]) for r in rows), default=version)
        return ListChanges(max(newest, version if version > 0 else 0), added, removed)

    def list_version(self) -> int:
        return int(self._run("SELECT value FROM counters WHERE name = 'list_version'")[0][0])

    def count_votes(self, e164: str | None = None) -> int:
        if e164 is None:
            return int(self._run("SELECT COUNT(*) FROM votes")[0][0])
        return int(self._run("SELECT COUNT(*) FROM votes WHERE e164 = ?", (e164,))[0][0])

    def __enter__(self) -> "CommunityStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
