"""Silent missed calls, refused calls kept apart, per-number histories, and de-duplication keys."""

from __future__ import annotations

from pathlib import Path

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from lookup.calllogs import (
    build_histories,
    call_key,
    find_silent_calls,
    is_night,
    read_calls,
    separate_calls,
)
from lookup.models import Call, CallStatus, Direction, History

DATA = Path(__file__).parent / "data"


IN, OUT = Direction.INCOMING, Direction.OUTGOING
A, M, V, R, B = CallStatus.ANSWERED, CallStatus.MISSED, CallStatus.VOICEMAIL, CallStatus.REJECTED, CallStatus.BLOCKED
T0 = datetime(2024, 3, 5, 15, 0, tzinfo=timezone.utc)  # 10:00 in New York
NUMBER, OTHER = "+18765550123", "+12125550148"


def call(status: CallStatus, minutes: float = 0, *, e164: str | None = NUMBER, direction: Direction = IN,
         duration: int | None = 0, name: str | None = None) -> Call:
    return Call(e164=e164, at=T0 + timedelta(minutes=minutes), direction=direction, status=status,
                duration=duration, name=name)


@pytest.mark.parametrize(
    ("calls", "silent_indexes"),
    [
        pytest.param([call(M)], [0], id="missed-alone"),
        pytest.param([call(M), call(V, 1, duration=30)], [], id="missed-then-voicemail-within-5-min"),
        pytest.param([call(V, 0, duration=30), call(M, 4)], [], id="voicemail-just-before"),
        pytest.param([call(M), call(V, 6, duration=30)], [0], id="voicemail-too-late"),
        pytest.param([call(M), call(V, 1, e164=OTHER, duration=30)], [0], id="voicemail-from-another-number"),
        pytest.param([call(A, duration=0)], [0], id="zero-second-incoming"),
        pytest.param([call(A, duration=None)], [], id="answered-length-unknown"),
        pytest.param([call(A, duration=12)], [], id="answered-lasted"),
        pytest.param([call(M, e164=None), call(V, 2, e164=None, duration=20)], [], id="withheld-with-voicemail"),
        pytest.param([call(M, e164=None)], [0], id="withheld-silent"),
        pytest.param([call(M, direction=OUT)], [], id="outgoing-unanswered"),
        pytest.param([call(R), call(B, 1)], [], id="rejected-and-blocked"),
    ],
)
def test_silent_missed(calls: list[Call], silent_indexes: list[int]) -> None:
    assert find_silent_calls(calls) == [calls[i] for i in silent_indexes]


def test_refused_calls_are_kept_apart() -> None:
    calls = [call(M), call(R, 10), call(B, 20), call(B, 30, direction=OUT)]
    groups = separate_calls(calls)
    assert groups.silent == [calls[0]]
    assert groups.refused == [calls[1], calls[2]]


def test_window_is_configurable() -> None:
    calls = [call(M), call(V, 8, duration=30)]
    assert find_silent_calls(calls, voicemail_window_s=600) == []
    assert find_silent_calls(calls, voicemail_window_s=300) == [calls[0]]


@pytest.mark.parametrize(
    ("utc_hour", "zone", "night"),
    [
        pytest.param(1, "America/New_York", False, id="20h30-ny-evening"),
        pytest.param(2, "America/New_York", True, id="21h30-ny-night"),
        pytest.param(12, "America/New_York", True, id="07h30-ny-night"),
        pytest.param(13, "America/New_York", False, id="08h30-ny-day"),
        pytest.param(12, "Europe/Berlin", False, id="13h30-berlin-day"),
        pytest.param(22, "Europe/Berlin", True, id="23h30-berlin-night"),
    ],
)
def test_is_night(utc_hour: int, zone: str, night: bool) -> None:
    at = datetime(2024, 3, 5, utc_hour, 30, tzinfo=timezone.utc)
    assert is_night(at, ZoneInfo(zone)) is night


def test_histories_from_android_backup() -> None:
    histories = build_histories(read_calls(DATA / "calls-20240310091245.xml"), tz="America/New_York")
    assert histories["+18765550123"] == History(
        silent_calls=2, first_at="2024-03-05T07:14:03+00:00", last_at="2024-03-06T06:58:47+00:00",
        night_calls=2, outgoing_calls=0, answered_calls=0, contact_name=None, voicemails=0,
    )
    assert histories["+12125550148"] == History(
        silent_calls=0, first_at="2024-03-04T23:02:11+00:00", last_at="2024-03-05T00:15:40+00:00",
        night_calls=0, outgoing_calls=1, answered_calls=1, contact_name="Maria Lopez", voicemails=0,
    )
    assert histories["+14155550199"].silent_calls == 0 and histories["+14155550199"].voicemails == 1
    assert histories["+12015550123"].silent_calls == 1 and histories["+12015550123"].night_calls == 1
    assert histories[""].silent_calls == 4  # restricted, unknown, payphone zero-second, "null"
    assert histories["+18005550111"].silent_calls == 0  # rejected: not silent
    assert "+12125559876" in histories  # blocked calls still have a history entry


def test_history_prefers_the_latest_contact_name() -> None:
    calls = [call(A, 0, e164=OTHER, duration=5, name="Old Name"), call(A, 60, e164=OTHER, duration=5, name="Maria"),
             call(M, 120, e164=OTHER)]
    history = build_histories(calls, tz="UTC")[OTHER]
    assert (history.contact_name, history.answered_calls, history.silent_calls) == ("Maria", 2, 1)


def test_night_calls_use_the_given_zone() -> None:
    calls = [call(M, 60 * h) for h in (0, 3, 6, 9, 12)]  # 15:00, 18:00, 21:00, 00:00, 03:00 UTC
    assert build_histories(calls, tz="UTC")[NUMBER].night_calls == 3
    assert build_histories(calls, tz="America/Los_Angeles")[NUMBER].night_calls == 1  # 07, 10, 13, 16, 19 PST


def test_night_calls_default_to_the_machine_zone(local_zone) -> None:
    calls = [call(M, 60 * h) for h in (0, 3, 6, 9, 12)]
    local_zone("America/Los_Angeles")
    assert build_histories(calls)[NUMBER].night_calls == 1


def test_call_key_is_stable_and_distinguishes() -> None:
    first = list(read_calls(DATA / "calls-20240310091245.xml"))
    again = list(read_calls(DATA / "calls-20240310091245.xml"))
    assert [call_key(c) for c in first] == [call_key(c) for c in again]
    assert len({call_key(c) for c in first}) == len(first)
    base = call(M)
    assert call_key(base) == call_key(call(M, 1 / 600))  # same second: same call
    assert len({call_key(base), call_key(call(M, 1)), call_key(call(V)), call_key(call(M, e164=OTHER)),
                call_key(call(M, duration=None)), call_key(call(M, direction=OUT))}) == 6


def test_call_key_ignores_the_log_format() -> None:
    one = call(M)
    other = Call(one.e164, one.at.astimezone(timezone(timedelta(hours=-5))), one.direction, one.status,
                 one.duration, name="Someone", raw_number="876 555 0123", log_format="generic_csv")
    assert call_key(one) == call_key(other)
