"""P6: cached ``GET /api/v1/lookup/{number}`` throughput against a bare aiohttp handler.

One server process runs two sites on loopback: the whocalled app over a warm
database, and a bare aiohttp handler returning a constant JSON body (one real
answer, so the payload is the same; the floor). The same aiohttp client (50 concurrent connections) sends N
requests to each, in alternating rounds (3 by default); the best round of each counts,
which keeps the figure steady when other work shares the machine.
Targets: ratio = rps / floor_rps >= 0.5, p99 <= 25 ms. Exits 1 on a miss.

Usage: python bench/bench_server.py [--requests 20000] [--clients 50] [--rounds 3] [--client aiohttp|raw]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import OUT, PYTHON, ROOT, bench_env

sys.path.insert(0, str(ROOT))

NUMBERS = ["+12025550143", "+12025550199", "+18768812345", "+442079460958", "+4930123456"]
TARGET_RATIO = 0.5
TARGET_P99_MS = 25.0


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
    from lookup.settings import load_settings

    settings = load_settings(db_path=db)
    store = Store(db)
    engine = Engine(store=store, settings=settings, sources=())  # nothing may go online here
    app = create_app(settings, store, engine)
    [sample] = engine.lookup_offline([NUMBERS[0]])
    floor_body = json.dumps(sample.to_json(), ensure_ascii=False).encode()  # a real answer, served as a constant

    async def constant(request: web.Request) -> web.Response:
        return web.Response(body=floor_body, content_type="application/json", charset="utf-8")

    floor = web.Application()
    floor.router.add_get("/api/v1/lookup/{number}", constant)

    async def main() -> None:
        runners = [web.AppRunner(app, access_log=None), web.AppRunner(floor, access_log=None)]
        ports = []
        for runner in runners:
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            ports.append(runner.addresses[0][1])
        print("ready", *ports, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


async def hammer(base: str, total: int, clients: int) -> tuple[float, float, int]:
    """Requests per second, p99 latency (s) and the count of non-200 answers."""
    import aiohttp

    urls = [f"{base}/api/v1/lookup/{n}" for n in NUMBERS]
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


async def hammer_raw(port: int, total: int, clients: int) -> tuple[float, float, int]:
    """The same measurement with a minimal keep-alive HTTP/1.1 client on asyncio streams, which
    costs the client far less CPU than aiohttp's, so the server rather than the client is measured."""
    requests = [f"GET /api/v1/lookup/{n} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode() for n in NUMBERS]
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

    for n in NUMBERS * 2:  # warm, as above
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /api/v1/lookup/{n} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        await reader.read()
        writer.close()
    began = time.perf_counter()
    await asyncio.gather(*(work() for _ in range(clients)))
    elapsed = time.perf_counter() - began
    return total / elapsed, statistics.quantiles(latencies, n=100)[98], bad


async def measure(ports: list[int], total: int, clients: int, rounds: int, client: str) -> bool:
    best: dict[str, tuple[float, float]] = {}
    for _ in range(rounds):
        for name, port in (("floor", ports[1]), ("server", ports[0])):
            if client == "raw":
                rps, p99, bad = await hammer_raw(port, total, clients)
            else:
                rps, p99, bad = await hammer(f"http://127.0.0.1:{port}", total, clients)
            if bad:
                raise SystemExit(f"{name}: {bad} of {total} requests failed")
            if name not in best or rps > best[name][0]:
                best[name] = (rps, p99)
    (rps, p99), (floor_rps, floor_p99) = best["server"], best["floor"]
    ratio = rps / floor_rps
    ok = ratio >= TARGET_RATIO and p99 * 1000 <= TARGET_P99_MS
    print(
        f"server: rps={rps:.0f} floor_rps={floor_rps:.0f} ratio=rps/floor={ratio:.2f} p99={p99 * 1000:.1f}ms"
        f" (client={client}, floor p99={floor_p99 * 1000:.1f}ms; targets ratio >= {TARGET_RATIO}, p99 <= {TARGET_P99_MS:g} ms)"
        f" {'OK' if ok else 'MISSED'}",
        flush=True,
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--client", choices=("aiohttp", "raw"), default="aiohttp", help="who sends the requests")
    parser.add_argument("--serve", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    db = OUT / "p6.db"
    OUT.mkdir(parents=True, exist_ok=True)
    prepare_db(db)
    proc = subprocess.Popen(
        [PYTHON, __file__, "--serve", str(db)], stdout=subprocess.PIPE, env=bench_env(WHOCALLED_DB=str(db)), text=True
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line.startswith("ready"):
            raise SystemExit(f"the server did not start (exit {proc.poll()})")
        ports = [int(p) for p in line.split()[1:]]
        ok = asyncio.run(measure(ports, args.requests, args.clients, args.rounds, args.client))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
