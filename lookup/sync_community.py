"""``whocalled sync community``: the household's own copy of its community server's list.

The first sync asks for the whole list (``since=0``); each later one asks only for what
changed since the version it holds (``since=VERSION``) and applies the numbers added and
removed. A copy synced from another server (``base_url`` changed) starts over. The copy
serves ``export --include community`` and offline lookups; the list holds numbers only, never
who voted, and nothing of the household is sent but its member token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from db.community.household import DATASET
from lookup.models import Finding, Number, SyncState, iso_now
from scrapers.community import WhocalledCommunity, exchange

if TYPE_CHECKING:
    from db.store import Store
    from lookup.numbers import NumberError
    from lookup.settings import Settings
    from scrapers.base import SourceBase

MAX_NUMBER = 16  # "+" and E.164's 15 digits


@dataclass
class CommunitySync:
    """What one sync did."""

    since: int
    version: int = 0
    added: int = 0
    removed: int = 0
    rows: int = 0
    full: bool = False
    failure: str | None = None

    def summary(self) -> str:
        if self.failure:
            return f"community list: not synced: {self.failure}"
        if self.full:
            return f"community list: {self.rows} number(s), version {self.version} (the whole list)"
        return (f"community list: +{self.added} -{self.removed} since version {self.since};"
                f" {self.rows} number(s) at version {self.version}")


def is_e164(value: Any) -> bool:
    return (isinstance(value, str) and value.startswith("+") and value[1:].isascii() and value[1:].isdigit()
            and 4 <= len(value) <= MAX_NUMBER)


def synced_version(state: SyncState | None, base_url: str) -> int:
    """The list version the copy holds from ``base_url`` (0: none, or from another server)."""
    if state is None or state.state.get("base_url") != base_url:
        return 0
    version = state.state.get("version")
    return version if isinstance(version, int) and version > 0 else 0


def read_changes(answer: dict, since: int) -> tuple[int, list[str], list[str], bool]:
    """``(version, added, removed, full)`` from the list endpoint's answer (ValueError when it
    is not one)."""
    version, added, removed = answer.get("version"), answer.get("added"), answer.get("removed", [])
    if not (isinstance(version, int) and version >= 0 and isinstance(added, list) and isinstance(removed, list)):
        raise ValueError("the answer has no version, added and removed lists")
    bad = next((n for n in [*added, *removed] if not is_e164(n)), None)
    if bad is not None:
        raise ValueError(f"the answer lists {str(bad)[:30]!r}, which is not a number in E.164 form")
    return version, added, removed, since == 0 or answer.get("full") is True


async def sync_community(store: "Store", settings: "Settings", source: WhocalledCommunity) -> CommunitySync:
    """Bring the household's copy up to the server's list: the changes since the last sync."""
    state = store.get_sync_state(DATASET)
    since = synced_version(state, source.base_url)
    result = CommunitySync(since)
    accepted, said, answer = await exchange(source, source.list_request(since), settings)
    if not accepted:
        result.failure = said
        return result
    try:
        result.version, added, removed, result.full = read_changes(answer, since)
    except ValueError as exc:
        result.failure = str(exc)
        return result
    result.added, result.removed = len(added), 0 if result.full else len(removed)
    state = SyncState(DATASET, last_date=iso_now()[:10], detail=f"+{len(added)} -{result.removed}",
                      state={"version": result.version, "base_url": source.base_url})
    result.rows = store.apply_community_changes(added, [] if result.full else removed, result.version,
                                                full=result.full, state=state)
    return result


def copy_findings(store: "Store", sources: Sequence["SourceBase"], numbers: Sequence["Number | NumberError"]) -> dict[str, list[Finding]]:
    """Offline lookups: what the household's copy of the community list says of ``numbers``
    (nothing when the community source is off or no copy of its server's list exists)."""
    source = next((s for s in sources if isinstance(s, WhocalledCommunity) and s.enabled), None)
    if source is None:
        return {}
    state = store.get_sync_state(DATASET)
    if not synced_version(state, source.base_url) or state is None or not state.updated_at:
        return {}
    unique = {n.e164: n for n in numbers if isinstance(n, Number) and n.e164}
    listed = store.community_listed(list(unique))
    return {key: [source.copy_finding(number, key in listed, state.updated_at)] for key, number in unique.items()}
