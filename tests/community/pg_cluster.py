"""A throwaway PostgreSQL cluster from Debian's ``postgresql`` package, for the community
tests and bench: ``initdb`` and ``pg_ctl`` from ``/usr/lib/postgresql/*/bin`` in a temporary
folder, listening on 127.0.0.1 at a free port with its unix socket in that folder. PostgreSQL
refuses to run as root, so as root it runs as ``nobody`` (through ``setpriv``)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class ClusterUnavailable(RuntimeError):
    """PostgreSQL cannot be started here (one line saying why)."""


def find_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3].split(".")[0]))
    if not found:
        raise ClusterUnavailable("no PostgreSQL server here (install Debian's postgresql package)")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """``with Cluster() as c: c.url("dbname")``: started on entry, stopped and removed on exit."""

    def __init__(self) -> None:
        self.bin = find_bin()
        self.root = Path(tempfile.mkdtemp(prefix="whocalled-pg-"))
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                raise ClusterUnavailable("running as root and setpriv is missing to run PostgreSQL as nobody")
            self.as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
            shutil.chown(self.root, "nobody", "nogroup")

    def _call(self, *args: str, timeout: float = 120) -> None:
        try:
            done = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=timeout, cwd=self.root)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ClusterUnavailable(f"{Path(args[0]).name} failed: {exc}") from None
        if done.returncode:
            tail = " ".join((done.stderr or done.stdout).split())[-300:]
            raise ClusterUnavailable(f"{Path(args[0]).name} failed: {tail}")

    def start(self) -> "Cluster":
        data = self.root / "data"
        self._call(str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                   "--no-sync", "--locale=C")
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.root} -F -c max_connections=200"
                   " -c shared_buffers=128MB -c synchronous_commit=off")
        self._call(str(self.bin / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        return self

    def stop(self) -> None:
        if (self.root / "data" / "postmaster.pid").exists():  # started (a failed start leaves none)
            self._call(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop", timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def __enter__(self) -> "Cluster":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
