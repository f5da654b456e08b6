"""A lookup's answer for one input, and its JSON form (the contract of ``lookup --json``
and of the server's ``/api/v1/lookup``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from json.encoder import encode_basestring as encode_text  # how JSONEncoder(ensure_ascii=False) writes a str
from typing import Any, Iterable

from lookup.models import Evidence, EvidenceKind, Finding, History, ListEntry, Number, NumberKind, Report, Status, Verdict


@dataclass(frozen=True)
class LookupResult:
    """Everything known about one input, ready to print or serialise."""

    input: str
    number: Number | None = None
    error: str | None = None
    verdict: Verdict | None = None
    findings: tuple[Finding, ...] = ()
    lists: tuple[ListEntry, ...] = ()
    reports: tuple[Report, ...] = ()
    history: History | None = None
    # The sources the links are made from: the links are worked out only when shown (a triage
    # of 20,000 numbers that prints a table of 40 would otherwise build them all).
    link_sources: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def links(self) -> tuple[tuple[str, str], ...]:
        """(what, url): web searches and community pages for the number."""
        return number_links(self.number, self.link_sources) if self.number is not None else ()

    def to_json(self) -> dict[str, Any]:
        if self.error is not None or self.number is None or self.verdict is None:
            return {"input": self.input, "error": self.error}
        n, v = self.number, self.verdict
        out: dict[str, Any] = {
            "input": self.input,
            "e164": n.e164,
            "withheld": n.withheld,
            "kind": n.kind.value,
            "short": n.short,
            "extension": n.extension,
            "valid": n.valid,
            "possible": n.possible,
            "region": n.region,
            "country_code": n.country_code,
            "national": n.national,
            "international": n.international,
            "type": n.type.value,
            "location": n.location,
            "carrier": n.carrier,
            "time_zones": list(n.time_zones),
            "telemarketing": n.telemarketing,  # the reserved telemarketing range it is in, if any
            "verdict": v.level.value,
            "spam_score": v.score,
            "call_back": v.call_back.value,
            "call_back_reason": v.call_back_reason,
            "reasons": [
                {"signal": e.signal, "detail": e.detail, "source": e.source, "weight": e.weight} for e in v.evidence
            ],
            "sources": [finding_json(f) for f in self.findings],
            "lists": [{"pattern": e.pattern, "kind": e.kind.value, "reason": e.reason} for e in self.lists],
            "reports": len(self.reports),
        }
        name = caller_name(self.findings, self.history)
        if name:
            out["name"] = name
        out["listings"] = listing_entries(self.findings)
        near = listing_entries(self.findings, match="block")
        if near:
            out["near_listings"] = near
        out["links"] = [{"title": title, "url": url} for title, url in self.links]
        if self.history is not None:
            h = self.history
            out["history"] = {
                "silent_calls": h.silent_calls,
                "first_at": h.first_at,
                "last_at": h.last_at,
                "night_calls": h.night_calls,
                "outgoing_calls": h.outgoing_calls,
                "answered_calls": h.answered_calls,
                "contact_name": h.contact_name,
            }
        return out


def finding_json(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.source, "status": f.status.value, "fetched_at": f.fetched_at, "cached": f.cached}
    for key in ("name", "spam", "reports", "last_reported", "url", "detail"):
        value = getattr(f, key)
        if value is not None:
            out["caller_name" if key == "name" else key] = value
    if f.categories:
        out["categories"] = list(f.categories)
    if f.facts:
        out["facts"] = f.facts
    return out


def listing_entries(findings: Iterable[Finding], match: str = "exact") -> list[dict[str, Any]]:
    """The places listed with this number (``match="exact"``) or in its block of 100 (``"block"``),
    as the ``listings`` JSON shows them, from every listing directory."""
    out: list[dict[str, Any]] = []
    for f in findings:
        if f.evidence is EvidenceKind.LISTING and f.status is Status.FOUND and f.facts.get("match") == match:
            out.extend(f.facts.get("listings") or ())
    return out


def caller_name(
    findings: Iterable[Finding], history: History | None = None, listed: list[dict[str, Any]] | None = None
) -> str | None:
    """The caller's name: the user's contact name first, then a place listed with exactly this
    number, then the first source that names one. Never decorated with a spam flag (that is the
    verdict's job). ``listed``: ``listing_entries(findings)``, when the caller has it already."""
    if history is not None and history.contact_name:
        return history.contact_name
    findings = list(findings)
    names = [entry["name"] for entry in (listing_entries(findings) if listed is None else listed) if entry.get("name")]
    if names:
        return str(names[0])
    for f in findings:
        if f.status is Status.FOUND and f.name:
            return f.name
    return None


SEARCH_URL = "https://duckduckgo.com/?q="


def number_links(number: Number, sources: Iterable[Any]) -> tuple[tuple[str, str], ...]:
    """Where a person can read more about ``number`` and add a comment: a web search for it in
    its international and national notations, then each enabled community site's page for it
    (a per-number source whose request is a plain page; API-only sources have none)."""
    if number.kind is not NumberKind.NUMBER or not number.e164:
        return ()
    out: list[tuple[str, str]] = []
    for notation in dict.fromkeys(filter(None, (number.international, number.national))):
        out.append((f'web search for "{notation}"', SEARCH_URL + quote_query(f'"{notation}"')))
    for source, url_of, title, ask in _page_links(tuple(sources)).covering(number):
        url = url_of(number) if not ask or source.supports(number) else None
        if url is not None:
            out.append((title, url))
    return tuple(out)


def links_text(number: Number, sources: Iterable[Any]) -> str:
    """``number_links`` as to_json's ``links`` in JSON text (see :func:`result_text`)."""
    return "[" + ", ".join(
        [f'{{"title": {encode_text(title)}, "url": {encode_text(url)}}}' for title, url in number_links(number, sources)]
    ) + "]"


def quote_query(text: str) -> str:
    """``urllib.parse.quote_plus(text)``; ASCII text (every formatted number) through one
    translation table, which is several times quicker for the thousands of numbers of a triage."""
    if text.isascii():
        return text.translate(_quoted_ascii())
    from urllib.parse import quote_plus

    return quote_plus(text)


@lru_cache(maxsize=1)
def _quoted_ascii() -> dict[int, str]:
    from urllib.parse import quote_plus

    return {code: quote_plus(chr(code)) for code in range(128)}


class _PageLinks:
    """The enabled per-number opinion sources of a run and their link titles, worked out once,
    not per number; and which of them cover a region. A source that declines numbers by region alone (``SourceBase.supports``, which
    :func:`number_links` calls only for a number with an E.164) is picked once per region; any
    other is asked per number."""

    def __init__(self, sources: tuple[Any, ...]) -> None:
        from lookup.models import SourceKind
        from scrapers.base import SourceBase

        self.pages = []
        for s in sources:
            if s.kind is SourceKind.LOOKUP and s.evidence is EvidenceKind.OPINION and s.enabled:
                title = f"{s.title} comments"
                by_region = type(s).supports is SourceBase.supports
                self.pages.append((s, title, by_region))
        self._regions: dict[str | None, list[tuple[Any, Any, str, bool]]] = {}  # see covering

    def covering(self, number: Number) -> list[tuple[Any, Any, str, bool]]:
        """``(source, its comments_url, title, ask)`` of the sources that may cover
        ``number`` (one with an E.164): by its region, or, when ``ask``, if
        ``source.supports(number)`` says so."""
        pages = self._regions.get(number.region)
        if pages is None:
            region = number.region or ""
            pages = self._regions[number.region] = [
                (s, s.comments_url, title, not by_region) for s, title, by_region in self.pages
                if not by_region or not s.regions or region in s.regions
            ]
        return pages


@lru_cache(maxsize=8)
def _page_links(sources: tuple[Any, ...]) -> _PageLinks:
    return _PageLinks(sources)


# ---------------------------------------------------------------- the JSON text, written directly
#
# A triage prints the JSON of every number it judged (20,000 of them in a big log): building
# to_json's dicts and encoding them took about two thirds of printing a row. result_text writes
# the same text straight from the objects: the keys are literals, each value is encoded by what
# json's encoder uses for its type. It must agree byte for byte with
# ``json.dumps(result.to_json(), ensure_ascii=False)``: tests/lookup/test_result_text.py compares
# the two on many generated results; a change to to_json's keys must be made in both.
# Every printed answer goes through it (triage --json, lookup --json, the server's lookup
# answers), so the two forms cannot drift apart in one place only.
# A value of an unexpected type (a str field holding a number) makes the encoding of a string
# raise TypeError; the row is then encoded the general way.

_encode_any = json.JSONEncoder(ensure_ascii=False).encode  # what json.dumps(..., ensure_ascii=False) calls


def result_text(result: LookupResult, tail: str = "") -> str:
    """``json.dumps(result.to_json(), ensure_ascii=False)``, with ``tail`` (more members, each
    as ``', "key": value'``) before its closing brace."""
    try:
        return _result_text(result, tail)
    except TypeError:
        return _encode_any(result.to_json())[:-1] + tail + "}"


def _result_text(result: LookupResult, tail: str) -> str:
    if result.error is not None or result.number is None or result.verdict is None:
        return f'{{"input": {encode_text(result.input)}, "error": {encode_optional(result.error)}{tail}}}'
    n, v, findings = result.number, result.verdict, result.findings
    listed, near = listing_entries(findings), listing_entries(findings, match="block")
    name = caller_name(findings, result.history, listed)
    parts = [
        f'{{"input": {encode_text(result.input)}, "e164": {encode_optional(n.e164)}, "withheld": {encode_flag(n.withheld)}, '
        f'"kind": {encode_text(n.kind)}, "short": {encode_optional(n.short)}, "extension": {encode_optional(n.extension)}, '
        f'"valid": {encode_flag(n.valid)}, "possible": {encode_flag(n.possible)}, "region": {encode_optional(n.region)}, '
        f'"country_code": {encode_count(n.country_code)}, "national": {encode_optional(n.national)}, '
        f'"international": {encode_optional(n.international)}, "type": {encode_text(n.type)}, '
        f'"location": {encode_optional(n.location)}, "carrier": {encode_optional(n.carrier)}, '
        f'"time_zones": [{", ".join(map(encode_text, n.time_zones))}], "telemarketing": {encode_optional(n.telemarketing)}, '
        f'"verdict": {encode_text(v.level)}, "spam_score": {encode_count(v.score)}, "call_back": {encode_text(v.call_back)}, '
        f'"call_back_reason": {encode_text(v.call_back_reason)}, "reasons": [',
        ", ".join([reason_text(e) for e in v.evidence]),
        '], "sources": [',
        ", ".join([finding_text(f) for f in findings]),
        '], "lists": [',
        ", ".join([
            f'{{"pattern": {encode_text(e.pattern)}, "kind": {encode_text(e.kind)}, "reason": {encode_optional(e.reason)}}}'
            for e in result.lists
        ]),
        f'], "reports": {len(result.reports)}',
        f', "name": {encode_text(name)}' if name else "",
        f', "listings": {encode_list(listed)}',
        f', "near_listings": {encode_list(near)}' if near else "",
        ', "links": ',
        links_text(n, result.link_sources),
    ]
    h = result.history
    if h is not None:
        parts.append(
            f', "history": {{"silent_calls": {encode_count(h.silent_calls)}, "first_at": {encode_optional(h.first_at)}, '
            f'"last_at": {encode_optional(h.last_at)}, "night_calls": {encode_count(h.night_calls)}, '
            f'"outgoing_calls": {encode_count(h.outgoing_calls)}, "answered_calls": {encode_count(h.answered_calls)}, '
            f'"contact_name": {encode_optional(h.contact_name)}}}'
        )
    parts.append(tail)
    parts.append("}")
    return "".join(parts)


_REASONS: dict[tuple, str] = {}  # (signal, detail, source, the weight as JSON) -> the reason's JSON


def reason_text(e: Evidence) -> str:
    """One of to_json's ``reasons`` as JSON text. The same reasons come back for number after
    number ("Called you 2 times without leaving a message."): each is encoded once, then found
    by its fields (the weight as written: 1, 1.0, True and -0.0 are equal keys otherwise)."""
    weight = encode_count(e.weight)
    key = (e.signal, e.detail, e.source, weight)
    text = _REASONS.get(key)
    if text is None:
        text = (f'{{"signal": {encode_text(e.signal)}, "detail": {encode_text(e.detail)}, '
                f'"source": {encode_text(e.source)}, "weight": {weight}}}')
        if len(_REASONS) >= 20_000:  # the details quote counts and dates: keep the table small
            _REASONS.clear()
        _REASONS[key] = text
    return text


def finding_text(f: Finding) -> str:
    """``finding_json(f)`` as JSON text (see :func:`result_text`)."""
    out = [f'{{"name": {encode_text(f.source)}, "status": {encode_text(f.status)}, "fetched_at": {encode_text(f.fetched_at)}, '
           f'"cached": {encode_flag(f.cached)}']
    for field_name, key, encode in _FINDING_FIELDS:
        value = getattr(f, field_name)
        if value is not None:
            out.append(f', "{key}": {encode(value)}')
    if f.categories:
        out.append(f', "categories": [{", ".join(map(encode_text, f.categories))}]')
    if f.facts:
        out.append(f', "facts": {_encode_any(f.facts)}')
    out.append("}")
    return "".join(out)


def encode_optional(value: str | None) -> str:
    """A str or None as json writes it."""
    return "null" if value is None else encode_text(value)


def encode_flag(value: bool) -> str:
    """A bool as json writes it (anything else the general way)."""
    return "true" if value is True else "false" if value is False else _encode_any(value)


def encode_count(value: float | int | None) -> str:
    """A number as json writes it: an int's digits; anything else (a float, None, a bool) the
    general way, which also spells out the floats json spells its own way (NaN, Infinity)."""
    return int.__repr__(value) if value.__class__ is int else _encode_any(value)


def encode_list(values: list[Any]) -> str:
    """A list as json writes it; the empty one (most numbers' listings) without the encoder."""
    return _encode_any(values) if values else "[]"


# finding_json's optional members, in its order: (Finding field, JSON key, how its value is written)
_FINDING_FIELDS = (
    ("name", "caller_name", encode_text), ("spam", "spam", encode_count), ("reports", "reports", encode_count),
    ("last_reported", "last_reported", encode_text), ("url", "url", encode_text), ("detail", "detail", encode_text),
)
