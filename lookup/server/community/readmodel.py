"""The votes in process memory, so a prefix check costs no database round trip.

Each ``community serve`` process builds this copy of every voted number's tally when it
starts, then keeps it current from the store's vote change log (``tallies_since``): every
``REFRESH_EVERY`` seconds (one cheap query when nothing changed) and right after each vote
this process takes. So a vote or a revocation made through another process, or by
``community member revoke``, shows in this process's checks within about half a second plus
the time one refresh takes; its own votes show at once.

Fading stays exact: a tally keeps its weighted score at a fixed epoch ``at``, and a check
multiplies it by ``exp(-k * (now - at))``, which is the same sum the store computes at
``now`` (each vote weighs ``exp(-k * (now - voted_at))``). Nothing needs refreshing as votes
age.

Compact: the numbers are one sorted ``array('q')`` of keys (the digits padded to 15, times 16,
plus the digit count, which sorts like the E.164 strings), with parallel arrays of spam and
legit voters, scores and last vote times; categories are shared tuples. About 40 bytes a
number: a million voted numbers take some 40 MB. A prefix is one key range (two bisects).
"""

from __future__ import annotations

import json
import math
import time
from array import array
from bisect import bisect_left
from typing import Sequence

from db.community import CommunityStore, Rule, Tally
from db.community.base import HIDDEN_DIGITS, check_prefix

REFRESH_EVERY = 0.5  # seconds between two looks at the change log
DIGITS = 15  # E.164's most
REBUILD_SHARE = 64  # more numbers inserted or removed than this in one refresh: rebuild the arrays


def number_key(e164: str) -> int:
    digits = e164[1:]
    return int(digits.ljust(DIGITS, "0")) * 16 + len(digits)


def key_number(key: int) -> str:
    return "+" + str(key >> 4).rjust(DIGITS, "0")[: key & 15]


def prefix_keys(prefix: str) -> tuple[int, int]:
    """The keys of every number that starts with ``prefix``, as ``[low, high)`` (numbers
    shorter than the prefix fall inside too; a check drops them by length)."""
    digits = prefix[1:]
    low = int(digits.ljust(DIGITS, "0"))
    return low * 16, (low + 10 ** (DIGITS - len(digits))) * 16


class ReadModel:
    """Every voted number's tally, kept current from the store's change log."""

    def __init__(self, rule: Rule, at: float | None = None):
        self.rule = rule
        self.at = time.time() if at is None else at
        self.version = -1  # nothing read yet: the first refresh reads every tally
        self._clear()

    def _clear(self) -> None:
        self.keys = array("q")
        self.spam = array("l")
        self.legit = array("l")
        self.score = array("d")
        self.last = array("q")
        self.categories: list[tuple[str, ...]] = []
        self._shared: dict[tuple[str, ...], tuple[str, ...]] = {(): ()}
        self._encoded: dict[tuple[str, ...], str] = {}  # categories as JSON, once per distinct tuple

    def __len__(self) -> int:
        return len(self.keys)

    def refresh(self, store: CommunityStore) -> int:
        """Bring the copy up to the store's votes; how many numbers changed."""
        version, touched, tallies = store.tallies_since(self.version, self.at)
        if touched is None:  # the whole store: built aside, so a failure halfway keeps the old copy
            built = ReadModel(self.rule, self.at)
            for tally in tallies:
                built._append(tally)
            built.version = version
            self.__dict__.update(built.__dict__)
            return len(self.keys)
        fresh = {t.e164: t for t in tallies}
        keyed = sorted((number_key(e164), e164) for e164 in set(touched) | set(fresh))
        moves = sum(self._find(key) < 0 if e164 in fresh else self._find(key) >= 0 for key, e164 in keyed)
        if moves > REBUILD_SHARE:
            self._merge(keyed, fresh)
        else:
            for key, e164 in keyed:
                self._put(key, fresh.get(e164))
        self.version = version
        return len(keyed)

    def _find(self, key: int) -> int:
        """The index of ``key``, or -1."""
        i = bisect_left(self.keys, key)
        return i if i < len(self.keys) and self.keys[i] == key else -1

    def _row(self, tally: Tally) -> tuple:
        categories = self._shared.setdefault(tally.categories, tally.categories)
        return (tally.spam_voters, tally.legit_voters, tally.score, int(tally.last_vote_at), categories)

    def _append(self, tally: Tally, key: int | None = None) -> None:
        spam, legit, score, last, categories = self._row(tally)
        self.keys.append(number_key(tally.e164) if key is None else key)
        self.spam.append(spam)
        self.legit.append(legit)
        self.score.append(score)
        self.last.append(last)
        self.categories.append(categories)

    def _put(self, key: int, tally: Tally | None) -> None:
        """Set, insert or (``tally`` None) remove one number's tally in place."""
        i = bisect_left(self.keys, key)
        there = i < len(self.keys) and self.keys[i] == key
        columns = (self.spam, self.legit, self.score, self.last, self.categories)
        if tally is None:
            if there:
                del self.keys[i]
                for column in columns:
                    del column[i]
            return
        row = self._row(tally)
        if there:
            for column, value in zip(columns, row):
                column[i] = value
            return
        self.keys.insert(i, key)
        for column, value in zip(columns, row):
            column.insert(i, value)

    def _merge(self, keyed: Sequence[tuple[int, str]], fresh: dict[str, Tally]) -> None:
        """Rebuild the arrays in one pass: the old rows merged with the changed numbers."""
        old = (self.keys, self.spam, self.legit, self.score, self.last, self.categories)
        self._clear()
        self._shared.update((c, c) for c in old[5])
        i, n = 0, len(old[0])
        for key, e164 in keyed:
            while i < n and old[0][i] < key:
                self._copy(old, i)
                i += 1
            if i < n and old[0][i] == key:
                i += 1
            tally = fresh.get(e164)
            if tally is not None:
                self._append(tally, key)
        while i < n:
            self._copy(old, i)
            i += 1

    def _copy(self, old: tuple, i: int) -> None:
        for column, source in zip((self.keys, self.spam, self.legit, self.score, self.last, self.categories), old):
            column.append(source[i])

    def _window(self, prefix: str, now: float | None) -> tuple[range, int, float, int, float]:
        """For a check of ``prefix`` at ``now``: the indexes of the keys in its range, the
        shortest number length it may show, the fading factor and the listing thresholds."""
        check_prefix(prefix)
        now = time.time() if now is None else now
        fade = math.exp((self.at - now) * self.rule.decay_per_second)
        low, high = prefix_keys(prefix)
        rows = range(bisect_left(self.keys, low), bisect_left(self.keys, high))
        return rows, len(prefix) - 1 + HIDDEN_DIGITS, fade, self.rule.min_voters, self.rule.min_voters / 2

    def check_json(self, prefix: str, now: float | None = None) -> str:
        """:meth:`check_range` as the JSON array the check answers with (each entry as
        :meth:`Tally.to_json` gives it), written directly: the hot path of every check."""
        rows, shortest, fade, min_voters, min_score = self._window(prefix, now)
        keys, spams, legits, scores, lasts, categories = (self.keys, self.spam, self.legit, self.score, self.last,
                                                         self.categories)
        encoded = self._encoded
        parts = []
        for i in rows:
            key = keys[i]
            if key & 15 < shortest:
                continue
            spam, score = spams[i], scores[i] * fade
            kinds = categories[i]
            text = encoded.get(kinds)
            if text is None:
                text = encoded[kinds] = json.dumps(list(kinds), ensure_ascii=False)
            listed = "true" if spam >= min_voters and score >= min_score else "false"
            parts.append(f'{{"number":"{key_number(key)}","spam":{spam},"legit":{legits[i]},'
                         f'"score":{round(score, 3)!r},"listed":{listed},"categories":{text},'
                         f'"last_vote_at":{lasts[i]}}}')
        return "[" + ",".join(parts) + "]"

    def check_range(self, prefix: str, now: float | None = None) -> list[Tally]:
        """As :meth:`CommunityStore.check_range`, from memory."""
        rows, shortest, fade, min_voters, min_score = self._window(prefix, now)
        keys = self.keys
        out = []
        for i in rows:
            key = keys[i]
            if key & 15 < shortest:
                continue
            spam, score = self.spam[i], self.score[i] * fade
            out.append(Tally(key_number(key), spam, self.legit[i], score, spam >= min_voters and score >= min_score,
                             self.categories[i], float(self.last[i])))
        return out
