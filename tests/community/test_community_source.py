"""The household's ``community`` source: off until configured, only a prefix in its request,
and its recorded answers (found, legit, not voted, blocked, refused token, layout changed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookup.models import Status
from lookup.numbers import normalize_number
from lookup.settings import SourceConfig
from scrapers.base import Page
from scrapers.registry import source_classes
from scrapers.community import WhocalledCommunity

PAGES = Path(__file__).parents[1] / "pages" / "community"
CONFIG = SourceConfig(base_url="http://127.0.0.1:9", token="wcc_test")


def test_it_is_registered_and_off_until_configured() -> None:
    assert WhocalledCommunity in source_classes()
    assert not WhocalledCommunity().enabled
    assert not WhocalledCommunity(SourceConfig(token="wcc_x")).enabled  # no server: off
    assert not WhocalledCommunity(SourceConfig(base_url="http://127.0.0.1:9")).enabled  # no token: off
    assert WhocalledCommunity(CONFIG).enabled


@pytest.mark.parametrize("hidden,prefix", [(None, "+12025550"), ("2", "+120255501"), ("3", "+12025550")])
def test_only_a_prefix_leaves_the_house(hidden, prefix) -> None:
    options = {"hidden_digits": hidden} if hidden else {}
    source = WhocalledCommunity(SourceConfig(base_url="http://127.0.0.1:9", token="wcc_t", options=options))
    request = source.request(normalize_number("+12025550143", "US", details=False))
    assert request.url == f"http://127.0.0.1:9/api/v1/community/check/{prefix}"
    assert "0143" not in request.url.rsplit("/", 1)[1][len(prefix):] and request.headers["Authorization"] == "Bearer wcc_t"


@pytest.mark.parametrize("case", WhocalledCommunity.CASES, ids=[c.id for c in WhocalledCommunity.CASES])
def test_recorded_answers(case) -> None:
    source = WhocalledCommunity(CONFIG)
    number = normalize_number(case.number, "US", details=False)
    body = (PAGES / case.page).read_text(encoding="utf-8")
    finding = source.read(Page(url=source.request(number).url, status=case.http_status, body=body,
                               content_type=case.content_type), number)
    for name, want in case.expect.items():
        got = getattr(finding, name)
        if name == "status":
            assert got is Status(want), finding.detail
        elif name == "facts":
            assert {k: got.get(k) for k in want} == want
        else:
            assert got == want, name


def test_the_cases_cover_every_outcome() -> None:
    assert {c.expect["status"] for c in WhocalledCommunity.CASES} >= {"found", "not_found", "blocked", "layout_changed"}
