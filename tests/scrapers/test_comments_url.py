"""Issue 15: the links a lookup shows come from ``Source.comments_url``, which the sources whose
request is always a plain page make without building a Request. For every source, configured
or not, and many numbers (NANP and not, ones a source does not support, withheld, short codes),
it must be the URL of ``request()`` exactly when that request is a plain page, and the links
must be what they were when they were taken from ``request()``."""

from __future__ import annotations

import json
import random

from lookup.models import Number, NumberKind
from lookup.numbers import normalize_number
from lookup.results import SEARCH_URL, links_text, number_links, quote_query
from lookup.settings import Settings, SourceConfig
from scrapers.registry import load_sources, source_classes
from scrapers.shouldianswer_com import ShouldianswerCom


def numbers() -> list[Number]:
    rng = random.Random(15)
    raws = ["+14046214055", "+18765550123", "+19005550111", "+18005550142", "+16135550123", "+442079460123",
            "+447700900123", "+4930901820", "+33612345678", "+34912345678", "+390612345678", "+41441234567",
            "+43123456789", "+61291234567", "+81312345678", "+918765432109", "+80012345678", "+12345", "911"]
    raws += [f"+1{rng.randrange(2, 10)}{rng.randrange(10**8, 10**9)}" for _ in range(150)]
    raws += [f"+{rng.choice([44, 49, 33, 34, 39, 41, 43, 31, 7, 52, 55])}{rng.randrange(10**7, 10**10)}" for _ in range(150)]
    out = [Number("Withheld", kind=NumberKind.WITHHELD), Number("24273", kind=NumberKind.SHORT_CODE, short="24273")]
    for raw in raws:
        try:
            out.append(normalize_number(raw))
        except ValueError:
            continue
    return out


def configured_sources() -> list:
    """Every source as it comes, and again enabled with keys, a mirror and regional hosts."""
    out = list(load_sources(Settings()))
    for cls in source_classes():
        config = SourceConfig(enabled=True, base_url="http://127.0.0.1:8/mirror/", api_key="k", token="t",
                              options={"base_url_gb": "http://127.0.0.1:9/gb/", "key_is_md5": True})
        out.append(cls(config))
    return out


def page_of_request(source, number: Number) -> str | None:
    """How the links were made before: the request's URL when it is a plain page."""
    request = source.request(number)
    if request.expect == "html" and request.method == "GET" and not request.params and not request.headers:
        return request.url
    return None


class EvenOnly(ShouldianswerCom):
    """A page source that declines numbers by more than their region (asked per number)."""

    name = "even_only"
    title = "even only"

    def supports(self, number: Number) -> bool:
        return super().supports(number) and int(number.e164[-1]) % 2 == 0


def test_comments_url_is_the_url_of_a_plain_page_request() -> None:
    checked = 0
    for source in configured_sources():
        if not hasattr(source, "request"):
            continue
        for number in numbers():
            if source.supports(number):
                assert source.comments_url(number) == page_of_request(source, number), (source.name, number.e164)
                checked += 1
    assert checked > 2000


def test_number_links_are_the_links_made_from_requests() -> None:
    sources = tuple(load_sources(Settings())) + (EvenOnly(),)
    pages = [s for s in sources if s.kind.value == "lookup" and s.evidence.value == "opinion" and s.enabled]
    assert len(pages) >= 6
    for number in numbers():
        want = []
        if number.kind is NumberKind.NUMBER and number.e164:
            for notation in dict.fromkeys(filter(None, (number.international, number.national))):
                want.append((f'web search for "{notation}"', SEARCH_URL + quote_query(f'"{notation}"')))
            for source in pages:
                url = page_of_request(source, number) if source.supports(number) else None
                if url is not None:
                    want.append((f"{source.title} comments", url))
        assert number_links(number, sources) == tuple(want), number.e164


def test_links_text_is_the_json_of_the_links_for_any_sources() -> None:
    everything = tuple(configured_sources()) + (EvenOnly(),)
    for sources in (tuple(load_sources(Settings())), everything, everything[::-1], ()):
        for number in numbers():
            links = [{"title": title, "url": url} for title, url in number_links(number, sources)]
            assert links_text(number, sources) == json.dumps(links, ensure_ascii=False), number.e164
    odd, even = normalize_number("+14046214055"), normalize_number("+14046214056")
    assert "even only comments" not in dict(number_links(odd, everything))
    assert "even only comments" in dict(number_links(even, everything))
