"""Fixtures for the community server's tests: a community store on each backend."""

from __future__ import annotations

import pytest

from db.community import Rule, open_community_store


@pytest.fixture(params=["sqlite"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def make_store(backend, tmp_path):
    """``make_store(rule=None)``: a fresh, empty community store on the backend under test."""
    opened = []

    def make(rule: Rule | None = None):
        store = open_community_store(tmp_path / f"community{len(opened)}.db", rule)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def serve_process(tmp_path):
    """``serve_process(db, *args)``: run ``whocalled community serve`` as its own process on a
    free port; returns its base URL once it answers. Stopped (SIGINT, then kill) at teardown."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    started: list[subprocess.Popen] = []

    def start(db: str, *args: str, env: dict | None = None) -> str:
        port = free_port()
        log = open(tmp_path / f"serve-{port}.log", "w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "lookup.cli", "community", "serve", "--db", db, "--port", str(port), *args],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        )
        started.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"community serve exited: {(tmp_path / f'serve-{port}.log').read_text()}")
            try:
                urllib.request.urlopen(base + "/api/v1/community/list", timeout=1)
            except urllib.error.HTTPError:  # 401: it is up
                return base
            except OSError:
                time.sleep(0.1)
        raise AssertionError("community serve did not start within 30 s")

    yield start
    for proc in started:
        proc.send_signal(signal.SIGINT)
    for proc in started:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
