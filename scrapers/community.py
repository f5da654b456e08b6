"""The community and API lookup sources (issue 4), for the registry to import in one line."""

from __future__ import annotations

from scrapers.base import Source
from scrapers.nomorobo_com import NomoroboCom
from scrapers.notes800_com import Notes800Com
from scrapers.phoneblock_net import PhoneblockNet
from scrapers.phonespamfilter_com import PhonespamfilterCom
from scrapers.shouldianswer_com import ShouldianswerCom
from scrapers.tellows import Tellows
from scrapers.who_called_co_uk import WhoCalledCoUk
from scrapers.whocallsme_com import WhocallsmeCom

COMMUNITY_SOURCES: tuple[type[Source], ...] = (
    ShouldianswerCom,
    NomoroboCom,
    Notes800Com,
    WhocallsmeCom,
    WhoCalledCoUk,
    PhonespamfilterCom,
    Tellows,
    PhoneblockNet,
)
