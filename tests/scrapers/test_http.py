"""The fetcher against real local servers: pages, body checks, retries, deadlines, faults.

Every server here is a real socket on 127.0.0.1 (see conftest.py); nothing is mocked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import tracemalloc

import pytest
from aiohttp import web

from lookup.models import Status
from scrapers.base import FetchError, Request
from scrapers.http import Fetcher

CAPTCHA_PAGE = "<!DOCTYPE html><html><body><div class='g-recaptcha' data-sitekey='x'></div></body></html>"
CLOUDFLARE_503 = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>cf</body></html>"


def now() -> float:
    return asyncio.get_running_loop().time()


def reply(status: int = 200, body: str | bytes = "", content_type: str = "text/html", **headers: str):
    async def handler(request: web.Request) -> web.Response:
        raw = body.encode() if isinstance(body, str) else body
        return web.Response(status=status, body=raw, headers={"Content-Type": content_type, **headers})

    return handler


def in_turn(*handlers):
    """Answer the n-th request with the n-th handler (the last one repeats)."""
    calls = iter(range(10_000))

    async def handler(request: web.Request) -> web.StreamResponse:
        return await handlers[min(next(calls), len(handlers) - 1)](request)

    return handler


async def fetch_error(fetcher: Fetcher, request: Request, **kwargs) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(request, **kwargs)
    return caught.value


# -- ordinary pages


async def test_fetch_sends_user_agent_method_params_headers_and_json(web_site, fast_settings):
    site = await web_site({"/api": reply(body='{"ok": true}', content_type="application/json")})
    request = Request(
        site.url("/api"),
        method="post",
        headers={"X-Key": "k1", "user-agent": "Mozilla/5.0 pretending"},
        params={"phone": "+12025550123"},
        json={"n": 1},
        expect="json",
        robots=False,
    )
    async with Fetcher(fast_settings) as fetcher:
        page = await fetcher.fetch(request)
    hit = site.log[-1]
    assert (hit.method, hit.query, json.loads(hit.body)) == ("POST", {"phone": "+12025550123"}, {"n": 1})
    assert hit.headers["User-Agent"] == fast_settings.user_agent
    assert "whocalled" in hit.headers["User-Agent"] and "http" in hit.headers["User-Agent"]
    assert hit.headers["X-Key"] == "k1"
    assert (page.status, page.body, page.content_type) == (200, '{"ok": true}', "application/json")
    assert page.headers["content-type"] == "application/json"  # headers look up case-insensitively


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        pytest.param("café".encode("latin-1"), "text/html; charset=ISO-8859-1", "café", id="latin1-declared"),
        pytest.param("café".encode(), "text/html", "café", id="utf8-default"),
        pytest.param(b"ok \xff\xfe junk", "text/html", "ok \ufffd\ufffd junk", id="junk-bytes-replaced"),
        pytest.param("café".encode(), "text/html; charset=x-no-such-codec", "café", id="unknown-charset"),
        pytest.param(b"\xef\xbb\xbfhello", "text/html", "hello", id="utf8-bom"),
    ],
)
async def test_fetch_decodes_body(web_site, fast_settings, raw, content_type, expected):
    site = await web_site({"/p": reply(body=raw, content_type=content_type)})
    async with Fetcher(fast_settings) as fetcher:
        page = await fetcher.fetch(Request(site.url("/p"), robots=False))
    assert page.body == expected


async def test_404_is_a_page_for_the_source_and_not_retried(web_site, fast_settings):
    site = await web_site({"/gone": reply(404, "<html><body>Not listed</body></html>")})
    async with Fetcher(fast_settings) as fetcher:
        page = await fetcher.fetch(Request(site.url("/gone"), robots=False))
    assert (page.status, site.hits["/gone"]) == (404, 1)


@pytest.mark.parametrize(
    ("expect", "status", "body", "content_type", "outcome"),
    [
        pytest.param("json", 200, CAPTCHA_PAGE, "text/html", Status.BLOCKED, id="json-got-captcha-html"),
        pytest.param("json", 200, "<html><body>Welcome</body></html>", "text/html", Status.ERROR, id="json-got-plain-html"),
        pytest.param("json", 200, "hello there", "text/plain", Status.ERROR, id="json-got-text"),
        pytest.param("json", 200, "", "application/json", Status.ERROR, id="json-got-empty"),
        pytest.param("xml", 200, CAPTCHA_PAGE, "text/html", Status.BLOCKED, id="xml-got-captcha-html"),
        pytest.param("text", 200, "<!doctype html><html>hi</html>", "text/html", Status.ERROR, id="text-got-html"),
        pytest.param("html", 403, "<html><body>Forbidden</body></html>", "text/html", Status.BLOCKED, id="html-403-page"),
        pytest.param("json", 403, "Forbidden", "text/plain", Status.BLOCKED, id="json-403-not-json"),
        pytest.param("html", 503, CLOUDFLARE_503, "text/html", Status.BLOCKED, id="cloudflare-503"),
        pytest.param("json", 429, CAPTCHA_PAGE, "text/html", Status.BLOCKED, id="captcha-429"),
    ],
)
async def test_wrong_or_walled_bodies_end_without_retry(web_site, fast_settings, expect, status, body, content_type, outcome):
    site = await web_site({"/q": reply(status, body, content_type)})
    async with Fetcher(fast_settings) as fetcher:
        error = await fetch_error(fetcher, Request(site.url("/q"), expect=expect, robots=False))
    assert error.status is outcome, error.reason
    assert site.hits["/q"] == 1


@pytest.mark.parametrize(
    ("expect", "status", "body", "content_type"),
    [
        pytest.param("json", 200, '{"a": 1}', "text/plain", id="json-served-as-text"),
        pytest.param("json", 200, "[1, 2]", "text/html", id="json-served-as-html"),
        pytest.param("xml", 200, "<?xml version='1.0'?><root/>", "text/xml", id="xml"),
        pytest.param("text", 200, "a,b\n1,2\n", "text/csv", id="csv-as-text"),
        pytest.param("json", 403, '{"error": {"code": "API_KEY_INVALID"}}', "application/json", id="api-403-json"),
        pytest.param("json", 404, "<html>not found</html>", "text/html", id="json-404-html"),
    ],
)
async def test_expected_bodies_pass(web_site, fast_settings, expect, status, body, content_type):
    site = await web_site({"/q": reply(status, body, content_type)})
    async with Fetcher(fast_settings) as fetcher:
        page = await fetcher.fetch(Request(site.url("/q"), expect=expect, robots=False))
    assert (page.status, page.body) == (status, body)


# -- retries


async def test_repeated_500_is_an_error_after_max_attempts(web_site, fast_settings):
    site = await web_site({"/x": reply(500, "oops", "text/plain")})
    async with Fetcher(fast_settings) as fetcher:
        error = await fetch_error(fetcher, Request(site.url("/x"), robots=False))
    assert error.status is Status.ERROR
    assert error.reason == "HTTP 500 Internal Server Error three times"
    assert site.hits["/x"] == fast_settings.max_attempts == 3


@pytest.mark.parametrize(
    ("status", "hits"), [(500, 1), (503, 3), (429, 3)], ids=["post-500-not-repeated", "post-503-repeated", "post-429-repeated"]
)
async def test_a_post_is_repeated_only_when_the_server_did_not_act(web_site, fast_settings, status, hits):
    site = await web_site({"/report": reply(status, "", "text/plain", **{"Retry-After": "0"})})
    async with Fetcher(fast_settings) as fetcher:
        await fetch_error(fetcher, Request(site.url("/report"), method="POST", json={"rating": "G_FRAUD"}, robots=False))
    assert site.hits["/report"] == hits


async def test_503_then_200_is_retried_into_a_page(web_site, fast_settings):
    site = await web_site({"/x": in_turn(reply(503, "busy", "text/plain"), reply(200, "fine"))})
    async with Fetcher(fast_settings) as fetcher:
        page = await fetcher.fetch(Request(site.url("/x"), robots=False))
    assert (page.body, site.hits["/x"]) == ("fine", 2)


async def test_429_with_retry_after_waits_then_succeeds(web_site, fast_settings):
    site = await web_site({"/x": in_turn(reply(429, "slow down", "text/plain", **{"Retry-After": "1"}), reply(200, "ok"))})
    async with Fetcher(fast_settings) as fetcher:
        start = now()
        page = await fetcher.fetch(Request(site.url("/x"), robots=False), deadline=now() + 3.0)
        elapsed = now() - start
    assert page.body == "ok"
    assert 0.95 <= elapsed < 1.6
    assert site.log[1].at - site.log[0].at >= 0.95


async def test_retry_after_beyond_the_deadline_times_out_at_once(web_site, fast_settings):
    site = await web_site({"/x": reply(429, "later", "text/plain", **{"Retry-After": "5"})})
    async with Fetcher(fast_settings) as fetcher:
        start = now()
        error = await fetch_error(fetcher, Request(site.url("/x"), robots=False), deadline=now() + 1.0)
        elapsed = now() - start
    assert error.status is Status.TIMEOUT
    assert "5 s" in error.reason and "429" in error.reason
    assert elapsed < 0.3
    assert site.hits["/x"] == 1


async def test_retry_after_beyond_the_cap_is_rate_limited(web_site, fast_settings):
    site = await web_site({"/x": reply(429, "", "text/plain", **{"Retry-After": "3600"})})
    async with Fetcher(fast_settings) as fetcher:
        error = await fetch_error(fetcher, Request(site.url("/x"), robots=False))
    assert error.status is Status.RATE_LIMITED
    assert "3600 s" in error.reason
    assert site.hits["/x"] == 1


async def test_repeated_429_is_rate_limited(web_site, fast_settings):
    site = await web_site({"/x": reply(429, "", "text/plain", **{"Retry-After": "0"})})
    async with Fetcher(fast_settings) as fetcher:
        error = await fetch_error(fetcher, Request(site.url("/x"), robots=False))
    assert error.status is Status.RATE_LIMITED
    assert "three times" in error.reason
    assert site.hits["/x"] == 3


# -- deadlines and slow servers


async def test_slow_server_times_out_at_the_deadline(web_site, never_answers, fast_settings):
    site = await web_site({"/slow": never_answers})
    async with Fetcher(fast_settings) as fetcher:
        start = now()
        error = await fetch_error(fetcher, Request(site.url("/slow"), robots=False), deadline=now() + 0.5)
        elapsed = now() - start
    assert error.status is Status.TIMEOUT
    assert 0.45 <= elapsed < 0.6


async def test_a_slow_attempt_is_retried_when_time_allows(web_site, never_answers, fast_settings):
    site = await web_site({"/x": in_turn(never_answers, reply(200, "quick"))})
    settings = dataclasses.replace(fast_settings, attempt_timeout=0.2)
    async with Fetcher(settings) as fetcher:
        page = await fetcher.fetch(Request(site.url("/x"), robots=False), deadline=now() + 2.0)
    assert (page.body, site.hits["/x"]) == ("quick", 2)


async def test_a_host_that_never_answers_is_paused_after_three_silences(web_site, never_answers, fast_settings):
    """A tarpit would cost every batch its whole deadline: after three requests in a row with no
    answer the host fails at once, without a request, until the pause is over."""
    site = await web_site({"/slow": never_answers})
    settings = dataclasses.replace(fast_settings, unreachable_pause=30.0)
    async with Fetcher(settings) as fetcher:
        silences = [await fetch_error(fetcher, Request(site.url("/slow"), robots=False), deadline=now() + 0.15)
                    for _ in range(3)]
        start = now()
        paused = await fetch_error(fetcher, Request(site.url("/slow"), robots=False), deadline=now() + 0.15)
        assert now() - start < 0.05
    assert [e.status for e in silences] == [Status.TIMEOUT] * 3
    assert paused.status is Status.ERROR
    assert paused.reason == f"no answer from {site.host} to 3 requests in a row; not asked again for 30 s"
    assert site.hits["/slow"] == 3


async def test_an_answer_resets_the_count_of_silences(web_site, never_answers, fast_settings):
    site = await web_site({"/x": in_turn(never_answers, never_answers, reply(500, "oops"), never_answers,
                                         never_answers, reply(200, "fine"))})
    settings = dataclasses.replace(fast_settings, max_attempts=1)
    async with Fetcher(settings) as fetcher:
        got = []
        for _ in range(6):
            try:
                got.append((await fetcher.fetch(Request(site.url("/x"), robots=False), deadline=now() + 0.15)).body)
            except FetchError as exc:
                got.append(exc.status.value)
    # two silences, an HTTP error (an answer), two more silences: never three in a row
    assert got == ["timeout", "timeout", "error", "timeout", "timeout", "fine"]
    assert site.hits["/x"] == 6


async def test_requests_cancelled_while_unanswered_count_as_silences(web_site, never_answers, fast_settings):
    """The engine cancels what is still out at its deadline; those requests heard nothing too."""
    site = await web_site({"/slow": never_answers})
    async with Fetcher(fast_settings) as fetcher:
        for _ in range(3):
            task = asyncio.ensure_future(fetcher.fetch(Request(site.url("/slow"), robots=False)))
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        error = await fetch_error(fetcher, Request(site.url("/slow"), robots=False))
    assert "to 3 requests in a row" in error.reason and site.hits["/slow"] == 3


async def test_a_passed_deadline_sends_nothing(web_site, fast_settings):
    site = await web_site({"/x": reply(200, "ok")})
    async with Fetcher(fast_settings) as fetcher:
        error = await fetch_error(fetcher, Request(site.url("/x")), deadline=now() - 0.01)
    assert error.status is Status.TIMEOUT
    assert sum(site.hits.values()) == 0


# -- broken connections and bodies


async def close_at_once(connection: int) -> None:
    return None


async def cut_short(connection: int) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n<html>only a bit"


async def garbage(connection: int) -> bytes:
    return b"\x00\xff\x13 not http at all\r\n\r\n"


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        pytest.param(close_at_once, "closed the connection", id="connection-closed"),
        pytest.param(cut_short, "cut short", id="truncated-body"),
        pytest.param(garbage, "malformed", id="garbage-reply"),
    ],
)
async def test_broken_replies_are_retried_then_error(raw_site, fast_settings, answer, words):
    site = await raw_site(answer)
    async with Fetcher(fast_settings) as fetcher:
        error = await fetch_error(fetcher, Request(site.url("/x"), robots=False))
    assert error.status is Status.ERROR
    assert words in error.reason and "three times" in error.reason
    # aiohttp itself resends an idempotent request once on a dropped connection, so up to 2 per attempt
    assert 3 <= site.connections <= 6


async def test_truncated_body_then_whole_body_succeeds(raw_site, fast_settings):
    async def answer(connection: int) -> bytes:
        if connection == 1:
            return await cut_short(connection)
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nwhole"

    site = await raw_site(answer)
    async with Fetcher(fast_settings) as fetcher:
        page = await fetcher.fetch(Request(site.url("/x"), robots=False))
    assert (page.body, site.connections) == ("whole", 2)


async def test_refused_connection_is_an_error(fast_settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with Fetcher(fast_settings) as fetcher:
        error = await fetch_error(fetcher, Request(f"http://127.0.0.1:{port}/x", robots=False))
    assert error.status is Status.ERROR
    assert "connection refused" in error.reason


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_an_unreachable_host_is_not_asked_again_for_a_while(fast_settings):
    """With no way to connect, the first request tries its attempts; the next ones fail at
    once, without waiting for the host's pace, until the pause is over."""
    port = closed_port()
    settings = dataclasses.replace(fast_settings, default_rate=2.0, unreachable_pause=0.6)
    async with Fetcher(settings) as fetcher:
        first = await fetch_error(fetcher, Request(f"http://127.0.0.1:{port}/a", robots=False))
        start = now()
        rest = await asyncio.gather(*(fetch_error(fetcher, Request(f"http://127.0.0.1:{port}/{n}", robots=False))
                                      for n in range(5)))
        assert now() - start < 0.1  # at 2 requests a second, five real tries would take 2.5 s
        assert "(connection refused) three times" in first.reason
        assert {e.reason for e in rest} == {f"{first.reason}; not asked again for 1 s"}
        assert all(e.status is Status.ERROR for e in rest)
        await asyncio.sleep(0.65)
        again = await fetch_error(fetcher, Request(f"http://127.0.0.1:{port}/b", robots=False))
        assert "not asked again" not in again.reason  # tried for real once the pause was over


async def test_pausing_one_host_leaves_the_others_alone(web_site, fast_settings):
    site = await web_site({"/x": reply(200, "fine")})
    port = closed_port()
    async with Fetcher(fast_settings) as fetcher:
        await fetch_error(fetcher, Request(f"http://127.0.0.1:{port}/a", robots=False))
        page = await fetcher.fetch(Request(site.url("/x"), robots=False))
        assert page.body == "fine"
        assert site.hits["/x"] == 1


async def test_a_name_that_does_not_resolve_pauses_its_host(fast_settings, monkeypatch):
    """A DNS failure is final at once (no retries) and pauses the host like a refused connection."""
    real = socket.getaddrinfo
    asked = []

    def no_such_host(host, *args, **kwargs):
        if host == "no-such-host.test":
            asked.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    async with Fetcher(fast_settings) as fetcher:
        first = await fetch_error(fetcher, Request("http://no-such-host.test/a", robots=False))
        second = await fetch_error(fetcher, Request("http://no-such-host.test/b", robots=False))
    assert first.reason == "cannot find the host no-such-host.test"
    assert second.reason.startswith("cannot find the host no-such-host.test; not asked again for ")
    assert len(asked) == 1


@pytest.mark.parametrize("url", ["ftp://example.com/x", "not a web address", "http:///nohost"], ids=["ftp", "words", "no-host"])
async def test_unusable_urls_are_errors(fast_settings, url):
    async with Fetcher(fast_settings) as fetcher:
        error = await fetch_error(fetcher, Request(url))
    assert error.status is Status.ERROR


# -- size cap


async def test_huge_streamed_body_is_cut_off_without_buffering_it(web_site, fast_settings):
    chunk = b"x" * 65536

    async def ten_megabytes(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})  # chunked: no Content-Length
        await resp.prepare(request)
        try:
            for _ in range(160):
                await resp.write(chunk)
        except ConnectionError:
            return resp
        return resp

    site = await web_site({"/big": ten_megabytes})
    settings = dataclasses.replace(fast_settings, max_bytes=1_000_000)
    async with Fetcher(settings) as fetcher:
        tracemalloc.start()
        try:
            error = await fetch_error(fetcher, Request(site.url("/big"), robots=False))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert (error.status, error.reason) == (Status.ERROR, "response larger than 1 MB")
    assert peak < 4_000_000  # the 10 MB never sat in memory
    assert site.hits["/big"] == 1


async def test_declared_oversize_body_is_refused_before_reading(web_site, fast_settings):
    site = await web_site({"/big": reply(200, b"y" * 200_000)})
    settings = dataclasses.replace(fast_settings, max_bytes=100_000)
    async with Fetcher(settings) as fetcher:
        error = await fetch_error(fetcher, Request(site.url("/big"), robots=False))
    assert error.reason == "response larger than 100 kB"
