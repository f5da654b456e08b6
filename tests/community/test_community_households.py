"""Issue 18 end to end: households with databases of their own vote through a real community
server (report --submit community, allow --share); a fourth household's lookup sees the number
as community spam through the prefix check alone; a revoked member's votes stop counting; the
incremental list returns only the changes; export --include community writes the list."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from aiohttp import web
from typer.testing import CliRunner

from db.community.sqlite_store import SqliteCommunityStore
from lookup.cli import app
from lookup.server.community.app import create_community_app

NUMBER = "+12025550143"


@pytest.fixture
def community(thread_server, tmp_path):
    """A community server in its own thread with five members. Returns (base URL, tokens, the
    paths it was asked, its database file)."""
    db = tmp_path / "community.db"
    store = SqliteCommunityStore(db)
    tokens = [store.add_member(f"house {i}") for i in range(1, 6)]
    web_app = create_community_app(store, rate=0)
    paths: list[str] = []

    async def record(request: web.Request, response: web.StreamResponse) -> None:
        paths.append(request.path)

    web_app.on_response_prepare.append(record)
    yield thread_server(web_app), tokens, paths, db
    store.close()


def household(tmp_path, base: str, token: str, n: int) -> list[str]:
    """The options of household ``n``: its own config and database."""
    cfg = tmp_path / f"house{n}.toml"
    cfg.write_text(f'region = "US"\n[sources.community]\nbase_url = "{base}"\ntoken = "{token}"\n')
    return ["--config", str(cfg), "--db", str(tmp_path / f"house{n}.db")]


def whocalled(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def get_json(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.load(answer)


def wait_for_spam_voters(base: str, token: str, count: int, bound: float = 3.0) -> None:
    """Until the server's check says ``count`` members voted NUMBER spam (at most ``bound``
    seconds: the half-second refresh plus room for a loaded machine)."""
    deadline = time.monotonic() + bound
    while True:
        [entry] = get_json(f"{base}/api/v1/community/check/{NUMBER[:-3]}", token)["numbers"]
        if entry["spam"] == count:
            return
        assert time.monotonic() < deadline, f"still {entry['spam']} spam voters after {bound} s"
        time.sleep(0.05)


def test_three_households_list_a_number_the_fourth_sees_it(community, tmp_path) -> None:
    base, tokens, paths, db = community
    for n in (1, 2, 3):
        r = whocalled("report", "202 555 0143", "-c", "robocall", "--note", "car warranty", "--submit", "community",
                      "--yes", *household(tmp_path, base, tokens[n - 1], n))
        assert r.exit_code == 0, r.output
        assert "Shared with the community" in r.stdout
    assert "on the community list" in r.stdout  # the third vote listed it
    first = get_json(f"{base}/api/v1/community/list", tokens[0])
    assert first["added"] == [NUMBER]

    fourth = household(tmp_path, base, tokens[3], 4)
    paths.clear()
    r = whocalled("lookup", "(202) 555-0143", "--source", "community", *fourth)
    assert r.exit_code == 0, r.output
    assert "3 community members reported it" in r.stdout and "on the community list" in r.stdout
    # three known households' votes weigh as first-hand reports: no longer "unknown"
    assert "verdict:   suspicious" in r.stdout or "verdict:   likely spam" in r.stdout, r.stdout
    assert paths == ["/api/v1/community/check/+12025550"]  # only the prefix left the house: all but 3 digits
    out = whocalled("lookup", NUMBER, "--source", "community", "--json", "--offline", *fourth).stdout
    [finding] = [s for s in json.loads(out)["sources"] if s["name"] == "community"]
    assert finding["status"] == "found"

    exported = whocalled("export", "--format", "txt", "--include", "community", *fourth)
    assert exported.exit_code == 0, exported.output
    assert NUMBER in exported.stdout

    # house 2 is revoked: its vote stops counting, the number leaves the list, the list says so
    r = whocalled("community", "member", "revoke", "house 2", "--db", str(db))
    assert r.exit_code == 0 and "1 number(s) changed" in r.stdout
    wait_for_spam_voters(base, tokens[0], 2)  # the server's copy in memory follows within its bound
    r = whocalled("lookup", NUMBER, "--source", "community", "--refresh", *fourth)
    assert "2 community members reported it" in r.stdout and "on the community list" not in r.stdout
    later = get_json(f"{base}/api/v1/community/list?since={first['version']}", tokens[0])
    assert later == {"version": first["version"] + 1, "added": [], "removed": [NUMBER], "full": False}
    assert get_json(f"{base}/api/v1/community/list?since={later['version']}", tokens[0])["removed"] == []

    # a household that knows the caller says so: a legit vote counts against
    r = whocalled("allow", NUMBER, "--share", "--yes", *fourth)
    assert r.exit_code == 0, r.output
    [entry] = get_json(f"{base}/api/v1/community/check/+120255501", tokens[0])["numbers"]
    assert (entry["spam"], entry["legit"], entry["listed"]) == (2, 1, False)
    reports = [json.loads(line) for line in whocalled("reports", "--json", *household(tmp_path, base, tokens[0], 1)).stdout.splitlines()]
    assert reports[0]["submitted_to"] == "community" and reports[0]["submission"].startswith("accepted")


def test_nothing_is_shared_without_confirmation(community, tmp_path) -> None:
    base, tokens, paths, _ = community
    r = whocalled("report", NUMBER, "-c", "scam", "--submit", "community", *household(tmp_path, base, tokens[0], 1),
                  input="n\n")
    assert r.exit_code == 0 and "Not shared" in r.stdout
    r = whocalled("allow", NUMBER, "--share", *household(tmp_path, base, tokens[0], 1), input="n\n")
    assert r.exit_code == 0 and "Not shared" in r.stdout
    assert not [p for p in paths if p.endswith("/votes")]


def test_a_refused_token_is_recorded_and_exit_1(community, tmp_path) -> None:
    base, tokens, paths, _ = community
    options = household(tmp_path, base, "wcc_not-a-member", 1)
    r = whocalled("report", NUMBER, "-c", "scam", "--submit", "community", "--yes", *options)
    assert r.exit_code == 1 and "did not take the vote" in r.stderr and "401" in r.stderr
    [rep] = [json.loads(line) for line in whocalled("reports", "--json", *options).stdout.splitlines()]
    assert rep["submitted_to"] == "community" and rep["submission"].startswith("failed")


def test_sharing_needs_a_configured_community(tmp_path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("")
    r = whocalled("report", NUMBER, "-c", "scam", "--submit", "community", "--config", str(cfg))
    assert r.exit_code == 2 and "needs a community server" in r.stderr
    r = whocalled("allow", "+1202555*", "--share", "--config", str(cfg))
    assert r.exit_code == 2 and "one number, not a range" in r.stderr
    r = whocalled("export", "--format", "txt", "--include", "community", "--config", str(cfg))
    assert r.exit_code == 2 and "needs a community server" in r.stderr
    assert whocalled("lists", "--config", str(cfg)).stdout.startswith("Your block and allow lists are empty")
