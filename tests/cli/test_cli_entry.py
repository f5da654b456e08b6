"""The console script's entry point builds only the command it runs; it must behave exactly
like the full app for every command, its help and its usage errors."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from lookup.cli import app, app_for, main

runner = CliRunner()
ROOT = Path(__file__).parents[2]
FULL = typer.main.get_command(app)
TOP = sorted(FULL.commands)  # type: ignore[attr-defined]
NESTED = [(group, sub) for group in TOP for sub in sorted(getattr(FULL.commands[group], "commands", {}))]  # type: ignore[attr-defined]


def both(args: list[str]):
    full = runner.invoke(app, args)
    fast = runner.invoke(app_for(args), args)
    return full, fast


def test_the_console_script_runs_main() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["whocalled"] == "lookup.cli:main"


def test_every_command_is_covered() -> None:
    assert {"lookup", "triage", "export", "import", "config", "sync", "serve"} <= set(TOP)
    assert ("sync", "ftc") in NESTED and ("config", "path") in NESTED


@pytest.mark.parametrize("name", TOP)
def test_only_the_named_command_is_built(name: str) -> None:
    built = typer.main.get_command(app_for([name, "--help"]))
    assert list(built.commands) == [name]  # type: ignore[attr-defined]


@pytest.mark.parametrize("args", [[n, "--help"] for n in TOP] + [[g, s, "--help"] for g, s in NESTED])
def test_help_is_the_same(args: list[str]) -> None:
    full, fast = both(args)
    assert full.exit_code == fast.exit_code == 0
    assert fast.output == full.output


@pytest.mark.parametrize(
    "args",
    [
        ["lookup"],  # missing argument
        ["lookup", "--no-such-option", "x"],
        ["config"],  # a group with no subcommand shows its help
        ["sync", "nope"],
        ["triage", "--since"],
        ["export", "--format"],
    ],
)
def test_usage_errors_are_the_same(args: list[str]) -> None:
    full, fast = both(args)
    assert fast.exit_code == full.exit_code == 2
    assert fast.output == full.output


@pytest.mark.parametrize("args", [[], ["--help"], ["nosuchcommand"], ["--db", "x", "lookup"]])
def test_anything_else_runs_the_full_app(args: list[str]) -> None:
    assert app_for(args) is app


def test_main_runs_a_command(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setattr(sys, "argv", ["whocalled", "lookup", "--offline", "--json", "--db", str(tmp_path / "w.db"),
                                      "+18768812345"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 0
    assert '"e164": "+18768812345"' in capsys.readouterr().out
