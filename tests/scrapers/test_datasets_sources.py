"""The FCC lookup and Local Calling Guide sources on their recorded answers, XML safety, prefix caching."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from db.store import Store
from lookup.models import Finding, Number, SourceKind, Status
from lookup.numbers import normalize_number
from lookup.settings import SourceConfig
from scrapers.base import Case, Page, Source
from scrapers.fcc_gov import FccGov
from scrapers.ftc_gov import FtcGov
from scrapers.localcallingguide_com import LocalCallingGuide, parse_xml, replace_html_entities, strip_doctype

PAGES = Path(__file__).resolve().parents[1] / "pages"
SOURCES: list[type[Source]] = [FccGov, LocalCallingGuide]
REAL = (PAGES / "localcallingguide_com" / "npa780_nxx809.xml").read_text(encoding="utf-8")


def number(raw: str) -> Number:
    return normalize_number(raw, "US", details=False)


def read_case(source: Source, case: Case) -> Finding:
    n = number(case.number)
    body = (PAGES / source.name / case.page).read_text(encoding="utf-8")
    return source.read(Page(source.request(n).url, case.http_status, body, case.content_type), n)


# Their recorded answers run in the registry-wide case tables (test_sources_parse.py and, through
# the engine and a local server, test_sources_engine.py); here: what is particular to them.


@pytest.mark.parametrize("cls", [*SOURCES, FtcGov], ids=lambda c: c.name)
def test_sources_declare_themselves(cls: type[Source]) -> None:
    assert cls.name == cls.__module__.rsplit(".", 1)[1]
    assert cls.title and cls.default_base_url.startswith("https://") and 0 < cls.reliability <= 1
    source = cls()
    assert source.supports(number("780-809-1234")) and source.supports(number("+1 876 555 0100"))
    assert not source.supports(number("+44 20 7946 0018")) and not source.supports(number("Anonymous"))



@pytest.mark.parametrize(
    ("cls", "outcomes"),
    [(FccGov, {"found", "not_found", "blocked", "layout_changed", "error"}),
     (LocalCallingGuide, {"found", "blocked", "layout_changed", "error"})],  # an unassigned prefix is found
    ids=["fcc_gov", "localcallingguide_com"],
)
def test_case_tables_cover_every_outcome(cls: type[Source], outcomes: set[str]) -> None:
    assert {c.expect["status"] for c in cls.CASES} == outcomes
    assert len({c.id for c in cls.CASES}) == len(cls.CASES)
    for case in cls.CASES:
        assert case.page in (PAGES / cls.name / "SOURCE.md").read_text(encoding="utf-8")


def test_fcc_request_uses_the_dashed_number_and_keeps_the_token_in_a_header() -> None:
    request = FccGov(SourceConfig(base_url="http://mirror.test/", app_token="s3cret")).request(number("8664100458"))
    assert request.url == ("http://mirror.test/resource/vakf-fz8e.json?caller_id_number=866-410-0458"
                           "&$order=issue_date%20DESC&$limit=200")
    assert dict(request.headers) == {"X-App-Token": "s3cret"} and "s3cret" not in request.url
    assert (request.expect, request.robots) == ("json", False)
    assert FccGov().request(number("8664100458")).headers == {}


@pytest.mark.parametrize(
    "body",
    ['"just a string"', "42", '[{"caller_id_number": "866-410-0458"}, "junk"]', "[[1, 2]]",
     '[{"unrelated": 1}]', "[" * 100_000 + "]" * 100_000],
    ids=["string", "number", "mixed-list", "list-of-lists", "rows-without-fields", "nested-100k-deep"],
)
def test_fcc_json_that_is_not_a_list_of_rows_is_layout_changed(body: str) -> None:
    n = number("8664100458")
    got = FccGov().read(Page("u", 200, body, "application/json"), n)
    assert got.status is Status.LAYOUT_CHANGED


def test_fcc_marks_a_full_page_of_rows() -> None:
    rows = ",".join('{"issue_date": "2026-11-01T00:00:00.000", "issue": "Robocalls"}' for _ in range(200))
    got = FccGov().read(Page("u", 200, f"[{rows}]", "application/json"), number("8664100458"))
    assert got.reports == 200 and got.facts["limit_reached"] and got.detail.startswith("200 FCC complaints+")


# ---------------------------------------------------------------- Local Calling Guide


def test_cache_key_names_the_prefix_and_cached_facts_give_the_same_finding() -> None:
    source = LocalCallingGuide()
    n = number("+1 780 809 1234")
    assert source.cache_key(n) == "780-809"
    assert source.request(n).url == "https://localcallingguide.com/xmlprefix.php?npa=780&nxx=809"
    fresh = read_case(source, LocalCallingGuide.CASES[0])
    store = Store()
    store.save_prefixes(source.name, {source.cache_key(n): fresh}, source.ttl_days(fresh.status))
    cached = store.fresh_prefixes(["780-809"], source.name)["780-809"]
    neighbour = number("780-809-9999")
    again = source.cached_finding(neighbour, cached)
    assert again.e164 == "+17808099999" and again.cached and again.fetched_at == fresh.fetched_at
    assert (again.detail, again.facts, again.spam, again.url) == (fresh.detail, fresh.facts, fresh.spam, fresh.url)
    assert source.ttl_days(Status.FOUND) == 90


def test_unassigned_prefix_survives_the_cache_as_spoofing_evidence() -> None:
    source = LocalCallingGuide()
    unassigned = next(c for c in LocalCallingGuide.CASES if c.id == "unassigned")
    fresh = read_case(source, unassigned)
    store = Store()
    store.save_prefixes(source.name, {"780-959": fresh}, 90)
    again = source.cached_finding(number("780-959-0000"), store.fresh_prefixes(["780-959"], source.name)["780-959"])
    assert (again.status, again.spam, again.detail) == (Status.FOUND, fresh.spam, fresh.detail)


def test_html_entities_in_names_are_read_and_xml_escapes_kept() -> None:
    body = REAL.replace("Distributel Communications Ltd-AB", "T&eacute;l&eacute;bec &amp; Fils &lt;QC&gt;")
    got = LocalCallingGuide().read(Page("u", 200, body, "text/xml"), number("780-809-1234"))
    assert got.facts["company"] == "Télébec & Fils <QC>"
    assert replace_html_entities("&nbsp;&bogus;&amp;") == "\u00a0&bogus;&amp;"


def test_the_doctype_is_cut_out_before_parsing() -> None:
    stripped = strip_doctype(REAL)
    assert stripped.lstrip().startswith("<root>") and "ENTITY" not in stripped
    assert strip_doctype('<!DOCTYPE root SYSTEM "x.dtd"><root/>') == "<root/>"
    assert parse_xml(REAL).findtext("prefixdata/company-type") == "C"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ('<!DOCTYPE root [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><root><inputdata/>'
         "<prefixdata><ocn>&xxe;</ocn></prefixdata></root>", "not readable XML"),
        ('<!DOCTYPE root [<!ENTITY a "]>"><!ENTITY b "&a;&a;">]><root>&b;</root>', "not readable XML"),
        ("<!DOCTYPE root [<!ENTITY a 'x'>", "never ends"),
        ("<root>" + "<inputdata/>" * 200_000 + "</root>", "larger than"),
        ("\x00\x01 not xml at all", "not readable XML"),
    ],
    ids=["external-entity", "subset-end-inside-a-value", "unterminated-doctype", "huge", "junk"],
)
def test_hostile_xml_is_layout_changed(body: str, why: str) -> None:
    got = LocalCallingGuide().read(Page("u", 200, body, "text/xml"), number("780-809-1234"))
    assert got.status is Status.LAYOUT_CHANGED and why in got.detail
    assert "root:" not in got.detail  # nothing from /etc/passwd


def test_billion_laughs_does_not_expand() -> None:
    body = (PAGES / "localcallingguide_com" / "entity_bomb.xml").read_text(encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    got = LocalCallingGuide().read(Page("u", 200, body, "text/xml"), number("780-809-1234"))
    assert got.status is Status.LAYOUT_CHANGED and "undefined entity" in got.detail
    assert time.perf_counter() - started < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB: no 3 GB expansion


def test_prefix_source_kind_and_non_nanp_numbers() -> None:
    assert LocalCallingGuide.kind is SourceKind.PREFIX and FtcGov.kind is SourceKind.DATASET
    assert FccGov.kind is SourceKind.LOOKUP
