"""Google Voice in Google Takeout: the ``Takeout/Voice/Calls/`` pages, from a folder or the .zip.

Accepted paths: the ``Calls`` folder itself, any folder above it (``Voice``,
``Takeout`` or the folder the archive was unpacked into), the Takeout .zip
(read member by member, never extracted), or a single call page.

Page names follow ``<name or +E164> - <Missed|Received|Placed|Voicemail|Recorded|Text> - YYYY-MM-DDTHH_MM_SSZ.html``
(older exports leave out the label). The page itself decides: ``div.haudio``
with the label in ``div.tags a[rel=tag]`` (``#missed``, ``#received`` ...),
the number in ``div.contributor a.tel``, the time in ``abbr.published`` (local
time with offset) and the length in ``abbr.duration`` (ISO-8601, absent on
missed calls). Text conversations (``Text`` pages, group conversations) are
ignored, not skipped. Google Voice records incoming calls only, so a recorded
call counts as an answered incoming call.
"""

from __future__ import annotations

import math
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import lxml.etree
import lxml.html

from lookup.models import Call, CallStatus, Direction, LogFormat

from .common import (
    CallLogError,
    IgnoreRow,
    LogContext,
    SkipRow,
    check_date,
    emit_calls,
    name_or_none,
    outgoing_status,
    read_head,
    utc_of,
)

FORMAT = LogFormat.GVOICE_TAKEOUT
MAX_PAGE_BYTES = 4 << 20  # real call pages are a few kB; voicemail transcripts stay far below this
MAX_ZIP_ENTRIES = 300_000  # a zip listing more is refused before it is loaded

NAME = re.compile(
    r"^(?P<who>.*?) - (?:(?P<label>[A-Za-z]+) - )?(?P<stamp>\d{4}-\d{2}-\d{2}T\d{2}_\d{2}_\d{2}Z)(?:-\d+-\d+)?\.html$"
)
KINDS: dict[str, tuple[Direction, CallStatus]] = {
    "missed": (Direction.INCOMING, CallStatus.MISSED),
    "received": (Direction.INCOMING, CallStatus.ANSWERED),
    "placed": (Direction.OUTGOING, CallStatus.ANSWERED),
    "voicemail": (Direction.INCOMING, CallStatus.VOICEMAIL),
    "recorded": (Direction.INCOMING, CallStatus.ANSWERED),
}
TEXT_LABELS = frozenset({"text", "sms"})
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_NUMBER_LIKE = re.compile(r"^\+?\d[\d\s().-]{5,}$")
_PARSER = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)

Page = tuple[str, Callable[[], bytes]]  # (file name, loader)


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def is_format(path: Path, head: bytes) -> bool:
    if path.is_dir():
        return find_calls_dir(path) is not None
    if head.startswith(b"PK"):
        return _zip_has_calls(path)
    return b"haudio" in head and b"<" in head[:512]


def find_calls_dir(path: Path) -> Path | None:
    """The ``Calls`` folder at or below ``path`` (up to ``Takeout/Voice/Calls``), if any holds call pages."""
    for candidate in (path, path / "Calls", path / "Voice" / "Calls", path / "Takeout" / "Voice" / "Calls"):
        if candidate.is_dir() and _has_call_pages(candidate):
            return candidate
    return None


def _has_call_pages(folder: Path) -> bool:
    """Whether ``folder`` holds a call page; stops at the first (``Path.glob`` would list all)."""
    with os.scandir(folder) as entries:
        return any(NAME.match(entry.name) for entry in entries)


def is_call_member(name: str) -> bool:
    return "Voice/Calls/" in name and name.endswith(".html")


def read(ctx: LogContext) -> Iterator[Call]:
    path = ctx.path
    if path.is_dir():
        calls_dir = find_calls_dir(path)
        if calls_dir is None:
            raise CallLogError(f"{ctx.name}: no Takeout/Voice/Calls pages in this folder")
        return emit_calls(ctx, _folder_pages(calls_dir), parse_page)
    head = read_head(path, 4096)
    if head.startswith(b"PK"):
        _check_zip(ctx)
        return emit_calls(ctx, _zip_pages(ctx), parse_page)
    if b"haudio" not in head and b"hChatLog" not in head:
        raise CallLogError(f"{ctx.name}: not a Google Voice call page, Takeout folder or Takeout zip")
    return emit_calls(ctx, [(path.name, (path.name, lambda: _read_file(path)))], parse_page)


# ---------------------------------------------------------------- where pages come from


def _folder_pages(calls_dir: Path) -> Iterator[tuple[str, Page]]:
    """The folder's pages in the order the file system lists them, never all names at once:
    a Takeout of many years holds a page per call."""
    with os.scandir(calls_dir) as entries:
        for entry in entries:
            if entry.name.endswith(".html"):
                page = Path(entry.path)
                yield entry.name, (entry.name, lambda page=page: _read_file(page))


def _read_file(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_PAGE_BYTES:
            raise SkipRow("page too large")
        return path.read_bytes()
    except OSError as exc:
        raise SkipRow(f"cannot read ({exc.strerror})") from None


def _check_zip(ctx: LogContext) -> None:
    declared = _declared_zip_entries(ctx.path)
    if declared is not None and declared > MAX_ZIP_ENTRIES:
        raise CallLogError(f"{ctx.name}: zip lists {declared} entries, more than the {MAX_ZIP_ENTRIES} allowed")
    if not _zip_has_calls(ctx.path):
        raise CallLogError(f"{ctx.name}: zip holds no Takeout/Voice/Calls pages")


def _zip_has_calls(path: Path) -> bool:
    declared = _declared_zip_entries(path)
    if declared is not None and declared > MAX_ZIP_ENTRIES:
        return True  # it claims to be a zip; read() refuses it with the reason
    try:
        with zipfile.ZipFile(path) as archive:
            return any(is_call_member(name) for name in archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def _declared_zip_entries(path: Path) -> int | None:
    """The entry count the zip's end record declares (zip64 too), read without loading the listing."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - (1 << 16) - 22))
        tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    count = struct.unpack("<H", tail[at + 10 : at + 12])[0]
    if count != 0xFFFF:
        return count
    at64 = tail.rfind(b"PK\x06\x06", 0, at)
    if at64 < 0 or len(tail) < at64 + 40:
        return None
    return struct.unpack("<Q", tail[at64 + 32 : at64 + 40])[0]


def _zip_pages(ctx: LogContext) -> Iterator[tuple[str, Page]]:
    try:
        archive = zipfile.ZipFile(ctx.path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CallLogError(f"{ctx.name}: broken zip ({exc})") from None
    with archive:
        members = sorted((info for info in archive.infolist() if is_call_member(info.filename)),
                         key=lambda info: info.filename)
        for info in members:
            name = info.filename.rsplit("/", 1)[-1]
            yield name, (name, lambda info=info: _read_member(archive, info))


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_PAGE_BYTES:
        raise SkipRow("page too large")
    try:
        with archive.open(info) as member:
            data = member.read(MAX_PAGE_BYTES + 1)  # the size in the header may lie
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise SkipRow(f"broken zip member ({exc})") from None
    except RuntimeError as exc:  # encrypted member
        raise SkipRow(f"unreadable zip member ({exc})") from None
    if len(data) > MAX_PAGE_BYTES:
        raise SkipRow("page too large")
    return data


# ---------------------------------------------------------------- one page


def parse_page(page: Page, ctx: LogContext) -> Call:
    file_name, load = page
    named = NAME.match(file_name)
    label = (named.group("label") or "").lower() if named else ""
    if label in TEXT_LABELS:
        raise IgnoreRow("text conversation")
    data = load()
    try:
        doc = lxml.html.document_fromstring(data, parser=_PARSER)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise SkipRow(f"not an HTML page ({exc})") from None
    found = doc.xpath(f"//div[{_has_class('haudio')}]")
    if not found:
        if doc.xpath(f"//div[{_has_class('hChatLog')}]"):
            raise IgnoreRow("text conversation")
        raise SkipRow("no call on this page (div.haudio missing)")
    box = found[0]
    direction, status = _kind(box, label)
    tel = box.xpath(f".//div[{_has_class('contributor')}]//a[{_has_class('tel')}]")
    raw = (tel[0].get("href") or "") if tel else ""
    raw = raw[4:] if raw.lower().startswith("tel:") else raw
    name = _text(tel[0].xpath(f".//*[{_has_class('fn')}]")) if tel else None
    who = named.group("who").strip() if named else ""
    if not raw and _NUMBER_LIKE.match(who):
        raw = who
    if not name and who and not _NUMBER_LIKE.match(who):
        name = who
    if name and _NUMBER_LIKE.match(name):
        name = None
    duration = _duration(box.xpath(f".//abbr[{_has_class('duration')}]/@title"))
    if direction is Direction.OUTGOING:
        status = outgoing_status(duration)
    return ctx.make_call(raw, _published(box, named), direction, status, duration=duration, name=name_or_none(name))


def _kind(box: lxml.html.HtmlElement, label: str) -> tuple[Direction, CallStatus]:
    tags = [href.rsplit("#", 1)[-1].lower() for href in box.xpath(".//a[@rel='tag']/@href")]
    for tag in tags:
        if tag in KINDS:
            return KINDS[tag]
    if any(tag in TEXT_LABELS for tag in tags):
        raise IgnoreRow("text conversation")
    heading = (_text(box.xpath(f"./*[{_has_class('fn')}]")) or "").lower()
    for word, kind in KINDS.items():
        if heading.startswith(word):
            return kind
    if label in KINDS:
        return KINDS[label]
    raise SkipRow("cannot tell what kind of call this page is")


def _published(box: lxml.html.HtmlElement, named: re.Match[str] | None) -> datetime:
    for title in box.xpath(f".//abbr[{_has_class('published')}]/@title"):
        try:
            at = datetime.fromisoformat(title.strip())
        except ValueError:
            continue
        if at.tzinfo is not None:
            return utc_of(at)
    if named:
        stamp = datetime.strptime(named.group("stamp"), "%Y-%m-%dT%H_%M_%SZ")
        return check_date(stamp.replace(tzinfo=timezone.utc))
    raise SkipRow("no time on this page (abbr.published missing)")


def _duration(titles: list[str]) -> int | None:
    for title in titles:
        match = _DURATION.match(title.strip())
        if match and any(match.groups()):
            days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
            total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
            if not math.isfinite(total):
                raise SkipRow(f"bad duration {title[:20]!r}")
            return round(total)
    return None


def _text(elements: list[lxml.html.HtmlElement]) -> str | None:
    if not elements:
        return None
    text = " ".join(elements[0].text_content().split())
    return text or None
