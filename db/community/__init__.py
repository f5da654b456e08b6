"""The community server's store: one interface (:class:`CommunityStore`), two backends.

``open_community_store(target)`` picks the backend from ``target``: a ``postgresql://`` (or
``postgres://``) URL for PostgreSQL, anything else is a SQLite file path.
"""

from __future__ import annotations

from pathlib import Path

from db.community.base import CommunityError, CommunityStore, ListChanges, Member
from db.community.rule import HALF_LIFE_DAYS, MIN_VOTERS, Rule, Tally

__all__ = ["CommunityError", "CommunityStore", "HALF_LIFE_DAYS", "ListChanges", "MIN_VOTERS", "Member", "Rule",
           "Tally", "is_postgres_url", "open_community_store"]


def is_postgres_url(target: str | Path) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def open_community_store(target: str | Path, rule: Rule | None = None) -> CommunityStore:
    """The store at ``target``: a PostgreSQL URL or a SQLite file (created if missing)."""
    if is_postgres_url(target):
        from db.community.postgres_store import PostgresCommunityStore

        return PostgresCommunityStore(str(target), rule)
    from db.community.sqlite_store import SqliteCommunityStore

    return SqliteCommunityStore(target, rule)
