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
