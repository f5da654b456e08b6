"""Screen and CNAM bodies are kept like lookup answers (issue 15): per number, region and every
parameter that changes them, forgotten when the database changes. Real aiohttp client and
server on 127.0.0.1, a real SQLite store, the real engine with no sources."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from db.store import Store
from lookup.models import ListEntry, ListKind
from lookup.server.http import SERVICE
from lookup.server.service import VERSION_POLL
from tests.server.test_server import PLAIN, SPAM, client, engine, get_json, settings, store  # noqa: F401

FAILED = "verstat=TN-Validation-Failed"


def made(client: TestClient) -> int:
    return len(client.server.app[SERVICE]._made)


async def screen_text(client: TestClient, path: str) -> str:
    resp = await client.get(path)
    assert resp.status == 200 and resp.content_type == "text/plain"
    return await resp.text()


async def test_a_kept_screen_is_served_again_until_the_database_changes(client, settings) -> None:
    first = [await get_json(client, f"/api/v1/screen/{PLAIN}") for _ in range(3)]
    assert made(client) == 1  # the first complete answer was kept, the next two served from it
    assert first[0] == first[1] == first[2] and first[0]["action"] == "allow" and first[0]["complete"]
    await client.post("/api/v1/block", json={"number": PLAIN})  # a write through the server: at once
    assert (await get_json(client, f"/api/v1/screen/{PLAIN}"))["action"] == "block"
    with Store(settings.db_path) as cli:  # the CLI, on its own connection
        cli.add_list_entry(ListEntry(PLAIN, ListKind.ALLOW))
    await asyncio.sleep(VERSION_POLL)
    assert (await get_json(client, f"/api/v1/screen/{PLAIN}"))["action"] == "allow"


async def test_every_parameter_that_changes_the_answer_is_part_of_the_key(client) -> None:
    plain = await get_json(client, f"/api/v1/screen/{PLAIN}")
    failed = await get_json(client, f"/api/v1/screen/{PLAIN}?{FAILED}")
    assert plain["action"] == "allow" and "attestation" not in plain
    assert failed["action"] != "allow" and failed["attestation"]["verstat"] == "TN-Validation-Failed"
    pai = await get_json(client, f"/api/v1/screen/{PLAIN}?pai=%3Csip:{PLAIN}@x.example;verstat=TN-Validation-Failed%3E")
    assert pai["action"] == failed["action"]
    assert await screen_text(client, f"/api/v1/screen/{PLAIN}?format=text") == "allow"
    assert await screen_text(client, f"/api/v1/screen/{PLAIN}?format=text&{FAILED}") == failed["action"]
    gb = await get_json(client, "/api/v1/screen/020%207946%200958?region=GB")
    assert gb["e164"] == "+442079460958"
    await get_json(client, "/api/v1/screen/020%207946%200958", 400)  # a national GB number is no US one
    # asked again, each request gets its own answer back, not another's
    assert await get_json(client, f"/api/v1/screen/{PLAIN}?{FAILED}") == failed
    assert await get_json(client, f"/api/v1/screen/{PLAIN}") == plain
    assert await screen_text(client, f"/api/v1/screen/{PLAIN}?format=text") == "allow"
    assert (await get_json(client, "/api/v1/screen/020%207946%200958?region=GB"))["e164"] == gb["e164"]


async def test_the_token_is_not_part_of_the_key(client) -> None:
    await get_json(client, f"/api/v1/screen/{PLAIN}")
    await get_json(client, f"/api/v1/screen/{PLAIN}?token=anything")
    assert made(client) == 1


async def test_cnam_bodies_are_kept_and_forgotten_alike(client) -> None:
    assert [await screen_text(client, f"/cnam/{SPAM}") for _ in range(2)] == ["SPAM Washington D.C."] * 2
    assert made(client) == 1
    await client.post("/api/v1/allow", json={"number": SPAM})
    assert await screen_text(client, f"/cnam/{SPAM}") == "Washington D.C."


async def test_an_answer_given_past_the_deadline_is_not_kept(client, engine) -> None:
    engine.delay = 1.0  # longer than the screen deadline (0.4 s)
    body = await get_json(client, f"/api/v1/screen/{PLAIN}")
    assert body["complete"] is False and made(client) == 0


async def test_a_caller_name_blocked_through_the_api_blocks_the_next_screen(client, store) -> None:
    """POST /api/v1/block with "name" does what `whocalled block --name` does, and a screen
    kept from before the write is not served again."""
    path = f"/api/v1/screen/{PLAIN}?name=Extended%20Warranty%20Dept"
    assert (await get_json(client, path))["action"] == "allow"
    resp = await client.post("/api/v1/block", json={"name": "*warranty*", "reason": "car calls"})
    assert resp.status == 200
    assert await resp.json() == {"ok": True, "name": "*WARRANTY*", "kind": "block", "reason": "car calls", "added": True}
    assert (await get_json(client, path))["action"] == "block"
    assert (await get_json(client, f"/api/v1/screen/{PLAIN}?name=Pharmacy"))["action"] == "allow"
    assert [(n.pattern, n.origin) for n in store.list_name_blocks()] == [("*WARRANTY*", "server")]
    both = await client.post("/api/v1/block", json={"name": "*X*", "number": SPAM})
    assert both.status == 400 and "not both" in (await both.json())["error"]
    catch_all = await client.post("/api/v1/block", json={"name": "*"})
    assert catch_all.status == 409 and "every caller" in (await catch_all.json())["error"]
    assert (await client.post("/api/v1/block", json={"name": "*", "force": True})).status == 200
