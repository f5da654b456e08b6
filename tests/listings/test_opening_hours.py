"""Open now, from the common ``opening_hours`` forms; anything else is left as written."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from lookup.opening_hours import describe_hours

MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)  # 2026-12-07 is a Monday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 7 + day, hour, minute, tzinfo=timezone.utc)


@pytest.mark.parametrize("text,when,words", [
    ("Mo-Fr 08:00-18:00; Sa 09:00-13:00", at(0, 10), "open now until 18:00"),
    ("Mo-Fr 08:00-18:00; Sa 09:00-13:00", at(0, 18), "closed now"),
    ("Mo-Fr 08:00-18:00; Sa 09:00-13:00", at(5, 12, 59), "open now until 13:00"),
    ("Mo-Fr 08:00-18:00; Sa 09:00-13:00", at(6, 10), "closed now"),
    ("24/7", at(3, 3), "open 24/7"),
    ("off", at(0, 10), "closed now"),
    ("Mo-Su 08:00-20:00; Su off", at(6, 10), "closed now"),  # a later rule replaces an earlier one
    ("Mo,We 08:00-12:00, 14:00-18:30", at(2, 15), "open now until 18:30"),
    ("Mo,We 08:00-12:00, 14:00-18:30", at(1, 15), "closed now"),
    ("Fr-Mo 10:00-16:00", at(6, 11), "open now until 16:00"),  # a range across the week's end
    ("Fr 20:00-02:00", at(5, 1), "open now until 02:00"),  # Friday night, still open on Saturday
    ("08:00-17:00", at(4, 9), "open now until 17:00"),  # times alone: every day
], ids=lambda value: value if isinstance(value, str) else None)
def test_common_forms(text: str, when: datetime, words: str) -> None:
    hours = describe_hours(text, when)
    assert hours is not None and hours.words == words
    assert hours.open is words.startswith("open")


@pytest.mark.parametrize("text", ["PH off; Mo-Fr 08:00-18:00", "sunrise-sunset", "Jan-Mar Mo 10:00-12:00",
                                  "by appointment", "Mo-Fr 8-18", "Mo-Fr 08:00-18:00 \"closed at lunch\"", ""])
def test_other_forms_are_not_guessed(text: str) -> None:
    assert describe_hours(text, MONDAY_10) is None


def test_the_places_time_zone_decides() -> None:
    # 16:30 UTC on Monday is 17:30 in Berlin and 11:30 in New York
    when = datetime(2026, 12, 7, 16, 30, tzinfo=timezone.utc)
    assert describe_hours("Mo-Fr 08:00-17:00", when, "Europe/Berlin").words == "closed now"
    assert describe_hours("Mo-Fr 08:00-17:00", when, "America/New_York").words == "open now until 17:00"
    assert describe_hours("Mo-Fr 08:00-17:00", when, "Not/AZone").words == "open now until 17:00"  # UTC then
