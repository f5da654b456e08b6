"""The community API's handlers and the checks every request passes (token, rate, body)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from aiohttp import web

from db.community import CommunityError, CommunityStore, Member
from lookup.models import Category
from lookup.server.community.limits import AuthCache, RateLimiter
from lookup.server.community.readmodel import ReadModel
from lookup.server.http import HTTP_MESSAGES, Handler, json_body, json_error, text_field
from lookup.server.service import ApiError, dump_json
from lookup.text import clean_text

log = logging.getLogger("whocalled.community")

STORE = web.AppKey("community_store", CommunityStore)
LIMITER = web.AppKey("community_limiter", RateLimiter)
AUTH = web.AppKey("community_auth", AuthCache)
MODEL = web.AppKey("community_model", ReadModel)
# web.RequestKey came with aiohttp 3.12; a plain string key before that
MEMBER = getattr(web, "RequestKey", lambda name, _: name)("community_member", Member)
MAX_BODY = 16 * 1024
MAX_NOTE = 500
PREFIX = "/api/v1/community"
# One encoder for the check's answers (json.dumps with options builds a new one per call).
encode_json = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


@web.middleware
async def handle_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure is a JSON error; input never causes a 500 or a traceback."""
    try:
        return await handler(request)
    except ApiError as exc:
        return json_error(exc.status, exc.message, exc.headers)
    except CommunityError as exc:
        return json_error(400, str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.status == 413:  # too large is bad input like any other
            return json_error(400, f"request body too large (at most {MAX_BODY // 1024} KiB)")
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return json_error(exc.status, HTTP_MESSAGES.get(exc.status, exc.reason), allow)
    except Exception as exc:
        if is_database_down(exc):
            log.error("database unavailable on %s %s: %s", request.method, request.path, exc)
            return json_error(503, "the community database is unavailable; try again shortly", {"Retry-After": "5"})
        log.exception("internal error on %s %s", request.method, request.path)
        return json_error(500, "internal error (details are in the server log)")


def is_database_down(exc: Exception) -> bool:
    kinds = {k.__name__ for k in type(exc).__mro__}
    return bool(kinds & {"OperationalError", "InterfaceError"})


@web.middleware
async def check_member(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A member's bearer token on every request, then the member's rate."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not token:
        raise ApiError(401, "send your member token as 'Authorization: Bearer TOKEN'",
                       headers={"WWW-Authenticate": 'Bearer realm="whocalled community"'})
    now = time.monotonic()
    cache = request.app[AUTH]
    known, member = cache.get(token, now)
    if not known:
        member = request.app[STORE].member_for_token(token)
        cache.put(token, member, now)
    if member is None:
        raise ApiError(401, "unknown or revoked member token",
                       headers={"WWW-Authenticate": 'Bearer realm="whocalled community", error="invalid_token"'})
    wait = request.app[LIMITER].wait_for(member.id, now)
    if wait:
        raise ApiError(429, "too many requests for this member token; slow down",
                       headers={"Retry-After": str(max(1, round(wait + 0.5)))})
    request[MEMBER] = member
    return await handler(request)


async def read_vote(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise ApiError(400, "send a JSON object with Content-Type: application/json")
    body = await request.read()
    try:
        data = json.loads(body)
    except RecursionError:  # thousands of nested brackets: fits in the size limit, not in a parser
        raise ApiError(400, "the body is nested too deeply for a vote") from None
    except ValueError:
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    return data


def string_field(data: dict[str, Any], name: str, limit: int, *, required: bool = False) -> str | None:
    """:func:`lookup.server.http.text_field`, cleaned: a vote's text is kept and shared."""
    return clean_text(text_field(data, name, required=required, limit=limit), limit) or None


def parse_e164(raw: str) -> str:
    """A number in international form (``+`` and country code), as E.164."""
    from lookup.models import NumberKind
    from lookup.numbers import NumberError, normalize_number

    if not raw.startswith("+"):
        raise ApiError(400, '"number" must be in international form, starting with + and the country code')
    try:
        number = normalize_number(raw, "US", details=False)
    except NumberError as exc:
        raise ApiError(400, f'"number": {exc}') from None
    if number.kind is not NumberKind.NUMBER or not number.e164:
        raise ApiError(400, '"number" is not a callable phone number')
    return number.e164


async def post_vote(request: web.Request) -> web.Response:
    data = await read_vote(request)
    unknown = sorted(set(data) - {"number", "verdict", "category", "note"})
    if unknown:
        raise ApiError(400, f"unknown field {unknown[0][:40]!r} (a vote has number, verdict, category, note)")
    e164 = parse_e164(string_field(data, "number", 40, required=True) or "")
    verdict = string_field(data, "verdict", 10, required=True)
    if verdict not in ("spam", "legit"):
        raise ApiError(400, '"verdict" must be "spam" or "legit"')
    category = string_field(data, "category", 30)
    if category is not None and category not in {c.value for c in Category}:
        raise ApiError(400, f'"category" must be one of {", ".join(c.value for c in Category)}')
    note = string_field(data, "note", MAX_NOTE)
    member: Member = request[MEMBER]
    store = request.app[STORE]
    tally = store.cast_vote(member, e164, verdict, category, note)
    model = request.app.get(MODEL)
    if model is not None:  # this process's own votes show in its checks at once
        model.refresh(store)
    return json_body(dump_json({"number": e164, "verdict": verdict, "listed": tally.listed,
                                "spam": tally.spam_voters, "legit": tally.legit_voters}), 201)


async def get_check(request: web.Request) -> web.Response:
    prefix = request.match_info["prefix"]
    store = request.app[STORE]
    model = request.app.get(MODEL)
    rule = store.rule
    head = {"prefix": prefix, "min_voters": rule.min_voters, "half_life_days": rule.half_life_days}
    if model is not None:  # the array written directly from memory
        numbers = model.check_json(prefix)
        return json_body(f'{encode_json(head)[:-1]},"numbers":{numbers}}}'.encode("utf-8"))
    body = {**head, "numbers": [t.to_json() for t in store.check_range(prefix)]}
    return json_body(encode_json(body).encode("utf-8"))


async def get_list(request: web.Request) -> web.Response:
    raw = request.query.get("since", "0") if request.query_string else "0"
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ApiError(400, '"since" must be a list version: a whole number, 0 for the whole list')
    since = int(raw)
    store = request.app[STORE]
    full = since == 0 or since > store.list_version()  # a version from the future: start over
    changes = store.changes_since(0 if full else since)
    return json_body(dump_json({**changes.to_json(), "full": full}))


def add_routes(app: web.Application) -> None:
    app.router.add_post(f"{PREFIX}/votes", post_vote)
    app.router.add_get(PREFIX + "/check/{prefix}", get_check)
    app.router.add_get(f"{PREFIX}/list", get_list)
