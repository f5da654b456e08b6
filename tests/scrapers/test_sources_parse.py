"""Every source's recorded pages through ``Source.read`` (wall check, then parse).

The CASES table of each source in the registry names a recorded page under
``tests/pages/<source>/`` and the finding fields it must give; the tables are read from the
registry, so a source cannot escape them. Besides the table: requests, coverage, secrets, hostile input, the
oos platform helpers and the real 800notes home page sample.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import time
from pathlib import Path

import pytest

from lookup.models import Category, Comment, Finding, Number, Status
from lookup.numbers import normalize_number
from lookup.settings import SourceConfig
from scrapers.base import Case, DatasetSource, ListingSource, Page, PrefixSource, Source, SourceBase
from scrapers.community_parse import categories_of, make_soup
from scrapers.nomorobo_com import NomoroboCom
from scrapers.notes800_com import Notes800Com
from scrapers.oos_platform import has_frame, merge_pages
from scrapers.phoneblock_net import PhoneblockNet
from scrapers.phonespamfilter_com import PhonespamfilterCom
from scrapers.shouldianswer_com import ShouldianswerCom
from scrapers.tellows import Tellows
from scrapers.who_called_co_uk import WhoCalledCoUk
from scrapers.whocallsme_com import WhocallsmeCom
from scrapers.registry import SOURCES, source_classes

PAGES = Path(__file__).resolve().parents[1] / "pages"
SAMPLE_800NOTES = PAGES / "notes800_com" / "homepage_saved_2017.html"  # the real 2017 sample, verbatim
CONFIG = SourceConfig(api_key="test-partner-key", token="test-bearer-token")
CATEGORY_VALUES = {c.value for c in Category}

REGISTRY = source_classes()
PAGE_SOURCES = [cls for cls in REGISTRY if issubclass(cls, Source)]  # fetched and parsed: they have pages
ROWS = [(cls, case) for cls in REGISTRY for case in cls.CASES]
ROW_IDS = [f"{cls.name}-{case.id}" for cls, case in ROWS]


def number_of(raw: str) -> Number:
    return normalize_number(raw, "US", details=False)


def read_case(source: Source, case: Case) -> Finding:
    number = number_of(case.number)
    body = (PAGES / source.name / case.page).read_text(encoding="utf-8")
    page = Page(url=source.request(number).url, status=case.http_status, body=body, content_type=case.content_type)
    return source.read(page, number)


@pytest.mark.parametrize(("cls", "case"), ROWS, ids=ROW_IDS)
def test_recorded_page_gives_expected_finding(cls: type[Source], case: Case) -> None:
    source = cls(CONFIG)
    finding = read_case(source, case)
    assert not case.mismatches(finding)
    assert finding.source == cls.name and finding.e164 == number_of(case.number).e164
    assert finding.spam is None or 0.0 <= finding.spam <= 1.0
    assert set(finding.categories) <= CATEGORY_VALUES
    assert finding.excerpt is None or len(finding.excerpt) <= 300
    assert len(finding.comments) <= 50
    if finding.status.is_definite:
        assert finding.url and finding.detail
    else:
        assert finding.detail and finding.spam is None
    if finding.name:
        assert finding.name == finding.name.strip() and not finding.name.upper().startswith("SPAM")


@pytest.mark.parametrize("cls", PAGE_SOURCES, ids=[c.name for c in PAGE_SOURCES])
def test_source_declares_itself_and_covers_every_outcome(cls: type[Source]) -> None:
    assert cls.name == cls.__module__.rsplit(".", 1)[1]
    assert cls.title and cls.default_base_url.startswith("http") and 0.0 < cls.reliability <= 1.0
    assert all(len(region) == 2 and region.isupper() for region in cls.regions)
    statuses = {case.expect["status"] for case in cls.CASES}
    # A prefix is always held or not: "not assigned" is a found answer, there is no not_found.
    expected = {"found", "blocked", "layout_changed"} | (set() if issubclass(cls, PrefixSource) else {"not_found"})
    assert expected <= statuses
    assert len({case.id for case in cls.CASES}) == len(cls.CASES)
    for case in cls.CASES:
        assert (PAGES / cls.name / case.page).is_file()


@pytest.mark.parametrize("cls", PAGE_SOURCES, ids=[c.name for c in PAGE_SOURCES])
def test_recorded_pages_say_where_their_shape_came_from(cls: type[Source]) -> None:
    """An HTML page opens with a comment saying where its shape came from; other pages (JSON,
    text, XML, whose real form cannot open with a comment) are listed in the folder's SOURCE.md."""
    for case in cls.CASES:
        path = PAGES / cls.name / case.page
        if path.suffix == ".html":
            assert path.read_text(encoding="utf-8").lstrip().startswith("<!--"), path.name
        else:
            assert case.page in (path.parent / "SOURCE.md").read_text(encoding="utf-8"), path.name


def test_the_registry_lists_every_source_once() -> None:
    """A source module that is not in the registry would escape the case tables and the canaries:
    every concrete source class (one that names itself) in scrapers/ must be listed, once."""
    defined = set()
    for path in sorted((PAGES.parents[1] / "scrapers").glob("*.py")):
        module = importlib.import_module(f"scrapers.{path.stem}")
        for cls in vars(module).values():
            if (isinstance(cls, type) and issubclass(cls, SourceBase) and cls.__module__ == module.__name__
                    and "name" in vars(cls) and not inspect.isabstract(cls)):
                defined.add(f"{module.__name__}:{cls.__name__}")
    assert defined == set(SOURCES) and len(SOURCES) == len(set(SOURCES))
    assert len({cls.name for cls in REGISTRY}) == len(REGISTRY)


@pytest.mark.parametrize("cls", REGISTRY, ids=[c.name for c in REGISTRY])
def test_every_source_keeps_its_own_canaries(cls: type[SourceBase]) -> None:
    assert cls.CANARIES and all(number_of(n).e164 == n for n in cls.CANARIES)
    assert all(cls().supports(number_of(n)) for n in cls.CANARIES)
    assert issubclass(cls, (Source, DatasetSource, ListingSource)), "a source the engine cannot ask"


def test_nomorobo_reads_all_three_markups_and_404() -> None:
    source = NomoroboCom()
    markups = {read_case(source, c).facts.get("markup") for c in source.CASES if c.http_status == 200}
    assert {"2020", "2021", "2025"} <= markups
    assert any(c.http_status == 404 and c.expect["status"] == "not_found" for c in source.CASES)


REQUESTS = [
    (ShouldianswerCom, "+12065550147", "https://www.shouldianswer.com/search?q=%2B12065550147"),
    (NomoroboCom, "+13157859930", "https://www.nomorobo.com/lookup/3157859930"),
    (Notes800Com, "+12065550147", "https://800notes.com/Phone.aspx/1-206-555-0147"),
    (WhocallsmeCom, "+12065550147", "https://whocallsme.com/Phone-Number.aspx/2065550147"),
    (WhoCalledCoUk, "+442079460123", "https://who-called.co.uk/Number/02079460123"),
    (PhonespamfilterCom, "+12065550147", "http://www.phonespamfilter.com/check.php?phone=2065550147"),
    (PhonespamfilterCom, "+442079460123", "http://www.phonespamfilter.co.uk/check.php?phone=2079460123"),
    (PhonespamfilterCom, "+33123456789", "http://www.phonespamfilter.fr/check.php?phone=123456789"),
    (PhonespamfilterCom, "+6493001234", "http://www.phonespamfilter.co.nz/check.php?phone=93001234"),
    (PhonespamfilterCom, "+61212345678", "http://au.phonespamfilter.com/check.php?phone=212345678"),
    (Tellows, "+4930123456", "https://www.tellows.de/basic/num/004930123456"),
    (PhoneblockNet, "+4930123456", "https://phoneblock.net/phoneblock/api/check-prefix?sha1=20B268"),
]


@pytest.mark.parametrize(("cls", "raw", "url"), REQUESTS, ids=[f"{c.name}-{r}" for c, r, _ in REQUESTS])
def test_request_url_is_exact(cls: type[Source], raw: str, url: str) -> None:
    request = cls(CONFIG).request(number_of(raw))
    assert request.url == url and request.method == "GET"
    assert request.robots is (not cls.needs_key)


def test_deep_page_two_of_800notes() -> None:
    number = number_of("+12065550147")
    assert Notes800Com().request_page(number, 2).url == "https://800notes.com/Phone.aspx/1-206-555-0147/2"
    assert Notes800Com().request_page(number, 1).url == Notes800Com().request(number).url


def test_merge_pages_adds_new_comments_newest_first() -> None:
    source = Notes800Com()
    first = read_case(source, source.CASES[0])
    later = Finding(source=source.name, e164=first.e164, status=Status.FOUND,
                    comments=(Comment("older one", at="2023-05-01"), first.comments[0]))
    merged = merge_pages(first, later)
    assert len(merged.comments) == len(first.comments) + 1
    assert merged.comments[-1].text == "older one" and merged.reports == 6


COVERAGE = [
    (WhoCalledCoUk, "+12065550147", False),
    (WhoCalledCoUk, "+442079460123", True),
    (Notes800Com, "+18762345678", True),  # Jamaica: NANP, a classic one-ring number
    (NomoroboCom, "+18762345678", False),
    (ShouldianswerCom, "+14165550199", True),
    (PhonespamfilterCom, "+33123456789", True),
    (PhonespamfilterCom, "+4930123456", False),
    (Tellows, "+4930123456", True),
    (PhoneblockNet, "+4930123456", True),
    (PhoneblockNet, "+12065550147", False),
    (Notes800Com, "Anonymous", False),
]


@pytest.mark.parametrize(("cls", "raw", "covered"), COVERAGE, ids=[f"{c.name}-{r}" for c, r, _ in COVERAGE])
def test_source_declines_numbers_outside_its_countries(cls: type[Source], raw: str, covered: bool) -> None:
    assert cls().supports(number_of(raw)) is covered


def test_comment_html_and_script_stay_inert_text() -> None:
    finding = read_case(Notes800Com(), Notes800Com.CASES[0])
    texts = [c.text for c in finding.comments]
    hostile = next(t for t in texts if "xss" in t)
    assert "<script>alert('xss')</script>" in hostile  # the user's escaped HTML, as literal text
    assert "Do not give them your VIN." in hostile  # a real <b> tag reduced to its text
    assert "<b>" not in hostile and "pwned" not in " ".join(texts)  # real markup and script gone
    assert all(isinstance(c, Comment) for c in finding.comments)


def test_ad_slots_are_skipped() -> None:
    body = (PAGES / "notes800_com" / "spam.html").read_text(encoding="utf-8")
    assert body.count('<li class="oos_contlet"') == 7  # five comments and two ad slots
    assert len(read_case(Notes800Com(), Notes800Com.CASES[0]).comments) == 5


def test_tellows_key_never_reaches_a_finding() -> None:
    key = "s3cret-partner-key"
    md5 = hashlib.md5(key.encode()).hexdigest()
    source = Tellows(SourceConfig(api_key=key))
    request = source.request(number_of("+4930123456"))
    assert request.params["apikeyMd5"] == md5 and md5 not in request.url and key not in request.url
    for case in Tellows.CASES:
        finding = read_case(source, case)
        for text in (finding.url, finding.detail, finding.excerpt, repr(finding.facts)):
            assert key not in (text or "") and md5 not in (text or "")


def test_tellows_warning_without_score_points_at_the_key() -> None:
    source = Tellows(SourceConfig(api_key="wrong"))
    number = number_of("+4930123456")
    finding = source.read(Page("https://www.tellows.de/x", 200, 'Partner Data not correct{"tellows":{}}'), number)
    assert finding.status is Status.ERROR and "api_key" in (finding.detail or "")


def test_api_sources_stay_off_until_credentials_are_configured() -> None:
    for cls in (Tellows, PhoneblockNet):
        assert cls.needs_key and not cls().enabled and "config" in cls.enable_hint
    assert Tellows(SourceConfig(api_key="k")).enabled and PhoneblockNet(SourceConfig(token="t")).enabled
    assert "WHOCALLED_SOURCE_TELLOWS_API_KEY" in Tellows.enable_hint


def test_phoneblock_sends_only_a_hash_prefix_by_default() -> None:
    number = number_of("+4930123456")
    full = hashlib.sha1(b"+4930123456").hexdigest().upper()
    request = PhoneblockNet(SourceConfig(token="tok")).request(number)
    assert full[:6] in request.url and full not in request.url and "30123456" not in request.url
    assert request.headers == {"Authorization": "Bearer tok"} and "tok" not in request.url
    longer = PhoneblockNet(SourceConfig(token="tok", options={"prefix_length": 8})).request(number)
    assert longer.url.endswith(f"sha1={full[:8]}")
    exact = PhoneblockNet(SourceConfig(token="tok", options={"privacy": False})).request(number)
    assert f"/api/check?sha1={full}&prefix10=" in exact.url


def test_phoneblock_report_request_and_response() -> None:
    source = PhoneblockNet(SourceConfig(token="tok"))
    request = source.report_request(number_of("+4930123456"), Category.TELEMARKETER, "  Insurance  pitch ")
    assert (request.method, request.url) == ("POST", "https://phoneblock.net/phoneblock/api/rate")
    assert request.json == {"phone": "004930123456", "rating": "E_ADVERTISING", "comment": "Insurance pitch"}
    assert request.headers["Authorization"] == "Bearer tok"
    assert source.report_request(number_of("+4930123456"), "scam").json["rating"] == "G_FRAUD"
    url = request.url
    assert source.parse_report_response(Page(url, 200, "Rating recorded.")) == (True, "Rating recorded.")
    assert source.parse_report_response(Page(url, 401, "Please provide login credentials."))[0] is False
    wall = (PAGES / "phoneblock_net" / "blocked.html").read_text(encoding="utf-8")
    accepted, why = source.parse_report_response(Page(url, 503, wall))
    assert not accepted and why.startswith("blocked")


def test_phonespamfilter_regional_hosts_can_be_overridden() -> None:
    gb, us = number_of("+442079460123"), number_of("+12065550147")
    custom = PhonespamfilterCom(SourceConfig(options={"base_url_gb": "http://127.0.0.1:9/uk/"}))
    assert custom.request(gb).url == "http://127.0.0.1:9/uk/check.php?phone=2079460123"
    assert custom.request(us).url.startswith("http://www.phonespamfilter.com/")
    mirror = PhonespamfilterCom(SourceConfig(base_url="http://127.0.0.1:9"))
    assert mirror.request(gb).url == mirror.request(us).url.replace("2065550147", "2079460123")


def test_real_800notes_home_page_frame() -> None:
    html = SAMPLE_800NOTES.read_text(encoding="utf-8")
    assert has_frame(make_soup(html))  # the real frame is what tells "not listed" from drift
    finding = Notes800Com().read(Page("https://800notes.com/", 200, html), number_of("+18448575628"))
    assert finding.status is Status.NOT_FOUND  # a framed page with no comment list


@pytest.mark.parametrize("body", ["<html><body> 7 </body></html>", "\ufeff7\n"], ids=["html-wrapper", "bom"])
def test_phonespamfilter_tolerates_wrapped_counts(body: str) -> None:
    number = number_of("+12065550147")
    assert PhonespamfilterCom().read(Page("http://x/check.php", 200, body), number).reports == 7


@pytest.mark.parametrize("body", ["²", "-3", "12 reports", "1" * 12], ids=["superscript", "negative", "words", "huge"])
def test_phonespamfilter_refuses_what_is_not_a_count(body: str) -> None:
    number = number_of("+12065550147")
    assert PhonespamfilterCom().read(Page("http://x/check.php", 200, body), number).status is Status.LAYOUT_CHANGED


HOSTILE = {
    "junk-bytes": bytes(range(256)).decode("latin-1") * 200,
    "deep-nesting": "<div>" * 20000 + "x" + "</div>" * 20000,
    "huge": "<html><body>" + "<p>lorem ipsum dolor</p>" * 130_000 + "</body></html>",
    "empty": "",
}


@pytest.mark.parametrize("cls", PAGE_SOURCES, ids=[c.name for c in PAGE_SOURCES])
@pytest.mark.parametrize("kind", ["junk-bytes", "deep-nesting", "empty"])
def test_hostile_body_is_layout_changed(cls: type[Source], kind: str) -> None:
    source = cls(CONFIG)
    number = number_of(next(case.number for case in cls.CASES))
    finding = source.read(Page(source.request(number).url, 200, HOSTILE[kind]), number)
    assert finding.status is Status.LAYOUT_CHANGED, finding.detail


def test_huge_page_is_capped_and_quick() -> None:
    source = Notes800Com()
    number = number_of("+12065550147")
    started = time.perf_counter()
    finding = source.read(Page(source.request(number).url, 200, HOSTILE["huge"]), number)
    assert finding.status is Status.LAYOUT_CHANGED
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["Telemarketer", "Debt collector", "Scam suspicion"], ("telemarketer", "debt_collector", "scam")),
        (["Robocall", "Recorded message"], ("robocall",)),
        (["Political call", "Survey"], ("political", "survey")),
        (["Aggressive Werbung", "Ping call", "Silent call"], ("telemarketer", "silent")),
        (["Valid", "Unknown", None, ""], ()),
    ],
    ids=["us-call-types", "robocall-words", "political-survey", "german-and-silent", "harmless-words"],
)
def test_site_words_map_to_categories(words: list[str | None], expected: tuple[str, ...]) -> None:
    assert categories_of(words) == expected
