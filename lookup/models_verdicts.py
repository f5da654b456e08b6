"""Frozen value types of a verdict: its level, the call-back advice and the evidence behind it.

Re-exported by :mod:`lookup.models`, so ``from lookup.models import Verdict`` works as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    ALLOWED = "allowed"
    LIKELY_OK = "likely_ok"
    UNKNOWN = "unknown"
    SUSPICIOUS = "suspicious"
    LIKELY_SPAM = "likely_spam"
    BLOCKED = "blocked"


class CallBack(StrEnum):
    YES = "yes"
    CAUTION = "caution"
    NO = "no"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason behind a verdict. Positive weight points to spam, negative to a genuine caller."""

    signal: str
    weight: float
    detail: str
    source: str = "whocalled"


@dataclass(frozen=True, slots=True)
class Verdict:
    level: Level
    score: int  # 0..100, higher means more likely spam
    call_back: CallBack
    call_back_reason: str
    evidence: tuple[Evidence, ...] = ()
