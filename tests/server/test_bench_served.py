"""The server benches' part of the harness (bench/common.py): starting a server process,
interleaving rounds against the floor's site, and judging throughput and p99 together."""

from __future__ import annotations

import sys

import pytest

from tests.test_bench_harness import common

SERVER = """
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print("ready", s.getsockname()[1], 4242, flush=True)
time.sleep(60)
"""


def test_served_yields_the_ports_and_stops_the_process() -> None:
    import socket

    with common.served([sys.executable, "-c", SERVER]) as ports:
        assert ports[1] == 4242
        socket.create_connection(("127.0.0.1", ports[0]), timeout=5).close()  # it really listens
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", ports[0]), timeout=5)


def test_a_server_that_never_says_ready_ends_the_bench() -> None:
    with pytest.raises(SystemExit, match="the test server did not start"):
        with common.served([sys.executable, "-c", "print('oops')"], what="the test server"):
            pass


def rounds_of(answers: dict[int, list[tuple[float, float, int]]], order: list[int]):
    def hammer(port: int) -> tuple[float, float, int]:
        order.append(port)
        return answers[port].pop(0)

    return hammer


def test_rounds_alternate_and_the_figure_takes_medians() -> None:
    order: list[int] = []
    answers = {1: [(1000.0, 0.010, 0), (2000.0, 0.020, 0), (1000.0, 0.010, 0)],  # floor: rps, p99, failures
               2: [(500.0, 0.012, 0), (1800.0, 0.030, 0), (900.0, 0.011, 0)]}
    measured = common.interleave_served(rounds_of(answers, order), 1, 2, 1000, 3)
    assert order == [1, 2, 1, 2, 1, 2]
    assert measured.measured.ratios == pytest.approx([0.5, 0.9, 0.9])
    fig = common.served_figure("P6", "cached lookup", measured, 0.7, p99_limit_ms=25)
    assert fig.ratio == pytest.approx(0.9) and fig.spread == pytest.approx((0.5, 0.9))
    assert fig.p99_ms == pytest.approx(12.0) and fig.floor_p99_ms == pytest.approx(10.0)
    assert fig.p99_x == pytest.approx(1.2)
    assert fig.met and fig.line().endswith("targets >= 0.7, p99 <= 25 ms: met")
    assert fig.record()["met"] is True and fig.record()["extra"]["floor_rps"] == 1000


def test_a_slow_p99_misses_even_when_throughput_is_met() -> None:
    answers = {1: [(1000.0, 0.010, 0)], 2: [(900.0, 0.013, 0)]}
    fig = common.served_figure("P6s", "screen", common.interleave_served(rounds_of(answers, []), 1, 2, 1000, 1),
                               0.7, p99_limit_x=1.2)
    assert fig.ratio_met and not fig.met
    assert "p99 13.0 ms (1.30x the floor's 10.0 ms)" in fig.line() and fig.line().endswith("MISSED")


def test_failed_requests_end_the_bench() -> None:
    answers = {1: [(1000.0, 0.010, 0)], 2: [(900.0, 0.013, 5)]}
    with pytest.raises(SystemExit, match="5 of 1000 requests"):
        common.interleave_served(rounds_of(answers, []), 1, 2, 1000, 1)
