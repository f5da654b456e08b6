"""Issue 15: a triage writes each number's JSON with ``result_text`` instead of encoding
``to_json()``'s dicts. The two must agree byte for byte for any result: generated ones with every
optional part present or absent, text that needs escaping or is not ASCII, values of other types
than declared (which take the general way), and the links of every source."""

from __future__ import annotations

import json
import math
import random

import pytest

from lookup.models import (
    CallBack, Category, Evidence, EvidenceKind, Finding, History, Level, ListEntry, ListKind, Number, NumberKind,
    NumberType, Report, Status, Verdict,
)
from lookup.numbers import normalize_number
from lookup.results import (
    _REASONS, LookupResult, encode_count, encode_flag, encode_list, encode_optional, reason_text, result_text,
)
from lookup.settings import Settings
from scrapers.registry import load_sources

SOURCES = tuple(load_sources(Settings()))
TEXTS = ["", "plain", 'quote " and \\ backslash', "tab\tnew\nline\x00\x1f", "Zürich", "日本語", "emoji \U0001f4de",
         "\u2028\u2029", "\ud800 lone surrogate", "</script>"]


def general(result: LookupResult, tail: str = "") -> str:
    """What the code before printed: ``to_json()`` through json, with ``tail`` before its brace."""
    return json.dumps(result.to_json(), ensure_ascii=False)[:-1] + tail + "}"


def assert_same(result: LookupResult, tail: str = "") -> None:
    """The same text, or the same error (a lone surrogate cannot be put in a link either way)."""
    try:
        want = general(result, tail)
    except (TypeError, ValueError) as exc:
        with pytest.raises(type(exc)):
            result_text(result, tail)
        return
    assert result_text(result, tail) == want


def maybe(rng: random.Random, value):
    return value if rng.random() < 0.6 else None


def some_text(rng: random.Random) -> str:
    return rng.choice(TEXTS) + str(rng.randrange(1000))


def some_number(rng: random.Random) -> Number:
    pick = rng.random()
    if pick < 0.5:
        raw = rng.choice(["+1", "+44", "+49", "+33", "+91", "+1876", "+1900"]) + str(rng.randrange(10**9, 10**10))
        try:
            return normalize_number(raw)
        except ValueError:
            return Number(raw)
    kind = rng.choice(list(NumberKind))
    return Number(
        some_text(rng), kind=kind, e164=maybe(rng, "+1" + str(rng.randrange(10**9, 10**10))),
        extension=maybe(rng, "12"), short=maybe(rng, "24273"), region=maybe(rng, rng.choice(["US", "GB", "001", "DE"])),
        country_code=maybe(rng, rng.choice([1, 44, 49, 800])), national=maybe(rng, some_text(rng)),
        international=maybe(rng, some_text(rng)), valid=rng.random() < 0.5, possible=rng.random() < 0.5,
        type=rng.choice(list(NumberType)), location=maybe(rng, some_text(rng)), carrier=maybe(rng, some_text(rng)),
        time_zones=tuple(rng.choice(["America/New_York", "Europe/Berlin", "Asia/Tokyo"]) for _ in range(rng.randrange(3))),
        telemarketing=maybe(rng, "+33162"),
    )


def some_finding(rng: random.Random) -> Finding:
    listing = rng.random() < 0.3
    facts = {}
    if listing:
        facts = {"match": rng.choice(["exact", "block"]),
                 "listings": [{"name": maybe(rng, some_text(rng)), "kind": "pharmacy", "lat": 52.5}
                              for _ in range(rng.randrange(3))]}
    elif rng.random() < 0.5:
        facts = {"count": rng.randrange(9), "nested": {"a": [1, 2.5, None, True]}, "text": some_text(rng)}
    return Finding(
        source=rng.choice(["ftc_gov", "osm", "shouldianswer_com"]), e164="+12025550123", status=rng.choice(list(Status)),
        fetched_at=rng.choice(["2026-12-07T00:13:29+00:00", some_text(rng)]), name=maybe(rng, some_text(rng)),
        spam=maybe(rng, rng.choice([0.0, 1.0, 0.5, 1 / 3, 1e-9, 0.95])), reports=maybe(rng, rng.randrange(500)),
        categories=tuple(rng.choice(["scam", "robocall", some_text(rng)]) for _ in range(rng.randrange(3))),
        last_reported=maybe(rng, "2026-11-30"), url=maybe(rng, "https://example.org/?q=" + some_text(rng)),
        detail=maybe(rng, some_text(rng)), facts=facts, cached=rng.random() < 0.5,
        evidence=EvidenceKind.LISTING if listing else rng.choice(list(EvidenceKind)),
    )


def some_result(rng: random.Random) -> LookupResult:
    if rng.random() < 0.08:
        return LookupResult(some_text(rng), error=maybe(rng, some_text(rng)), number=maybe(rng, some_number(rng)))
    evidence = tuple(
        Evidence(some_text(rng), rng.choice([30, -10, 0, 12.5, 7.0]), some_text(rng), rng.choice(["call log", "whocalled"]))
        for _ in range(rng.randrange(5))
    )
    verdict = Verdict(rng.choice(list(Level)), rng.randrange(101), rng.choice(list(CallBack)), some_text(rng), evidence)
    history = None
    if rng.random() < 0.7:
        history = History(silent_calls=rng.randrange(9), first_at=maybe(rng, "2026-10-10T16:38:16+00:00"),
                          last_at=maybe(rng, "2026-12-10T16:46:48+00:00"), night_calls=rng.randrange(3),
                          outgoing_calls=rng.randrange(3), answered_calls=rng.randrange(3),
                          contact_name=rng.choice([None, "", some_text(rng)]))
    return LookupResult(
        some_text(rng), some_number(rng), None, verdict, tuple(some_finding(rng) for _ in range(rng.randrange(4))),
        tuple(ListEntry(some_text(rng), rng.choice(list(ListKind)), maybe(rng, some_text(rng)))
              for _ in range(rng.randrange(2))),
        tuple(Report("+12025550123", Category.SCAM) for _ in range(rng.randrange(3))), history,
        SOURCES if rng.random() < 0.8 else (),
    )


def test_result_text_is_the_json_of_to_json_for_generated_results() -> None:
    rng = random.Random(15)
    for _ in range(1500):
        result = some_result(rng)
        assert_same(result, rng.choice(["", ', "calls": {"silent_missed": 1}', ', "contact_name": "Aunt May"']))


def test_the_result_of_a_real_lookup_and_its_links() -> None:
    for raw in ("+14046214055", "+18765550123", "+442079460123", "+4930901820", "+33612345678", "9005550111"):
        number = normalize_number(raw)
        verdict = Verdict(Level.UNKNOWN, 0, CallBack.YES, "Nothing known against it.")
        result = LookupResult(raw, number, None, verdict, link_sources=SOURCES)
        assert result_text(result) == general(result)
        assert '"links": []' not in result_text(result) or not number.e164


@pytest.mark.parametrize("field, value", [
    ("location", 12), ("carrier", ["a"]), ("time_zones", ("UTC", 3)), ("national", b"x"),
])
def test_a_value_of_another_type_than_declared_is_encoded_the_general_way(field, value) -> None:
    number = Number("+12025550123", e164="+12025550123", country_code=1, **{field: value})
    result = LookupResult("+12025550123", number, None, Verdict(Level.UNKNOWN, 0, CallBack.YES, "ok"))
    assert_same(result, ', "x": 1')


def test_scalars_are_written_as_json_writes_them() -> None:
    values = [0, -1, 10**20, 0.1, 1.0, -0.0, 1e300, math.inf, -math.inf, math.nan, True, False, None]
    for value in values:
        assert encode_count(value) == json.dumps(value)
        assert encode_flag(value) == json.dumps(value)
    for text in TEXTS + [None]:
        assert encode_optional(text) == json.dumps(text, ensure_ascii=False)
    for items in ([], [{"name": "Zürich"}], [1, "a", None]):
        assert encode_list(items) == json.dumps(items, ensure_ascii=False)


def test_a_reason_is_written_as_json_writes_it_whatever_came_before() -> None:
    """Reasons are kept by their fields once written: equal keys of other types (1, 1.0, True)
    must still be written each their own way, and the table is emptied before it grows large."""
    for weight in (1, 1.0, True, 1, 0, 0.0, False, -0.0):
        evidence = Evidence("repeated_silent", weight, "Called you 2 times without leaving a message.", "call log")
        want = json.dumps({"signal": evidence.signal, "detail": evidence.detail, "source": evidence.source,
                           "weight": weight}, ensure_ascii=False)
        assert reason_text(evidence) == want
    for i in range(25_000):
        reason_text(Evidence("night_calls", 10, f"{i} of its silent calls came at night.", "call log"))
    assert len(_REASONS) <= 20_000
