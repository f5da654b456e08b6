"""The user's lists and reports: block, allow, unlist, report. The rules live here, once, for
the command line, the server's API and its page alike.

- A number or prefix is normalised the same way everywhere (:func:`lookup.numbers.normalize_pattern`).
- Protection: blocking never covers one of the user's own numbers, and never turns an
  allowlisted entry into a block, unless the caller says ``force``.
- Blocking again without a reason keeps the reason already stored.
- Caller-name patterns (``block --name``) follow the same rules: a pattern that would match
  every name, or the name of a contact on the allowlist, needs ``force``.
- Dates the user gives (``--at``, ``"at"``) are read by :func:`parse_when`: ISO dates or
  date-times, in local time unless they carry an offset, stored as ISO UTC.

Each function raises :class:`ListError` (or its :class:`Protected` kind) with a one-line
message; the front ends add how to override (``--force``, ``"force": true``) and pick the
exit code or HTTP status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable

from db.store import Store
from lookup.callinfo import NameBlock, is_catch_all, name_pattern
from lookup.models import Category, ListEntry, ListKind, Report, iso_now
from lookup.numbers import NumberError, normalize_number, normalize_pattern
from lookup.settings import Settings
from lookup.text import clean_text


class ListError(ValueError):
    """Input that cannot be listed or reported; the message is one line."""


class Protected(ListError):
    """Blocking would cover the user's own number or an allowlisted entry (needs ``force``)."""


@dataclass(frozen=True)
class Blocked:
    entry: ListEntry
    added: bool  # the pattern was on no list before
    allowed_inside: tuple[str, ...] = ()  # allowlisted entries a blocked range leaves allowed


@dataclass(frozen=True)
class Allowed:
    entry: ListEntry
    was: ListKind | None  # the list the pattern was on before, if any


MAX_NOTE = 500  # characters kept of a reason or note


def tidy(text: str | None) -> str | None:
    """A reason or note as it is stored: one clean line (:func:`lookup.text.clean_text`; bytes
    that were not UTF-8 are gone), at most :data:`MAX_NOTE` characters; None when empty."""
    return clean_text(text, MAX_NOTE) or None


def list_pattern(raw: str, region: str) -> str:
    """``raw`` as a list key: an E.164 number or a ``+CC...*`` prefix."""
    try:
        return normalize_pattern(raw, region)
    except NumberError as exc:
        raise ListError(str(exc)) from None


def _new_entry(
    store: Store, settings: Settings, raw: str, kind: ListKind, reason: str | None, region: str | None, origin: str,
) -> tuple[ListEntry, ListEntry | None]:
    """The entry to store for ``raw`` on list ``kind``, and what is stored for it now. Listing
    again on the same list without a reason keeps the reason already stored."""
    key = list_pattern(raw, region or settings.region)
    reason = tidy(reason)
    existing = store.get_list_entry(key)
    if reason is None and existing is not None and existing.kind is kind:
        reason = existing.reason
    return ListEntry(pattern=key, kind=kind, reason=reason, origin=origin), existing


def block(
    store: Store, settings: Settings, raw: str, reason: str | None = None, *,
    force: bool = False, region: str | None = None, origin: str = "user",
) -> Blocked:
    entry, existing = _new_entry(store, settings, raw, ListKind.BLOCK, reason, region, origin)
    if not force:
        why = protection(entry, settings.own_e164, store.iter_list_entries(ListKind.ALLOW))
        if why:
            raise Protected(why)
    added = store.add_list_entry(entry)
    inside: tuple[str, ...] = ()
    if entry.is_prefix:
        inside = tuple(e.pattern for e in store.iter_list_entries(ListKind.ALLOW) if entry.matches(e.prefix))
    return Blocked(entry, added, inside)


def protection(entry: ListEntry, own: Iterable[str], allowed: Iterable[ListEntry] | "AllowIndex") -> str | None:
    """Why blocking ``entry`` needs ``force``, or None when it does not: it would block one of
    the user's own numbers, or an allow entry covers it (the same pattern, or an allowed range
    it lies in: allowing wins, so such a block would only contradict the allowlist). A blocked
    range with allowed numbers inside is fine: they stay allowed."""
    mine = [n for n in own if entry.matches(n)]
    if mine:
        return f"{entry.pattern} would block your own number {mine[0]}"
    index = allowed if isinstance(allowed, AllowIndex) else AllowIndex(allowed)
    return index.why_covered(entry)


class AllowIndex:
    """The allow entries, indexed to say in a few set look-ups whether one covers a pattern."""

    def __init__(self, entries: Iterable[ListEntry]) -> None:
        self.patterns = set()
        self.ranges: dict[str, str] = {}  # digits of an allowed range -> its pattern
        for e in entries:
            self.patterns.add(e.pattern)
            if e.is_prefix:
                self.ranges[e.prefix] = e.pattern
        self.sizes = sorted({len(p) for p in self.ranges})

    def why_covered(self, entry: ListEntry) -> str | None:
        if entry.pattern in self.patterns:
            return f"{entry.pattern} is on your allowlist"
        head = entry.prefix
        for size in self.sizes:
            if size <= len(head) and head[:size] in self.ranges:
                return f"{entry.pattern} lies in your allowed range {self.ranges[head[:size]]}"
        return None


def block_many(store: Store, settings: Settings, entries: Iterable[ListEntry]) -> tuple[int, list[str]]:
    """Add block entries in one transaction, leaving out the protected ones (own numbers,
    allowlisted numbers and ranges, as :func:`protection` says) and keeping entries already
    listed. Returns (added, protected)."""
    allowed = AllowIndex(store.iter_list_entries(ListKind.ALLOW))
    own = settings.own_e164
    keep: list[ListEntry] = []
    protected: list[str] = []
    for entry in entries:
        if protection(entry, own, allowed):
            protected.append(entry.pattern)
        else:
            keep.append(entry)
    return store.add_list_entries(keep), protected


def allow(
    store: Store, settings: Settings, raw: str, reason: str | None = None, *,
    region: str | None = None, origin: str = "user",
) -> Allowed:
    entry, existing = _new_entry(store, settings, raw, ListKind.ALLOW, reason, region, origin)
    store.add_list_entry(entry)
    return Allowed(entry, existing.kind if existing is not None else None)


def unlist(store: Store, settings: Settings, raw: str, *, region: str | None = None) -> tuple[str, ListEntry | None]:
    """Take ``raw`` off the lists: (its key, the entry removed or None when it was not listed)."""
    key = list_pattern(raw, region or settings.region)
    return key, store.remove_list_entry(key)


def block_name(
    store: Store, raw: str, reason: str | None = None, *, force: bool = False, origin: str = "user",
) -> tuple[NameBlock, bool]:
    """Put a caller-name pattern on the block list: (the entry, whether it is new)."""
    try:
        pattern = name_pattern(raw)
    except ValueError as exc:
        raise ListError(str(exc)) from None
    reason = tidy(reason)
    existing = store.get_name_block(pattern)
    if reason is None and existing is not None:
        reason = existing.reason
    entry = NameBlock(pattern, reason, origin=origin)
    if not force:
        why = name_protection(entry, store.iter_list_entries(ListKind.ALLOW))
        if why:
            raise Protected(why)
    return entry, store.add_name_block(entry)


def name_protection(entry: NameBlock, allowed: Iterable[ListEntry]) -> str | None:
    """Why blocking the name pattern ``entry`` needs ``force``: it matches every name, or the
    name (the reason stored) of a contact or other entry on the allowlist."""
    if is_catch_all(entry.pattern):
        return f"the name pattern {entry.pattern} would block every caller who sends a name"
    hit = next((e for e in allowed if e.reason and entry.matches(e.reason)), None)
    if hit is not None:
        return f"the name pattern {entry.pattern} matches {hit.reason!r}, allowlisted as {hit.pattern}"
    return None


def unlist_name(store: Store, raw: str) -> tuple[str, NameBlock | None]:
    """Take a caller-name pattern off the block list: (its key, the entry removed or None)."""
    try:
        pattern = name_pattern(raw)
    except ValueError as exc:
        raise ListError(str(exc)) from None
    return pattern, store.remove_name_block(pattern)


def report(
    store: Store, settings: Settings, raw: str, category: Category | str | None = None, note: str | None = None,
    at: str | None = None, *, region: str | None = None,
) -> Report:
    """Record the user's own report; returns it with its id. ``at`` is parsed by :func:`parse_when`."""
    try:
        number = normalize_number(raw, region or settings.region, details=False)
    except NumberError as exc:
        raise ListError(str(exc)) from None
    if number.e164 is None:
        raise ListError(f"cannot report {raw!r}: it is not a dialable number ({number.kind.value})")
    try:
        cat = Category(category or Category.OTHER)
    except ValueError:
        raise ListError(f"unknown category {str(category)[:40]!r}; use one of: {', '.join(Category)}") from None
    when = parse_when(at) if at else iso_now()  # no time given: the call came about now
    note = tidy(note)
    item = Report(e164=number.e164, category=cat, note=note, at=when)
    rid = store.add_report(item)
    return Report(e164=item.e164, category=cat, note=note, at=when, created_at=item.created_at, id=rid)


DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def parse_when(text: str) -> str:
    """An ISO date or date-time (local time unless it carries an offset) as ISO UTC."""
    raw = text.strip().replace("T", " ", 1)
    value: datetime | None = None
    for fmt in DATE_FORMATS:
        try:
            value = datetime.strptime(raw, fmt)
            break
        except ValueError:
            continue
    if value is None:
        try:
            value = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ListError(
                f"not a date or time: {text[:40]!r} (use YYYY-MM-DD or 'YYYY-MM-DD HH:MM')"
            ) from None
    try:
        if value.tzinfo is None:
            value = value.astimezone()  # the user's local time
        return value.astimezone(timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, ValueError, OSError):
        raise ListError(f"date out of range: {text[:40]!r}") from None
