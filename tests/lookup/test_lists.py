"""The list rules (lookup.lists), once for the CLI and the server: protection, reasons, dates."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from db.store import Store
from lookup import lists
from lookup.models import Category, ListEntry, ListKind
from lookup.settings import Settings


@pytest.fixture
def store():
    with Store(":memory:") as s:
        yield s


@pytest.fixture
def settings() -> Settings:
    return Settings(region="US", own_numbers=("(202) 555-0123", "not a number", "+1 202 555 0123"))


def test_own_numbers_are_normalised_once_in_the_home_region(settings: Settings) -> None:
    assert settings.own_e164 == ("+12025550123",)
    assert settings.own_e164 is settings.own_e164  # worked out once


def test_a_range_over_your_own_number_needs_force(store: Store, settings: Settings) -> None:
    with pytest.raises(lists.Protected, match=r"\+1202555\* would block your own number \+12025550123"):
        lists.block(store, settings, "+1202555*")
    assert store.get_list_entry("+1202555*") is None
    done = lists.block(store, settings, "+1202555*", force=True)
    assert done.added and store.get_list_entry("+1202555*").kind is ListKind.BLOCK


def test_an_allowlisted_number_is_not_blocked_without_force(store: Store, settings: Settings) -> None:
    lists.allow(store, settings, "415-555-0199", "pharmacy")
    with pytest.raises(lists.Protected, match="is on your allowlist"):
        lists.block(store, settings, "+14155550199")
    assert store.get_list_entry("+14155550199").kind is ListKind.ALLOW
    lists.block(store, settings, "+14155550199", force=True)
    assert store.get_list_entry("+14155550199").kind is ListKind.BLOCK


def test_a_blocked_range_names_the_allowed_numbers_inside_it(store: Store, settings: Settings) -> None:
    lists.allow(store, settings, "+14155550199")
    done = lists.block(store, settings, "+1415555*")
    assert done.allowed_inside == ("+14155550199",)


def test_a_number_or_range_inside_an_allowed_range_needs_force(store: Store, settings: Settings) -> None:
    lists.allow(store, settings, "+1415555*", "the clinic's lines")
    for pattern in ("415-555-0199", "+14155550*"):
        with pytest.raises(lists.Protected, match=r"lies in your allowed range \+1415555\*"):
            lists.block(store, settings, pattern)
    assert [e.pattern for e in store.list_entries(ListKind.BLOCK)] == []
    assert lists.block(store, settings, "415-555-0199", force=True).added
    # a wider blocked range around the allowed one is fine: the allowed part stays allowed
    assert lists.block(store, settings, "+1415*").allowed_inside == ("+1415555*",)


def test_block_many_leaves_out_numbers_in_allowed_ranges(store: Store, settings: Settings) -> None:
    lists.allow(store, settings, "+1415555*")
    entries = [ListEntry(e, ListKind.BLOCK, origin="triage") for e in ("+14155550199", "+14165550100")]
    added, protected = lists.block_many(store, settings, entries)
    assert added == 1 and protected == ["+14155550199"]


def test_blocking_again_without_a_reason_keeps_the_stored_one(store: Store, settings: Settings) -> None:
    lists.block(store, settings, "+14155550100", "car warranty")
    again = lists.block(store, settings, "415 555 0100")
    assert not again.added
    assert store.get_list_entry("+14155550100").reason == "car warranty"
    lists.block(store, settings, "+14155550100", "new reason")
    assert store.get_list_entry("+14155550100").reason == "new reason"


def test_allow_says_what_the_number_was_before(store: Store, settings: Settings) -> None:
    lists.block(store, settings, "+14155550100")
    assert lists.allow(store, settings, "+14155550100").was is ListKind.BLOCK
    assert lists.allow(store, settings, "+14155550101").was is None


def test_block_many_leaves_out_protected_numbers(store: Store, settings: Settings) -> None:
    lists.allow(store, settings, "+14155550199")
    entries = [ListEntry(e, ListKind.BLOCK, origin="triage") for e in ("+14155550199", "+12025550123", "+14155550100")]
    added, protected = lists.block_many(store, settings, entries)
    assert added == 1 and sorted(protected) == ["+12025550123", "+14155550199"]
    assert store.get_list_entry("+14155550199").kind is ListKind.ALLOW


def test_unlist_reports_what_was_removed(store: Store, settings: Settings) -> None:
    lists.block(store, settings, "+1415555*")
    key, removed = lists.unlist(store, settings, "+1 415 555*")
    assert key == "+1415555*" and removed is not None and removed.kind is ListKind.BLOCK
    assert lists.unlist(store, settings, "+1415555*")[1] is None


@pytest.mark.parametrize("bad", ["12", "hello", "+999*", "*"])
def test_what_cannot_be_listed_is_one_clear_error(store: Store, settings: Settings, bad: str) -> None:
    with pytest.raises(lists.ListError) as caught:
        lists.block(store, settings, bad)
    assert "\n" not in str(caught.value) and not isinstance(caught.value, lists.Protected)


def test_report_records_category_note_and_time(store: Store, settings: Settings) -> None:
    saved = lists.report(store, settings, "202-555-0143", Category.ROBOCALL, "car warranty", "2026-11-20T14:05:00+00:00")
    assert saved.id and saved.e164 == "+12025550143" and saved.at == "2026-11-20T14:05:00+00:00"
    [stored] = store.list_reports()
    assert (stored.id, stored.category, stored.note) == (saved.id, Category.ROBOCALL, "car warranty")
    assert lists.report(store, settings, "+12025550143", None).category is Category.OTHER


@pytest.mark.parametrize("number, category, at, message", [
    ("anonymous", "robocall", None, "not a dialable number"),
    ("+12025550143", "spammy", None, "unknown category"),
    ("+12025550143", "scam", "last tuesday", "not a date or time"),
    ("+12025550143", "scam", "0001-01-01T00:00:00+14:00", "out of range"),
])
def test_bad_reports_are_refused_and_nothing_is_stored(store: Store, settings: Settings, number, category, at, message) -> None:
    with pytest.raises(lists.ListError, match=message):
        lists.report(store, settings, number, category, None, at)
    assert store.list_reports() == []


def test_parse_when_reads_local_time_and_offsets() -> None:
    assert lists.parse_when("2026-11-20T14:05:00+01:00") == "2026-11-20T13:05:00+00:00"
    local = datetime(2026, 11, 20, 14, 5).astimezone()
    assert lists.parse_when("2026-11-20 14:05") == local.astimezone(timezone.utc).isoformat(timespec="seconds")
    assert lists.parse_when("2026-11-20").startswith("2026-11-")
