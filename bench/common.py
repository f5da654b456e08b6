"""Helpers shared by the benchmarks: timing whole processes against their floor, and reporting.

Absolute times drift on shared machines, so every benchmark measures its own floor in the same
run, interleaved with whocalled (floor, whocalled, floor, whocalled, ...) so that a change of
load hits both alike, and reports the median of the per-round ratios with their spread.

Each figure ends in two lines: one for people,

    P2 lookup - of 100,000 numbers: 1.83x floor (floor 6.10 s, spread 1.7-1.9), peak 62 MB (< 80), target <= 2: met

and one for ``bench/run.py`` (``BENCH`` then a JSON object), which gathers them into the
summary table of ``make bench``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence, Union

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PYTHON = sys.executable
WHOCALLED = str(Path(sys.executable).with_name("whocalled"))
MARK = "BENCH "  # the prefix of the machine-readable line bench/run.py reads


@dataclass(frozen=True)
class Run:
    """One measured run: wall seconds and the peak resident memory of its process (MB)."""

    seconds: float
    peak_mb: float = 0.0


@dataclass(frozen=True)
class Interleaved:
    """What :func:`interleave` measured: per-round times and ratios (ours / floor, or floor / ours
    when ``inverse``), and the peak memory of each side."""

    floor: list[Run]
    ours: list[Run]
    ratios: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.ratios), max(self.ratios)

    @property
    def floor_s(self) -> float:
        return statistics.median(r.seconds for r in self.floor)

    @property
    def ours_s(self) -> float:
        return statistics.median(r.seconds for r in self.ours)

    @property
    def peak_mb(self) -> float:
        return max(r.peak_mb for r in self.ours)

    @property
    def floor_peak_mb(self) -> float:
        return max(r.peak_mb for r in self.floor)


Measured = Union[Sequence[str], Callable[[], Union[Run, float]]]


def bench_env(**extra: str) -> dict[str, str]:
    """The environment of a measured process: an empty config file, so the user's own settings
    never change a figure, plus ``extra``."""
    env = dict(os.environ)
    OUT.mkdir(parents=True, exist_ok=True)
    config = OUT / "empty-config.toml"
    config.write_text("")
    env.update({"WHOCALLED_CONFIG": str(config), "PYTHONDONTWRITEBYTECODE": "0"})
    env.update(extra)
    return env


# A process's peak (ru_maxrss) starts from the memory of the process it was forked from, so a
# bench holding half a million rows would lend them to every command it runs. Each command is
# therefore started by this small launcher (no site, no imports of ours), which times it and
# reads its peak with wait4 and writes both, with the exit code, to the file it is given.
LAUNCHER = (
    "import os, sys, time\n"
    "started = time.perf_counter()\n"
    "pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "elapsed = time.perf_counter() - started\n"
    "with open(sys.argv[1], 'w') as out:\n"
    "    out.write(f'{elapsed!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}')\n"
)


def run_process(cmd: Sequence[str], *, env: dict[str, str] | None = None, stdin: Path | None = None,
                ok_codes: Sequence[int] = (0,)) -> Run:
    """Run ``cmd`` to completion (output discarded); its wall time and its own peak memory
    (through :data:`LAUNCHER`, so neither this process's memory nor earlier children's
    count). A failure ends the bench with what the command said."""
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as fin, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".run") as report:
        subprocess.run([sys.executable, "-S", "-c", LAUNCHER, report.name, *map(str, cmd)], stdin=fin,
                       stdout=subprocess.DEVNULL, stderr=err, env=env, check=False)
        measured = report.read().split()
        code = int(measured[2]) if len(measured) == 3 else -1
        if code not in ok_codes:
            err.seek(0)
            said = err.read().decode("utf-8", "replace")[-2000:]
            raise SystemExit(f"benchmark command failed ({code}): {' '.join(map(str, cmd))}\n{said}")
    return Run(float(measured[0]), int(measured[1]) / 1024)


def command(cmd: Sequence[str], *, env: dict[str, str] | None = None, stdin: Path | None = None,
            before: Callable[[], None] | None = None, ok_codes: Sequence[int] = (0,)) -> Callable[[], Run]:
    """A measured callable running ``cmd`` as a process; ``before`` (untimed) runs first, e.g.
    to remove the database the previous round wrote."""

    def measure() -> Run:
        if before:
            before()
        return run_process(cmd, env=env, stdin=stdin, ok_codes=ok_codes)

    return measure


def interleave(floor: Measured, ours: Measured, rounds: int, *, inverse: bool = False,
               warmup: bool = True) -> Interleaved:
    """Run ``floor`` and ``ours`` alternately ``rounds`` times (after one untimed round of each
    when ``warmup``, so the page cache is warm for both). Each is a command (run as a process)
    or a callable returning a :class:`Run` or seconds. The ratio of a round is ours / floor
    (a cost), or floor / ours with ``inverse`` (a share of the floor's speed)."""
    take_floor, take_ours = _measurer(floor), _measurer(ours)
    if warmup:
        take_floor()
        take_ours()
    floors: list[Run] = []
    ourss: list[Run] = []
    ratios: list[float] = []
    for _ in range(max(rounds, 1)):
        f = take_floor()
        o = take_ours()
        floors.append(f)
        ourss.append(o)
        ratios.append(f.seconds / o.seconds if inverse else o.seconds / f.seconds)
    return Interleaved(floors, ourss, ratios)


def _measurer(what: Measured) -> Callable[[], Run]:
    if callable(what):
        def measure() -> Run:
            got = what()
            return got if isinstance(got, Run) else Run(float(got))

        return measure
    return command(list(what))


@dataclass
class Figure:
    """One benchmark figure against its target, as :func:`report_figure` prints it."""

    id: str
    what: str
    ratio: float
    target: float
    lower_is_better: bool = True
    floor: str = ""  # e.g. "floor 1.37 s"
    spread: tuple[float, float] | None = None
    peak_mb: float | None = None
    peak_limit_mb: float | None = None
    unit: str = "x floor"
    extra: dict = field(default_factory=dict)

    @property
    def ratio_met(self) -> bool:
        return self.ratio <= self.target if self.lower_is_better else self.ratio >= self.target

    @property
    def peak_met(self) -> bool:
        return self.peak_limit_mb is None or (self.peak_mb is not None and self.peak_mb < self.peak_limit_mb)

    @property
    def met(self) -> bool:
        return self.ratio_met and self.peak_met

    def line(self) -> str:
        inside = [self.floor] if self.floor else []
        if self.spread:
            inside.append(f"spread {_num(self.spread[0])}-{_num(self.spread[1])}")
        text = f"{self.id} {self.what}: {self.ratio:.2f}{self.unit}"
        if inside:
            text += f" ({', '.join(inside)})"
        if self.peak_mb is not None:
            text += f", peak {self.peak_mb:.0f} MB"
            if self.peak_limit_mb is not None:
                text += f" (< {self.peak_limit_mb:g})"
        sign = "<=" if self.lower_is_better else ">="
        return f"{text}, target {sign} {self.target:g}: {'met' if self.met else 'MISSED'}"

    def record(self) -> dict:
        data = asdict(self)
        data["spread"] = list(self.spread) if self.spread else None
        data["met"] = self.met
        return data


def _num(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def figure_of(id: str, what: str, measured: Interleaved, target: float, *, lower_is_better: bool = True,
              peak_limit_mb: float | None = None, with_peak: bool = False) -> Figure:
    """The figure of an interleaved measurement: its median ratio, the floor's median time, the
    spread of the ratios, and the peak memory of whocalled's processes when asked for."""
    return Figure(id, what, measured.ratio, target, lower_is_better, floor=f"floor {_seconds(measured.floor_s)}",
                  spread=measured.spread, peak_mb=measured.peak_mb if (with_peak or peak_limit_mb) else None,
                  peak_limit_mb=peak_limit_mb,
                  extra={"floor_s": round(measured.floor_s, 4), "whocalled_s": round(measured.ours_s, 4),
                         "rounds": len(measured.ratios)})


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def report_figure(fig: Figure) -> bool:
    """Print the figure's line and its ``BENCH`` line; whether it met its target(s)."""
    print(fig.line(), flush=True)
    print(MARK + json.dumps(fig.record(), sort_keys=True), flush=True)
    return fig.met


# ---- the helpers bench_triage.py, bench_server.py and bench_community.py still use


def time_process(cmd: Sequence[str], *, env: dict[str, str], stdin: Path | None = None, repeat: int = 5) -> float:
    """Median wall time of running ``cmd`` to completion (output discarded; exit code 2, some
    inputs not numbers, counts as done)."""
    return statistics.median(run_process(cmd, env=env, stdin=stdin, ok_codes=(0, 2)).seconds for _ in range(repeat))


def report(name: str, ratio: float, target: float, *, lower_is_better: bool, detail: str) -> bool:
    ok = ratio <= target if lower_is_better else ratio >= target
    sign = "<=" if lower_is_better else ">="
    print(f"{name}: {detail} ratio={ratio:.2f} (target {sign} {target}) {'OK' if ok else 'MISSED'}", flush=True)
    return ok


# ---- servers: the benches that measure an HTTP server against a bare aiohttp floor


@contextmanager
def served(cmd: Sequence[str], *, env: dict[str, str] | None = None, what: str = "the server") -> Iterator[list[int]]:
    """Start ``cmd``, a server process that prints ``ready PORT [PORT ...]`` on one line once it
    listens, and yield those ports; the process is stopped on the way out, however the bench ends."""
    proc = subprocess.Popen(list(map(str, cmd)), stdout=subprocess.PIPE, env=env, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line.startswith("ready"):
            raise SystemExit(f"{what} did not start (exit {proc.poll()})")
        yield [int(p) for p in line.split()[1:]]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


Hammer = Callable[[int], "tuple[float, float, int]"]  # port -> (requests per second, p99 s, failures)


@dataclass
class Served:
    """Interleaved rounds of a floor site and whocalled's site, as :func:`interleave_served`
    measured them: the throughput side (``measured``, ratios floor-relative, higher is better)
    and each round's p99 latency (seconds) of both."""

    measured: Interleaved
    floor_p99: list[float]
    ours_p99: list[float]
    floor_rps: list[float]
    ours_rps: list[float]

    @property
    def p99_ms(self) -> float:
        return statistics.median(self.ours_p99) * 1000

    @property
    def floor_p99_ms(self) -> float:
        return statistics.median(self.floor_p99) * 1000

    @property
    def p99_ratios(self) -> list[float]:
        return [o / f for o, f in zip(self.ours_p99, self.floor_p99)]


def interleave_served(hammer: Hammer, floor_port: int, our_port: int, requests: int, rounds: int,
                      what: str = "whocalled") -> Served:
    """``hammer`` the floor's port, then ours, ``rounds`` times; each round's ratio is our
    throughput over the floor's in the round just before (see :func:`interleave`)."""
    p99s: dict[int, list[float]] = {floor_port: [], our_port: []}
    rates: dict[int, list[float]] = {floor_port: [], our_port: []}

    def rounds_of(port: int) -> Callable[[], Run]:
        def one() -> Run:
            rps, p99, bad = hammer(port)
            if bad:
                raise SystemExit(f"{what}: {bad} of {requests} requests to port {port} failed")
            p99s[port].append(p99)
            rates[port].append(rps)
            return Run(requests / rps)

        return one

    measured = interleave(rounds_of(floor_port), rounds_of(our_port), rounds, inverse=True, warmup=False)
    return Served(measured, p99s[floor_port], p99s[our_port], rates[floor_port], rates[our_port])


@dataclass
class ServedFigure(Figure):
    """A server's figure: throughput as a share of the floor's (``ratio``) and the median p99
    latency, judged against ``p99_limit_ms`` and/or ``p99_limit_x`` times the floor's p99."""

    p99_ms: float = 0.0
    floor_p99_ms: float = 0.0
    p99_x: float = 0.0  # median of the rounds' p99 over the floor's p99
    p99_limit_ms: float | None = None
    p99_limit_x: float | None = None

    @property
    def p99_met(self) -> bool:
        return ((self.p99_limit_ms is None or self.p99_ms <= self.p99_limit_ms)
                and (self.p99_limit_x is None or self.p99_x <= self.p99_limit_x))

    @property
    def met(self) -> bool:
        return self.ratio_met and self.p99_met

    def line(self) -> str:
        inside = [self.floor] if self.floor else []
        if self.spread:
            inside.append(f"spread {_num(self.spread[0])}-{_num(self.spread[1])}")
        targets = [f">= {self.target:g}"]
        if self.p99_limit_ms is not None:
            targets.append(f"p99 <= {self.p99_limit_ms:g} ms")
        if self.p99_limit_x is not None:
            targets.append(f"p99 <= {self.p99_limit_x:g}x the floor's")
        return (f"{self.id} {self.what}: {self.ratio:.2f}{self.unit} ({', '.join(inside)}), p99 {self.p99_ms:.1f} ms"
                f" ({self.p99_x:.2f}x the floor's {self.floor_p99_ms:.1f} ms), targets {', '.join(targets)}:"
                f" {'met' if self.met else 'MISSED'}")


def served_figure(id: str, what: str, served: Served, target: float, *, p99_limit_ms: float | None = None,
                  p99_limit_x: float | None = None) -> ServedFigure:
    """The figure of :func:`interleave_served`: median throughput ratio with its spread, the
    floor's median rate, the median p99 (and the median of the rounds' p99 over the floor's)."""
    m = served.measured
    floor_rps, ours_rps = statistics.median(served.floor_rps), statistics.median(served.ours_rps)
    return ServedFigure(
        id, what, m.ratio, target, lower_is_better=False, unit="x floor",
        floor=f"floor {floor_rps:.0f} req/s", spread=m.spread,
        extra={"floor_rps": round(floor_rps), "whocalled_rps": round(ours_rps),
               "rounds": len(m.ratios), "p99_rounds_ms": [round(p * 1000, 1) for p in served.ours_p99],
               "floor_p99_rounds_ms": [round(p * 1000, 1) for p in served.floor_p99]},
        p99_ms=served.p99_ms, floor_p99_ms=served.floor_p99_ms, p99_x=statistics.median(served.p99_ratios),
        p99_limit_ms=p99_limit_ms, p99_limit_x=p99_limit_x)


def serve_sites(apps: Sequence[object], *, after_setup: Callable[[object, float], None] | None = None) -> None:
    """In a bench's server process: start each aiohttp application on a free loopback port,
    print ``ready PORT...`` (what :func:`served` waits for) and serve until killed.
    ``after_setup(app, seconds)`` hears how long each application's setup took."""
    import asyncio

    from aiohttp import web

    async def main() -> None:
        ports = []
        for app in apps:
            runner = web.AppRunner(app, access_log=None)
            began = time.perf_counter()
            await runner.setup()
            if after_setup is not None:
                after_setup(app, time.perf_counter() - began)
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            ports.append(runner.addresses[0][1])
        print("ready", *ports, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
