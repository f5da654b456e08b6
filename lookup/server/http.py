"""HTTP plumbing shared by the server's API and page: the application key, JSON responses,
the error and access middlewares, and the helpers that read a request's fields."""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
import sqlite3
from typing import Any, Awaitable, Callable

from aiohttp import web

from lookup.server.service import MAX_TEXT, ApiError, Service, dump_json

log = logging.getLogger("whocalled.server")

SERVICE = web.AppKey("whocalled_service", Service)
TOKEN_COOKIE = "whocalled_token"
MAX_BODY = 64 * 1024
JSON_TYPE = "application/json"
MAX_NESTING = 32  # arrays and objects in a request body; the API's bodies use one
_JSON_SPECIAL = re.compile(r'["\\\[\]{}]')
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
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            log.exception("internal error on %s %s", request.method, request.path)
            return json_error(500, "internal error (details are in the server log)")
        log.warning("%s %s: the database stayed busy (%s)", request.method, request.path, exc)
        return json_error(503, "the database is busy (an import?); try again in a few seconds", {"Retry-After": "5"})
    except Exception:
        log.exception("internal error on %s %s", request.method, request.path)
        return json_error(500, "internal error (details are in the server log)")


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """SQLite's "database is locked" / "database is busy": another connection kept the write lock
    past the busy timeout. Nothing is wrong but the timing."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


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
        text = await request.text()
    except (UnicodeDecodeError, LookupError):
        raise ApiError(400, "the body is not valid JSON") from None
    if nesting_of(text) > MAX_NESTING:
        raise ApiError(400, f"the body is nested more than {MAX_NESTING} levels deep")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    return data


def nesting_of(text: str) -> int:
    """How deep the arrays and objects of a JSON text go, counted without parsing it (stopping
    past ``MAX_NESTING``): the parser recurses once per level, and a hostile body of 30,000
    brackets must not reach it. Brackets inside strings do not count."""
    depth = deepest = 0
    in_string, escaped_at = False, -1
    for match in _JSON_SPECIAL.finditer(text):
        ch, at = match.group(), match.start()
        if in_string:
            if at == escaped_at:
                continue
            if ch == "\\":
                escaped_at = at + 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_NESTING:
                    break
        else:
            depth -= 1
    return deepest


def is_same_origin(origin: str, host: str | None) -> bool:
    scheme, _, rest = origin.partition("://")
    return scheme in ("http", "https") and bool(host) and rest.rstrip("/").lower() == (host or "").lower()


def text_field(data: dict[str, Any], name: str, *, required: bool = False, limit: int = MAX_TEXT) -> str | None:
    """A string field of a JSON body, at most ``limit`` characters; ``None`` when absent or
    empty; ApiError(400) naming the field otherwise."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(400, f'"{name}" is required')
        return None
    if not isinstance(value, str):
        raise ApiError(400, f'"{name}" must be a string')
    if len(value) > limit:
        raise ApiError(400, f'"{name}" is longer than {limit} characters')
    return value.strip() or None


def flag_field(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise ApiError(400, f'"{name}" must be true or false')
    return value


def body_region(data: dict[str, Any], default: str) -> str:
    return parse_region(text_field(data, "region")) or default


def parse_region(raw: str | None, name: str = "region") -> str | None:
    """A two-letter region code from a client, upper-cased; None when not given."""
    if not raw:
        return None
    from lookup.regions import REGION_NAMES

    region = raw.strip().upper()
    if region not in REGION_NAMES:
        raise ApiError(400, f"{name} must be a two-letter country code such as US or GB, not {raw[:20]!r}")
    return region
