"""Reading response bodies for the fetcher: size caps, decoding, and "is this what we asked for?".

Bodies are streamed in chunks and abandoned as soon as they pass the cap, so
a hostile 10 GB answer costs no more memory than the cap. Text is decoded with
the charset the server named, else UTF-8, and undecodable bytes become U+FFFD
rather than an error.
"""

from __future__ import annotations

import codecs
import email.utils
import math
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

from lookup.models import Status
from scrapers.base import FetchError, Page, detect_block_page

CHUNK_BYTES = 64 * 1024
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_KIND_NAMES = {"json": "JSON", "xml": "XML", "text": "text"}


def format_size(size: int) -> str:
    """``4 MB``, ``200 kB``, ``512 bytes`` (decimal units, as people read them)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def too_large(cap: int, what: str = "response") -> FetchError:
    return FetchError(Status.ERROR, f"{what} larger than {format_size(cap)}")


async def read_body(resp: aiohttp.ClientResponse, cap: int, *, truncate: bool = False) -> bytes:
    """Read at most ``cap`` bytes; past it raise ``error`` (or, with ``truncate``, keep the head)."""
    if not truncate and resp.content_length is not None and resp.content_length > cap:
        raise too_large(cap)
    buf = bytearray()
    async for chunk in resp.content.iter_chunked(CHUNK_BYTES):
        buf += chunk
        if len(buf) > cap:
            if truncate:
                return bytes(buf[:cap])
            raise too_large(cap)
    return bytes(buf)


async def save_body(resp: aiohttp.ClientResponse, dest: Path, cap: int) -> int:
    """Stream the body into a temporary file beside ``dest`` and rename it into place.

    Whatever stops the copy (size cap, broken connection, cancellation) removes
    the temporary file, so ``dest`` is either the whole new body or untouched.
    """
    if resp.content_length is not None and resp.content_length > cap:
        raise too_large(cap, "download")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    written = 0
    finished = False
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in resp.content.iter_chunked(CHUNK_BYTES):
                written += len(chunk)
                if written > cap:
                    raise too_large(cap, "download")
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, dest)
        finished = True
    finally:
        if not finished:
            Path(tmp_name).unlink(missing_ok=True)
    return written


def decode_body(raw: bytes, charset: str | None) -> str:
    """Decode with the declared charset, else UTF-8; never raises."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    return raw.decode(known_codec(charset) or "utf-8", errors="replace")


def known_codec(charset: str | None) -> str | None:
    """The codec name for ``charset``, or None when Python does not know it."""
    if not charset:
        return None
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return None


def make_page(resp: aiohttp.ClientResponse, raw: bytes) -> Page:
    return Page(
        url=str(resp.url),
        status=resp.status,
        body=decode_body(raw, resp.charset),
        content_type=resp.headers.get("Content-Type", ""),
        headers=CIMultiDictProxy(CIMultiDict(resp.headers)),
    )


def is_html(mimetype: str, head: str) -> bool:
    return head.startswith(("<!doctype html", "<html")) or mimetype in _HTML_TYPES


def has_kind(expect: str, mimetype: str, head: str) -> bool:
    """Whether a body whose stripped, lower-cased start is ``head`` is the ``expect`` kind."""
    if expect == "json":
        return head[:1] in ("{", "[") or (mimetype.endswith("json") and bool(head) and not head.startswith("<"))
    if expect == "xml":
        return head.startswith("<") and not head.startswith(("<!doctype html", "<html"))
    if expect == "text":
        return not is_html(mimetype, head)
    return True  # html, or a kind we do not check


def _sniff(page: Page) -> tuple[str, str]:
    return page.content_type.split(";", 1)[0].strip().lower(), page.body[:1024].lstrip().lower()


def page_has_kind(page: Page, expect: str) -> bool:
    return has_kind(expect, *_sniff(page))


def check_kind(page: Page, expect: str) -> None:
    """Raise ``blocked`` for a bot wall where data was expected, ``error`` for any other wrong body.

    Only 2xx bodies must match; a 4xx page (say an HTML 404 from a JSON API)
    goes to the source, which knows what that status means.
    """
    if expect not in _KIND_NAMES or page_has_kind(page, expect):
        return
    mimetype, head = _sniff(page)
    ok = 200 <= page.status < 300
    name = _KIND_NAMES[expect]
    if is_html(mimetype, head):
        wall = detect_block_page(page)
        if wall:
            raise FetchError(Status.BLOCKED, f"{wall} where {name} was expected")
        if ok:
            raise FetchError(Status.ERROR, f"expected {name} but got an HTML page")
    elif ok and not head:
        raise FetchError(Status.ERROR, f"expected {name} but the body is empty")
    elif ok:
        raise FetchError(Status.ERROR, f"expected {name} but got {mimetype or 'a body without a content type'}")


def find_wall(page: Page) -> str | None:
    """Bot-wall markers only: an error status alone (a plain 503 page) is not a wall here."""
    return detect_block_page(Page(page.url, 200, page.body, page.content_type, page.headers))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date); None if unusable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(seconds, 0.0)
