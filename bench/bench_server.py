"""P6: cached ``GET /api/v1/lookup/{number}`` and ``GET /api/v1/screen/{number}`` throughput
against a bare aiohttp handler.

One server process runs two sites on loopback: the whocalled app over a warm
database, and a bare aiohttp handler returning a constant JSON body (one real
answer, so the payload is the same; the floor). The same aiohttp client (50 concurrent connections) sends N
requests to each, in alternating rounds (3 by default). Lookups: the best round of each counts,
which keeps the figure steady when other work shares the machine; targets ratio = rps / floor_rps
>= 0.5, p99 <= 25 ms. Screens (issue 15, with the STIR/SHAKEN parameters of issue 17 parsed:
``verstat=``, ``attest=``, ``pai=``): the median of the rounds' ratios, with their spread;
targets ratio >= 0.7 and p99 within 1.2x of the floor's p99 (medians of the rounds). Exits 1 on a miss.

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


async def run_rounds(
    ports: list[int], paths: list[str], total: int, clients: int, rounds: int, client: str
) -> list[dict[str, tuple[float, float]]]:
    """Per round, ``{"floor": (rps, p99), "server": (rps, p99)}``: floor, then server, alternating."""
    out = []
    for _ in range(rounds):
        this: dict[str, tuple[float, float]] = {}
        for name, port in (("floor", ports[1]), ("server", ports[0])):
            if client == "raw":
                rps, p99, bad = await hammer_raw(port, paths, total, clients)
            else:
                rps, p99, bad = await hammer(f"http://127.0.0.1:{port}", paths, total, clients)
            if bad:
                raise SystemExit(f"{name}: {bad} of {total} requests failed")
            this[name] = (rps, p99)
        out.append(this)
    return out


async def measure(ports: list[int], total: int, clients: int, rounds: int, client: str) -> bool:
    results = await run_rounds(ports, LOOKUP_PATHS, total, clients, rounds, client)
    best = {name: max((r[name] for r in results), key=lambda x: x[0]) for name in ("floor", "server")}
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


async def measure_screens(ports: list[int], total: int, clients: int, rounds: int, client: str) -> bool:
    results = await run_rounds(ports, SCREEN_PATHS, total, clients, rounds, client)
    ratios = [r["server"][0] / r["floor"][0] for r in results]
    p99s = [r["server"][1] / r["floor"][1] for r in results]
    ratio, p99_ratio = statistics.median(ratios), statistics.median(p99s)
    p99 = statistics.median(r["server"][1] for r in results)
    floor_p99 = statistics.median(r["floor"][1] for r in results)
    ok = ratio >= SCREEN_TARGET_RATIO and p99_ratio <= SCREEN_TARGET_P99
    print(
        f"screen (verstat/attest/pai parsed): median ratio=rps/floor={ratio:.2f}"
        f" (spread {min(ratios):.2f}-{max(ratios):.2f}, {rounds} rounds of {total}) p99={p99 * 1000:.1f}ms"
        f" floor p99={floor_p99 * 1000:.1f}ms p99/floor={p99_ratio:.2f} (client={client}; targets ratio >="
        f" {SCREEN_TARGET_RATIO}, p99 <= {SCREEN_TARGET_P99}x the floor's) {'OK' if ok else 'MISSED'}",
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
        ok = asyncio.run(measure_screens(ports, args.requests, args.clients, args.rounds, args.client)) and ok
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
