"""A plain list of numbers, one per line; ``#`` starts a comment, blank lines are skipped.

The list says nothing about when or how the calls came, so each number is an
incoming missed call (that is why people list them) with no time (``at`` None)
and no duration: such calls count neither as repeats nor at night, and reading
the list again (edited or not) adds only the numbers that are new. A line that
is not a number is skipped and counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from lookup.models import Call, CallStatus, Direction, LogFormat
from lookup.numbers import is_withheld_text

from .common import LogContext, emit_calls, head_lines, iter_lines

FORMAT = LogFormat.PLAIN_TEXT
SAMPLE_LINES = 50
_NUMBER_LIKE = re.compile(r"^(?:tel:)?\+?[\d\s().\-/]{3,30}$", re.IGNORECASE)


def strip_comment(line: str) -> str:
    return line.split("#", 1)[0].strip()


def is_number_like(text: str) -> bool:
    """Shaped like a phone number (or a caller-ID placeholder such as "Anonymous")."""
    if is_withheld_text(text):
        return True
    return bool(_NUMBER_LIKE.match(text)) and sum(c.isdigit() for c in text) >= 3


def is_format(path: Path, head: bytes) -> bool:
    """Most meaningful lines of the head look like phone numbers."""
    entries = [text for text in map(strip_comment, head_lines(head, SAMPLE_LINES)) if text]
    if not entries:
        return False
    numbers = sum(1 for text in entries if is_number_like(text))
    return numbers * 5 >= len(entries) * 4


def read(ctx: LogContext) -> Iterator[Call]:
    def parse(text: str, ctx: LogContext) -> Call:
        return ctx.make_call(text, None, Direction.INCOMING, CallStatus.MISSED)

    rows = ((n, text) for n, line in iter_lines(ctx.path, ctx) if (text := strip_comment(line)))
    return emit_calls(ctx, rows, parse, "line {}")
