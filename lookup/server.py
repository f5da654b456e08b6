"""``whocalled serve``: a JSON API for PBXs and phones, a CNAM text endpoint, and one HTML page.

Endpoints (all GET unless said; with a token set, every request needs
``Authorization: Bearer TOKEN`` or ``?token=TOKEN``):

- ``/api/v1/lookup/{number}?region=``: the object ``whocalled lookup --json`` prints.
  Cached answers at once, otherwise within the lookup deadline; concurrent requests
  for one number share one lookup.
- ``/api/v1/screen/{number}``: ``{"action": "allow"|"warn"|"block", "verdict", "reason",
  "name", ...}`` within ``screen_deadline`` (default 2 s) from what is known by then;
  ``?format=text`` gives the action word alone. Withheld callers get ``warn``.
- ``/cnam/{number}``: ``text/plain`` caller name for Asterisk ``CURL()`` and FreePBX
  Superfecta, prefixed with ``cnam_spam_prefix`` ("SPAM: ") for likely spam. A number
  that cannot be parsed gives an empty 400 so the dialplan keeps the name it has.
- ``/api/v1/blocklist.{fmt}?national=REGION``: the block list in any export format,
  with a strong ``ETag`` (a hash of the content) and ``304`` on ``If-None-Match``.
- POST ``/api/v1/block``, ``/api/v1/allow``, ``/api/v1/report``: JSON bodies
  ``{"number", "reason", "force"}`` / ``{"number", "reason"}`` /
  ``{"number", "category", "note", "at"}``; blocking your own or an allowlisted number
  needs ``"force": true`` (409 otherwise).
- ``/``: the household page (see :mod:`lookup.server_pages`).

Errors are JSON ``{"error": "..."}``: 400 bad input, 401 token, 403 foreign Host or
cross-site form, 404 unknown path, 409 protected number, 500 (logged, never a traceback).

Without a token the server only listens on loopback and only answers requests whose
``Host`` is a loopback name, which stops DNS-rebinding pages from reaching it.
The store is synchronous SQLite: its reads and writes run inline in the event loop,
which is fine for a household or a small PBX (see bench/bench_server.py).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from typing import Any, Awaitable, Callable

from aiohttp import web

from db.store import Store
from lookup.numbers import NumberError
from lookup.server_core import (
    LOOKUP_GRACE,
    MAX_TEXT,
    Answer,
    ApiError,
    LookupEngine,
    Service,
    cnam_text,
    dump_json,
    parse_region,
    screen_answer,
)
from lookup.settings import Settings

log = logging.getLogger("whocalled.server")

SERVICE = web.AppKey("whocalled_service", Service)
TOKEN_COOKIE = "whocalled_token"
MAX_BODY = 64 * 1024
JSON_TYPE = "application/json"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# ---------------------------------------------------------------- responses and middleware


def json_body(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=body, status=status, content_type=JSON_TYPE, charset="utf-8", headers=headers)


def json_error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return json_body(dump_json({"error": message}), status, headers)


HTTP_MESSAGES = {404: "no such endpoint", 405: "method not allowed", 413: "request body too large"}


@web.middleware
async def handle_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure becomes a JSON error; unexpected ones are logged and answered generically."""
    try:
        return await handler(request)
    except ApiError as exc:
        return json_error(exc.status, exc.message, exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return json_error(exc.status, HTTP_MESSAGES.get(exc.status, exc.reason), allow)
    except Exception:
        log.exception("internal error on %s %s", request.method, request.path)
        return json_error(500, "internal error (details are in the server log)")


@web.middleware
async def check_access(request: web.Request, handler: Handler) -> web.StreamResponse:
    """With a token: Bearer header, ``?token=`` or the page's cookie. Without: loopback Host only."""
    service = request.app[SERVICE]
    if service.token is not None:
        if not is_authorized(request, service.token):
            raise ApiError(401, "missing or wrong token", headers={"WWW-Authenticate": 'Bearer realm="whocalled"'})
    elif not is_loopback_host(request.host):
        raise ApiError(403, "this server answers loopback requests only; set a token to serve other hosts")
    return await handler(request)


def is_authorized(request: web.Request, token: str) -> bool:
    expected = token.encode()
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer " and hmac.compare_digest(header[7:].strip().encode(), expected):
        return True
    if request.query_string and hmac.compare_digest(request.query.get("token", "").encode(), expected):
        return True
    return hmac.compare_digest(request.cookies.get(TOKEN_COOKIE, "").encode(), expected)


_HOSTS: dict[str, bool] = {}


def is_loopback_host(host: str | None) -> bool:
    """``localhost``, ``127.0.0.1:8787``, ``[::1]:8787`` and the like (no Host header counts as local)."""
    if not host:
        return True
    known = _HOSTS.get(host)
    if known is not None:
        return known
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 or host.startswith("[") else host
    name = name.strip("[]").rstrip(".").lower()
    result = is_loopback_address(name)
    if len(_HOSTS) < 256:
        _HOSTS[host] = result
    return result


def is_loopback_address(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------- request helpers


def region_of(request: web.Request, default: str) -> str:
    if not request.query_string:
        return default
    return parse_region(request.query.get("region")) or default


async def read_object(request: web.Request) -> dict[str, Any]:
    """The JSON object in the body. Requiring ``application/json`` makes a cross-site page's
    request need a CORS preflight, which this server never grants."""
    if request.content_type != JSON_TYPE:
        raise ApiError(415, "send a JSON object with Content-Type: application/json")
    origin = request.headers.get("Origin")
    if origin is not None and not is_same_origin(origin, request.host):
        raise ApiError(403, "cross-site requests are not accepted")
    try:
        data = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    return data


def is_same_origin(origin: str, host: str | None) -> bool:
    scheme, _, rest = origin.partition("://")
    return scheme in ("http", "https") and bool(host) and rest.rstrip("/").lower() == (host or "").lower()


def text_field(data: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(400, f'"{name}" is required')
        return None
    if not isinstance(value, str):
        raise ApiError(400, f'"{name}" must be a string')
    if len(value) > MAX_TEXT:
        raise ApiError(400, f'"{name}" is longer than {MAX_TEXT} characters')
    return value.strip() or None


def flag_field(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise ApiError(400, f'"{name}" must be true or false')
    return value


def body_region(data: dict[str, Any], default: str) -> str:
    return parse_region(text_field(data, "region")) or default


# ---------------------------------------------------------------- API handlers


async def get_lookup(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    raw = request.match_info["number"]
    region = region_of(request, service.settings.region)
    answer = service.cached(raw, region)
    if answer is not None:
        return json_body(answer.body)
    try:
        answer, complete = await service.resolve(raw, region, service.settings.deadline + LOOKUP_GRACE)
    except NumberError as exc:
        return json_body(dump_json({"input": raw, "error": str(exc)}), 400)
    return json_body(answer.body, headers=None if complete else {"X-Whocalled-Complete": "false"})


async def screen_deadline_answer(request: web.Request) -> tuple[Answer, bool]:
    service = request.app[SERVICE]
    raw = request.match_info["number"]
    region = region_of(request, service.settings.region)
    budget = service.settings.screen_deadline
    return await service.resolve(raw, region, max(budget - min(0.2, budget / 4), 0.01))


async def get_screen(request: web.Request) -> web.Response:
    """JSON, or with ``?format=text`` just the action word for dialplans that cannot parse JSON."""
    try:
        answer, complete = await screen_deadline_answer(request)
    except NumberError as exc:
        raise ApiError(400, str(exc)) from None
    decision = screen_answer(answer.result, complete)
    if request.query_string and request.query.get("format") == "text":
        return web.Response(text=decision["action"], content_type="text/plain")
    return json_body(dump_json(decision))


async def get_cnam(request: web.Request) -> web.Response:
    try:
        answer, _ = await screen_deadline_answer(request)
    except NumberError:
        return web.Response(status=400, text="", content_type="text/plain")
    text = cnam_text(answer.result, request.app[SERVICE].settings.cnam_spam_prefix)
    return web.Response(text=text, content_type="text/plain", charset="utf-8")


async def post_block(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    data = await read_object(request)
    out = service.block(
        text_field(data, "number", required=True) or "",
        text_field(data, "reason"),
        force=flag_field(data, "force"),
        region=body_region(data, service.settings.region),
    )
    return json_body(dump_json(out))


async def post_allow(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    data = await read_object(request)
    out = service.allow(
        text_field(data, "number", required=True) or "",
        text_field(data, "reason"),
        region=body_region(data, service.settings.region),
    )
    return json_body(dump_json(out))


async def post_report(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    data = await read_object(request)
    out = service.report(
        text_field(data, "number", required=True) or "",
        text_field(data, "category"),
        text_field(data, "note"),
        text_field(data, "at"),
        region=body_region(data, service.settings.region),
    )
    return json_body(dump_json(out), 201)


# ---------------------------------------------------------------- the application


def create_app(
    settings: Settings, store: Store, engine: LookupEngine | None = None, *, token: str | None = None
) -> web.Application:
    """The aiohttp application. ``engine`` defaults to one over the configured sources;
    ``token`` defaults to ``settings.server_token`` (no token: loopback requests only)."""
    from lookup import server_blocklist, server_pages

    if engine is None:
        from lookup.engine import Engine
        from scrapers.registry import load_sources

        engine = Engine(store=store, settings=settings, sources=load_sources(settings))
    service = Service(settings=settings, store=store, engine=engine, token=token or settings.server_token or None)
    app = web.Application(middlewares=[handle_errors, check_access], client_max_size=MAX_BODY)
    app[SERVICE] = service
    number = "{number:[^/]*}"
    app.router.add_get(f"/api/v1/lookup/{number}", get_lookup)
    app.router.add_get(f"/api/v1/screen/{number}", get_screen)
    app.router.add_get(f"/cnam/{number}", get_cnam)
    app.router.add_post("/api/v1/block", post_block)
    app.router.add_post("/api/v1/allow", post_allow)
    app.router.add_post("/api/v1/report", post_report)
    server_blocklist.add_routes(app)
    server_pages.add_routes(app)

    async def open_session(_: web.Application) -> None:
        opener = getattr(engine, "open_session", None)
        if opener is not None:
            await opener()

    async def close_service(_: web.Application) -> None:
        await service.close()
        closer = getattr(engine, "close_session", None)
        if closer is not None:
            await closer()

    app.on_startup.append(open_session)

    app.on_cleanup.append(close_service)
    return app


def run_server(settings: Settings, *, host: str = "127.0.0.1", port: int = 8787, token: str | None = None) -> None:
    """Serve until interrupted. Refuses (ValueError) a non-loopback ``host`` without a token."""
    token = token or settings.server_token or None
    if not is_loopback_address(host.strip("[]").lower()) and not token:
        raise ValueError(f"refusing to listen on {host} without a token: pass --token or set [server] token in the config")
    store = Store(settings.db_path or ":memory:")
    app = create_app(settings, store, token=token)

    async def close_store(_: web.Application) -> None:
        store.close()

    app.on_cleanup.append(close_store)
    shown = f"[{host}]" if ":" in host else host
    web.run_app(
        app,
        host=host,
        port=port,
        print=lambda _: print(f"whocalled: serving on http://{shown}:{port}/ (Ctrl-C to stop)", flush=True),
    )
