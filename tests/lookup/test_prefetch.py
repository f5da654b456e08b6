"""The number-facts worker: a head start for big logs that never changes an answer."""

from __future__ import annotations

import json
import os
import re
import signal

from lookup.numbers import normalize_number
from lookup.prefetch import FactsPrefetch, facts_for

NUMBERS = [f"+1201555{n:04d}" for n in range(0, 3000, 7)] + ["+442079460000", "+4930123456", "+18765550123"]


def test_facts_for_equals_a_full_normalise() -> None:
    got = {n.e164: n for n in facts_for(NUMBERS + ["+999"], "US")}  # "+999" cannot parse: left out
    assert set(got) == set(NUMBERS)
    for e164 in NUMBERS:
        assert got[e164] == normalize_number(e164, "US")


def test_worker_parses_chunks_and_returns_them_all() -> None:
    fetch = FactsPrefetch("US", min_numbers=50, chunk=100, enabled=True)
    for e164 in NUMBERS:
        fetch.add(e164)
    assert fetch._pool is not None, "the worker should have started after 50 numbers"
    facts = fetch.finish()
    assert fetch.failure is None
    # every chunk handed to the worker comes back whole (chunks still waiting are dropped)
    assert fetch.sent >= 100 and len(facts) == fetch.sent
    assert {n.e164 for n in facts} <= set(NUMBERS)
    assert all(n == normalize_number(n.e164, "US") for n in facts)
    assert fetch._pool is None  # worker stopped


def test_small_logs_never_start_a_worker() -> None:
    fetch = FactsPrefetch("US", min_numbers=1000, enabled=True)
    for e164 in NUMBERS[:200]:
        fetch.add(e164)
    assert fetch._pool is None
    assert fetch.finish() == []


def test_disabled_prefetch_does_nothing() -> None:
    fetch = FactsPrefetch("US", min_numbers=1, chunk=1, enabled=False)
    fetch.add("+12015550123")
    assert fetch._pool is None and fetch.finish() == []


def test_a_killed_worker_costs_only_the_head_start(monkeypatch) -> None:
    """Nothing is raised, nothing printed, nothing left running: the pool's own threads end
    without an exception (no future was cancelled for its manager to trip over)."""
    import threading
    import time

    crashes: list[str] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: crashes.append(f"{args.thread}: {args.exc_value!r}"))
    fetch = FactsPrefetch("US", min_numbers=10, chunk=10, enabled=True)
    for e164 in NUMBERS[:10]:
        fetch.add(e164)
    assert fetch._pool is not None
    pool = fetch._pool
    for pid in list(pool._processes):
        os.kill(pid, signal.SIGKILL)
    for e164 in NUMBERS[10:]:
        fetch.add(e164)
    facts = fetch.finish()  # must not raise
    assert fetch.failure is not None and "worker" in fetch.failure
    assert all(n == normalize_number(n.e164, "US") for n in facts)
    end = time.monotonic() + 10
    for thread in threading.enumerate():
        if thread is not threading.current_thread():
            thread.join(max(end - time.monotonic(), 0))
    assert crashes == []
    assert threading.active_count() == 1, threading.enumerate()


def _log(path, numbers: int) -> None:
    rows = "".join(
        f'<call number="201555{i:04d}" duration="0" date="{1_790_000_000_000 + i * 61_000}" type="3"'
        f' presentation="1" contact_name="(Unknown)" />' for i in range(numbers)
    )
    path.write_text(f"<?xml version='1.0' ?><calls count='{numbers}'>{rows}</calls>")


# Each triage runs in a fresh interpreter: in this one, threads an earlier test left behind
# (a killed pool's queue feeder, which CPython 3.11 can leave running) would rightly stop the
# worker from forking. The driver sets the worker's thresholds for a small log, makes it
# record the pid it runs in, and lets it take its first chunk before finish() (reading 1,200
# calls can end before the pool hands any chunk over, and finish() cancels those not handed).
DRIVER = """
import os, sys, time
from lookup import prefetch
prefetch.usable_cpus = lambda: int(os.environ["CPUS"])
prefetch.MIN_NUMBERS = prefetch.CHUNK = 100
real_facts, real_finish = prefetch.facts_for, prefetch.FactsPrefetch.finish

def watched(e164s, region):
    with open(os.environ["PIDS"], "a") as fh:
        fh.write(f"{os.getpid()}\\n")
    return real_facts(e164s, region)

def finish(self):
    end = time.monotonic() + 10
    while self._futures and not (self._futures[0].running() or self._futures[0].done()) and time.monotonic() < end:
        time.sleep(0.01)
    return real_finish(self)

prefetch.facts_for, prefetch.FactsPrefetch.finish = watched, finish
print(os.getpid(), file=sys.stderr)
from lookup.cli import main
sys.argv = ["whocalled", *sys.argv[1:]]
main()
"""


def _triage(tmp_path, log, db: str, cpus: int) -> tuple[list[str], int, set[str]]:
    """Sorted JSON lines (fetch times blanked), the triage's pid, and the pids facts were worked out in."""
    import subprocess
    import sys

    pids = tmp_path / f"{db}.pids"
    env = dict(os.environ, CPUS=str(cpus), PIDS=str(pids))
    done = subprocess.run([sys.executable, "-c", DRIVER, "triage", "--offline", "--json", "--db", str(tmp_path / db),
                           str(log)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = sorted(re.sub(r'"fetched_at": "[^"]+"', '"fetched_at": ""', line) for line in done.stdout.splitlines())
    parent = int(done.stderr.split()[0])
    return lines, parent, set(pids.read_text().split()) if pids.exists() else set()


def test_triage_answers_the_same_with_and_without_the_worker(tmp_path) -> None:
    log = tmp_path / "calls.xml"
    _log(log, 1_200)
    with_worker, parent, pids = _triage(tmp_path, log, "a.db", cpus=2)
    assert pids and str(parent) not in pids  # the facts were worked out in another process
    without, _, pids = _triage(tmp_path, log, "b.db", cpus=1)
    assert not pids  # one CPU: no worker; the engine parses the numbers itself
    assert len(with_worker) == 1_200
    assert with_worker == without
    assert json.loads(with_worker[0])["location"] == "New Jersey"


def test_no_fork_while_other_threads_run() -> None:
    import threading

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        fetch = FactsPrefetch("US", min_numbers=5, chunk=5, enabled=True)
        for e164 in NUMBERS[:20]:
            fetch.add(e164)
        assert fetch._pool is None
        assert fetch.failure and "threads" in fetch.failure
        assert fetch.finish() == []
    finally:
        stop.set()
        other.join()


def _is_running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (an exited child nobody reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_worker_ends_when_triage_is_killed(tmp_path) -> None:
    """A killed triage must not leave its worker blocked forever, holding memory and the files."""
    import subprocess
    import sys
    import time

    import pytest

    if not os.path.isdir("/proc"):
        pytest.skip("needs /proc to watch the worker")
    script = (
        "import os, sys, time\n"
        "from lookup.prefetch import FactsPrefetch\n"
        "fetch = FactsPrefetch('US', min_numbers=10, chunk=10, enabled=True)\n"
        "for i in range(20):\n"
        "    fetch.add(f'+1201555{i:04d}')\n"
        "print(*fetch._pool._processes, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(p) for p in parent.stdout.readline().split()]
        assert workers and all(_is_running(w) for w in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        end = time.monotonic() + 10
        while any(_is_running(w) for w in workers) and time.monotonic() < end:
            time.sleep(0.1)
        assert not any(_is_running(w) for w in workers), "the worker outlived its parent"
    finally:
        parent.kill()
        parent.wait(10)
