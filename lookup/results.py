"""A lookup's answer for one input, and its JSON form (the contract of ``lookup --json``
and of the server's ``/api/v1/lookup``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from lookup.models import Finding, History, ListEntry, Number, Report, Status, Verdict


@dataclass(frozen=True)
class LookupResult:
    """Everything known about one input, ready to print or serialise."""

    input: str
    number: Number | None = None
    error: str | None = None
    verdict: Verdict | None = None
    findings: tuple[Finding, ...] = ()
    lists: tuple[ListEntry, ...] = ()
    reports: tuple[Report, ...] = ()
    history: History | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        if self.error is not None or self.number is None or self.verdict is None:
            return {"input": self.input, "error": self.error}
        n, v = self.number, self.verdict
        out: dict[str, Any] = {
            "input": self.input,
            "e164": n.e164,
            "withheld": n.withheld,
            "kind": n.kind.value,
            "short": n.short,
            "extension": n.extension,
            "valid": n.valid,
            "possible": n.possible,
            "region": n.region,
            "country_code": n.country_code,
            "national": n.national,
            "international": n.international,
            "type": n.type.value,
            "location": n.location,
            "carrier": n.carrier,
            "time_zones": list(n.time_zones),
            "verdict": v.level.value,
            "spam_score": v.score,
            "call_back": v.call_back.value,
            "call_back_reason": v.call_back_reason,
            "reasons": [
                {"signal": e.signal, "detail": e.detail, "source": e.source, "weight": e.weight} for e in v.evidence
            ],
            "sources": [finding_json(f) for f in self.findings],
            "lists": [{"pattern": e.pattern, "kind": e.kind.value, "reason": e.reason} for e in self.lists],
            "reports": len(self.reports),
        }
        name = caller_name(self.findings, self.history)
        if name:
            out["name"] = name
        if self.history is not None:
            h = self.history
            out["history"] = {
                "silent_calls": h.silent_calls,
                "first_at": h.first_at,
                "last_at": h.last_at,
                "night_calls": h.night_calls,
                "outgoing_calls": h.outgoing_calls,
                "answered_calls": h.answered_calls,
                "contact_name": h.contact_name,
            }
        return out


def finding_json(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.source, "status": f.status.value, "fetched_at": f.fetched_at, "cached": f.cached}
    for key in ("name", "spam", "reports", "last_reported", "url", "detail"):
        value = getattr(f, key)
        if value is not None:
            out["caller_name" if key == "name" else key] = value
    if f.categories:
        out["categories"] = list(f.categories)
    if f.facts:
        out["facts"] = f.facts
    return out


def caller_name(findings: Iterable[Finding], history: History | None = None) -> str | None:
    """The caller's name: the user's contact name first, else the first source that names one.
    Never decorated with a spam flag (that is the verdict's job)."""
    if history is not None and history.contact_name:
        return history.contact_name
    for f in findings:
        if f.status is Status.FOUND and f.name:
            return f.name
    return None
