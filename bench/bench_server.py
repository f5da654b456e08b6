"""P6: cached ``GET /api/v1/lookup/{number}`` and ``GET /api/v1/screen/{number}`` throughput
against a bare aiohttp handler.

One server process runs two sites on loopback: the whocalled app over a warm
database, and a bare aiohttp handler returning a constant JSON body (one real
answer, so the payload is the same; the floor). The same client (50 concurrent
connections) sends N requests to each, in interleaved rounds (floor, whocalled, floor, ...;
5 by default) through bench/common.py's harness: each round's ratio is whocalled's throughput
over the floor's just before, and a figure is the median ratio with its spread, and the median
p99. Lookups (P6): ratio >= 0.5, p99 <= 25 ms. Screens (P6s, issue 15, with the STIR/SHAKEN
parameters of issue 17 parsed: ``verstat=``, ``attest=``, ``pai=``): ratio >= 0.7 and p99
within 1.2x of the floor's (the median of the rounds' p99 over the floor's). Exits 1 on a miss.

Usage: python bench/bench_server.py [--requests 20000] [--clients 50] [--rounds 5] [--client aiohttp|raw]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

from common import OUT, PYTHON, ROOT, bench_env, interleave_served, report_figure, serve_sites, served, served_figure

sys.path.insert(0, str(ROOT))

NUMBERS = ["+12025550143", "+12025550199", "+18768812345", "+442079460958", "+4930123456"]
TARGET_RATIO = 0.5
TARGET_P99_MS = 25.0
SCREEN_TARGET_RATIO = 0.7
SCREEN_TARGET_P99 = 1.2  # times the floor's p99
LOOKUP_PATHS = [f"/api/v1/lookup/{n}" for n in NUMBERS]
SCREEN_QUERIES = [
    "verstat=TN-Validation-Passed-A",
    "verstat=TN-Validation-Failed&attest=B",
    "attest=C",
    "pai=%3Csip:%2B19195550123@sip.example.com;verstat=TN-Validation-Passed-C%3E",
    "verstat=No-TN-Validation",
]
SCREEN_PATHS = [f"/api/v1/screen/{n}?{q}" for n, q in zip(NUMBERS, SCREEN_QUERIES)]


def prepare_db(path: Path) -> None:
    from db.store import Store
    from lookup.models import Finding, Status

    path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    with Store(path) as store:
        store.save_findings(
            [Finding("tellows", n, Status.FOUND, name="Caller", spam=0.9, reports=30) for n in NUMBERS[:3]], lambda f: 30
        )


def serve(db: str) -> None:
    """The server process: both sites in one event loop; prints the two ports, then serves."""
    from aiohttp import web

    from db.store import Store
    from lookup.engine import Engine
    from lookup.server.app import create_app
    from lookup.server.screen import screen_answer
    from lookup.settings_load import load_settings
    from lookup.stir import read_attestation

    settings = load_settings(db_path=db)
    store = Store(db)
    engine = Engine(store=store, settings=settings, sources=())  # nothing may go online here
    app = create_app(settings, store, engine)
    [sample] = engine.lookup_offline([NUMBERS[0]])
    floor_body = json.dumps(sample.to_json(), ensure_ascii=False).encode()  # a real answer, served as a constant
    decision = screen_answer(sample, True)
    decision["attestation"] = read_attestation("TN-Validation-Passed-A", None).to_json()  # type: ignore[union-attr]
    floor_screen = json.dumps(decision, ensure_ascii=False).encode()

    async def constant(request: web.Request) -> web.Response:
        return web.Response(body=floor_body, content_type="application/json", charset="utf-8")

    async def constant_screen(request: web.Request) -> web.Response:
        return web.Response(body=floor_screen, content_type="application/json", charset="utf-8")

    floor = web.Application()
    floor.router.add_get("/api/v1/lookup/{number}", constant)
    floor.router.add_get("/api/v1/screen/{number}", constant_screen)

    serve_sites((app, floor))


async def hammer(base: str, paths: list[str], total: int, clients: int) -> tuple[float, float, int]:
    """Requests per second, p99 latency (s) and the count of non-200 answers."""
    import aiohttp

    urls = [f"{base}{p}" for p in paths]
    latencies: list[float] = []
    bad = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:
        for url in urls * 2:  # warm: the first lookup saves the number's facts, the second is kept
            async with session.get(url) as resp:
                await resp.read()
        todo = iter(range(total))

        async def work() -> None:
            nonlocal bad
            for i in todo:
                start = time.perf_counter()
                async with session.get(urls[i % len(urls)]) as resp:
                    await resp.read()
                latencies.append(time.perf_counter() - start)
                bad += resp.status != 200

        began = time.perf_counter()
        await asyncio.gather(*(work() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return total / elapsed, statistics.quantiles(latencies, n=100)[98], bad


async def hammer_raw(port: int, paths: list[str], total: int, clients: int) -> tuple[float, float, int]:
    """The same measurement with a minimal keep-alive HTTP/1.1 client on asyncio streams, which
    costs the client far less CPU than aiohttp's, so the server rather than the client is measured."""
    requests = [f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode() for p in paths]
    latencies: list[float] = []
    bad = 0
    todo = iter(range(total))

    async def work() -> None:
        nonlocal bad
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in todo:
                start = time.perf_counter()
                writer.write(requests[i % len(requests)])
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - start)
                bad += not head.startswith(b"HTTP/1.1 200")
        finally:
            writer.close()

    for p in paths * 2:  # warm, as above
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET {p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        await reader.read()
        writer.close()
    began = time.perf_counter()
    await asyncio.gather(*(work() for _ in range(clients)))
    elapsed = time.perf_counter() - began
    return total / elapsed, statistics.quantiles(latencies, n=100)[98], bad


def hammer_with(client: str, paths: list[str], total: int, clients: int) -> Callable[[int], tuple[float, float, int]]:
    """One round against a port with the chosen client: (requests/s, p99 s, failures)."""

    def one(port: int) -> tuple[float, float, int]:
        if client == "raw":
            return asyncio.run(hammer_raw(port, paths, total, clients))
        return asyncio.run(hammer(f"http://127.0.0.1:{port}", paths, total, clients))

    return one


def measure(ports: list[int], args: argparse.Namespace) -> bool:
    """Lookups, then screens: interleaved rounds (floor, whocalled, ...), median ratios."""
    server, floor = ports
    size = f"{args.rounds} rounds of {args.requests:,}, {args.clients} clients, {args.client} client"
    lookups = interleave_served(hammer_with(args.client, LOOKUP_PATHS, args.requests, args.clients), floor, server,
                                args.requests, args.rounds, "lookup")
    ok = report_figure(served_figure("P6", f"cached /api/v1/lookup ({size})", lookups, TARGET_RATIO,
                                     p99_limit_ms=TARGET_P99_MS))
    screens = interleave_served(hammer_with(args.client, SCREEN_PATHS, args.requests, args.clients), floor, server,
                                args.requests, args.rounds, "screen")
    return report_figure(served_figure("P6s", f"/api/v1/screen, verstat/attest/pai parsed ({size})", screens,
                                       SCREEN_TARGET_RATIO, p99_limit_x=SCREEN_TARGET_P99)) and ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--client", choices=("aiohttp", "raw"), default="aiohttp", help="who sends the requests")
    parser.add_argument("--serve", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    db = OUT / "p6.db"
    OUT.mkdir(parents=True, exist_ok=True)
    prepare_db(db)
    with served([PYTHON, __file__, "--serve", str(db)], env=bench_env(WHOCALLED_DB=str(db))) as ports:
        ok = measure(ports, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
