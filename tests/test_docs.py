"""Every command and every option has help text (a user should never meet an unexplained flag)."""

from __future__ import annotations

from typer.main import get_command

from lookup.cli import app


def _walk(cmd, path=()):
    yield path, cmd
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _walk(sub, path + (name,))


def test_every_command_and_option_has_help() -> None:
    root = get_command(app)
    missing = []
    for path, cmd in _walk(root):
        if path and not (cmd.help or "").strip():
            missing.append(" ".join(path))
        for p in cmd.params:
            if p.param_type_name == "option" and not (getattr(p, "help", None) or "").strip():
                missing.append(f"{' '.join(path)} {p.opts[0]}")
            if p.param_type_name == "argument" and not (getattr(p, "help", None) or "").strip():
                missing.append(f"{' '.join(path)} <{p.name}>")
    assert not missing, missing


def test_every_command_is_in_the_readme() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    root = get_command(app)
    for path, cmd in _walk(root):
        if path and not getattr(cmd, "commands", None):
            assert f"whocalled {' '.join(path)}" in readme, " ".join(path)


def test_tests_cannot_reach_the_internet(_no_internet) -> None:
    import socket

    import pytest

    with pytest.raises(socket.gaierror, match="do not reach the internet"):
        socket.getaddrinfo("www.nomorobo.com", 443)
    assert _no_internet == ["www.nomorobo.com"]
    _no_internet.clear()  # this test asked on purpose
