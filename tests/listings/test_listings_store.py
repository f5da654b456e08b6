"""The listings tables: an area is replaced whole, and its sync never holds the write lock while
the answer is read (the server shares the file)."""

from __future__ import annotations

import pytest

from db.store import Store
from lookup.models import Listing, ListEntry, ListKind


def place(ref: str, e164: str, area: str = "US-DC") -> Listing:
    return Listing("osm", area, ref, e164, f"Place {ref}", "pharmacy")


def test_a_sync_lets_others_write_and_never_shows_half_an_area(tmp_path) -> None:
    path = tmp_path / "w.db"
    with Store(path) as store, Store(path) as other:
        store.replace_listings("osm", "US-DC", [place("node/1", "+12025550143")])
        seen: list[list[str]] = []

        def answer():
            for i in range(6):
                if i == 4:  # half-way: the other connection writes at once and reads the old area only
                    assert other.add_list_entry(ListEntry("+12025550199", ListKind.BLOCK))
                    seen.append([x.ref for xs in other.listings_by_block(["+12025550143"]).values() for x in xs])
                yield place(f"node/{10 + i}", f"+1202555014{i}")

        other.conn.execute("PRAGMA busy_timeout = 200")  # a held lock would fail this write quickly
        assert store.replace_listings("osm", "US-DC", answer(), batch=2) == 6
        assert seen == [["node/1"]]
        assert sorted(x.ref for xs in other.listings_by_block(["+12025550143"]).values() for x in xs) == [
            f"node/{10 + i}" for i in range(6)]
        assert store.count_listings() == 6 and store.listing_areas()[0].rows == 6
        assert store.db["listings"].count == 6  # the old generation is gone from the table too


def test_a_sync_that_breaks_leaves_the_old_rows_and_nothing_pending() -> None:
    with Store(":memory:") as store:
        store.replace_listings("osm", "US-DC", [place("node/1", "+12025550143")])
        store.replace_listings("osm", "DE-BE", [place("node/2", "+493012345678", "DE-BE")])

        def broken():
            yield place("node/3", "+12025550144")
            yield place("node/4", "+12025550145")
            raise ValueError("the answer was cut off")

        with pytest.raises(ValueError):
            store.replace_listings("osm", "US-DC", broken(), batch=1)
        assert store.count_listings() == 2 and store.db["listings"].count == 2  # the new rows were dropped
        assert [(a.area, a.rows) for a in store.listing_areas()] == [("DE-BE", 1), ("US-DC", 1)]
        assert [x.ref for xs in store.listings_by_block(["+12025550144"]).values() for x in xs] == ["node/1"]
