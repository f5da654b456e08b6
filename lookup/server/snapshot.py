"""The block and allow lists as the server holds them in memory.

Two things need the lists without waiting for the database: a screen that must answer while
the database is busy (a number on the block list is blocked even then), and the blocklist
subscriptions, whose cached renderings stay valid exactly as long as the lists do. The
snapshot is read on the database thread when the database changed, and its fingerprint (a
hash of every entry) tells a change of the lists from a write to any other table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Iterable

from lookup.callinfo import NameBlock
from lookup.models import ListEntry, ListKind


@dataclass(frozen=True)
class ListSnapshot:
    entries: tuple[ListEntry, ...] = ()
    fingerprint: str = "empty"
    marker: tuple[int, int] | None = None  # the store's change marker when read
    names: tuple[NameBlock, ...] = ()  # blocked caller-name patterns (not in the fingerprint: no export has them)
    _exact: dict[str, tuple[ListEntry, ...]] = field(default_factory=dict, repr=False, compare=False)
    _prefixes: tuple[ListEntry, ...] = field(default=(), repr=False, compare=False)

    def matching(self, e164: str | None) -> tuple[ListEntry, ...]:
        """The entries that apply to ``e164``: exact ones, then every matching prefix."""
        if not e164:
            return ()
        return self._exact.get(e164, ()) + tuple(e for e in self._prefixes if e.matches(e164))

    def of_kind(self, kind: ListKind) -> list[ListEntry]:
        return [e for e in self.entries if e.kind is kind]


def read_snapshot(
    entries: Iterable[ListEntry], marker: tuple[int, int] | None, names: Iterable[NameBlock] = (),
) -> ListSnapshot:
    """A snapshot of ``entries`` (the store's, in its order) with their fingerprint."""
    kept = tuple(entries)
    digest = hashlib.sha256()
    exact: dict[str, tuple[ListEntry, ...]] = {}
    for e in kept:
        digest.update("\x1f".join((e.pattern, e.kind.value, e.reason or "", e.added_at or "", e.origin)).encode())
        digest.update(b"\x1e")
        if not e.is_prefix:
            exact[e.pattern] = exact.get(e.pattern, ()) + (e,)
    prefixes = tuple(e for e in kept if e.is_prefix)
    return ListSnapshot(kept, digest.hexdigest()[:32], marker, tuple(names), exact, prefixes)
