"""Shared test setup. Tests never reach the internet: live checks are marked
``online`` and run only with ``pytest --online``."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--online", action="store_true", default=False, help="also run live checks against the real sites")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--online"):
        return
    skip = pytest.mark.skip(reason="talks to the real sites; run with --online")
    for item in items:
        if "online" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's own config or database."""
    home = tmp_path_factory.mktemp("home")
    config = home / "config.toml"
    config.write_text("")
    monkeypatch.setenv("WHOCALLED_CONFIG", str(config))
    monkeypatch.setenv("WHOCALLED_DB", str(home / "whocalled.db"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for key in list(__import__("os").environ):
        if key.startswith("WHOCALLED_SOURCE_") or key in ("WHOCALLED_REGION", "WHOCALLED_OWN_NUMBERS"):
            monkeypatch.delenv(key, raising=False)
