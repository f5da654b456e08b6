"""SQL for the listing directories (OpenStreetMap, Wikidata): the numbers of named places,
kept per synced area, and the areas themselves.

:class:`ListingsMixin` is one of :class:`db.store.Store`'s bases. Re-syncing an area replaces
its rows at once (see :meth:`ListingsMixin.replace_listings`): a sync that fails half-way (a
cut-off answer, an Overpass ``remark``) leaves the rows of the last good sync as they were.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from db.sql import chunks, marks
from lookup.models import Listing, ListingArea, iso_now

LISTING_COLUMNS = (
    "source", "area", "generation", "ref", "e164", "block", "name", "kind", "address", "website", "opening_hours", "lat", "lon",
)
INSERT_LISTING = f"INSERT INTO listings ({', '.join(LISTING_COLUMNS)}) VALUES ({marks(len(LISTING_COLUMNS))})"
SELECT_LISTING = (
    "SELECT l.source, l.area, l.ref, l.e164, l.name, l.kind, l.address, l.website, l.opening_hours, l.lat, l.lon"
    " FROM listings l JOIN listing_areas a ON a.source = l.source AND a.area = l.area AND a.generation = l.generation"
)
BATCH = 10_000  # rows per write transaction while an area is synced (a few MB in memory)


def block_of(e164: str) -> str:
    """The block of 100 numbers ``e164`` belongs to: the key without its last two digits."""
    return e164[:-2]


class ListingsMixin:
    """Listings and listing areas. Mixed into ``Store``."""

    if TYPE_CHECKING:

        @property
        def conn(self) -> sqlite3.Connection: ...

        def atomic(self) -> AbstractContextManager[Any]: ...

    def replace_listings(
        self, source: str, area: str, listings: Iterable[Listing], *, detail: str | None = None,
        batch: int = BATCH, on_progress: Callable[[int], None] | None = None,
    ) -> int:
        """Put ``listings`` in place of the area's rows. They are written in batches, each its own
        short transaction, under a new generation that lookups do not read; one short last
        transaction points the area at it, then the old generation is deleted. So the write lock is
        never held while the answer is read (the server's writes beside a long sync do not time
        out), and when the iterator raises, the new rows are dropped and the area keeps its old
        ones. Returns the rows written."""
        current = self.conn.execute(
            "SELECT generation FROM listing_areas WHERE source = ? AND area = ?", (source, area)
        ).fetchone()
        generation = (current[0] if current else 0) + 1
        self._drop_generations(source, area, keep=current[0] if current else None)  # what a killed run left
        count = 0
        it = iter(listings)
        try:
            while True:  # each batch is read whole before its transaction: the lock waits for no reader
                chunk = [
                    (source, area, generation, x.ref, x.e164, x.e164[:-2], x.name, x.kind, x.address,
                     x.website, x.opening_hours, x.lat, x.lon)
                    for x in islice(it, batch)
                ]
                if not chunk:
                    break
                with self.atomic():
                    self.conn.executemany(INSERT_LISTING, chunk)
                count += len(chunk)
                if on_progress is not None:
                    on_progress(count)
            with self.atomic():
                self.conn.execute(
                    "INSERT OR REPLACE INTO listing_areas (source, area, generation, rows, synced_at, detail)"
                    " VALUES (?,?,?,?,?,?)",
                    (source, area, generation, count, iso_now(), detail),
                )
        except BaseException:
            self._drop_generations(source, area, keep=current[0] if current else None)
            raise
        self._drop_generations(source, area, keep=generation)
        return count

    def _drop_generations(self, source: str, area: str, *, keep: int | None) -> None:
        """Delete the area's rows of every generation but ``keep``."""
        with self.atomic():
            self.conn.execute(
                "DELETE FROM listings WHERE source = ? AND area = ? AND generation != ?", (source, area, keep or 0)
            )

    def listing_areas(self, source: str | None = None) -> list[ListingArea]:
        """Synced areas (of one source, or all), by source and area."""
        sql = "SELECT source, area, rows, synced_at, detail FROM listing_areas"
        args: list[str] = []
        if source is not None:
            sql += " WHERE source = ?"
            args.append(source)
        return [ListingArea(*row) for row in self.conn.execute(sql + " ORDER BY source, area", args)]

    def listing_area(self, source: str, area: str) -> ListingArea | None:
        row = self.conn.execute(
            "SELECT source, area, rows, synced_at, detail FROM listing_areas WHERE source = ? AND area = ?",
            (source, area),
        ).fetchone()
        return ListingArea(*row) if row else None

    def count_listings(self, source: str | None = None) -> int:
        """Numbers held for the synced areas (not those of a sync still being written)."""
        sql = "SELECT COUNT(*) FROM (" + SELECT_LISTING + (" WHERE l.source = ?)" if source else ")")
        return self.conn.execute(sql, [source] if source else []).fetchone()[0]

    def listings_by_block(self, e164s: Sequence[str]) -> dict[str, list[Listing]]:
        """Every listing in the blocks of 100 of these numbers, by block (one query per chunk of
        blocks): the caller picks the exact matches and the neighbours out of them."""
        blocks = list(dict.fromkeys(block_of(k) for k in e164s if k))
        out: dict[str, list[Listing]] = {}
        for chunk in chunks(blocks):
            for row in self.conn.execute(
                f"{SELECT_LISTING} WHERE l.block IN ({marks(len(chunk))}) ORDER BY l.e164, l.source, l.ref", chunk
            ):
                listing = Listing(*row)
                out.setdefault(block_of(listing.e164), []).append(listing)
        return out
