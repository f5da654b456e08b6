"""Results described in plain words, the same for the terminal and the web page."""

from __future__ import annotations

from typing import Any, Mapping

from lookup.models import Level, NumberKind, Status
from lookup.results import LookupResult

LEVEL_WORDS = {
    Level.ALLOWED: "allowed (your allowlist or contacts)",
    Level.LIKELY_OK: "likely OK",
    Level.UNKNOWN: "unknown",
    Level.SUSPICIOUS: "suspicious",
    Level.LIKELY_SPAM: "likely spam",
    Level.BLOCKED: "blocked (your block list)",
}

CATEGORY_WORDS = {  # a category (lookup.models.Category) in plain words
    "robocall": "robocall",
    "scam": "scam",
    "telemarketer": "telemarketer",
    "debt_collector": "debt collector",
    "survey": "survey",
    "political": "political call",
    "silent": "silent call",
    "other": "unwanted call",
}

STATUS_WORDS = {
    Status.NOT_FOUND: "no reports",
    Status.BLOCKED: "no answer: blocked by a bot wall",
    Status.RATE_LIMITED: "no answer: rate limited",
    Status.LAYOUT_CHANGED: "no answer: the page layout changed (scraper needs an update)",
    Status.ERROR: "no answer: error",
    Status.TIMEOUT: "no answer in time",
    Status.SKIPPED: "skipped",
}


def headline(result: LookupResult) -> str:
    n = result.number
    assert n is not None
    if n.kind is NumberKind.WITHHELD:
        return "Withheld caller ID"
    if n.kind in (NumberKind.SHORT_CODE, NumberKind.EMERGENCY):
        return f"{n.short} ({n.kind.value.replace('_', ' ')})"
    facts = [x for x in (n.location, n.type.value.replace("_", " ") if n.valid else "not a valid number", n.carrier) if x]
    ext = f" ext. {n.extension}" if n.extension else ""
    return f"{n.international}{ext}  ({', '.join(facts)})"


def local_time(iso: str | None, tz: str | None = None) -> str:
    """A stored ISO UTC time as the user reads it: ``2026-11-20 09:05 EST`` in ``tz`` (an IANA
    name, the configured ``timezone``), else in the machine's zone; "" for None."""
    if not iso:
        return ""
    from datetime import datetime, timezone

    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    zone = None
    if tz:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
    local = at.astimezone(zone) if zone is not None else at.astimezone()
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()



def listing_words(entry: Mapping[str, Any]) -> str:
    """``Apotheke am Markt (pharmacy), Hauptstr. 5`` from a ``listings`` entry."""
    kind = entry.get("kind")
    text = str(entry.get("name") or (f"an unnamed {kind}" if kind else "an unnamed place"))
    if kind and str(kind).lower() not in text.lower():
        text += f" ({kind})"
    if entry.get("address"):
        text += f", {entry['address']}"
    return text


def listing_line(entry: Mapping[str, Any]) -> str:
    """A listed place in one line with its hours and the credit its data asks for:
    ``Apotheke am Markt (pharmacy), Hauptstr. 5 · open now until 18:30 · © OpenStreetMap contributors``."""
    parts = [listing_words(entry)]
    if entry.get("hours"):
        parts.append(str(entry["hours"]))
    elif entry.get("opening_hours"):
        parts.append(f"hours: {entry['opening_hours']}")
    if entry.get("attribution"):
        parts.append(str(entry["attribution"]))
    return " · ".join(parts)
