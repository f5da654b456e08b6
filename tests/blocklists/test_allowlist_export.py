"""Exports never contradict the allowlist (issue 19 item 1): covered numbers are left out, and a
blocked range with allowed numbers inside is written as the parts that stay blocked."""

from __future__ import annotations

import pytest

from lookup.blocklists import ExportRow
from lookup.export import Allowlist, AllowlistEffect, apply_allowlist
from lookup.models import ListEntry, ListKind


def allowlist(*patterns: str) -> Allowlist:
    return Allowlist(ListEntry(pattern, ListKind.ALLOW) for pattern in patterns)


def is_blocked(pieces: list[str], number: str) -> bool:
    return any(number.startswith(p[:-1]) if p.endswith("*") else number == p for p in pieces)


def test_covers_numbers_and_ranges_inside_allowed_ranges() -> None:
    allowed = allowlist("+1415555*", "+12025550123")
    assert allowed.covers("+14155550199") and allowed.covers("+1415555*") and allowed.covers("+14155551*")
    assert allowed.covers("+12025550123")
    assert not allowed.covers("+1415*") and not allowed.covers("+14155560000") and not allowed.covers("+1202555*")


def test_a_range_around_an_allowed_range_is_split_into_what_remains() -> None:
    pieces = allowlist("+1415555*").split_range("+1415")
    assert pieces == sorted(pieces) and len(pieces) == 27
    assert "+1415555*" not in pieces and not any(p.startswith("+1415555") for p in pieces)
    for number in ("+14150000000", "+14155540000", "+14155560000", "+14159999999", "+14155550000"[:-1] + "9"):
        assert is_blocked(pieces, number) == (not number.startswith("+1415555")), number


def test_a_range_around_one_allowed_number_keeps_every_other_number() -> None:
    pieces = allowlist("+14155550100").split_range("+1415555")
    assert not is_blocked(pieces, "+14155550100")
    for number in ("+14155550101", "+14155550099", "+14155550110", "+14155559999", "+14155550000"):
        assert is_blocked(pieces, number), number
    assert all(len(p.rstrip("*")) > len("+1415555") for p in pieces)  # no junk 7-digit "numbers"


def test_a_range_inside_an_allowed_range_goes_entirely() -> None:
    assert allowlist("+1415*").split_range("+1415555") == []


def test_apply_keeps_the_stream_ordered_and_counts_what_it_changed() -> None:
    rows = [ExportRow(p, "blocked") for p in ("+1415*", "+14150000000", "+14155550199", "+14156000000", "+1999*")]
    effect = AllowlistEffect()
    out = [row.pattern for row in apply_allowlist(iter(rows), allowlist("+1415555*"), effect)]
    assert out == sorted(out) and len(out) == len(set(out))
    assert "+14155550199" not in out and "+1415*" not in out
    assert {"+14150000000", "+14156000000", "+1999*", "+14150*"} <= set(out)
    assert (effect.left_out, effect.ranges_split) == (1, 1)


@pytest.mark.parametrize("allowed", ["+14155550199", "+1415555*", "+1*"])
def test_nothing_exported_is_allowed(allowed: str) -> None:
    rows = [ExportRow(p) for p in ("+1415*", "+14155550199", "+14166660200")]
    out = [row.pattern for row in apply_allowlist(iter(rows), allowlist(allowed), AllowlistEffect())]
    assert not is_blocked(out, "+14155550199")
    assert is_blocked(out, "+14166660200") == (allowed != "+1*")
    assert is_blocked(out, "+14150000000") == (allowed != "+1*")
