"""The community store: members and tokens, one vote per member and number, the listing rule
(min voters, legit votes against, fading), revocation, the range check and the versioned list."""

from __future__ import annotations

import time

import pytest

from db.community import CommunityError, Rule
from db.community.rule import DAY

A, B, C = "+12025550143", "+12025550178", "+12025550199"


def members(store, n: int):
    out = []
    for i in range(n):
        token = store.add_member(f"house {i}")
        out.append(store.member_for_token(token))
    return out


def test_token_is_shown_once_and_stored_hashed(make_store, tmp_path) -> None:
    store = make_store()
    token = store.add_member("Smith family")
    assert token.startswith("wcc_") and len(token) > 30
    member = store.member_for_token(token)
    assert member is not None and member.name == "Smith family"
    assert store.member_for_token(token[:-1] + ("x" if token[-1] != "x" else "y")) is None
    assert store.member_for_token("") is None
    if getattr(store, "path", None):
        assert token.encode() not in (tmp_path / "community0.db").read_bytes()


def test_names_are_unique_and_sane(make_store) -> None:
    store = make_store()
    store.add_member("Smith family")
    with pytest.raises(CommunityError, match="already a member"):
        store.add_member("Smith  family")
    with pytest.raises(CommunityError, match="printable"):
        store.add_member("")


def test_a_new_vote_replaces_the_old(make_store) -> None:
    store = make_store()
    [m] = members(store, 1)
    store.cast_vote(m, A, "spam", "robocall")
    tally = store.cast_vote(m, A, "legit")
    assert store.count_votes(A) == 1
    assert (tally.spam_voters, tally.legit_voters) == (0, 1)


def test_min_voters_distinct_members_list_a_number(make_store) -> None:
    store = make_store()
    m1, m2, m3 = members(store, 3)
    assert not store.cast_vote(m1, A, "spam").listed
    assert not store.cast_vote(m1, A, "spam").listed  # the same member twice is still one voter
    assert not store.cast_vote(m2, A, "spam").listed
    tally = store.cast_vote(m3, A, "spam", "scam")
    assert tally.listed and tally.spam_voters == 3
    assert store.listed_numbers() == [A]


def test_one_member_can_never_list_alone() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        Rule(min_voters=1)


def test_legit_votes_count_against(make_store) -> None:
    store = make_store()
    voters = members(store, 5)
    for m in voters[:3]:
        store.cast_vote(m, A, "spam")
    assert store.cast_vote(voters[3], A, "legit").listed  # 3 - 1 = 2 >= 1.5
    tally = store.cast_vote(voters[4], A, "legit")  # 3 - 2 = 1 < 1.5
    assert not tally.listed and tally.legit_voters == 2


def test_old_votes_fade_and_the_list_follows(make_store) -> None:
    store = make_store()
    now = time.time()
    for m in members(store, 3):
        store.cast_vote(m, A, "spam", now=now)
    assert store.tally_number(A, now + 80 * DAY).listed
    assert not store.tally_number(A, now + 100 * DAY).listed  # 3 x 0.46 < 1.5
    version = store.list_version()
    assert store.refresh_listing(now + 30 * DAY) == 0
    assert store.refresh_listing(now + 100 * DAY) == 1
    changes = store.changes_since(version)
    assert changes.removed == [A] and changes.added == [] and changes.version == version + 1


def test_a_revoked_members_votes_stop_counting(make_store) -> None:
    store = make_store()
    m1, m2, m3 = members(store, 3)
    token = store.add_member("house 3")
    m4 = store.member_for_token(token)
    for m in (m1, m2, m4):
        store.cast_vote(m, A, "spam")
    store.cast_vote(m4, B, "spam")
    assert store.listed_numbers() == [A]
    assert store.revoke_member("house 3") == 1
    assert store.listed_numbers() == []
    assert store.member_for_token(token) is None
    [only] = store.check_range("+1202555")
    assert (only.e164, only.spam_voters) == (A, 2)
    with pytest.raises(CommunityError, match="already revoked"):
        store.revoke_member("house 3")
    with pytest.raises(CommunityError, match="no member"):
        store.revoke_member("nobody")
    listed = {m.name: (m.revoked_at is not None, m.votes) for m in store.list_members()}
    assert listed["house 3"] == (True, 2) and listed["house 0"] == (False, 1)


def test_the_range_check_lists_every_voted_number_in_the_range(make_store) -> None:
    store = make_store()
    m1, m2 = members(store, 2)
    for e164 in (A, B, C, "+12025560000", "+1202555014"):
        store.cast_vote(m1, e164, "spam")
    store.cast_vote(m2, A, "legit")
    found = {t.e164: t for t in store.check_range("+120255501")}
    assert set(found) == {A, B, C}
    assert (found[A].spam_voters, found[A].legit_voters) == (1, 1)
    # "+1202555014" is only one digit longer than the prefix: left out
    assert [t.e164 for t in store.check_range("+120255501")] == sorted(found)
    # a prefix one digit short of a number never reaches it: a range is never a single number
    assert store.check_range("+1202555014") == []
    assert [t.e164 for t in store.check_range("+12025550")] == ["+1202555014", A, B, C]


@pytest.mark.parametrize("prefix", ["+120", "1202555", "+1202555x", "", "+", "+١٢٠٢٥٥٥٠", "+12025550143999"])
def test_bad_prefixes_are_refused(make_store, prefix) -> None:
    with pytest.raises(CommunityError, match="prefix"):
        make_store().check_range(prefix)


def test_the_incremental_list_returns_only_changes(make_store) -> None:
    store = make_store()
    voters = members(store, 4)
    for e164 in (A, B):
        for m in voters[:3]:
            store.cast_vote(m, e164, "spam")
    first = store.changes_since(0)
    assert first.added == [A, B] and first.removed == []
    assert store.changes_since(first.version).added == [] and store.changes_since(first.version).version == first.version
    for m in voters[:3]:
        store.cast_vote(m, C, "spam")
    store.cast_vote(voters[3], B, "legit")
    store.cast_vote(voters[0], B, "legit")  # B: 2 spam, 2 legit -> off the list
    later = store.changes_since(first.version)
    assert later.added == [C] and later.removed == [B] and later.version == first.version + 2
    assert store.changes_since(0).added == [A, C]


def test_a_foreign_sqlite_file_is_refused(tmp_path) -> None:
    import sqlite3

    from db.community.sqlite_store import SqliteCommunityStore

    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(CommunityError, match="not a whocalled community database"):
        SqliteCommunityStore(path)
    assert path.read_bytes() == before


def test_the_commonest_spam_categories_come_first(make_store) -> None:
    store = make_store()
    voters = members(store, 5)
    for m, category in zip(voters, ("scam", "robocall", "scam", None, "survey")):
        store.cast_vote(m, A, "spam", category)
    store.cast_vote(voters[3], B, "legit", "robocall")
    [a, b] = store.check_range("+12025550")
    assert a.categories == ("scam", "robocall", "survey") and a.spam_voters == 5
    assert b.categories == ()  # a legit vote's category is not a spam category
