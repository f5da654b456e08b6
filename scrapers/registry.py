"""The registry: every source whocalled has, one line each. Nothing else lists sources: the
engine, ``whocalled sources``, the settings and the tests (recorded-page case tables, live
canaries) all iterate this.

Adding a source: write ``scrapers/<name>.py`` (a subclass of one of the kinds in
:mod:`scrapers.base`, with its ``CASES`` and ``CANARIES``), record its pages under
``tests/pages/<name>/`` saying where each page's shape came from, and add its line here.

Each line is ``"module:Class"``, imported when the registry is first asked: source modules
import nothing heavy at module level (bs4 and friends are imported inside ``parse``), so
loading the registry stays cheap on the offline path.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import Sequence

from lookup.settings import Settings
from scrapers.base import SourceBase

SOURCES = (
    "scrapers.ftc_gov:FtcGov",
    "scrapers.fcc_gov:FccGov",
    "scrapers.localcallingguide_com:LocalCallingGuide",
    "scrapers.shouldianswer_com:ShouldianswerCom",
    "scrapers.nomorobo_com:NomoroboCom",
    "scrapers.notes800_com:Notes800Com",
    "scrapers.whocallsme_com:WhocallsmeCom",
    "scrapers.who_called_co_uk:WhoCalledCoUk",
    "scrapers.phonespamfilter_com:PhonespamfilterCom",
    "scrapers.tellows:Tellows",
    "scrapers.phoneblock_net:PhoneblockNet",
    "scrapers.community:WhocalledCommunity",
    "scrapers.osm:Osm",
    "scrapers.wikidata:Wikidata",
)


@cache
def _classes() -> tuple[type[SourceBase], ...]:
    out = []
    for line in SOURCES:
        module, _, name = line.partition(":")
        out.append(getattr(import_module(module), name))
    return tuple(out)


def source_classes() -> list[type[SourceBase]]:
    """Every source class, in registry order."""
    return list(_classes())


def load_sources(settings: Settings, only: Sequence[str] = ()) -> list[SourceBase]:
    """Instantiate every source with its config; ``only`` keeps the named ones."""
    sources = [cls(settings.source(cls.name)) for cls in source_classes()]
    if only:
        sources = [s for s in sources if s.name in only]
    return sources


def source_names() -> list[str]:
    return [cls.name for cls in source_classes()]
