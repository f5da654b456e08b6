"""The JSON API for PBXs and phones: lookup, screen, CNAM, and the block / allow / report writes."""

from __future__ import annotations

from dataclasses import dataclass, replace

from aiohttp import web

from lookup.callinfo import Identity, clean_name, identity_evidence, name_evidence, read_identity
from lookup.models import Evidence, ListKind
from lookup.numbers import NumberError
from lookup.results import LookupResult, listing_entries
from lookup.stir import (
    Attestation, CallInfoError, attestation_evidence, find_verstat, read_attestation, verstat_of_result, with_call_evidence,
)
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
from lookup.server.screen import cnam_text, screen_answer
from lookup.server.service import LOOKUP_GRACE, Answer, ApiError, dump_json

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


def made_key(request: web.Request, kind: str) -> tuple:
    """What a screen or CNAM body depends on besides the store: the endpoint, the number as
    sent and every query parameter (region, verstat, attest, pai, name, format, ...) but the token."""
    params = tuple(sorted((k, v) for k, v in request.query.items() if k != "token")) if request.query_string else ()
    return kind, request.match_info["number"], params


async def screen_deadline_answer(request: web.Request) -> tuple[Answer, bool]:
    service = request.app[SERVICE]
    raw = request.match_info["number"]
    region = region_of(request, service.settings.region)
    budget = service.settings.screen_deadline
    return await service.resolve(raw, region, max(budget - min(0.2, budget / 4), 0.01))


def call_attestation(request: web.Request) -> Attestation | None:
    """STIR/SHAKEN as the PBX passed it on: ``verstat=`` (``TN-Validation-Passed-A``, ...) and
    ``attest=A|B|C``, or the raw P-Asserted-Identity / From header as ``pai=`` (its verstat is
    found as a URI parameter or in the user part), or Asterisk's ``verify_result`` as ``verify=``
    (the carrier's verstat outranks it). Raises :class:`ApiError` 400 for bad values."""
    query = request.query
    verstat = clean_text(query.get("verstat"), 80) or None
    pai = clean_text(query.get("pai"), 400)
    verify = clean_text(query.get("verify"), 60)
    try:
        if verstat is None and pai:
            verstat = find_verstat(pai)
        if verstat is None and verify:
            verstat = verstat_of_result(verify)
        return read_attestation(verstat, clean_text(query.get("attest"), 20) or None)
    except CallInfoError as exc:
        raise ApiError(400, str(exc)) from exc


@dataclass(frozen=True)
class CallInfo:
    """What the PBX passed on about the call besides its number."""

    attestation: Attestation | None = None
    name: str | None = None  # the caller name the trunk sent (CNAM), cleaned
    identity: Identity | None = None  # the Identity header's claims, unverified

    def add_to(self, decision: dict) -> None:
        """Add what was passed on to a screen's JSON ``decision``."""
        if self.attestation is not None:
            decision["attestation"] = self.attestation.to_json()
        if self.name is not None:
            decision["name_sent"] = self.name
        if self.identity is not None:
            decision["identity"] = self.identity.to_json()


def call_info(request: web.Request) -> CallInfo:
    """The attestation (see :func:`call_attestation`), ``name=`` (the CNAM the trunk sent) and
    ``identity=`` (the raw SIP Identity header). Raises :class:`ApiError` 400 for bad values."""
    query = request.query
    raw_identity = query.get("identity")  # long: read_identity refuses more than IDENTITY_LIMIT
    return CallInfo(
        call_attestation(request),
        clean_name(query.get("name")),
        read_identity(raw_identity) if raw_identity and raw_identity.strip() else None,
    )


def known_names(result: LookupResult) -> list[tuple[str, str]]:
    """``(whose, name)`` of the names known for the number: the contact's, then the listings'."""
    known = []
    if result.history is not None and result.history.contact_name:
        known.append(("your contact", result.history.contact_name))
    known += [("your contact", e.reason) for e in result.lists
              if e.kind is ListKind.ALLOW and e.origin == "contacts" and e.reason]
    known += [("the listing", str(e["name"])) for e in listing_entries(result.findings) if e.get("name")]
    return known


def judged_with_call(result: LookupResult, info: CallInfo, request: web.Request) -> LookupResult:
    if result.verdict is None:
        return result
    service = request.app[SERVICE]
    extra: list[Evidence] = []
    if info.attestation is not None:
        extra.append(attestation_evidence(info.attestation))
    if info.identity is not None:
        e164 = result.number.e164 if result.number is not None else None
        extra += identity_evidence(info.identity, e164, outranked=bool(info.attestation and info.attestation.verstat))
    if info.name is not None:
        extra += name_evidence(info.name, service.lists.names, known_names(result))
    if not extra:
        return result
    return replace(result, verdict=with_call_evidence(result.verdict, extra, service.settings))


async def get_screen(request: web.Request) -> web.Response:
    """JSON, or with ``?format=text`` just the action word for dialplans that cannot parse JSON
    (and a refusal as ``error: ...`` in plain text too)."""
    as_text = bool(request.query_string) and request.query.get("format") == "text"
    key = made_key(request, "screen")
    made = await request.app[SERVICE].cached_made(key)
    if made is not None:
        return screen_response(made.body, as_text)
    try:
        info = call_info(request)
        answer, complete = await screen_deadline_answer(request)
        result = judged_with_call(answer.result, info, request)
        decision = screen_answer(result, complete)
        info.add_to(decision)
        decision["reasons"] = [{"signal": e.signal, "detail": e.detail, "source": e.source, "weight": e.weight}
                               for e in (result.verdict.evidence if result.verdict is not None else ())]
    except NumberError as exc:
        error = ApiError(400, str(exc))
    except ApiError as exc:
        error = exc
    else:
        body = decision["action"].encode() if as_text else dump_json(decision)
        if complete:
            service = request.app[SERVICE]
            service.keep_made(key, request.match_info["number"], region_of(request, service.settings.region),
                              answer, body)
        return screen_response(body, as_text)
    if as_text:
        return web.Response(status=error.status, text=f"error: {error.message}", content_type="text/plain")
    raise error


def screen_response(body: bytes, as_text: bool) -> web.Response:
    if as_text:
        return web.Response(body=body, content_type="text/plain", charset="utf-8")
    return json_body(body)


async def get_cnam(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    key = made_key(request, "cnam")
    made = await service.cached_made(key)
    if made is not None:
        return web.Response(body=made.body, content_type="text/plain", charset="utf-8")
    try:
        info = call_info(request)
        answer, complete = await screen_deadline_answer(request)
    except (NumberError, ApiError):
        return web.Response(status=400, text="", content_type="text/plain")
    result = judged_with_call(answer.result, info, request)
    body = cnam_text(result, service.settings.cnam_spam_prefix, info.name).encode("utf-8")
    if complete:
        service.keep_made(key, request.match_info["number"], region_of(request, service.settings.region), answer, body)
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


async def post_block(request: web.Request) -> web.Response:
    """``{"number": ...}`` blocks a number or prefix; ``{"name": "*WARRANTY*"}`` a caller-name
    pattern (as ``whocalled block --name``); one of the two."""
    service = request.app[SERVICE]
    data = await read_object(request)
    name = text_field(data, "name")
    if name is not None:
        if data.get("number") not in (None, ""):
            raise ApiError(400, 'send "number" or "name", not both')
        out = await service.block_name(name, text_field(data, "reason"), force=flag_field(data, "force"))
        return json_body(dump_json(out))
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
