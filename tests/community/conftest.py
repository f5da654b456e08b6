"""Fixtures for the community server's tests: a community store on each backend."""

from __future__ import annotations

import pytest

from db.community import Rule, open_community_store


def load_pg_cluster():
    """tests/community/pg_cluster.py as a module (the tests folders are not packages)."""
    import importlib.util
    import sys
    from pathlib import Path

    if "whocalled_pg_cluster" not in sys.modules:
        spec = importlib.util.spec_from_file_location("whocalled_pg_cluster", Path(__file__).with_name("pg_cluster.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules["whocalled_pg_cluster"]


@pytest.fixture(scope="session")
def pg_cluster():
    """One real PostgreSQL for the whole session (see pg_cluster.py); the tests that need it
    skip with one line where it cannot start."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    pg = load_pg_cluster()
    cluster = None
    try:
        cluster = pg.Cluster()
        cluster.start()
    except pg.ClusterUnavailable as exc:
        if cluster is not None:
            cluster.stop()  # removes what a half-done start left
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """The URL of a new, empty database on the session's PostgreSQL."""
    import uuid

    return pg_cluster.create_database(f"t{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def make_store(backend, tmp_path, request):
    """``make_store(rule=None)``: a fresh, empty community store on the backend under test."""
    opened = []

    def make(rule: Rule | None = None):
        if backend == "postgresql":
            target = request.getfixturevalue("pg_url")
        else:
            target = tmp_path / f"community{len(opened)}.db"
        store = open_community_store(target, rule)
        targets[id(store)] = target
        opened.append(store)
        return store

    def again(store):
        """A function opening more connections to ``store``'s database (for reader threads)."""
        return lambda: open_community_store(targets[id(store)], store.rule)

    targets: dict[int, object] = {}
    make.again = again

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
