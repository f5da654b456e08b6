"""Text that came from outside (scraped pages, imported files, call logs, clients), made safe
to store, print and write: the one cleaner every reader uses, and the guard every CSV-like
writer puts on free text.

A caller name scraped from a comment site or read from a friend's list is a stranger's text.
It must not change a terminal (ESC, BEL), split a line in a file (line breaks, U+2028),
reorder what is shown (bidi overrides), or run as a spreadsheet formula.
"""

from __future__ import annotations

import re

# C0 and C1 control characters (ESC, BEL, NUL, line breaks, tabs), DEL, the Unicode line and
# paragraph separators, zero-width characters and the BOM, bidirectional overrides and
# isolates, lone surrogates (they cannot be encoded as UTF-8) and the two non-characters.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff\ufffe\uffff]+"
)
_SPACE = re.compile(r"\s+")

# OWASP's list for CSV injection: a cell starting with one of these is a formula to a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_text(text: str | None, limit: int | None = None) -> str:
    """``text`` as one printable line: unsafe characters become spaces, runs of white space
    one space, ends stripped, cut to ``limit`` characters. ``""`` for ``None``."""
    if not text:
        return ""
    if text.isprintable() and (limit is None or len(text) <= limit) and "  " not in text:
        return text.strip()
    out = _SPACE.sub(" ", _UNSAFE.sub(" ", text)).strip()
    return out[:limit].rstrip() if limit is not None else out


def safe_cell(text: str | None) -> str:
    """A free-text cell for a CSV-like file: a leading ``= + - @`` (or tab, CR) gets a ``'``
    in front, as OWASP recommends, so no spreadsheet runs it. Only for text columns: phone
    numbers in number columns are written as they are."""
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 file``, ``2 files``, ``3 searches``, ``1,200 rows`` (``many`` for irregular plurals)."""
    if count == 1:
        return f"{count:,} {noun}"
    return f"{count:,} {many or (noun + 'es' if noun.endswith(('s', 'sh', 'ch', 'x')) else noun + 's')}"


def describe_start(text: str) -> str:
    """What the start of a file that is not the expected one looks like, in words that are
    safe to print: "the file is empty", "it is not text", or "it starts with '...'"."""
    head = text[:200]
    if not head.strip():
        return "the file is empty"
    odd = sum(1 for ch in head if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\r\n"))
    if odd > len(head) // 10:
        return "it is not text (binary data)"
    return f"it starts with {clean_text(head[:40])!r}"

