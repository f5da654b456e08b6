"""``whocalled block --name`` / ``unlist --name`` / ``lists``: blocked caller-name patterns
through typer's CliRunner against the test's own database (issue 17)."""

from __future__ import annotations

import json

import pytest

from db.store import Store
from tests.cli.test_cli import json_lines, run


def test_block_list_and_unlist_a_name_pattern(tmp_path) -> None:
    r = run("block", "--name", "*warranty*", "--reason", "car warranty calls")
    assert r.exit_code == 0 and r.stdout.strip() == "Blocked the caller name *WARRANTY* (car warranty calls)."
    assert run("block", "+18768812345").exit_code == 0
    shown = run("lists").stdout.splitlines()
    assert any(line.startswith("block  name *WARRANTY*") and line.endswith("car warranty calls") for line in shown)
    entries = json_lines(run("lists", "--json").stdout)
    assert {(e["pattern"], e["kind"], e.get("match")) for e in entries} == {
        ("+18768812345", "block", None), ("*WARRANTY*", "block", "name")}
    assert not [e for e in json_lines(run("lists", "--json", "--kind", "allow").stdout) if e.get("match")]
    # blocking again without a reason keeps the reason
    assert run("block", "--name", "*WARRANTY*").stdout.strip() == "Blocked the caller name *WARRANTY* (car warranty calls)."
    r = run("unlist", "--name", "*Warranty*")
    assert r.exit_code == 0 and r.stdout.strip() == "Removed caller name *WARRANTY* from your block list."
    r = run("unlist", "--name", "*WARRANTY*")
    assert r.exit_code == 0 and "the caller name *WARRANTY* was not on your lists" in r.stderr
    assert [e["pattern"] for e in json_lines(run("lists", "--json").stdout)] == ["+18768812345"]


def test_a_stored_pattern_survives_reopening(tmp_path) -> None:
    db = str(tmp_path / "names.db")
    assert run("block", "--name", "SOLAR ?NERGY*", "--db", db).exit_code == 0
    with Store(db) as store:
        [block] = store.list_name_blocks()
    assert block.pattern == "SOLAR ?NERGY*" and block.matches("Solar Energy Savings") and not block.matches("SOLAR")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["block"], "give a number or prefix to block, or --name PATTERN", id="nothing"),
        pytest.param(["block", "+18768812345", "--name", "*X*"], "(not both)", id="both"),
        pytest.param(["block", "--name", "  \x1b "], "the name pattern is empty", id="empty"),
        pytest.param(["block", "--name", "*"], "would block every caller who sends a name; add --force", id="catch-all"),
        pytest.param(["block", "--name", "?*? "], "would block every caller", id="catch-all-marks"),
        pytest.param(["unlist"], "or --name PATTERN", id="unlist-nothing"),
    ],
)
def test_bad_name_patterns_exit_2_in_one_line(args, message) -> None:
    r = run(*args)
    assert r.exit_code == 2
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not [e for e in json_lines(run("lists", "--json").stdout) if e.get("match")]  # nothing stored


def test_a_pattern_matching_an_allowlisted_contact_needs_force(tmp_path) -> None:
    vcf = tmp_path / "contacts.vcf"
    vcf.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Dr Smith Dental\r\nTEL:+13125550177\r\nEND:VCARD\r\n")
    assert run("import", str(vcf)).exit_code == 0
    r = run("block", "--name", "*SMITH*")
    assert r.exit_code == 2
    assert "matches 'Dr Smith Dental', allowlisted as +13125550177; add --force" in r.stderr
    assert run("block", "--name", "*SMITH*", "--force").exit_code == 0
    assert any(json.loads(line).get("match") == "name" for line in run("lists", "--json").stdout.splitlines())
