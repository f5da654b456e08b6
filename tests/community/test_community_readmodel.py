"""The votes in memory (lookup.server.community.readmodel) answer every prefix check exactly as
the store's own query does, on both backends: after the first build, after votes, replaced
votes and revocations applied incrementally (in place and by a rebuild), and as votes fade."""

from __future__ import annotations

import json
import random

import pytest

from db.community import CommunityError, Rule
from lookup.server.community import readmodel
from lookup.server.community.readmodel import ReadModel, key_number, number_key

NOW = 1_800_000_000.0
DAY = 86400.0


def random_numbers(rng: random.Random, count: int) -> list[str]:
    """Numbers clustered in a few ranges, of several lengths (so ranges hold short ones too)."""
    heads = ["+1202555", "+1202556", "+44207946", "+4930", "+33142"]
    out = set()
    while len(out) < count:
        head = rng.choice(heads)
        out.add(head + "".join(rng.choice("0123456789") for _ in range(rng.choice((3, 4, 5, 6)))))
    return sorted(out)


def cast_random(store, members, numbers, rng: random.Random, votes: int) -> None:
    for _ in range(votes):
        store.cast_vote(rng.choice(members), rng.choice(numbers), rng.choice(("spam", "spam", "legit")),
                        rng.choice(("robocall", "scam", None)), now=NOW - rng.uniform(0, 300 * DAY))


def prefixes_of(numbers: list[str], rng: random.Random) -> list[str]:
    picked = [n[: rng.choice((5, 6, 7, 8, len(n) - 2, len(n) - 3))] for n in rng.sample(numbers, 40)]
    return [p for p in picked if len(p) >= 5] + ["+1202555", "+4930", "+9999"]


def answers(source, prefix: str, now: float) -> list[dict]:
    out = [t.to_json() for t in source.check_range(prefix, now)]
    for entry in out:
        entry["score"] = round(entry["score"], 2)
    return out


def assert_same(model: ReadModel, store, prefixes: list[str], now: float = NOW) -> None:
    for prefix in prefixes:
        assert answers(model, prefix, now) == answers(store, prefix, now), prefix
        # the JSON the server writes directly says the same as the tallies
        assert json.loads(model.check_json(prefix, now)) == [t.to_json() for t in model.check_range(prefix, now)]


def test_number_keys_sort_like_the_numbers() -> None:
    numbers = ["+12025550143", "+120255501", "+1202555014", "+4930123", "+493012", "+999999999999999"]
    assert sorted(numbers) == [key_number(k) for k in sorted(number_key(n) for n in numbers)]
    assert all(key_number(number_key(n)) == n for n in numbers)


def test_the_copy_answers_as_the_store_does(make_store, monkeypatch) -> None:
    rng = random.Random(5)
    store = make_store(Rule(min_voters=2))
    members = [store.member_for_token(store.add_member(f"house {i}")) for i in range(6)]
    numbers = random_numbers(rng, 120)
    cast_random(store, members, numbers, rng, 400)
    model = ReadModel(store.rule, at=NOW - 50 * DAY)
    assert model.refresh(store) == len(model) > 50
    prefixes = prefixes_of(numbers, rng)
    assert_same(model, store, prefixes)
    assert_same(model, store, prefixes, NOW + 120 * DAY)  # fading, with no refresh at all

    # a few changes: applied in place
    cast_random(store, members, numbers + random_numbers(random.Random(9), 10), rng, 20)
    model.refresh(store)
    assert_same(model, store, prefixes)
    # a revocation touches every number the member voted on; with a low rebuild share the
    # arrays are rebuilt in one pass instead
    monkeypatch.setattr(readmodel, "REBUILD_SHARE", 3)
    store.revoke_member("house 1", now=NOW)
    cast_random(store, members[2:], random_numbers(random.Random(13), 30), rng, 40)
    version = store.vote_version()
    assert model.refresh(store) > 3 and model.version == version
    assert_same(model, store, prefixes)
    assert model.refresh(store) == 0  # nothing new: nothing changes


def test_a_number_whose_voters_are_all_revoked_leaves_the_copy(make_store) -> None:
    store = make_store()
    alone = store.member_for_token(store.add_member("alone"))
    store.cast_vote(alone, "+12025550143", "spam", now=NOW)
    model = ReadModel(store.rule, at=NOW)
    model.refresh(store)
    assert [t.e164 for t in model.check_range("+12025550", NOW)] == ["+12025550143"]
    store.revoke_member("alone", now=NOW)
    model.refresh(store)
    assert model.check_range("+12025550", NOW) == [] and len(model) == 0


def test_the_copy_refuses_what_the_store_refuses(make_store) -> None:
    store = make_store()
    model = ReadModel(store.rule)
    model.refresh(store)
    for prefix in ("12025550", "+120", "+12a4567", "+1" + "2" * 14):
        with pytest.raises(CommunityError):
            model.check_range(prefix)
        with pytest.raises(CommunityError):
            store.check_range(prefix)


def test_a_copy_of_bulk_loaded_votes_is_read_once(make_store) -> None:
    """Votes loaded in bulk leave the change log at version 0: the copy reads them all once,
    and the refreshes after that find nothing to do (not a whole rebuild twice a second)."""
    store = make_store()
    voters = [store.member_for_token(store.add_member(f"house {i}")).id for i in range(3)]
    store.add_votes_bulk((m, f"+1202555{n:04d}", "spam", None, int(NOW)) for n in range(50) for m in voters)
    assert store.vote_version() == 0
    model = ReadModel(store.rule, at=NOW)
    assert model.refresh(store) == 50 and model.version == 0
    assert model.refresh(store) == 0 and len(model) == 50
    assert [t.spam_voters for t in model.check_range("+12025550", NOW)] == [3] * 50
