"""P4: online fan-out against the politeness floor, and a lookup with one silent source.

Three local aiohttp servers on three ports stand in for three sources (three
hosts). One Fetcher asks each of them about N numbers at R requests per second
per host, all at once. Politeness alone means the run cannot take less than
N / R seconds, so the figure is wall time / (N / R); target <= 1.15.

Then one lookup fans out to the three sources plus a fourth that accepts the
connection and never answers, under a deadline D: the whole lookup must end
within D + 10% (elapsed / D <= 1.10), the silent source as ``timeout``.

Both run ``--rounds`` times (default 3); each figure is the median ratio with its spread. Their
floors are fixed by design (the pace and the deadline), so there is no floor process to
interleave with here.

Run: .venv/bin/python bench/bench_fanout.py [--numbers 200] [--rate 50] [--deadline 1.0] [--rounds 3]
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure, report_figure  # noqa: E402

from aiohttp import web  # noqa: E402

from lookup.models import Status  # noqa: E402
from scrapers.base import FetchError, Request  # noqa: E402
from scrapers.http import Fetcher, FetchSettings  # noqa: E402

FANOUT_TARGET = 1.15
DEADLINE_TARGET = 1.10
ROBOTS = "User-agent: *\nDisallow: /private/\n"


async def start_source(name: str) -> tuple[web.AppRunner, str]:
    """A trivial lookup site on its own port: /robots.txt and /lookup/<number>."""

    async def lookup(request: web.Request) -> web.Response:
        number = request.match_info["number"]
        body = f"<html><body><h1>{number}</h1><p>{name}: no reports</p></body></html>"
        return web.Response(text=body, content_type="text/html")

    async def robots(request: web.Request) -> web.Response:
        return web.Response(text=ROBOTS)

    app = web.Application()
    app.router.add_get("/lookup/{number}", lookup)
    app.router.add_get("/robots.txt", robots)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def start_silent() -> tuple[asyncio.Server, asyncio.Event, str]:
    """Accepts connections and reads requests, but never answers."""
    release = asyncio.Event()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    return server, release, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


def numbers(count: int) -> list[str]:
    return [f"+1202555{n:04d}" for n in range(count)]


async def measure_fanout(bases: list[str], count: int, rate: float) -> float:
    """Seconds for count numbers x len(bases) sources through one Fetcher."""
    hosts = {base.removeprefix("http://"): rate for base in bases}
    settings = FetchSettings(default_rate=rate, rates=hosts)
    loop = asyncio.get_running_loop()
    async with Fetcher(settings) as fetcher:
        start = loop.time()
        pages = await asyncio.gather(
            *(fetcher.fetch(Request(f"{base}/lookup/{n}")) for n in numbers(count) for base in bases)
        )
        elapsed = loop.time() - start
    bad = [p for p in pages if p.status != 200]
    if bad:
        raise SystemExit(f"fan-out: {len(bad)} pages were not 200")
    return elapsed


async def measure_deadline(bases: list[str], silent: str, deadline: float) -> tuple[float, list[str]]:
    """Seconds for one lookup across every source when one of them never answers."""
    loop = asyncio.get_running_loop()

    async def ask(fetcher: Fetcher, base: str, until: float) -> str:
        try:
            await fetcher.fetch(Request(f"{base}/lookup/+12025550123"), deadline=until)
        except FetchError as exc:
            return exc.status.value
        return Status.FOUND.value

    async with Fetcher(FetchSettings()) as fetcher:
        start = loop.time()
        until = start + deadline
        outcomes = await asyncio.gather(*(ask(fetcher, base, until) for base in [*bases, silent]))
        elapsed = loop.time() - start
    return elapsed, outcomes


async def run(count: int, rate: float, deadline: float, rounds: int) -> int:
    started = [await start_source(f"source{i}") for i in range(3)]
    bases = [base for _, base in started]
    silent_server, release, silent = await start_silent()
    fan_ratios, dl_ratios, answered = [], [], True
    try:
        for _ in range(max(rounds, 1)):
            fan_ratios.append(await measure_fanout(bases, count, rate) / (count / rate))
            elapsed, outcomes = await measure_deadline(bases, silent, deadline)
            dl_ratios.append(elapsed / deadline)
            answered &= outcomes[-1] == Status.TIMEOUT.value and all(o == Status.FOUND.value for o in outcomes[:-1])
    finally:
        release.set()
        silent_server.close()
        await silent_server.wait_closed()
        for runner, _ in started:
            await runner.cleanup()
    fan = Figure("P4", f"fan-out of {count} numbers x 3 sources at {rate:g} req/s a host", statistics.median(fan_ratios),
                 FANOUT_TARGET, floor=f"floor {count}/{rate:g} = {count / rate:.2f} s",
                 spread=(min(fan_ratios), max(fan_ratios)))
    late = Figure("P4-deadline", "lookup with one silent source", statistics.median(dl_ratios), DEADLINE_TARGET,
                  floor=f"deadline {deadline:g} s", spread=(min(dl_ratios), max(dl_ratios)), unit="x deadline")
    ok = report_figure(fan) & report_figure(late)
    if not answered:
        print("P4-deadline: the silent source was not a timeout, or a live source not found", file=sys.stderr)
    return 0 if ok and answered else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--numbers", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second per host")
    parser.add_argument("--deadline", type=float, default=1.0, help="seconds for the lookup with a silent source")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sys.exit(asyncio.run(run(args.numbers, args.rate, args.deadline, args.rounds)))


if __name__ == "__main__":
    main()
