"""Taking back what was stored by mistake: a number's calls read from call logs
(``whocalled forget``) and one of the user's own reports (``whocalled unreport``).

Each undo comes in two steps, so a front end can say what would go and ask first: find what
is stored (:func:`calls_to_forget`, :func:`report_to_remove`), then remove it. Nothing else
goes with it: the number's lists, reports and cached findings stay (a report is taken back
with ``unreport``, a list entry with ``unlist``); a forgotten number comes back if a call log
that holds it is triaged again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lookup.lists import ListError, list_pattern
from lookup.models import Report

if TYPE_CHECKING:
    from db.store import Store
    from lookup.settings import Settings


@dataclass(frozen=True)
class StoredCalls:
    """The calls stored for one number: how many, and the first and last time (ISO UTC)."""

    e164: str
    count: int
    first_at: str | None
    last_at: str | None


def calls_to_forget(store: "Store", settings: "Settings", raw: str, region: str | None = None) -> StoredCalls:
    """The stored calls of the number ``raw``; a prefix or a non-number is a :class:`ListError`."""
    key = list_pattern(raw, region or settings.region)
    if key.endswith("*"):
        raise ListError(f"forget takes one number, not a range: {raw.strip()[:40]!r}")
    count, first, last = store.calls_summary(key)
    return StoredCalls(key, count, first, last)


def forget_calls(store: "Store", calls: StoredCalls) -> int:
    """Remove the calls found by :func:`calls_to_forget`; returns how many went."""
    return store.forget_calls(calls.e164)


def report_to_remove(store: "Store", report_id: int) -> Report:
    """The user's report number ``report_id``; an unknown id is a :class:`ListError`."""
    found = store.get_report(report_id)
    if found is None:
        raise ListError(f"there is no report #{report_id} (see: whocalled reports)")
    return found


def remove_report(store: "Store", report: Report) -> bool:
    """Remove a report found by :func:`report_to_remove`; False when it was gone already."""
    return store.remove_report(report.id or 0)
