"""The user's database is private, whocalled's own, and never made worse: created owner-only,
marked with whocalled's application id, a foreign SQLite file refused untouched, damage
reported by every command in one line (exit 1) before anything is written, and read-only
commands working on a file they may not write."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlite_utils import Database
from typer.testing import CliRunner

from db.migrations import migrations
from db.store import APPLICATION_ID, Store, StoreDamaged, StoreError
from lookup.cli import app
from lookup.models import ListEntry, ListKind

runner = CliRunner()
ROOT = Path(__file__).parents[2]
SAMPLE_LOG = ROOT / "examples" / "calls-example.xml"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_wal_files_are_owner_only(tmp_path) -> None:
    path = tmp_path / "new" / "w.db"
    with Store(path) as store:
        store.add_list_entry(ListEntry("+12025550143", ListKind.BLOCK))
        assert mode(path) == 0o600
        assert mode(Path(f"{path}-wal")) == 0o600 and mode(Path(f"{path}-shm")) == 0o600
        assert store.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_an_existing_world_readable_database_is_tightened(tmp_path) -> None:
    path = tmp_path / "w.db"
    Store(path).close()
    path.chmod(0o644)
    Store(path).close()
    assert mode(path) == 0o600


def test_a_foreign_sqlite_file_is_refused_and_left_as_it_was(tmp_path) -> None:
    path = tmp_path / "photos.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO photos (name) VALUES ('beach.jpg')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a whocalled database"):
        Store(path)
    assert path.read_bytes() == before and not Path(f"{path}-wal").exists()
    result = runner.invoke(app, ["lists", "--db", str(path)])
    assert result.exit_code == 2 and "not a whocalled database" in result.stderr
    assert path.read_bytes() == before


def test_an_older_whocalled_database_is_accepted_and_marked(tmp_path) -> None:
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="m002_datasets_calls_comments")
    db.close()
    with Store(path) as store:
        assert store.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def damage(path: Path) -> None:
    """Overwrite pages in the middle of the file, as a failing disk or a stray write would."""
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.seek(size // 2 - 4096)
        fh.write(os.urandom(8192))


@pytest.fixture
def damaged_db(tmp_path) -> Path:
    path = tmp_path / "w.db"
    with Store(path) as store:
        store.add_list_entries(ListEntry(f"+1202555{i:04d}", ListKind.BLOCK, reason="r" * 50) for i in range(6000))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    damage(path)
    return path


def test_check_finds_the_damage(damaged_db) -> None:
    with pytest.raises(StoreDamaged, match="is damaged"):
        Store(damaged_db).check()


@pytest.mark.parametrize(
    "args",
    [
        ["lookup", "--offline", "+12025550143"],
        ["triage", "--offline", str(SAMPLE_LOG)],
        ["lists"],
        ["reports"],
        ["block", "+12025559999"],
        ["report", "+12025559999", "-c", "scam"],
        ["export", "-f", "txt"],
    ],
    ids=lambda a: a[0],
)
def test_every_command_reports_a_damaged_database_in_one_line(damaged_db, args) -> None:
    before = damaged_db.read_bytes()
    result = runner.invoke(app, [*args, "--db", str(damaged_db)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is damaged" in lines[0] and ".recover" in lines[0]
    if args[0] in ("block", "report", "triage"):
        assert damaged_db.read_bytes() == before  # nothing written into the damaged file


def _drop_to_nobody() -> list[str] | None:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if setpriv else None


@pytest.mark.parametrize("args", [["lists"], ["reports", "--json"], ["export", "-f", "txt"]], ids=lambda a: a[0])
def test_read_only_commands_work_on_a_database_they_may_not_write(request, args) -> None:
    prefix = _drop_to_nobody()
    if prefix is None:
        pytest.skip("needs setpriv to run as another user (root ignores file modes)")
    import tempfile

    if subprocess.run([*prefix, sys.executable, "-c", "import lookup"], cwd=ROOT, capture_output=True).returncode:
        pytest.skip("the other user cannot run this interpreter")

    folder = Path(tempfile.mkdtemp(prefix="whocalled-ro-", dir="/tmp"))  # pytest's own is root-only
    request.addfinalizer(lambda: shutil.rmtree(folder, ignore_errors=True))
    path = folder / "w.db"
    with Store(path) as store:
        store.add_list_entry(ListEntry("+12025550143", ListKind.BLOCK, reason="robo"))
        store.conn.execute("PRAGMA journal_mode = DELETE")  # a file handed over as a plain copy
    path.chmod(0o644)  # readable, not writable, by the other user; the folder too
    folder.chmod(0o755)
    env = {**os.environ, "HOME": str(folder), "XDG_CONFIG_HOME": str(folder), "XDG_DATA_HOME": str(folder),
           "WHOCALLED_CONFIG": str(folder / "config.toml")}
    (folder / "config.toml").write_text('region = "US"\n')
    (folder / "config.toml").chmod(0o644)
    result = subprocess.run(
        [*prefix, sys.executable, "-m", "lookup.cli", *args, "--db", str(path)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    if args[0] != "reports":
        assert "+12025550143" in result.stdout


def _hold_write_lock(path: Path, seconds: float):
    """Another process (the server, an import) holding the write lock for ``seconds``."""
    code = (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "print('held', flush=True)\n"
        f"time.sleep({seconds})\n"
        "c.execute('ROLLBACK')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_write_waits_for_a_short_lock_and_succeeds(tmp_path) -> None:
    path = tmp_path / "w.db"
    Store(path).close()
    holder = _hold_write_lock(path, 1.0)
    try:
        result = runner.invoke(app, ["block", "+12025550143", "--db", str(path)])
    finally:
        holder.wait(10)
    assert result.exit_code == 0, result.output
    with Store(path) as store:
        assert store.get_list_entry("+12025550143") is not None


def test_a_write_blocked_past_the_busy_timeout_says_so_in_one_line(tmp_path) -> None:
    path = tmp_path / "w.db"
    with Store(path) as store:
        store.add_list_entry(ListEntry("+12025550100", ListKind.BLOCK, reason="kept"))
    holder = _hold_write_lock(path, 7.0)
    try:
        result = runner.invoke(app, ["block", "+12025550143", "--db", str(path)])
    finally:
        holder.wait(15)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "busy" in lines[0] and "nothing was written" in lines[0]
    with Store(path) as store:  # nothing already stored was lost; the refused write is absent
        assert [e.pattern for e in store.list_entries()] == ["+12025550100"]
