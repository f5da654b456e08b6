"""``whocalled sync community``: the household keeps a copy of its community server's list.
The first sync asks for the whole list, the second only for the changes since the version it
holds (the server sees ``since=<last>``) and applies additions and removals; export and offline
lookups use the copy; a broken answer changes nothing stored."""

from __future__ import annotations

import json

import pytest
from aiohttp import web
from typer.testing import CliRunner

from db.community.sqlite_store import SqliteCommunityStore
from db.store import Store
from lookup.cli import app
from lookup.server.community.app import create_community_app

A, B, C = "+12025550143", "+12025550178", "+13125550199"


@pytest.fixture
def community(thread_server, tmp_path):
    """A community server with four members; A and B listed by three spam votes each.
    Returns (base URL, store, members, the list requests' query strings, a token)."""
    store = SqliteCommunityStore(tmp_path / "community.db")
    tokens = [store.add_member(f"house {i}") for i in range(4)]
    members = [store.member_for_token(t) for t in tokens]
    for number in (A, B):
        for member in members[:3]:
            store.cast_vote(member, number, "spam")
    web_app = create_community_app(store, rate=0)
    asked: list[str] = []

    async def record(request: web.Request, response: web.StreamResponse) -> None:
        if request.path.endswith("/list"):
            asked.append(request.query_string)

    web_app.on_response_prepare.append(record)
    yield thread_server(web_app), store, members, asked, tokens[3]
    store.close()


def household(tmp_path, base: str, token: str) -> list[str]:
    cfg = tmp_path / "house.toml"
    cfg.write_text(f'region = "US"\n[sources.community]\nbase_url = "{base}"\ntoken = "{token}"\n')
    return ["--config", str(cfg), "--db", str(tmp_path / "house.db")]


def whocalled(*args: str):
    return CliRunner().invoke(app, list(args))


def copy_of(tmp_path) -> list[str]:
    with Store(tmp_path / "house.db") as store:
        return store.community_list_numbers()


def test_the_second_sync_asks_only_for_the_changes(community, tmp_path) -> None:
    base, store, members, asked, token = community
    house = household(tmp_path, base, token)
    r = whocalled("sync", "community", *house)
    assert r.exit_code == 0, r.output
    assert asked == ["since=0"] and "2 number(s)" in r.stdout
    assert copy_of(tmp_path) == [A, B]
    first = store.list_version()

    store.revoke_member("house 0")  # A and B fall to two voters: both leave the list
    for member in members[1:]:
        store.cast_vote(member, C, "spam")  # C joins it
    store.cast_vote(members[3], B, "spam")  # B back with three
    r = whocalled("sync", "community", *house)
    assert r.exit_code == 0, r.output
    assert asked[1] == f"since={first}"
    assert copy_of(tmp_path) == [B, C]  # A removed; B left and came back; C added
    assert "since version" in r.stdout and f"at version {store.list_version()}" in r.stdout

    r = whocalled("sync", "community", *house)
    assert asked[2] == f"since={store.list_version()}" and "+0 -0" in r.stdout

    # export uses the copy: no further request for the list
    exported = whocalled("export", "--format", "txt", "--include", "community", *house)
    assert exported.exit_code == 0, exported.output
    assert [line for line in exported.stdout.splitlines() if line.startswith("+")] == [B, C]
    assert len(asked) == 3 and "the copy synced on" in exported.stderr

    # an offline lookup says what the copy says
    r = whocalled("lookup", C, "--offline", "--json", *house)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    [finding] = [s for s in out["sources"] if s["name"] == "community"]
    assert finding["status"] == "found" and "your copy" in finding["detail"]
    out = json.loads(whocalled("lookup", A, "--offline", "--json", *house).stdout)
    [finding] = [s for s in out["sources"] if s["name"] == "community"]
    assert finding["status"] == "not_found"


@pytest.mark.parametrize("answer", [{"version": "7", "added": []}, {"version": 3, "added": ["+1202; DROP"]}, [1, 2]],
                         ids=["version-not-a-number", "not-a-number", "not-an-object"])
def test_a_broken_answer_changes_nothing(community, thread_server, tmp_path, answer) -> None:
    base, store, members, asked, token = community
    house = household(tmp_path, base, token)
    assert whocalled("sync", "community", *house).exit_code == 0

    async def broken(request: web.Request) -> web.Response:
        return web.json_response(answer)

    bad = web.Application()
    bad.router.add_get("/api/v1/community/list", broken)
    bad_base = thread_server(bad)
    other = household(tmp_path, bad_base, token)
    r = whocalled("sync", "community", *other)
    assert r.exit_code == 1 and "not synced" in r.stderr and "Traceback" not in r.output
    assert len(r.stderr.strip().splitlines()) == 1
    assert copy_of(tmp_path) == [A, B]  # the good copy stays


def test_sync_without_a_community_server_is_one_line_exit_2(tmp_path) -> None:
    (tmp_path / "none.toml").write_text('region = "US"\n')
    r = whocalled("sync", "community", "--db", str(tmp_path / "house.db"), "--config", str(tmp_path / "none.toml"))
    assert r.exit_code == 2 and "community server" in r.stderr and "Traceback" not in r.output
