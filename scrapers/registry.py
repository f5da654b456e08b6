"""The registry of sources: explicit imports, one line per source.

Source modules import nothing heavy at module level (bs4 and friends are
imported inside ``parse``), so loading the registry stays cheap on the
offline path.
"""

from __future__ import annotations

from typing import Sequence

from lookup.settings import Settings
from scrapers.base import Source


def source_classes() -> list[type[Source]]:
    from scrapers.community import COMMUNITY_SOURCES
    from scrapers.fcc_gov import FccGov
    from scrapers.ftc_gov import FtcGov
    from scrapers.localcallingguide_com import LocalCallingGuide
    from scrapers.whocalled_community import WhocalledCommunity

    classes: list[type[Source]] = [FtcGov, FccGov, LocalCallingGuide, *COMMUNITY_SOURCES, WhocalledCommunity]
    return classes


def load_sources(settings: Settings, only: Sequence[str] = ()) -> list[Source]:
    """Instantiate every source with its config; ``only`` keeps the named ones."""
    sources = [cls(settings.source(cls.name)) for cls in source_classes()]
    if only:
        sources = [s for s in sources if s.name in only]
    return sources


def source_names() -> list[str]:
    return [cls.name for cls in source_classes()]
