"""The community rule, pure: when do members' votes make a number community spam?

A vote weighs ``0.5 ** (age / half_life)``: fresh it counts 1, one half-life old 0.5.
A number is listed when

- at least ``min_voters`` distinct members who are not revoked voted it spam, and
- the weighted spam votes minus the weighted legit votes reach ``min_voters / 2``.

So three fresh spam votes list a number, and it stays listed until those votes are about one
half-life old unless new votes renew it; one fresh legit vote cancels one fresh spam vote.
``min_voters`` is at least 2, so one member can never list a number alone.

The half-life is 90 days. Spam campaigns burn through caller IDs in weeks, and a number that
stops being used is handed to a new subscriber after a quarantine of a few months (US carriers
age disconnected numbers for 45 to 90 days): a list that forgot in a week would make members
report each campaign number again and again, one that never forgot would keep blocking the
innocent next owner. After 90 days without a new vote a number falls off the list; a vote a
year old weighs 1/16.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Iterator

HALF_LIFE_DAYS = 90.0
MIN_VOTERS = 3
DAY = 86400.0


class Verdict:
    SPAM = "spam"
    LEGIT = "legit"
    ALL = ("spam", "legit")


@dataclass(frozen=True)
class Rule:
    """The listing rule's two knobs (the server's ``--min-voters`` and ``--half-life``)."""

    min_voters: int = MIN_VOTERS
    half_life_days: float = HALF_LIFE_DAYS

    def __post_init__(self) -> None:
        if self.min_voters < 2:
            raise ValueError("min_voters must be at least 2: one member must never list a number alone")
        if not self.half_life_days > 0:
            raise ValueError("the half-life must be more than 0 days")

    def weight(self, voted_at: float, now: float) -> float:
        """How much a vote cast at ``voted_at`` (epoch seconds) counts at ``now``."""
        return math.exp((voted_at - now) * self.decay_per_second)

    @property
    def decay_per_second(self) -> float:
        """``k`` in ``weight = exp(-k * age in seconds)`` (the stores compute it in SQL)."""
        return math.log(2) / (self.half_life_days * DAY)

    def is_listed(self, spam_voters: int, score: float) -> bool:
        return spam_voters >= self.min_voters and score >= self.min_voters / 2


@dataclass(slots=True)
class Tally:
    """What the members' votes say about one number (never who voted)."""

    e164: str
    spam_voters: int = 0
    legit_voters: int = 0
    score: float = 0.0  # weighted spam minus weighted legit
    listed: bool = False
    categories: tuple[str, ...] = ()  # the spam votes' commonest categories, at most three
    last_vote_at: float = 0.0

    def to_json(self) -> dict:
        return {
            "number": self.e164,
            "spam": self.spam_voters,
            "legit": self.legit_voters,
            "score": round(self.score, 3),
            "listed": self.listed,
            "categories": list(self.categories),
            "last_vote_at": int(self.last_vote_at),
        }


def top_categories(joined: str | None) -> tuple[str, ...]:
    """The three commonest of comma-joined categories (ties: alphabetical)."""
    if not joined:
        return ()
    if "," not in joined:
        return (joined,)
    counts: dict[str, int] = {}
    for category in joined.split(","):
        counts[category] = counts.get(category, 0) + 1
    if len(counts) == 1:
        return tuple(counts)
    return tuple(sorted(counts, key=lambda c: (-counts[c], c))[:3])


def tally_rows(rows: Iterable[tuple], rule: Rule) -> list[Tally]:
    """Rows of ``(e164, spam voters, legit voters, weighted score, categories joined by
    commas, last vote)``, as the stores aggregate them, as tallies with ``listed`` decided."""
    return list(iter_tallies(rows, rule))


def iter_tallies(rows: Iterable[tuple], rule: Rule) -> Iterator[Tally]:
    """:func:`tally_rows`, one at a time (a million rows need not be in memory at once)."""
    min_voters, min_score = rule.min_voters, rule.min_voters / 2
    for e164, spam, legit, score, categories, last in rows:
        spam, score = int(spam or 0), float(score or 0.0)
        yield Tally(e164, spam, int(legit or 0), score, spam >= min_voters and score >= min_score,
                    top_categories(categories), float(last or 0))
