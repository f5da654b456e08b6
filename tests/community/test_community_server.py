"""The community API over a real local server: votes, the k-anonymous check, the versioned
list, tokens (401), bad input (400, never a 500 or a traceback) and the per-member rate (429)."""

from __future__ import annotations

import json

import pytest

from lookup.server.community.app import create_community_app

A = "+12025550143"


@pytest.fixture
async def community(make_store, aiohttp_client):
    """``community(rate=0)`` -> (client, store, tokens of three members)."""

    async def start(rate: float = 0.0, members: int = 3, in_memory: bool = True):
        store = make_store()
        tokens = [store.add_member(f"house {i}") for i in range(members)]
        client = await aiohttp_client(create_community_app(store, rate=rate, in_memory=in_memory))
        return client, store, tokens

    return start


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def vote(client, token: str, number: str = A, verdict: str = "spam", **more):
    return await client.post("/api/v1/community/votes", json={"number": number, "verdict": verdict, **more},
                             headers=auth(token))


@pytest.mark.parametrize("in_memory", [True, False], ids=["in-memory", "store"])
async def test_votes_check_and_list(community, in_memory) -> None:
    client, store, tokens = await community(in_memory=in_memory)
    for i, token in enumerate(tokens):
        r = await vote(client, token, category="robocall", note="car warranty")
        assert r.status == 201
        body = await r.json()
        assert body["spam"] == i + 1 and body["listed"] == (i == 2)
    r = await client.get("/api/v1/community/check/+120255501", headers=auth(tokens[0]))
    assert r.status == 200
    body = await r.json()
    assert body["min_voters"] == 3
    [entry] = body["numbers"]
    assert entry["number"] == A and entry["spam"] == 3 and entry["listed"] and entry["categories"] == ["robocall"]
    assert "note" not in json.dumps(body) and "house" not in json.dumps(body)  # who voted is never shared
    first = await (await client.get("/api/v1/community/list", headers=auth(tokens[1]))).json()
    assert first["added"] == [A] and first["full"] and first["version"] >= 1
    again = await (await client.get(f"/api/v1/community/list?since={first['version']}", headers=auth(tokens[1]))).json()
    assert again == {"version": first["version"], "added": [], "removed": [], "full": False}


async def test_a_national_number_is_refused_not_guessed(community) -> None:
    client, store, tokens = await community()
    r = await vote(client, tokens[0], number="202-555-0143")
    assert r.status == 400 and "international form" in (await r.json())["error"]
    assert store.count_votes() == 0


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer wcc_wrong", "Basic abc", "bearer x" * 100])
async def test_missing_or_wrong_token_is_401(community, header) -> None:
    client, store, _ = await community()
    headers = {"Authorization": header} if header else {}
    r = await client.get("/api/v1/community/check/+120255501", headers=headers)
    assert r.status == 401 and "error" in await r.json()
    assert "Bearer" in r.headers["WWW-Authenticate"]


async def test_a_revoked_token_is_401(community) -> None:
    client, store, tokens = await community()
    store.revoke_member("house 1")
    r = await vote(client, tokens[1])
    assert r.status == 401 and "revoked" in (await r.json())["error"]
    assert store.count_votes() == 0


BAD_BODIES = [
    ("not-json", b"{number", "not valid JSON"),
    ("a-list", b"[1, 2]", "JSON object"),
    ("nested", b'{"number": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested too deeply"),
    ("huge", json.dumps({"number": A, "verdict": "spam", "note": "x" * 100_000}).encode(), "too large"),
    ("no-number", b'{"verdict": "spam"}', '"number" is required'),
    ("number-not-text", b'{"number": 12025550143, "verdict": "spam"}', '"number" must be a string'),
    ("not-a-number", b'{"number": "+1 call me", "verdict": "spam"}', '"number"'),
    ("bad-verdict", json.dumps({"number": A, "verdict": "maybe"}).encode(), '"verdict"'),
    ("bad-category", json.dumps({"number": A, "verdict": "spam", "category": "pizza"}).encode(), '"category"'),
    ("long-note", json.dumps({"number": A, "verdict": "spam", "note": "x" * 600}).encode(), "longer than"),
    ("unknown-field", json.dumps({"number": A, "verdict": "spam", "member": "house 2"}).encode(), "unknown field"),
    ("bad-utf8", b'{"number": "\xff\xfe", "verdict": "spam"}', "not valid JSON"),
    ("nested-note", json.dumps({"number": A, "verdict": "spam", "note": [[["x"]]]}).encode(), '"note" must be a string'),
]


@pytest.mark.parametrize("body,why", [(b, w) for _, b, w in BAD_BODIES], ids=[i for i, _, _ in BAD_BODIES])
async def test_bad_votes_are_400_and_store_nothing(community, body, why) -> None:
    client, store, tokens = await community()
    r = await client.post("/api/v1/community/votes", data=body,
                          headers={**auth(tokens[0]), "Content-Type": "application/json"})
    assert r.status == 400, await r.text()
    assert why in (await r.json())["error"]
    assert store.count_votes() == 0


async def test_brackets_inside_a_note_are_just_text(community) -> None:
    client, store, tokens = await community()
    r = await vote(client, tokens[0], note="[[[[[[[[[[{{{{{{{{{{ press 1 }}}")
    assert r.status == 201 and store.count_votes() == 1


async def test_a_vote_must_be_sent_as_json(community) -> None:
    client, store, tokens = await community()
    r = await client.post("/api/v1/community/votes", data=f"number={A}&verdict=spam",
                          headers={**auth(tokens[0]), "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400 and "application/json" in (await r.json())["error"]


@pytest.mark.parametrize("prefix", ["+120", "12025550", "+1202abc", "%2B12"])
async def test_short_or_odd_prefixes_are_400(community, prefix) -> None:
    client, _, tokens = await community()
    r = await client.get(f"/api/v1/community/check/{prefix}", headers=auth(tokens[0]))
    assert r.status == 400 and "prefix" in (await r.json())["error"]


@pytest.mark.parametrize("since", ["-1", "abc", "1e3", "9" * 40])
async def test_a_bad_since_is_400(community, since) -> None:
    client, _, tokens = await community()
    r = await client.get(f"/api/v1/community/list?since={since}", headers=auth(tokens[0]))
    assert r.status == 400 and "since" in (await r.json())["error"]


async def test_a_version_from_the_future_gets_the_whole_list(community) -> None:
    client, store, tokens = await community()
    for token in tokens:
        await vote(client, token)
    body = await (await client.get("/api/v1/community/list?since=999", headers=auth(tokens[0]))).json()
    assert body["full"] and body["added"] == [A]


async def test_each_member_has_a_rate_limit(community) -> None:
    client, store, tokens = await community(rate=1.0)  # bursts of 2
    statuses = [(await client.get("/api/v1/community/check/+120255501", headers=auth(tokens[0]))).status
                for _ in range(4)]
    assert statuses[:2] == [200, 200] and statuses[2:] == [429, 429]
    r = await client.get("/api/v1/community/check/+120255501", headers=auth(tokens[0]))
    assert r.status == 429 and int(r.headers["Retry-After"]) >= 1
    other = await client.get("/api/v1/community/check/+120255501", headers=auth(tokens[1]))
    assert other.status == 200  # another member is not slowed by the first


async def test_unknown_paths_and_methods_are_json_errors(community) -> None:
    client, _, tokens = await community()
    r = await client.get("/api/v1/community/nothing", headers=auth(tokens[0]))
    assert r.status == 404 and "error" in await r.json()
    r = await client.delete("/api/v1/community/votes", headers=auth(tokens[0]))
    assert r.status == 405 and "error" in await r.json()


async def test_the_server_lets_old_votes_fade_off_the_list(make_store, aiohttp_client) -> None:
    import asyncio
    import time

    from db.community.rule import DAY

    store = make_store()
    members = [store.member_for_token(store.add_member(f"house {i}")) for i in range(3)]
    long_ago = time.time() - 200 * DAY
    for m in members:
        store.cast_vote(m, A, "spam", now=long_ago)  # listed back then
    assert store.listed_numbers() == [A]
    version = store.list_version()
    await aiohttp_client(create_community_app(store, refresh_every=0.05))
    for _ in range(100):
        if not store.listed_numbers():
            break
        await asyncio.sleep(0.05)
    assert store.listed_numbers() == [] and store.changes_since(version).removed == [A]


ODD_PATHS = ["/api/v1/community/check/" + "9" * 5000, "/api/v1/community/check/+" + "9" * 5000, "/api/v1/community/check/%00%ff", "/api/v1/community/check/+1%202025",
             "/api/v1/community/check/+١٢٣٤٥٦٧", "/api/v1/community/list?since=%00", "/api/v1/community/list?since=١٢",
             "/api/v1/community/check/", "/api/v1/community/votes"]


@pytest.mark.parametrize("path", ODD_PATHS)
async def test_odd_requests_never_get_a_500(community, path) -> None:
    client, store, tokens = await community()
    r = await client.get(path, headers=auth(tokens[0]))
    assert 400 <= r.status < 500 and "error" in await r.json()
    assert "Traceback" not in await r.text()
