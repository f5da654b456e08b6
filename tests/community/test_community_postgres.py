"""Several ``community serve`` processes on one PostgreSQL: concurrent votes for the same
numbers through both are neither lost nor doubled, and the list changes once per number."""

from __future__ import annotations

import asyncio

import aiohttp
from typer.testing import CliRunner

from db.community import open_community_store
from lookup.cli import app

NUMBERS = [f"+1202555{n:04d}" for n in (143, 178, 199, 311, 642)]
MEMBERS = 24


async def send_votes(bases: list[str], tokens: list[str]) -> list[int]:
    """Every member votes spam on every number, each vote sent to both servers at once
    (a retrying client), after a legit vote the spam vote replaces."""
    async with aiohttp.ClientSession() as session:

        async def vote(base: str, token: str, number: str, verdict: str) -> int:
            async with session.post(f"{base}/api/v1/community/votes", json={"number": number, "verdict": verdict},
                                    headers={"Authorization": f"Bearer {token}"}) as answer:
                return answer.status

        first = [vote(bases[i % 2], t, n, "legit") for i, t in enumerate(tokens) for n in NUMBERS]
        statuses = await asyncio.gather(*first)
        second = [vote(base, t, n, "spam") for t in tokens for n in NUMBERS for base in bases]
        statuses += await asyncio.gather(*second)
        return list(statuses)


async def send_all(bases: list[str], tokens: list[str], verdict: str) -> set[int]:
    """Every member votes ``verdict`` on every number, through both servers at once."""
    async with aiohttp.ClientSession() as session:

        async def vote(base: str, token: str, number: str) -> int:
            async with session.post(f"{base}/api/v1/community/votes", json={"number": number, "verdict": verdict},
                                    headers={"Authorization": f"Bearer {token}"}) as answer:
                return answer.status

        return set(await asyncio.gather(*[vote(base, t, n) for n in NUMBERS for t in tokens for base in bases]))


def checked_counts(base: str, token: str, within: float = 3.0) -> dict[str, tuple[int, int]]:
    """``{number: (spam, legit)}`` from ``base``'s prefix checks of NUMBERS, once they show
    every member's vote or ``within`` seconds passed (the copy refreshes twice a second)."""
    import json
    import time
    import urllib.request

    deadline = time.monotonic() + within
    while True:
        seen = {}
        for prefix in sorted({n[:-3] for n in NUMBERS}):
            request = urllib.request.Request(f"{base}/api/v1/community/check/{prefix}",
                                             headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request, timeout=5) as answer:
                seen.update({e["number"]: (e["spam"], e["legit"]) for e in json.load(answer)["numbers"]})
        if all(v == (MEMBERS, 0) for v in seen.values()) or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


def test_two_processes_take_concurrent_votes_exactly(pg_url, serve_process) -> None:
    with open_community_store(pg_url) as store:
        tokens = [store.add_member(f"house {i}") for i in range(MEMBERS)]
    bases = [serve_process(pg_url, "--rate", "0"), serve_process(pg_url, "--rate", "0")]
    statuses = asyncio.run(send_votes(bases, tokens))
    assert set(statuses) == {201} and len(statuses) == MEMBERS * len(NUMBERS) * 3
    with open_community_store(pg_url) as store:
        assert store.count_votes() == MEMBERS * len(NUMBERS)
        for number in NUMBERS:
            tally = store.tally_number(number)
            assert (tally.spam_voters, tally.legit_voters, tally.listed) == (MEMBERS, 0, True)
        changes = store.changes_since(0)
        assert changes.added == sorted(NUMBERS)
        assert changes.version == store.list_version() == len(NUMBERS)  # each number joined the list once
    # each process's copy in memory, fed by the change log under concurrent writers, is exact too
    for base in bases:
        assert checked_counts(base, tokens[0]) == {n: (MEMBERS, 0) for n in NUMBERS}
    # everyone changes their mind at once: each number leaves the list exactly once
    assert asyncio.run(send_all(bases, tokens, "legit")) == {201}
    with open_community_store(pg_url) as store:
        assert store.count_votes() == MEMBERS * len(NUMBERS)
        assert store.listed_numbers() == [] and store.list_version() == 2 * len(NUMBERS)
        assert store.changes_since(len(NUMBERS)).removed == sorted(NUMBERS)


def test_member_commands_on_postgresql(pg_url) -> None:
    runner = CliRunner()
    added = runner.invoke(app, ["community", "member", "add", "Smith family", "--db", pg_url])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["community", "member", "list", "--db", pg_url])
    assert "Smith family" in listed.stdout and "active" in listed.stdout


def test_an_unreachable_database_is_one_line_exit_1_without_the_password() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    url = f"postgresql://whocalled:s3cret@127.0.0.1:{port}/community"
    r = CliRunner().invoke(app, ["community", "member", "list", "--db", url])
    assert r.exit_code == 1 and "cannot reach the community database" in r.stderr
    assert "s3cret" not in r.output and len(r.stderr.strip().splitlines()) == 1


def test_a_malformed_url_is_one_line_exit_2() -> None:
    r = CliRunner().invoke(app, ["community", "member", "list", "--db", "postgresql://127.0.0.1/db?nosuchoption=1"])
    assert r.exit_code == 2 and "Traceback" not in r.output and len(r.stderr.strip().splitlines()) == 1


def test_concurrent_writers_on_one_number_change_the_list_once(pg_url) -> None:
    """Eight connections vote on one number at the same moment, many times over: the vote
    count is exact, and the list version moves once per real change of the listing."""
    import threading

    with open_community_store(pg_url) as store:
        tokens = [store.add_member(f"house {i}") for i in range(32)]
        members = [store.member_for_token(t) for t in tokens]
    stores = [open_community_store(pg_url) for _ in range(8)]
    try:
        for rounds, verdict in enumerate(("spam", "legit", "spam", "legit"), start=1):
            barrier = threading.Barrier(len(stores))

            def work(i: int) -> None:
                barrier.wait()
                for member in members[i::len(stores)]:
                    for number in NUMBERS[:2]:
                        stores[i].cast_vote(member, number, verdict)

            threads = [threading.Thread(target=work, args=(i,)) for i in range(len(stores))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            store = stores[0]
            assert store.count_votes() == len(members) * 2
            assert store.listed_numbers() == (sorted(NUMBERS[:2]) if verdict == "spam" else [])
            assert store.list_version() == rounds * 2  # each number changed exactly once a round
    finally:
        for s in stores:
            s.close()
