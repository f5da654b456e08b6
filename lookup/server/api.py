"""The JSON API for PBXs and phones: lookup, screen, CNAM, and the block / allow / report writes."""

from __future__ import annotations

from aiohttp import web

from lookup.numbers import NumberError
from lookup.server.http import (
    SERVICE,
    body_region,
    flag_field,
    json_body,
    read_object,
    region_of,
    text_field,
)
from lookup.server.service import LOOKUP_GRACE, Answer, ApiError, cnam_text, dump_json, screen_answer

# ---------------------------------------------------------------- API handlers


async def get_lookup(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    raw = request.match_info["number"]
    region = region_of(request, service.settings.region)
    answer = await service.cached(raw, region)
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
    """JSON, or with ``?format=text`` just the action word for dialplans that cannot parse JSON
    (and a refusal as ``error: ...`` in plain text too)."""
    as_text = bool(request.query_string) and request.query.get("format") == "text"
    try:
        answer, complete = await screen_deadline_answer(request)
        decision = screen_answer(answer.result, complete)
    except NumberError as exc:
        error = ApiError(400, str(exc))
    except ApiError as exc:
        error = exc
    else:
        if as_text:
            return web.Response(text=decision["action"], content_type="text/plain")
        return json_body(dump_json(decision))
    if as_text:
        return web.Response(status=error.status, text=f"error: {error.message}", content_type="text/plain")
    raise error


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
    out = await service.block(
        text_field(data, "number", required=True) or "",
        text_field(data, "reason"),
        force=flag_field(data, "force"),
        region=body_region(data, service.settings.region),
    )
    return json_body(dump_json(out))


async def post_allow(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    data = await read_object(request)
    out = await service.allow(
        text_field(data, "number", required=True) or "",
        text_field(data, "reason"),
        region=body_region(data, service.settings.region),
    )
    return json_body(dump_json(out))


async def post_report(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    data = await read_object(request)
    out = await service.report(
        text_field(data, "number", required=True) or "",
        text_field(data, "category"),
        text_field(data, "note"),
        text_field(data, "at"),
        region=body_region(data, service.settings.region),
    )
    return json_body(dump_json(out), 201)


def add_routes(app: web.Application) -> None:
    number = "{number:[^/]*}"
    app.router.add_get(f"/api/v1/lookup/{number}", get_lookup)
    app.router.add_get(f"/api/v1/screen/{number}", get_screen)
    app.router.add_get(f"/cnam/{number}", get_cnam)
    app.router.add_post("/api/v1/block", post_block)
    app.router.add_post("/api/v1/allow", post_allow)
    app.router.add_post("/api/v1/report", post_report)
