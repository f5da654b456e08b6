"""The household page at ``/``: a number box, the verdict and why, what people say, the latest
silent missed calls, and buttons to block, allow and report.

Server-rendered HTML with one small stylesheet, no scripts and no external assets.
Every value that came from outside (input, caller names, comments, reasons) goes
through ``html.escape``, and the Content-Security-Policy forbids scripts besides.
Writes are POST forms carrying a per-process random token and are refused (403)
without it or when the browser says they came from another origin. When the server
has an access token, opening the page once with ``?token=`` stores it in a
SameSite=Strict cookie so the forms and later visits work without it in the URL.
"""

from __future__ import annotations

import hmac
from html import escape
from pathlib import Path
from typing import Any, Iterable, Sequence

from aiohttp import web
from yarl import URL

from lookup.results import LookupResult, caller_name, listing_entries
from lookup.models import Category, Comment, Level, Status
from lookup.numbers import NumberError
from lookup.describe import LEVEL_WORDS, STATUS_WORDS, headline
from lookup.server.http import SERVICE, TOKEN_COOKIE, is_same_origin
from lookup.server.service import LOOKUP_GRACE, ApiError, Service

STYLE = (Path(__file__).parent / "static" / "style.css").read_bytes()
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
DONE = {"block": "Blocked {n}.", "allow": "Allowed {n}: it will never be flagged.", "report": "Your report about {n} is recorded."}
PROBLEMS = {
    "protected": "Not blocked: {n} is your own number or on your allowlist. Tick “even if protected” to block it anyway.",
    "bad": "{n} is not a number that can be listed or reported.",
}
COMMENTS_SHOWN = 10
CALLS_SHOWN = 15


def esc(value: object) -> str:
    return escape(str(value), quote=True)


# ---------------------------------------------------------------- handlers


async def get_index(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    query = request.query
    raw = query.get("n", "").strip()
    result: LookupResult | None = None
    complete, problem = True, None
    if raw:
        try:
            answer, complete = await service.resolve(raw, service.settings.region, service.settings.deadline + LOOKUP_GRACE)
            result = answer.result
        except NumberError as exc:
            problem = str(exc)
    number = result.number if result else None
    comments = await service.db(service.store.comments_for, number.e164, COMMENTS_SHOWN) if number and number.e164 else []
    notice = ""
    if query.get("done") in DONE:
        notice = DONE[query["done"]].format(n=esc(raw))
    elif query.get("error") in PROBLEMS:
        problem = PROBLEMS[query["error"]].format(n=raw)
    body = render_page(
        raw=raw,
        csrf=service.csrf,
        result=result,
        complete=complete,
        comments=comments,
        calls=await service.db(silent_calls, service),
        notice=notice,
        problem=problem,
        tz=service.settings.timezone,
    )
    response = web.Response(text=body, content_type="text/html", charset="utf-8", headers=PAGE_HEADERS)
    if service.token and request.cookies.get(TOKEN_COOKIE) != service.token:
        response.set_cookie(TOKEN_COOKIE, service.token, httponly=True, samesite="Strict", path="/", max_age=30 * 86400)
    return response


async def post_action(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    action = request.match_info["action"]
    form = await request.post()
    check_form(request, form, service.csrf)
    raw = form_text(form, "number")
    try:
        if action == "block":
            await service.block(raw, form_text(form, "reason") or None, force=bool(form.get("force")))
        elif action == "allow":
            await service.allow(raw, form_text(form, "reason") or None)
        else:
            await service.report(raw, form_text(form, "category") or None, form_text(form, "note") or None, None)
    except ApiError as exc:
        code = "protected" if exc.status == 409 else "bad"
        raise web.HTTPSeeOther(location=str(URL("/").with_query(n=raw, error=code))) from None
    raise web.HTTPSeeOther(location=str(URL("/").with_query(n=raw, done=action)))


def form_text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value.strip()[:500] if isinstance(value, str) else ""


def check_form(request: web.Request, form: Any, csrf: str) -> None:
    """The form must carry this process's token and, where the browser says, come from our origin."""
    sent = form.get("csrf")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), csrf.encode()):
        raise ApiError(403, "the form is out of date or came from another site; reload the page and try again")
    origin = request.headers.get("Origin")
    if origin is None and request.headers.get("Referer"):
        ref = URL(request.headers["Referer"])
        origin = f"{ref.scheme}://{ref.raw_authority}"
    if origin is not None and not is_same_origin(origin, request.host):
        raise ApiError(403, "cross-site form posts are not accepted")


async def get_style(request: web.Request) -> web.Response:
    return web.Response(body=STYLE, content_type="text/css", charset="utf-8", headers={"Cache-Control": "max-age=3600"})


async def get_favicon(request: web.Request) -> web.Response:
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", get_index)
    app.router.add_get("/static/style.css", get_style)
    app.router.add_get("/favicon.ico", get_favicon)
    app.router.add_post("/ui/{action:block|allow|report}", post_action)


def silent_calls(service: Service) -> list[tuple[str | None, str, str | None, LookupResult | None]]:
    """The latest silent missed calls with what the store says about each caller (offline).
    Runs on the database thread."""
    rows = service.store.recent_silent_calls(CALLS_SHOWN)
    keys = list(dict.fromkeys(e164 for e164, _, _ in rows if e164))
    results = {r.number.e164: r for r in service.engine.lookup_offline(keys) if r.number} if keys else {}
    return [(e164, at, name, results.get(e164) if e164 else None) for e164, at, name in rows]


# ---------------------------------------------------------------- rendering


def render_page(
    *,
    raw: str,
    csrf: str,
    result: LookupResult | None,
    complete: bool,
    comments: Sequence[Comment],
    calls: Sequence[tuple[str | None, str, str | None, LookupResult | None]],
    notice: str,
    problem: str | None,
    tz: str | None = None,
) -> str:
    parts = [
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<title>whocalled</title><link rel="stylesheet" href="/static/style.css"></head>',
        '<body><main><h1>whocalled</h1><p class="tag">Who called, and should you call back?</p>',
        '<form method="get" action="/" class="lookup"><label for="n">Phone number</label>',
        f'<div class="row"><input id="n" name="n" type="tel" inputmode="tel" value="{esc(raw)}" required',
        ' placeholder="+1 202 555 0143"><button type="submit" id="lookup">Look up</button></div></form>',
    ]
    if notice:
        parts.append(f'<p class="notice" id="notice">{notice}</p>')
    if problem:
        parts.append(f'<p class="problem" id="problem">{esc(problem)}</p>')
    if result is not None and result.ok:
        parts.append(render_result(result, complete, comments, csrf))
    parts.append(render_calls(calls, tz))
    parts.append("</main></body></html>\n")
    return "".join(parts)


def render_result(result: LookupResult, complete: bool, comments: Sequence[Comment], csrf: str) -> str:
    v, n = result.verdict, result.number
    assert v is not None and n is not None
    name = caller_name(result.findings, result.history)
    out = [f'<section id="result" class="verdict level-{esc(v.level.value)}">', f"<h2>{esc(headline(result))}</h2>"]
    if name:
        out.append(f'<p class="name">Caller: <strong id="caller">{esc(name)}</strong></p>')
    out.extend(render_listings(result))
    out.append(
        f'<p class="level" id="verdict">{esc(LEVEL_WORDS[v.level])}'
        f' <span class="score">spam score {v.score}</span></p>'
    )
    out.append(
        f'<p class="callback callback-{esc(v.call_back.value)}" id="callback">Call back?'
        f" <strong>{esc(v.call_back.value)}</strong>: {esc(v.call_back_reason)}</p>"
    )
    if not complete:
        out.append('<p class="pending">Some sources are still answering; reload in a moment for the full picture.</p>')
    reasons = [e for e in v.evidence if not e.signal.startswith("source:") and e.weight != 0]
    info = [e for e in v.evidence if not e.signal.startswith("source:") and e.weight == 0]
    if reasons or info:
        out.append('<h3>Why</h3><ul class="reasons" id="reasons">')
        out.extend(f'<li class="{"against" if e.weight > 0 else "for"}">{esc(e.detail)}</li>' for e in reasons)
        out.extend(f'<li class="info">{esc(e.detail)}</li>' for e in info)
        out.append("</ul>")
    lines = source_lines(result)
    if lines:
        out.append('<h3>Sources</h3><ul class="sources" id="sources">')
        out.extend(f"<li><b>{esc(src)}</b>: {esc(text)}</li>" for src, text in lines)
        out.append("</ul>")
    if comments:
        out.append('<h3>What people say</h3><ul class="comments" id="comments">')
        for c in comments:
            when = f'<span class="when">{esc(c.at[:10])}</span> ' if c.at else ""
            out.append(f"<li>{when}{esc(c.text)}</li>")
        out.append("</ul>")
    out.extend(render_links(result))
    if n.e164:
        out.append(render_actions(n.e164, result.verdict.level if result.verdict else Level.UNKNOWN, csrf))
    out.append("</section>")
    return "".join(out)


def source_lines(result: LookupResult) -> list[tuple[str, str]]:
    """(the site's name, what it said) for the household: site names, not whocalled's source
    ids, and a failure in plain words, without the network's error text (that is for
    ``--verbose`` and the JSON API)."""
    assert result.verdict is not None
    lines = [(e.source, e.detail) for e in result.verdict.evidence if e.signal.startswith("source:")]
    shown = {src for src, _ in lines}
    for f in result.findings:
        if f.source in shown or f.status is Status.SKIPPED:
            continue
        why = STATUS_WORDS.get(f.status, f.status.value)
        if f.detail and f.status.is_definite and f.status is not Status.NOT_FOUND:
            why = f"{why} ({f.detail})"
        lines.append((f.source, why))
    titles = source_titles()
    return sorted((titles.get(src, src), text) for src, text in lines)


def source_titles() -> dict[str, str]:
    from scrapers.registry import source_classes

    return {cls.name: cls.title for cls in source_classes()}


def render_actions(e164: str, level: Level, csrf: str) -> str:
    hidden = f'<input type="hidden" name="csrf" value="{esc(csrf)}"><input type="hidden" name="number" value="{esc(e164)}">'
    options = "".join(f'<option value="{esc(c.value)}">{esc(c.value.replace("_", " "))}</option>' for c in Category)
    block_label = "Blocked" if level is Level.BLOCKED else "Block"
    return (
        '<div class="actions">'
        f'<form method="post" action="/ui/block" class="act">{hidden}'
        '<input name="reason" maxlength="200" placeholder="reason (optional)" aria-label="reason">'
        '<label class="force"><input type="checkbox" name="force" value="1"> even if protected</label>'
        f'<button type="submit" id="block" class="danger">{block_label}</button></form>'
        f'<form method="post" action="/ui/allow" class="act">{hidden}'
        '<button type="submit" id="allow">Always allow</button></form>'
        f'<form method="post" action="/ui/report" class="act">{hidden}'
        f'<select name="category" aria-label="category">{options}</select>'
        '<input name="note" maxlength="500" placeholder="what happened (optional)" aria-label="note">'
        '<button type="submit" id="report">Report</button></form>'
        "</div>"
    )


def render_calls(calls: Iterable[tuple[str | None, str, str | None, LookupResult | None]], tz: str | None = None) -> str:
    """The latest silent calls: local time (the configured zone, else the machine's, named), the
    number as people write it, the name, the verdict."""
    from lookup.describe import local_time

    rows = []
    for e164, at, name, result in calls:
        when = esc(local_time(at, tz))
        if e164 is None:
            rows.append(
                f'<tr><td>{when}</td><td>withheld</td><td>{esc(name or "")}</td><td class="level-unknown">withheld</td></tr>'
            )
            continue
        link = str(URL("/").with_query(n=e164))
        level = result.verdict.level if result and result.verdict else Level.UNKNOWN
        shown_name = name or (caller_name(result.findings, result.history) if result else None) or ""
        shown_number = result.number.international if result and result.number and result.number.international else e164
        rows.append(
            f'<tr><td>{when}</td><td><a href="{esc(link)}">{esc(shown_number)}</a></td><td>{esc(shown_name)}</td>'
            f'<td class="level-{esc(level.value)}">{esc(LEVEL_WORDS[level])}</td></tr>'
        )
    head = '<section id="calls"><h2>Latest silent missed calls</h2>'
    if not rows:
        return head + '<p class="empty">None yet: they appear here once a call log is imported.</p></section>'
    return (
        head + "<table><thead><tr><th>When</th><th>Number</th><th>Name</th><th>Verdict</th></tr></thead>"
        "<tbody>" + "".join(rows) + "</tbody></table></section>"
    )


def render_listings(result: LookupResult) -> list[str]:
    """The places listed with this number, each linked to its OpenStreetMap or Wikidata page,
    with its hours and the credit its data asks for (issue 14)."""
    from lookup.describe import listing_line

    return [
        f'<p class="listing">Listed: <a href="{esc(entry["url"])}" rel="noopener noreferrer">{esc(listing_line(entry))}</a></p>'
        for entry in listing_entries(result.findings)
    ]


def render_links(result: LookupResult) -> list[str]:
    """Where to read more and add a comment: web searches and the community sites' pages."""
    if not result.links:
        return []
    items = "".join(f'<li><a href="{esc(url)}" rel="noopener noreferrer">{esc(title)}</a></li>' for title, url in result.links)
    return [f'<h3>Look it up</h3><ul class="links" id="links">{items}</ul>']
