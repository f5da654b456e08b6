"""What a PBX is told while the phone rings: the screen decision and the caller name for its
display, made from a judged :class:`~lookup.results.LookupResult`."""

from __future__ import annotations

import unicodedata
from typing import Any, Mapping, Sequence

from lookup.models import Evidence, Finding, Level, Status
from lookup.results import LookupResult, caller_name
from lookup.server.service import ApiError

SCREEN_ACTIONS: Mapping[Level, str] = {
    Level.ALLOWED: "allow",
    Level.LIKELY_OK: "allow",
    Level.UNKNOWN: "allow",
    Level.SUSPICIOUS: "warn",
    Level.LIKELY_SPAM: "block",
    Level.BLOCKED: "block",
}
WITHHELD_ACTION = "warn"  # nothing to look up or call back: let the PBX decide (voicemail, announcement)
SPAM_LEVELS = frozenset({Level.LIKELY_SPAM, Level.BLOCKED})


# ---------------------------------------------------------------- decisions for PBXs


def screen_answer(result: LookupResult, complete: bool) -> dict[str, Any]:
    """``{"action", "verdict", "reason", "name"}`` for a PBX deciding while the phone rings.

    allowed / likely_ok / unknown allow, suspicious warns, likely_spam and blocked block.
    A withheld caller warns: there is nothing to look up and nobody to call back, and
    blocking every withheld call would also drop doctors and hospitals that hide theirs.
    """
    number, verdict = result.number, result.verdict
    if number is None or verdict is None:
        raise ApiError(400, result.error or "not a phone number")
    action = WITHHELD_ACTION if number.withheld else SCREEN_ACTIONS[verdict.level]
    reason = strongest_reason(verdict.evidence, against=action != "allow") or verdict.call_back_reason
    if not complete:
        reason += " (decided before every source answered)"
    return {
        "action": action,
        "verdict": verdict.level.value,
        "reason": reason,
        "name": caller_name(result.findings, result.history),
        "e164": number.e164,
        "score": verdict.score,
        "complete": complete,
        "missing": missing_sources(result.findings),
    }


def missing_sources(findings: Sequence[Finding]) -> list[dict[str, str]]:
    """The sources the decision had no answer from (silent, walled, failing), each with why."""
    return [
        {"source": f.source, "status": f.status.value, "reason": f.detail or f.status.value.replace("_", " ")}
        for f in findings
        if not f.status.is_definite and f.status is not Status.SKIPPED
    ]


def strongest_reason(evidence: Sequence[Evidence], *, against: bool) -> str | None:
    """The weightiest reason pointing the way of the decision (spam when ``against``)."""
    for e in evidence:  # the verdict orders evidence by weight, strongest first
        if (e.weight > 0) if against else (e.weight < 0):
            return e.detail
    return None


CNAM_MAX = 60
CNAM_PUNCTUATION = frozenset(".-+'")


def cnam_safe(text: str) -> str:
    """``text`` cut down to what any dialplan can hold as a caller name: letters of any script
    (with their marks), decimal digits, single spaces and ``. - + '``. Everything else, quotes,
    ``:`` ``,`` ``;`` ``|`` ``$`` ``{}`` ``()`` ``[]`` ``&`` ``\\`` ``#`` and control characters
    among them, becomes a space: a name scraped from a public site must never reach a PBX as
    syntax (Asterisk splits ``ExecIf`` at an unquoted ``:``, ``Set`` at ``,``)."""
    kept = [
        ch if ch in CNAM_PUNCTUATION or unicodedata.category(ch)[0] in "LM" or unicodedata.category(ch) == "Nd" else " "
        for ch in text
    ]
    return " ".join("".join(kept).split())


def cnam_text(result: LookupResult, spam_prefix: str, sent_name: str | None = None) -> str:
    """The caller name for a PBX display: the name, else the one the trunk sent (``sent_name``),
    else where the number is from, else the number; prefixed with ``spam_prefix`` for likely
    spam, never twice. Only characters of :func:`cnam_safe`, at most ``CNAM_MAX`` of them."""
    number, verdict = result.number, result.verdict
    if number is None or verdict is None:
        return ""
    if number.withheld:
        text = "Withheld"
    else:
        text = (
            caller_name(result.findings, result.history)
            or sent_name
            or number.location
            or number.international
            or number.short
            or number.input
        )
    text = cnam_safe(text)
    marker = cnam_safe(spam_prefix)
    if verdict.level in SPAM_LEVELS and marker and not text.casefold().startswith(marker.casefold()):
        text = f"{marker} {text}"
    return text[:CNAM_MAX].rstrip()
