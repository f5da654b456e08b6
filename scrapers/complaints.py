"""What the government complaint sources share: row ids, row tallies, number fields.

Their spam signal is the verdict's one complaint curve,
:func:`lookup.verdict.complaint_spam` (count, recency, robocall share), so a
source and the verdict never score the same complaints two ways.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import partial
from typing import Iterator, TextIO

from lookup.models import Number
from lookup.numbers import nanp_e164

MAX_LINE_CHARS = 1 << 20  # a longer line is read in pieces (and then fails csv's field limit)
_NON_DIGITS = re.compile(r"[^0-9]+")
_SEP = "\x1f"


class NotDatasetFile(ValueError):
    """A file or body that is not the expected dataset CSV. ``changed`` is True when it
    looks like the dataset but its header lost a column (a format change, not a missing file)."""

    def __init__(self, reason: str, *, changed: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.changed = changed


@dataclass
class RowTally:
    """Counts kept while a dataset file is read: every data row, the rows that had no usable
    number (or too few fields), rows outside the asked date range, the latest date seen, and why
    reading stopped early when the file is damaged (the rows before stay good)."""

    rows: int = 0
    skipped: int = 0
    out_of_range: int = 0
    latest: str | None = None
    damaged: str | None = None


def bounded_lines(stream: TextIO) -> Iterator[str]:
    """The lines of ``stream``, none longer than MAX_LINE_CHARS: a file without line breaks
    never lands in memory whole."""
    return iter(partial(stream.readline, MAX_LINE_CHARS), "")


def is_nanp(number: Number) -> bool:
    """A +1 number with ten national digits: what the US complaint data and NANP prefixes cover
    (invalid area codes included: a spoofed caller ID is exactly what people look up)."""
    return number.e164 is not None and number.country_code == 1 and len(number.e164) == 12


def row_id(dataset: str, fields: list[str], day: str = "") -> str:
    """A stable id for a source row: the dataset, the row's day and a hash of its raw fields.
    The day goes first so that a day's rows land side by side in the primary-key index
    (inserts stay in cache however large the table grows)."""
    digest = hashlib.blake2b(_SEP.join(fields).encode("utf-8", "replace"), digest_size=12).hexdigest()
    return f"{dataset}:{day}:{digest}"


def nanp_field(text: str) -> str | None:
    """E.164 from a NANP number field ("2025550123", "202-555-0123", "1 (202) 555-0123"), or None."""
    if not text or not text.isascii():
        return None
    e164 = nanp_e164(text)
    if e164 is None and len(text) >= 10:
        e164 = nanp_e164(_NON_DIGITS.sub("", text))
    return e164


def top_values(pairs: tuple[tuple[str, int], ...], limit: int = 3) -> dict[str, int]:
    """The ``limit`` most frequent values as an ordered ``{value: count}``."""
    return {value: count for value, count in pairs[:limit]}
