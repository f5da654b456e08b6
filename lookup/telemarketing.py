"""Number ranges reserved for telemarketing, kept as data per country (``lookup/data/telemarketing.toml``).

Some regulators set aside ranges that sales calls and automated calling systems must show as
their caller ID, so that people can tell a sales pitch before picking up: France's ARCEP
reserved twelve (01 62, 01 63, 02 70, ... 09 49) from 2023. A number in such a range is a
legal telemarketer: not a scam, and rarely worth a call back. Adding a country is adding a
table to the data file; nothing here names a country.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class TelemarketingRange:
    """One country's reserved ranges: ``prefixes`` are E.164 beginnings (``"+33162"``)."""

    region: str
    authority: str
    rule: str
    prefixes: tuple[str, ...]


def read_ranges(text: str) -> dict[str, TelemarketingRange]:
    """The ranges in the TOML ``text``, per region; ValueError naming the table for a bad one."""
    out: dict[str, TelemarketingRange] = {}
    for region, table in tomllib.loads(text).items():
        code, prefixes = table.get("country_code"), table.get("prefixes")
        if not isinstance(code, int) or not isinstance(prefixes, list) or not prefixes:
            raise ValueError(f"telemarketing ranges [{region}]: needs country_code and a list of prefixes")
        if not all(isinstance(p, str) and p.isdigit() for p in prefixes):
            raise ValueError(f"telemarketing ranges [{region}]: prefixes must be strings of digits")
        out[region] = TelemarketingRange(
            region, str(table.get("authority", "")), str(table.get("rule", "")), tuple(f"+{code}{p}" for p in prefixes)
        )
    return out


@lru_cache(maxsize=1)
def load_ranges() -> dict[str, TelemarketingRange]:
    """The packaged ranges, read once."""
    text = resources.files("lookup").joinpath("data/telemarketing.toml").read_text(encoding="utf-8")
    return read_ranges(text)


@lru_cache(maxsize=1)
def _by_start() -> tuple[tuple[str, ...], dict[str, TelemarketingRange]]:
    """Every prefix (for one ``str.startswith`` test) and the range each belongs to."""
    owner = {p: r for r in load_ranges().values() for p in r.prefixes}
    return tuple(owner), owner


def telemarketing_prefix(e164: str | None) -> str | None:
    """The reserved telemarketing prefix ``e164`` starts with (``"+33162"``), or None."""
    if not e164:
        return None
    starts, _ = _by_start()
    if not e164.startswith(starts):
        return None
    return next(p for p in starts if e164.startswith(p))


def range_of(prefix: str) -> TelemarketingRange | None:
    """The country's ranges a prefix from :func:`telemarketing_prefix` belongs to."""
    return _by_start()[1].get(prefix)
