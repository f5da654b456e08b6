"""The household server against hostile and careless clients: bad regions, answers in the
asked format, deeply nested JSON. Real aiohttp client and server on 127.0.0.1."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from db.store import Store
from lookup.engine import Engine
from lookup.models import Finding, ListEntry, ListKind, Status
from lookup.server.app import create_app
from lookup.settings import Settings

SPAM = "+12025550143"
PLAIN = "+13125550199"


def seed(store: Store) -> None:
    store.save_findings([Finding("tellows", SPAM, Status.FOUND, spam=1.0, reports=60)], lambda f: 30)
    store.add_list_entry(ListEntry("+1202555*", ListKind.BLOCK, reason="range"))


async def get_json(client: TestClient, path: str, status: int = 200) -> dict:
    resp = await client.get(path)
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/json"
    return await resp.json()


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "w.db") as s:
        seed(s)
        yield s


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(region="US", deadline=2.0, screen_deadline=0.4, db_path=tmp_path / "w.db")


@pytest.fixture
async def client(store, settings, aiohttp_client) -> TestClient:
    return await aiohttp_client(create_app(settings, store, Engine(store=store, settings=settings)))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/blocklist.txt?national=ZZ",
        "/api/v1/blocklist.ncid?national=XX",
        f"/api/v1/lookup/{SPAM}?region=XX",
        f"/api/v1/screen/{SPAM}?region=ZZ",
        "/api/v1/lookup/020 7946 0958?region=QQ",
    ],
    ids=["blocklist-ZZ", "blocklist-XX", "lookup-XX", "screen-ZZ", "national-QQ"],
)
async def test_unknown_regions_are_400(client, path: str) -> None:
    body = await get_json(client, path, 400)
    assert "two-letter country code" in body["error"]


async def test_a_known_national_region_still_works(client) -> None:
    resp = await client.get("/api/v1/blocklist.txt?national=US")
    assert resp.status == 200 and "202555" in await resp.text()


async def test_screen_answers_bad_input_in_the_asked_format(client) -> None:
    resp = await client.get("/api/v1/screen/garbage?format=text")
    assert resp.status == 400 and resp.content_type == "text/plain"
    assert (await resp.text()).startswith("error: not a phone number")
    resp = await client.get("/api/v1/screen/garbage")
    assert resp.status == 400 and resp.content_type == "application/json"
    resp = await client.get(f"/api/v1/screen/{PLAIN}?format=text&region=XX")
    assert resp.status == 400 and resp.content_type == "text/plain"


@pytest.mark.parametrize(
    ("opener", "depth"), [("[", 100), ("[", 30_000), ('{"a":', 100), ('{"a":', 10_000)]  # all under 64 KB
)
async def test_deeply_nested_json_is_400(client, depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    body = opener * depth + "1" + closer * depth
    assert len(body) < 64 * 1024
    resp = await client.post("/api/v1/block", data=body, headers={"Content-Type": "application/json"})
    assert resp.status == 400, await resp.text()
    assert "nested" in (await resp.json())["error"]


async def test_ordinary_nesting_is_still_read(client) -> None:
    resp = await client.post("/api/v1/block", json={"number": PLAIN, "reason": "x", "extra": [[{"a": [1]}]]})
    assert resp.status == 200


async def test_hostile_text_and_prefixes_through_the_api(client) -> None:
    """A lone surrogate in JSON, digits that are not ASCII in a prefix, a prefix no number can
    match: each a 400 with a JSON error, never a 500 (issue 20, items 4 and 8)."""
    for body in ('{"number": "+12025550143", "reason": "\\ud800"}', '{"number": "\\ud800"}'):
        resp = await client.post("/api/v1/block", data=body, headers={"Content-Type": "application/json"})
        assert resp.status in (200, 400), await resp.text()
        if resp.status == 200:
            assert "\\ud800" not in await resp.text()
            (await resp.text()).encode("utf-8")
    for pattern in ("+¹2025*", "+1202²*", "+1202555014399*"):
        resp = await client.post("/api/v1/block", json={"number": pattern})
        assert resp.status == 400, (pattern, await resp.text())
        assert "error" in await resp.json()


def test_the_page_names_sites_and_keeps_network_errors_for_the_api() -> None:
    from lookup.numbers import normalize_number
    from lookup.results import LookupResult
    from lookup.server.pages import source_lines
    from lookup.settings import Settings
    from lookup.verdict import score

    number = normalize_number("+12025550143")
    findings = (
        Finding("notes800_com", number.e164, Status.ERROR, detail="cannot find the host 800notes.com"),
        Finding("shouldianswer_com", number.e164, Status.FOUND, spam=0.9, reports=80, detail="80 reports"),
    )
    verdict = score(number, findings, None, (), Settings())
    lines = dict(source_lines(LookupResult("+12025550143", number, None, verdict, findings, (), (), None)))
    assert set(lines) == {"800notes.com", "shouldianswer.com"}
    assert "cannot find the host" not in lines["800notes.com"]
