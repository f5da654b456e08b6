"""SQL for the listing directories (OpenStreetMap, Wikidata): the numbers of named places,
kept per synced area, and the areas themselves.

:class:`ListingsMixin` is one of :class:`db.store.Store`'s bases. Re-syncing an area replaces
its rows in one transaction: a sync that fails half-way (a cut-off answer, an Overpass
``remark``) is rolled back, so the rows of the last good sync stay.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from db.sql import chunks, marks
from lookup.models import Listing, ListingArea, iso_now

LISTING_COLUMNS = (
    "source", "area", "ref", "e164", "block", "name", "kind", "address", "website", "opening_hours", "lat", "lon",
)
INSERT_LISTING = f"INSERT INTO listings ({', '.join(LISTING_COLUMNS)}) VALUES ({marks(len(LISTING_COLUMNS))})"
SELECT_LISTING = "SELECT source, area, ref, e164, name, kind, address, website, opening_hours, lat, lon FROM listings"
PROGRESS_EVERY = 10_000


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
        on_progress: Callable[[int], None] | None = None,
    ) -> int:
        """Put ``listings`` in place of the area's rows, in one transaction (rolled back when the
        iterator raises, keeping the old rows). Returns the rows written."""
        count = 0

        def rows() -> Iterator[tuple[Any, ...]]:
            nonlocal count
            for item in listings:
                count += 1
                if on_progress is not None and count % PROGRESS_EVERY == 0:
                    on_progress(count)
                yield (source, area, item.ref, item.e164, block_of(item.e164), item.name, item.kind, item.address,
                       item.website, item.opening_hours, item.lat, item.lon)

        with self.atomic():
            self.conn.execute("DELETE FROM listings WHERE source = ? AND area = ?", (source, area))
            self.conn.executemany(INSERT_LISTING, rows())
            self.conn.execute(
                "INSERT OR REPLACE INTO listing_areas (source, area, rows, synced_at, detail) VALUES (?,?,?,?,?)",
                (source, area, count, iso_now(), detail),
            )
        return count

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
        if source is None:
            return self.conn.execute("SELECT COUNT(*) FROM listings").fetchone()[0]
        return self.conn.execute("SELECT COUNT(*) FROM listings WHERE source = ?", (source,)).fetchone()[0]

    def listings_by_block(self, e164s: Sequence[str]) -> dict[str, list[Listing]]:
        """Every listing in the blocks of 100 of these numbers, by block (one query per chunk of
        blocks): the caller picks the exact matches and the neighbours out of them."""
        blocks = list(dict.fromkeys(block_of(k) for k in e164s if k))
        out: dict[str, list[Listing]] = {}
        for chunk in chunks(blocks):
            for row in self.conn.execute(
                f"{SELECT_LISTING} WHERE block IN ({marks(len(chunk))}) ORDER BY e164, source, ref", chunk
            ):
                listing = Listing(*row)
                out.setdefault(block_of(listing.e164), []).append(listing)
        return out
