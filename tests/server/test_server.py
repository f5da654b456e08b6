"""``whocalled serve`` through aiohttp's real test client and server on 127.0.0.1.

The store is a real SQLite file with findings, comments and calls put in directly;
the engine is the real one (no sources, so nothing goes online) or a subclass that
counts calls, sleeps or breaks. HTTP itself is never mocked.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from dataclasses import dataclass, replace

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from db.store import Store
from lookup.blocklists import ExportFormat
from lookup.engine import Engine
from lookup.models import Comment, Finding, ListEntry, ListKind, Status
from lookup.server.app import create_app, run_server
from lookup.server.http import is_loopback_host
from lookup.server.service import VERSION_POLL
from lookup.settings import Settings

SPAM = "+12025550143"  # two sources say spam; a public comment holds a script tag
NAMED = "+12025550188"  # a source names the caller with markup in the name
PREFIXED = "+12025550177"  # likely spam, and its source name already starts with "SPAM"
PLAIN = "+12025550199"  # nothing known
JAMAICA = "+18768812345"  # +1 but international: suspicious
OWN = "+12025550100"
SCRIPT_COMMENT = "<script>document.title='pwned'</script> they called 5 times"


@dataclass
class CountingEngine(Engine):
    """The real engine, counting lookups; ``delay`` makes each one slow; ``broken`` makes it fail."""

    delay: float = 0.0
    broken: bool = False
    calls: int = 0

    async def lookup(self, inputs, **kwargs):  # type: ignore[override]
        self.calls += 1
        if self.broken:
            raise RuntimeError("secret internal detail /etc/whocalled")
        if self.delay:
            await asyncio.sleep(self.delay)
        return await super().lookup(inputs, **kwargs)

    def lookup_offline(self, inputs, region=None):  # type: ignore[override]
        if self.broken:
            raise RuntimeError("secret internal detail /etc/whocalled")
        return super().lookup_offline(inputs, region)


def seed(store: Store) -> None:
    def spam(source: str, e164: str, name: str | None = None, comments: tuple[Comment, ...] = ()) -> Finding:
        return Finding(source, e164, Status.FOUND, name=name, spam=1.0, reports=60, comments=comments)

    store.save_findings(
        [
            spam("shouldianswer_com", SPAM, comments=(Comment(SCRIPT_COMMENT, at="2026-01-05"),)),
            spam("tellows", SPAM),
            spam("shouldianswer_com", PREFIXED, name="SPAM: Car Warranty"),
            spam("tellows", PREFIXED),
            Finding("tellows", NAMED, Status.FOUND, name="<b>Dr Smith</b> Dental", spam=0.1, reports=2),
        ],
        lambda f: 30,
    )
    store.db["calls"].insert_all(
        [
            {"key": "c1", "e164": SPAM, "at": "2026-01-04T10:00:00+00:00", "direction": "incoming", "status": "missed", "silent": 1, "night": 0},
            {"key": "c2", "e164": None, "at": "2026-01-05T11:00:00+00:00", "direction": "incoming", "status": "missed", "silent": 1, "night": 0},
            {"key": "c3", "e164": PLAIN, "at": "2026-01-03T09:00:00+00:00", "direction": "incoming", "status": "answered", "silent": 0, "night": 0},
        ]
    )


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "w.db") as s:
        seed(s)
        yield s


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(region="US", own_numbers=(OWN,), deadline=2.0, screen_deadline=0.4, db_path=tmp_path / "w.db")


@pytest.fixture
def engine(store, settings) -> CountingEngine:
    return CountingEngine(store=store, settings=settings)


@pytest.fixture
async def client(store, settings, engine, aiohttp_client) -> TestClient:
    return await aiohttp_client(create_app(settings, store, engine))


async def get_json(client: TestClient, path: str, status: int = 200, **kwargs) -> dict:
    resp = await client.get(path, **kwargs)
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/json"
    return await resp.json()


# ---------------------------------------------------------------- lookup


async def test_lookup_is_exactly_the_cli_json(client, engine) -> None:
    body = await get_json(client, f"/api/v1/lookup/{SPAM}")
    [expected] = await engine.lookup([SPAM])
    assert body == expected.to_json()
    assert body["verdict"] == "likely_spam" and {s["name"] for s in body["sources"]} == {"shouldianswer_com", "tellows"}


async def test_national_input_and_region(client) -> None:
    body = await get_json(client, "/api/v1/lookup/020%207946%200958?region=gb")
    assert body["e164"] == "+442079460958" and body["input"] == "020 7946 0958"
    assert (await get_json(client, "/api/v1/lookup/(202) 555-0143"))["e164"] == SPAM


async def test_cached_answers_skip_the_engine_until_the_database_changes(client, engine, settings) -> None:
    for _ in range(5):
        assert (await get_json(client, f"/api/v1/lookup/{PLAIN}"))["verdict"] == "unknown"
    assert engine.calls == 2  # the first lookup saved the number's facts; the second is kept
    await client.post("/api/v1/block", json={"number": PLAIN})
    assert (await get_json(client, f"/api/v1/lookup/{PLAIN}"))["verdict"] == "blocked"
    with Store(settings.db_path) as cli:  # another connection, as the CLI would be
        cli.add_list_entry(ListEntry(PLAIN, ListKind.ALLOW))
    await asyncio.sleep(VERSION_POLL)  # the server looks for other connections' commits this often
    assert (await get_json(client, f"/api/v1/lookup/{PLAIN}"))["verdict"] == "allowed"


async def test_concurrent_lookups_of_one_number_share_one_engine_call(client, engine) -> None:
    engine.delay = 0.2
    inputs = ["+1 202 555 0199", "202-555-0199", "(202) 555-0199", "+12025550199"] * 5
    bodies = await asyncio.gather(*(get_json(client, f"/api/v1/lookup/{raw}") for raw in inputs))
    assert engine.calls == 1
    assert {b["e164"] for b in bodies} == {PLAIN}
    assert [b["input"] for b in bodies] == inputs  # each answer names its own input


@pytest.mark.parametrize(
    ("path", "error"),
    [
        pytest.param("/api/v1/lookup/hello", "not a phone number: 'hello'", id="lookup-words"),
        pytest.param("/api/v1/lookup/12", "too short for US: '12'", id="lookup-too-short"),
        pytest.param(f"/api/v1/lookup/{'9' * 300}", "(too long)", id="lookup-huge"),
        pytest.param("/api/v1/screen/hello", "not a phone number: 'hello'", id="screen-words"),
        pytest.param(f"/api/v1/lookup/{SPAM}?region=USA", "region must be a two-letter country code", id="bad-region"),
    ],
)
async def test_bad_input_is_400_json(client, path, error) -> None:
    body = await get_json(client, path, 400)
    assert error in body["error"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", "/nope", 404, id="unknown-path"),
        pytest.param("GET", "/api/v1/lookup/1/2", 404, id="extra-segment"),
        pytest.param("GET", "/api/v1/blocklist.doc", 404, id="unknown-format"),
        pytest.param("GET", "/api/v1/block", 405, id="wrong-method"),
        pytest.param("DELETE", "/", 405, id="delete-page"),
    ],
)
async def test_unknown_paths_and_methods_are_json(client, method, path, status) -> None:
    resp = await client.request(method, path)
    assert resp.status == status and resp.content_type == "application/json"
    assert (await resp.json())["error"]


async def test_internal_errors_never_leak_a_traceback(store, settings, aiohttp_client, caplog) -> None:
    broken = CountingEngine(store=store, settings=settings, broken=True)
    client = await aiohttp_client(create_app(settings, store, broken))
    with caplog.at_level(logging.ERROR, logger="whocalled.server"):
        resp = await client.get("/")  # the page lists the silent calls offline: that fails too
        text = await resp.text()
    assert resp.status == 500 and resp.content_type == "application/json"
    assert "Traceback" not in text and "secret" not in text and "RuntimeError" not in text
    assert "secret internal detail" in caplog.text  # the detail goes to the log


async def test_a_failing_lookup_still_answers_from_the_number(store, settings, aiohttp_client, caplog) -> None:
    """A screen must never be a 500: the PBX would let the call through (or drop it) blindly."""
    broken = CountingEngine(store=store, settings=settings, broken=True)
    client = await aiohttp_client(create_app(settings, store, broken))
    with caplog.at_level(logging.ERROR, logger="whocalled.server"):
        resp = await client.get(f"/api/v1/lookup/{PLAIN}")
        text = await resp.text()
        screen = await get_json(client, f"/api/v1/screen/{JAMAICA}")
    assert resp.status == 200 and resp.headers["X-Whocalled-Complete"] == "false"
    assert "secret" not in text and (await resp.json())["e164"] == PLAIN
    assert screen["action"] == "warn" and screen["complete"] is False  # +1 876 is international: from the number
    assert "secret internal detail" in caplog.text


# ---------------------------------------------------------------- screening and CNAM


@pytest.mark.parametrize(
    ("number", "action", "verdict"),
    [
        pytest.param(SPAM, "block", "likely_spam", id="likely-spam"),
        pytest.param(JAMAICA, "warn", "suspicious", id="suspicious"),
        pytest.param(PLAIN, "allow", "unknown", id="unknown"),
        pytest.param(NAMED, "allow", "unknown", id="named"),
        pytest.param("anonymous", "warn", "unknown", id="withheld"),
        pytest.param("", "warn", "unknown", id="empty-caller-id"),
    ],
)
async def test_screen_actions(client, number, action, verdict) -> None:
    body = await get_json(client, f"/api/v1/screen/{number}")
    assert (body["action"], body["verdict"]) == (action, verdict)
    assert body["reason"] and body["complete"] is True


async def test_screen_as_plain_text_for_dialplans(client) -> None:
    resp = await client.get(f"/api/v1/screen/{SPAM}?format=text")
    assert resp.content_type == "text/plain" and await resp.text() == "block"


async def test_screen_follows_the_users_lists(client) -> None:
    await client.post("/api/v1/allow", json={"number": SPAM, "reason": "my plumber"})
    body = await get_json(client, f"/api/v1/screen/{SPAM}")
    assert (body["action"], body["verdict"], body["reason"]) == ("allow", "allowed", "This number is on your allowlist (my plumber).")
    await client.post("/api/v1/block", json={"number": PLAIN})
    assert (await get_json(client, f"/api/v1/screen/{PLAIN}"))["action"] == "block"


async def test_screen_answers_within_its_deadline_from_what_is_known(client, engine, store) -> None:
    store.add_list_entry(ListEntry(PLAIN, ListKind.BLOCK, reason="pest"))
    engine.delay = 5.0
    start = time.monotonic()
    body = await get_json(client, f"/api/v1/screen/{PLAIN}")
    assert time.monotonic() - start < 0.4 + 0.3
    assert body["action"] == "block" and body["complete"] is False
    assert body["reason"].endswith("(decided before every source answered)")


@pytest.mark.parametrize(
    ("number", "prefix", "text"),
    [
        pytest.param(SPAM, "SPAM", "SPAM Washington D.C.", id="spam-no-name-shows-location"),
        pytest.param(SPAM, "SPAM: ", "SPAM Washington D.C.", id="prefix-cut-to-safe-characters"),
        pytest.param(PREFIXED, "SPAM", "SPAM Car Warranty", id="never-doubled"),
        pytest.param(PREFIXED, "spam:", "SPAM Car Warranty", id="never-doubled-any-case"),
        pytest.param(PREFIXED, "[X] ", "X SPAM Car Warranty", id="other-prefix"),
        pytest.param(NAMED, "SPAM", "b Dr Smith b Dental", id="markup-cut"),
        pytest.param("anonymous", "SPAM", "Withheld", id="withheld"),
        pytest.param(SPAM, "", "Washington D.C.", id="prefix-off"),
    ],
)
async def test_cnam_text(store, settings, aiohttp_client, number, prefix, text) -> None:
    client = await aiohttp_client(create_app(replace(settings, cnam_spam_prefix=prefix), store, Engine(store, settings)))
    resp = await client.get(f"/cnam/{number}")
    assert resp.status == 200 and resp.content_type == "text/plain"
    assert await resp.text() == text


HOSTILE_NAMES = [
    'x" & "" & "):System(touch /tmp/x;#',
    "Acme),Set(CALLERID(num)=911",
    "${SHELL(id)}",
    "$[1+1]|Dial(SIP/evil)",
    "name\r\nX-Injected: 1",
    "Bob\x1b]0;pwned\x07",
    "; DROP TABLE; --",
    "A" * 500,
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
async def test_cnam_never_answers_dialplan_syntax(store, settings, aiohttp_client, name) -> None:
    """A caller name scraped from a public site reaches the PBX as letters, digits, spaces and
    ``. - + '`` only, at most 60 characters (the README's Asterisk snippet filters it again)."""
    e164 = "+12025550188"
    store.save_findings([Finding("shouldianswer_com", e164, Status.FOUND, name=name, spam=0.2, reports=1)], lambda f: 30)
    client = await aiohttp_client(create_app(settings, store, Engine(store, settings)))
    resp = await client.get(f"/cnam/{e164}")
    text = await resp.text()
    assert resp.status == 200 and text
    assert len(text) <= 60 and text == text.strip() and "  " not in text
    assert all(ch.isalpha() or ch.isdigit() or ch in " .-+'" for ch in text), text
    assert not set(text) & set('"():&$;{}[],|\\#/=<>\r\n\x1b\x07')


async def test_cnam_keeps_names_in_any_script(store, settings, aiohttp_client) -> None:
    e164 = "+12025550189"
    store.save_findings([Finding("shouldianswer_com", e164, Status.FOUND, name="Zahnarztpraxis Müller-Łukasz 東京", spam=0.0, reports=1)], lambda f: 30)
    client = await aiohttp_client(create_app(settings, store, Engine(store, settings)))
    assert await (await client.get(f"/cnam/{e164}")).text() == "Zahnarztpraxis Müller-Łukasz 東京"


async def test_cnam_bad_number_is_an_empty_400(client) -> None:
    resp = await client.get("/cnam/hello")
    assert resp.status == 400 and await resp.text() == ""


# ---------------------------------------------------------------- auth


@pytest.fixture
async def guarded(store, settings, engine, aiohttp_client) -> TestClient:
    return await aiohttp_client(create_app(settings, store, engine, token="s3cret-token"))


@pytest.mark.parametrize(
    ("kwargs", "path", "status"),
    [
        pytest.param({}, "/api/v1/screen/2025550143", 401, id="missing"),
        pytest.param({"headers": {"Authorization": "Bearer wrong"}}, "/api/v1/screen/2025550143", 401, id="wrong-bearer"),
        pytest.param({}, "/api/v1/screen/2025550143?token=wrong", 401, id="wrong-query"),
        pytest.param({}, "/nope", 401, id="unknown-path-needs-token-too"),
        pytest.param({"headers": {"Authorization": "Bearer s3cret-token"}}, "/api/v1/screen/2025550143", 200, id="bearer"),
        pytest.param({"headers": {"Authorization": "bearer s3cret-token"}}, "/api/v1/screen/2025550143", 200, id="bearer-any-case"),
        pytest.param({}, "/api/v1/screen/2025550143?token=s3cret-token", 200, id="query"),
        pytest.param({}, "/cnam/2025550143?token=s3cret-token", 200, id="cnam-query"),
    ],
)
async def test_token(guarded, kwargs, path, status) -> None:
    resp = await guarded.get(path, **kwargs)
    assert resp.status == status and resp.content_type in ("application/json", "text/plain")
    if status == 401:
        assert (await resp.json())["error"] == "missing or wrong token"
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")


async def test_page_token_becomes_a_strict_cookie(guarded) -> None:
    resp = await guarded.get("/?token=s3cret-token")
    assert resp.status == 200
    cookie = resp.cookies["whocalled_token"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert (await guarded.get("/api/v1/screen/2025550143")).status == 200  # the cookie now carries it


async def test_without_token_only_loopback_hosts_are_answered(client) -> None:
    resp = await client.get(f"/api/v1/screen/{SPAM}", headers={"Host": "evil.example:8787"})
    assert resp.status == 403 and "loopback" in (await resp.json())["error"]
    assert (await client.get(f"/api/v1/screen/{SPAM}", headers={"Host": "localhost:8787"})).status == 200


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1:8787", True),
        ("localhost", True),
        ("[::1]:8787", True),
        ("127.5.6.7", True),
        ("app.localhost:80", True),
        ("192.168.1.10:8787", False),
        ("evil.example", False),
        ("127.0.0.1.evil.example", False),
    ],
)
def test_is_loopback_host(host, expected) -> None:
    assert is_loopback_host(host) is expected


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "pbx.example"])
def test_run_server_refuses_other_hosts_without_a_token(host) -> None:
    with pytest.raises(ValueError, match="without a token"):
        run_server(Settings(), host=host)


# ---------------------------------------------------------------- blocklist subscription


async def test_blocklist_etag_and_304(client) -> None:
    await client.post("/api/v1/block", json={"number": SPAM, "reason": "warranty"})
    first = await client.get("/api/v1/blocklist.txt")
    etag = first.headers["ETag"]
    assert first.status == 200 and (await first.text()).split() == [SPAM]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = await client.get("/api/v1/blocklist.txt", headers={"If-None-Match": etag})
    assert again.status == 304 and again.headers["ETag"] == etag and await again.read() == b""
    await client.post("/api/v1/block", json={"number": "+1 876 881 2345"})
    changed = await client.get("/api/v1/blocklist.txt", headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag
    assert (await changed.text()).split() == [SPAM, JAMAICA]


async def test_a_subscribed_blocklist_respects_the_allowlist(client) -> None:
    """Allowed numbers never reach a PBX's list, and a blocked range around them is written in
    the pieces that remain, as `whocalled export` does."""
    await client.post("/api/v1/allow", json={"number": "+1 415 555 0199", "reason": "pharmacy"})
    await client.post("/api/v1/block", json={"number": "+1415555*", "reason": "spoofing"})
    body = (await (await client.get("/api/v1/blocklist.txt")).text()).split()
    assert "+1415555*" not in body and "+14155550199" not in body
    assert "+1415555019*" not in body and "+141555500*" in body and "+14155550198*" in body
    ncid = await (await client.get("/api/v1/blocklist.ncid")).text()
    assert "4155550199" not in ncid


@pytest.mark.parametrize("fmt", [f.value for f in ExportFormat])
async def test_blocklist_every_format(client, fmt) -> None:
    await client.post("/api/v1/block", json={"number": SPAM, "reason": "warranty"})
    resp = await client.get(f"/api/v1/blocklist.{fmt}?national=US")
    assert resp.status == 200 and resp.headers["ETag"] and resp.headers["Cache-Control"] == "no-cache"
    body = await resp.text()
    assert "2025550143" in body


# ---------------------------------------------------------------- writes


async def post(client: TestClient, path: str, payload: object, status: int, **kwargs) -> dict:
    resp = await client.post(path, json=payload, **kwargs)
    assert resp.status == status, await resp.text()
    return await resp.json()


async def test_block_allow_report(client, store) -> None:
    assert (await post(client, "/api/v1/block", {"number": "202-555-0143", "reason": "car warranty"}, 200))["pattern"] == SPAM
    assert (await post(client, "/api/v1/block", {"number": "+1 876 *"}, 200))["pattern"] == "+1876*"
    assert (await post(client, "/api/v1/allow", {"number": SPAM}, 200))["was"] == "block"
    out = await post(client, "/api/v1/report", {"number": SPAM, "category": "robocall", "note": "hi", "at": "2026-01-02T10:00:00+00:00"}, 201)
    assert out["category"] == "robocall" and out["at"] == "2026-01-02T10:00:00+00:00"
    assert [(r.e164, r.note) for r in store.list_reports()] == [(SPAM, "hi")]
    assert {e.pattern: (e.kind, e.origin) for e in store.list_entries()} == {
        SPAM: (ListKind.ALLOW, "server"),
        "+1876*": (ListKind.BLOCK, "server"),
    }


async def test_protected_numbers_need_force(client, store) -> None:
    assert "your own number" in (await post(client, "/api/v1/block", {"number": OWN}, 409))["error"]
    assert "your own number" in (await post(client, "/api/v1/block", {"number": "+1202555*"}, 409))["error"]
    await post(client, "/api/v1/allow", {"number": PLAIN}, 200)
    assert "allowlist" in (await post(client, "/api/v1/block", {"number": PLAIN}, 409))["error"]
    await post(client, "/api/v1/block", {"number": PLAIN, "force": True}, 200)
    assert store.get_list_entry(PLAIN).kind is ListKind.BLOCK


@pytest.mark.parametrize(
    ("path", "payload", "status", "error"),
    [
        pytest.param("/api/v1/block", {"number": "hello"}, 400, "not a phone number", id="block-words"),
        pytest.param("/api/v1/block", {}, 400, '"number" is required', id="block-missing"),
        pytest.param("/api/v1/block", {"number": 2025550143}, 400, "must be a string", id="block-not-string"),
        pytest.param("/api/v1/block", {"number": SPAM, "force": "yes"}, 400, "true or false", id="force-not-bool"),
        pytest.param("/api/v1/block", ["+12025550143"], 400, "JSON object", id="not-an-object"),
        pytest.param("/api/v1/allow", {"number": "anonymous"}, 400, "not a dialable number", id="allow-withheld"),
        pytest.param("/api/v1/report", {"number": "anonymous"}, 400, "not a dialable number", id="report-withheld"),
        pytest.param("/api/v1/report", {"number": SPAM, "category": "aliens"}, 400, "unknown category", id="report-category"),
        pytest.param("/api/v1/report", {"number": SPAM, "at": "yesterday"}, 400, "not a date", id="report-at"),
        pytest.param("/api/v1/report", {"number": SPAM, "note": "x" * 600}, 400, "longer than", id="report-long-note"),
    ],
)
async def test_write_errors(client, path, payload, status, error) -> None:
    assert error in (await post(client, path, payload, status))["error"]


@pytest.mark.parametrize(
    ("data", "headers", "status"),
    [
        pytest.param("{nope", {"Content-Type": "application/json"}, 400, id="broken-json"),
        pytest.param(b"\xff\xfe junk", {"Content-Type": "application/json"}, 400, id="junk-bytes"),
        pytest.param('{"number": "+12025550143"}', {"Content-Type": "text/plain"}, 415, id="text-plain-simple-request"),
        pytest.param('{"number": "+12025550143"}', {"Content-Type": "application/json", "Origin": "https://evil.example"}, 403, id="cross-origin"),
        pytest.param("[" * 100_000, {"Content-Type": "application/json"}, 413, id="huge-body"),
    ],
)
async def test_hostile_bodies(client, store, data, headers, status) -> None:
    resp = await client.post("/api/v1/block", data=data, headers=headers)
    assert resp.status == status and resp.content_type == "application/json"
    assert "Traceback" not in await resp.text()
    assert store.list_entries() == []


# ---------------------------------------------------------------- the page


async def test_page_escapes_everything_from_outside(client) -> None:
    resp = await client.get(f"/?n={SPAM}")
    html = await resp.text()
    assert resp.status == 200 and resp.content_type == "text/html"
    assert "script-src" not in resp.headers["Content-Security-Policy"] and "default-src 'none'" in resp.headers["Content-Security-Policy"]
    assert "<script" not in html
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt; they called 5 times" in html
    assert "likely spam" in html and "Do not call back" in html
    assert '<meta name="viewport"' in html
    named = await (await client.get(f"/?n={NAMED}")).text()
    assert "&lt;b&gt;Dr Smith&lt;/b&gt; Dental" in named and "<b>Dr Smith" not in named
    quoted = await (await client.get('/?n="><img src=x>')).text()
    assert "<img" not in quoted and "&quot;&gt;&lt;img src=x&gt;" in quoted


async def test_page_lists_silent_missed_calls_with_verdicts(client) -> None:
    html = await (await client.get("/")).text()
    calls = html[html.index('id="calls"') :]
    shown = "+1 202-555-0143"  # as people write it, not the E.164 key
    assert shown in calls and "likely spam" in calls and "withheld" in calls
    assert "+1 202-555-0199" not in calls  # answered, not silent
    assert calls.index("withheld") < calls.index(shown)  # newest first
    assert "UTC" in calls or "EST" in calls or "EDT" in calls  # times say their zone


async def test_page_forms_need_the_csrf_token(client, store) -> None:
    page = await (await client.get(f"/?n={PLAIN}")).text()
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    form = {"number": PLAIN, "reason": "pest"}
    assert (await client.post("/ui/block", data=form, allow_redirects=False)).status == 403
    assert (await client.post("/ui/block", data={**form, "csrf": "guess"}, allow_redirects=False)).status == 403
    foreign = await client.post("/ui/block", data={**form, "csrf": csrf}, headers={"Origin": "http://evil.example"}, allow_redirects=False)
    assert foreign.status == 403
    assert store.list_entries() == []
    resp = await client.post("/ui/block", data={**form, "csrf": csrf}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/?n=%2B12025550199&done=block"
    assert store.get_list_entry(PLAIN).reason == "pest"
    shown = await (await client.get(resp.headers["Location"])).text()
    assert "Blocked +12025550199." in shown and "blocked (your block list)" in shown


async def test_page_refuses_to_block_own_number_without_force(client, store) -> None:
    page = await (await client.get(f"/?n={OWN}")).text()
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    resp = await client.post("/ui/block", data={"number": OWN, "csrf": csrf})
    assert resp.status == 200 and "your own number or on your allowlist" in await resp.text()
    assert store.list_entries() == []
    await client.post("/ui/block", data={"number": OWN, "csrf": csrf, "force": "1"})
    assert store.get_list_entry(OWN).kind is ListKind.BLOCK


async def test_page_bad_number_says_why(client) -> None:
    resp = await client.get("/?n=hello")
    assert resp.status == 200 and "not a phone number: &#x27;hello&#x27;" in await resp.text()


# ---------------------------------------------------------------- load


async def test_load_20000_cached_lookups_from_50_clients(settings, store, engine) -> None:
    total, workers = 20_000, 50
    server = TestServer(create_app(settings, store, engine), host="127.0.0.1")
    await server.start_server()
    numbers = [SPAM, PLAIN, NAMED, JAMAICA, PREFIXED]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=workers)) as session:
            urls = [str(server.make_url(f"/api/v1/lookup/{n}")) for n in numbers]
            for url in urls * 2:  # warm the cache: facts saved on the first lookup, kept on the second
                async with session.get(url) as resp:
                    await resp.read()
            remaining = iter(range(total))

            async def work() -> None:
                for i in remaining:
                    start = time.perf_counter()
                    async with session.get(urls[i % len(urls)]) as resp:
                        await resp.read()
                    latencies.append(time.perf_counter() - start)
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1

            began = time.perf_counter()
            await asyncio.gather(*(work() for _ in range(workers)))
            elapsed = time.perf_counter() - began
    finally:
        await server.close()
    p99 = statistics.quantiles(latencies, n=100)[98]
    print(f"\nload: {total} cached lookups, {workers} clients: {total / elapsed:.0f} requests/s, p99={p99 * 1000:.1f} ms")
    assert statuses == {200: total}
    assert engine.calls == 2 * len(numbers)
    assert p99 < 1.0
