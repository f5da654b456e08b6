"""The JSON API for PBXs and phones: lookup, screen, CNAM, and the block / allow / report writes."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from lookup.numbers import NumberError
from lookup.results import LookupResult
from lookup.stir import Attestation, CallInfoError, attestation_evidence, find_verstat, read_attestation, with_call_evidence
from lookup.text import clean_text
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


def call_attestation(request: web.Request) -> Attestation | None:
    """STIR/SHAKEN as the PBX passed it on: ``verstat=`` (``TN-Validation-Passed-A``, ...) and
    ``attest=A|B|C``, or the raw P-Asserted-Identity / From header as ``pai=`` (its verstat is
    found as a URI parameter or in the user part). Raises :class:`ApiError` 400 for bad values."""
    query = request.query
    verstat = clean_text(query.get("verstat"), 80) or None
    pai = clean_text(query.get("pai"), 400)
    if verstat is None and pai:
        verstat = find_verstat(pai)
    try:
        return read_attestation(verstat, clean_text(query.get("attest"), 20) or None)
    except CallInfoError as exc:
        raise ApiError(400, str(exc)) from exc


def judged_with_call(result: LookupResult, att: Attestation | None, request: web.Request) -> LookupResult:
    if att is None or result.verdict is None:
        return result
    verdict = with_call_evidence(result.verdict, [attestation_evidence(att)], request.app[SERVICE].settings)
    return replace(result, verdict=verdict)


async def get_screen(request: web.Request) -> web.Response:
    """JSON, or with ``?format=text`` just the action word for dialplans that cannot parse JSON
    (and a refusal as ``error: ...`` in plain text too)."""
    as_text = bool(request.query_string) and request.query.get("format") == "text"
    try:
        att = call_attestation(request)
        answer, complete = await screen_deadline_answer(request)
        decision = screen_answer(judged_with_call(answer.result, att, request), complete)
        if att is not None:
            decision["attestation"] = att.to_json()
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
        att = call_attestation(request)
        answer, _ = await screen_deadline_answer(request)
    except (NumberError, ApiError):
        return web.Response(status=400, text="", content_type="text/plain")
    result = judged_with_call(answer.result, att, request)
    text = cnam_text(result, request.app[SERVICE].settings.cnam_spam_prefix)
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
