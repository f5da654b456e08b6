"""P8: the community server's k-anonymous prefix check against many voted numbers.

For each backend (SQLite, and PostgreSQL when Debian's server can be started here), the
community store is loaded with ``--numbers`` voted numbers (1,000,000 by default; about ten
in each range of a thousand, one to four votes each), then one server process runs two sites
on loopback: the community app over that store (which reads every voted number into memory
at start, as ``community serve`` does), and a bare aiohttp handler returning a constant body
(a real check answer: the floor). ``--clients`` keep-alive connections (50),
each with a member token of its own, send ``GET /api/v1/community/check/{prefix}`` for
prefixes of voted numbers (all but the last three digits) to each site in interleaved
rounds (bench/common.py's harness); the medians over the rounds count (each round's ratio
against the floor's round just before it), with the rounds' spread. Targets: throughput
ratio to the floor >= 0.3 and median p99 <= 25 ms. Exits 1 on a miss.

Usage: python bench/bench_community.py [--quick] [--numbers 1000000] [--requests 20000]
       [--clients 50] [--rounds 5] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import statistics
import sys
import time
from pathlib import Path

from common import OUT, PYTHON, ROOT, bench_env, interleave_served, report_figure, serve_sites, served, served_figure

sys.path.insert(0, str(ROOT))

TARGET_RATIO = 0.3
TARGET_P99_MS = 25.0
RANGE_SHARE = 100  # numbers / RANGE_SHARE ranges of a thousand: about ten voted numbers in each
CATEGORIES = ("robocall", "scam", "telemarketer", None)


def voted_numbers(count: int, seed: int = 7) -> list[str]:
    """``count`` distinct US-looking numbers, clustered about ten to a range of a thousand."""
    rng = random.Random(seed)
    ranges = [f"+1{rng.randrange(2_000_000, 9_999_999):07d}" for _ in range(max(1, count // 10))]
    seen: set[str] = set()
    while len(seen) < count:
        seen.add(f"{rng.choice(ranges)}{rng.randrange(1000):03d}")
    return sorted(seen)


def load_store(target: str, numbers: list[str], clients: int) -> list[str]:
    """Fill the store: members (one per client, plus voters) and their votes. Returns tokens."""
    from db.community import open_community_store

    rng = random.Random(11)
    now = int(time.time())
    with open_community_store(target) as store:
        tokens = [store.add_member(f"bench client {i}") for i in range(clients)]
        voters = [store.member_for_token(store.add_member(f"bench voter {i}")).id for i in range(4)]

        def rows():
            for e164 in numbers:
                for member_id in voters[: rng.choice((1, 1, 2, 3, 4))]:
                    yield (member_id, e164, "spam" if rng.random() < 0.85 else "legit", rng.choice(CATEGORIES),
                           now - rng.randrange(200 * 86400))

        store.add_votes_bulk(rows())
        assert store.count_votes() >= len(numbers)
    return tokens


def serve(target: str, sample: str) -> None:
    """The server process: the community app and the floor in one event loop. The floor
    answers every request with the real answer for the prefix ``sample`` (the same payload)."""
    from aiohttp import web

    from db.community import open_community_store
    from lookup.server.community.app import create_community_app
    from lookup.server.service import dump_json

    store = open_community_store(target)
    app = create_community_app(store, rate=0)  # as community serve does: the votes in memory
    body = dump_json({"prefix": sample, "min_voters": 3, "half_life_days": 90.0,
                      "numbers": [t.to_json() for t in store.check_range(sample)]})

    async def constant(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json", charset="utf-8")

    floor = web.Application()
    floor.router.add_get("/api/v1/community/check/{prefix}", constant)

    def setup_took(one: object, seconds: float) -> None:  # the community app reads every voted number here
        if one is app:
            print(f"votes in memory in {seconds:.1f}s, {peak_mb():.0f} MB peak", file=sys.stderr, flush=True)

    serve_sites((app, floor), after_setup=setup_took)


def peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def hammer(port: int, prefixes: list[str], tokens: list[str], total: int) -> tuple[float, float, int]:
    """Requests per second, p99 latency (s) and non-200 answers, over one keep-alive
    connection per token (a minimal HTTP/1.1 client, so the server rather than the client is
    measured)."""
    latencies: list[float] = []
    bad = 0
    todo = iter(range(total))

    async def work(token: str) -> None:
        nonlocal bad
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in todo:
                prefix = prefixes[i % len(prefixes)]
                start = time.perf_counter()
                writer.write(f"GET /api/v1/community/check/{prefix} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             f"Authorization: Bearer {token}\r\n\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - start)
                bad += not head.startswith(b"HTTP/1.1 200")
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(work(t) for t in tokens))
    elapsed = time.perf_counter() - began
    return total / elapsed, statistics.quantiles(latencies, n=100)[98], bad


def run_backend(name: str, target: str, args: argparse.Namespace) -> bool:
    numbers = voted_numbers(args.numbers)
    began = time.perf_counter()
    tokens = load_store(target, numbers, args.clients)
    print(f"{name}: {len(numbers):,} voted numbers loaded in {time.perf_counter() - began:.1f}s", flush=True)
    rng = random.Random(3)
    prefixes = [n[:-3] for n in rng.sample(numbers, min(len(numbers), 20_000))]
    typical = sorted(prefixes, key=lambda p: numbers_in(numbers, p))[len(prefixes) // 2]  # a median answer
    with served([PYTHON, __file__, "--serve", target, typical], env=bench_env(), what=f"the {name} server") as ports:
        server, floor = ports
        asyncio.run(hammer(server, prefixes, tokens, len(tokens) * 4))  # warm: connections, token cache

        def one(port: int) -> tuple[float, float, int]:
            return asyncio.run(hammer(port, prefixes, tokens, args.requests))

        measured = interleave_served(one, floor, server, args.requests, args.rounds, f"community check ({name})")
    size = f"{len(numbers):,} voted numbers, {args.clients} clients, {args.rounds} rounds of {args.requests:,}"
    return report_figure(served_figure(f"P8 {name}", f"community prefix check ({size})", measured, TARGET_RATIO,
                                       p99_limit_ms=TARGET_P99_MS))


def numbers_in(numbers: list[str], prefix: str) -> int:
    """How many of the sorted ``numbers`` start with ``prefix``."""
    import bisect

    return bisect.bisect_left(numbers, prefix + ":") - bisect.bisect_left(numbers, prefix)


def load_cluster_module():
    spec = importlib.util.spec_from_file_location("pg_cluster", ROOT / "tests" / "community" / "pg_cluster.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 numbers and 5,000 requests a round")
    parser.add_argument("--numbers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database to use (default: start one here)")
    parser.add_argument("--serve", nargs=2, metavar=("TARGET", "PREFIX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(*args.serve)
        return 0
    if args.quick:
        args.numbers, args.requests = min(args.numbers, 50_000), min(args.requests, 5_000)
    OUT.mkdir(parents=True, exist_ok=True)
    ok = True
    if args.backend in ("sqlite", "both"):
        db = OUT / "p7-community.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        ok &= run_backend("sqlite", str(db), args)
    if args.backend in ("postgresql", "both"):
        if args.postgres:
            ok &= run_backend("postgresql", args.postgres, args)
        else:
            pg = load_cluster_module()
            try:
                with pg.Cluster() as cluster:
                    ok &= run_backend("postgresql", cluster.create_database("bench"), args)
            except pg.ClusterUnavailable as exc:
                print(f"community check (postgresql): skipped: {exc}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
