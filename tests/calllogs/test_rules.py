"""What a logged call means, as triage applies it: silent missed calls (no voicemail close in
time), refused calls kept apart, night calls in the user's zone, the histories the store builds
from triage's rows, and the de-duplication key."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from db.store import Store
from lookup.calllogs import read_calls
from lookup.calllogs.rules import call_key, is_night
from lookup.models import Call, CallStatus, Direction
from lookup.triage import group_calls
from lookup.triage_read import _row, import_logs, tally_calls

DATA = Path(__file__).parent / "data"


IN, OUT = Direction.INCOMING, Direction.OUTGOING
A, M, V, R, B = CallStatus.ANSWERED, CallStatus.MISSED, CallStatus.VOICEMAIL, CallStatus.REJECTED, CallStatus.BLOCKED
T0 = datetime(2024, 3, 5, 15, 0, tzinfo=timezone.utc)  # 10:00 in New York
NUMBER, OTHER = "+18765550123", "+12125550148"


def call(status: CallStatus, minutes: float = 0, *, e164: str | None = NUMBER, direction: Direction = IN,
         duration: int | None = 0, name: str | None = None, log_format: str = "") -> Call:
    return Call(e164=e164, at=T0 + timedelta(minutes=minutes), direction=direction, status=status,
                duration=duration, name=name, log_format=log_format)


def silent_of(calls: list[Call], **kwargs) -> set[tuple[str, float]]:
    """``(key, time)`` of every silent missed call triage finds in ``calls``."""
    groups, _excused, count, _refused = group_calls(tally_calls(calls), since=None, include_all=False, **kwargs)
    found = {(g.key, t) for g in groups for t in g.times}
    assert count == len(found)
    return found


def expected(calls: list[Call], indexes: list[int]) -> set[tuple[str, float]]:
    return {(calls[i].e164 or "", calls[i].at.timestamp()) for i in indexes}


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
    assert silent_of(calls) == expected(calls, silent_indexes)


def test_refused_calls_are_kept_apart() -> None:
    calls = [call(M), call(R, 10), call(B, 20), call(B, 30, direction=OUT)]
    groups, _excused, silent, refused = group_calls(tally_calls(calls), since=None, include_all=False)
    assert (silent, refused) == (1, 2)  # the outgoing "blocked" call is no refused caller
    assert [(g.key, g.count, g.refused) for g in groups] == [(NUMBER, 1, 2)]


def test_window_is_configurable() -> None:
    calls = [call(M), call(V, 8, duration=30)]
    assert silent_of(calls, window_s=600) == set()
    assert silent_of(calls, window_s=300) == expected(calls, [0])


def test_excused_calls_are_named_for_the_store() -> None:
    calls = [call(M), call(V, 1, duration=30), call(M, 60)]
    _groups, excused, silent, _refused = group_calls(tally_calls(calls), since=None, include_all=False)
    assert excused == [(NUMBER, T0.timestamp())] and silent == 1


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
    with Store(":memory:") as store:
        tallies, _logs, _added = import_logs(store, [DATA / "calls-20240310091245.xml"], region="US", fmt=None,
                                             tz="America/New_York")
        groups, excused, _silent, _refused = group_calls(tallies, since=None, include_all=False)
        store.clear_silent((key or None, datetime.fromtimestamp(t, timezone.utc).isoformat()) for key, t in excused)
        histories = store.histories(["+18765550123", "+12125550148", "+14155550199", "+12015550123",
                                     "+18005550111", "+12125559876"])
    jamaica = histories["+18765550123"]
    assert (jamaica.silent_calls, jamaica.night_calls, jamaica.first_at, jamaica.last_at) == (
        2, 2, "2024-03-05T07:14:03+00:00", "2024-03-06T06:58:47+00:00")
    maria = histories["+12125550148"]
    assert (maria.silent_calls, maria.outgoing_calls, maria.answered_calls, maria.contact_name) == (
        0, 1, 1, "Maria Lopez")
    assert histories["+14155550199"].silent_calls == 0 and histories["+14155550199"].voicemails == 1
    assert histories["+12015550123"].silent_calls == 1 and histories["+12015550123"].night_calls == 1
    assert histories["+18005550111"].silent_calls == 0  # rejected: not silent
    assert "+12125559876" in histories  # blocked calls are stored too
    withheld = [g for g in groups if g.key == ""]
    assert withheld[0].count == 4  # restricted, unknown, payphone zero-second, "null"


def test_triage_keeps_the_latest_contact_name() -> None:
    calls = [call(A, 0, e164=OTHER, duration=5, name="Old Name", log_format="android_xml"),
             call(A, 60, e164=OTHER, duration=5, name="Maria", log_format="android_xml"), call(M, 120, e164=OTHER)]
    groups, *_ = group_calls(tally_calls(calls), since=None, include_all=False)
    assert [(g.key, g.name, g.count) for g in groups] == [(OTHER, "Maria", 1)]


def night_calls(calls: list[Call], zone: ZoneInfo | None) -> int:
    with Store(":memory:") as store:
        store.save_calls(_row(c, zone) for c in calls)
        return store.histories([NUMBER])[NUMBER].night_calls


def test_night_calls_use_the_given_zone() -> None:
    calls = [call(M, 60 * h) for h in (0, 3, 6, 9, 12)]  # 15:00, 18:00, 21:00, 00:00, 03:00 UTC
    assert night_calls(calls, ZoneInfo("UTC")) == 3
    assert night_calls(calls, ZoneInfo("America/Los_Angeles")) == 1  # 07, 10, 13, 16, 19 PST


def test_night_calls_default_to_the_machine_zone(local_zone) -> None:
    calls = [call(M, 60 * h) for h in (0, 3, 6, 9, 12)]
    local_zone("America/Los_Angeles")
    assert night_calls(calls, None) == 1


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


def test_call_key_of_a_local_time_does_not_depend_on_the_zone() -> None:
    """Asterisk writes local times without an offset: read in two zones, the calls keep their
    keys (and their clock times), while their UTC times move."""
    new_york = list(read_calls(DATA / "Master.csv", tz="America/New_York"))
    berlin = list(read_calls(DATA / "Master.csv", tz="Europe/Berlin"))
    assert [call_key(c) for c in new_york] == [call_key(c) for c in berlin]
    assert [c.local_at for c in new_york] == [c.local_at for c in berlin] and new_york[0].local_at is not None
    assert all(a.at != b.at for a, b in zip(new_york, berlin))
    assert [_row(c, None)[0] for c in berlin] == [call_key(c)[:20] for c in berlin]


def test_calls_without_a_time_have_one_key_per_number() -> None:
    listed = Call(NUMBER, None, IN, M, raw_number="+1 876 555 0123")
    again = Call(NUMBER, None, IN, M, raw_number="(876) 555-0123")
    assert call_key(listed) == call_key(again) == _row(listed, None)[0] + call_key(listed)[20:]
    assert _row(listed, None)[2] is None  # no time stored
    assert _row(listed, None)[9:11] == (0, 0)  # neither silent (no repeats) nor at night
