"""``whocalled community member add / list / revoke`` and ``community serve`` as a process."""

from __future__ import annotations

import json
import sqlite3
import urllib.request

from typer.testing import CliRunner

from lookup.cli import app


def run(*args: str, **kw):
    return CliRunner().invoke(app, ["community", *args], **kw)


def test_member_add_shows_the_token_once_and_list_never(tmp_path) -> None:
    db = str(tmp_path / "c.db")
    r = run("member", "add", "Smith family", "--db", db)
    assert r.exit_code == 0, r.output
    token = next(line for line in r.stdout.splitlines() if line.startswith("wcc_"))
    listed = run("member", "list", "--db", db)
    assert "Smith family" in listed.stdout and "active" in listed.stdout and token not in listed.stdout
    assert token.encode() not in (tmp_path / "c.db").read_bytes()
    [row] = [json.loads(line) for line in run("member", "list", "--json", "--db", db).stdout.splitlines()]
    assert row["name"] == "Smith family" and row["revoked_at"] is None and row["votes"] == 0


def test_member_revoke_and_its_mistakes(tmp_path) -> None:
    db = str(tmp_path / "c.db")
    run("member", "add", "Smith family", "--db", db)
    r = run("member", "revoke", "Smith family", "--db", db)
    assert r.exit_code == 0 and "Revoked Smith family" in r.stdout
    again = run("member", "revoke", "Smith family", "--db", db)
    assert again.exit_code == 2 and "already revoked" in again.stderr and "Traceback" not in again.output
    nobody = run("member", "revoke", "Jones", "--db", db)
    assert nobody.exit_code == 2 and "no member named 'Jones'" in nobody.stderr
    dup = run("member", "add", "Smith family", "--db", db)
    assert dup.exit_code == 2 and "already a member" in dup.stderr


def test_the_database_comes_from_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WHOCALLED_COMMUNITY_DB", str(tmp_path / "env.db"))
    assert run("member", "add", "Jones").exit_code == 0
    assert (tmp_path / "env.db").exists()


def test_a_foreign_file_is_refused_in_one_line(tmp_path) -> None:
    path = tmp_path / "photos.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    r = run("member", "add", "Jones", "--db", str(path))
    assert r.exit_code == 2 and "not a whocalled community database" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_min_voters_below_two_is_a_usage_error(tmp_path) -> None:
    r = run("serve", "--min-voters", "1", "--db", str(tmp_path / "c.db"))
    assert r.exit_code == 2


def test_serve_runs_as_a_process_and_answers_members(tmp_path, serve_process) -> None:
    db = str(tmp_path / "c.db")
    token = run("member", "add", "Smith family", "--db", db).stdout.split("\n")[1]
    base = serve_process(db)
    request = urllib.request.Request(base + "/api/v1/community/list", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert json.load(answer) == {"version": 0, "added": [], "removed": [], "full": True}
