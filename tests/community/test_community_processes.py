"""Two ``community serve`` processes on one database (a SQLite file, or PostgreSQL): each keeps
the votes in memory, and a vote taken by one, or a revocation made by ``community member
revoke``, shows in the other's prefix check within the documented bound (the half-second
refresh; the tests allow more for a loaded machine and report what they saw)."""

from __future__ import annotations

import json
import time
import urllib.request

from typer.testing import CliRunner

from db.community import open_community_store
from lookup.cli import app

NUMBER = "+12025550143"
BOUND = 0.5  # lookup.server.community.readmodel.REFRESH_EVERY
SLACK = 2.5  # a loaded two-core machine: scheduling, one refresh


def call(base: str, token: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.load(answer)


def seconds_until(base: str, token: str, spam: int) -> float:
    """How long until ``base``'s check shows ``spam`` spam voters on NUMBER (fails past the bound)."""
    began = time.monotonic()
    while True:
        entries = call(base, token, f"/api/v1/community/check/{NUMBER[:-3]}")["numbers"]
        seen = entries[0]["spam"] if entries else 0
        waited = time.monotonic() - began
        if seen == spam:
            return waited
        assert waited < BOUND + SLACK, f"{base} still shows {seen} spam voters after {waited:.2f} s"
        time.sleep(0.02)


def test_a_vote_and_a_revocation_reach_the_other_process(backend, tmp_path, request, serve_process) -> None:
    target = request.getfixturevalue("pg_url") if backend == "postgresql" else str(tmp_path / "community.db")
    with open_community_store(target) as store:
        tokens = [store.add_member(f"house {i}") for i in range(3)]
    a, b = serve_process(target, "--rate", "0"), serve_process(target, "--rate", "0")
    assert call(b, tokens[0], f"/api/v1/community/check/{NUMBER[:-3]}")["numbers"] == []
    for i, token in enumerate(tokens):
        answer = call(a, token, "/api/v1/community/votes", {"number": NUMBER, "verdict": "spam"})
        assert answer["spam"] == i + 1
        # its own vote shows at once, with no wait
        assert call(a, token, f"/api/v1/community/check/{NUMBER[:-3]}")["numbers"][0]["spam"] == i + 1
    waited = seconds_until(b, tokens[0], 3)
    [entry] = call(b, tokens[0], f"/api/v1/community/check/{NUMBER[:-3]}")["numbers"]
    assert entry["listed"] is True
    revoked = CliRunner().invoke(app, ["community", "member", "revoke", "house 1", "--db", target])
    assert revoked.exit_code == 0, revoked.output
    waited = max(waited, seconds_until(a, tokens[0], 2), seconds_until(b, tokens[0], 2))
    assert call(b, tokens[0], f"/api/v1/community/check/{NUMBER[:-3]}")["numbers"][0]["listed"] is False
    print(f"slowest propagation seen: {waited:.2f} s")
