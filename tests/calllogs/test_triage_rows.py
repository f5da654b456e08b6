"""Triage's reader works out a call's stored row and its tally in one pass (``triage_read._take``);
each part must say what the general rules say (``lookup.calllogs.rules``: unanswered, refused,
night, the call key, the stored stamp), for every kind of call: here hundreds of generated
ones, each compared with a reference built from those rules."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from lookup.calllogs.rules import WITHHELD, call_key, is_night, is_refused, is_unanswered_incoming
from lookup.models import Call, CallStatus, Direction
from lookup.triage_read import CONTACT_FORMATS, CallerTally, _row, tally_calls

FORMATS = ("android_xml", "generic_csv", "asterisk_csv", "plain_text", "fritzbox_csv")


def generated_calls(count: int = 600) -> list[Call]:
    rng = random.Random(5)
    numbers = [None, "+18765550123", "+12125550148", "+442079460958"]
    zones = [timezone.utc, timezone(timedelta(hours=-5)), ZoneInfo("Europe/Berlin")]
    calls = []
    for _ in range(count):
        moment = datetime.fromtimestamp(rng.uniform(315_532_800, 4_102_444_800), timezone.utc)
        at = None if rng.random() < 0.05 else moment.astimezone(rng.choice(zones))
        local_at = at.replace(tzinfo=None, microsecond=0) if at is not None and rng.random() < 0.2 else None
        calls.append(Call(
            rng.choice(numbers), at, rng.choice(list(Direction)), rng.choice(list(CallStatus)),
            rng.choice((None, 0, 0, 1, 45, 3600)), rng.choice((None, "", "Maria Lopez")),
            rng.choice(("", "+1 876 555 0123")), rng.choice(FORMATS), local_at, rng.choice((None, 3)),
        ))
    return calls


def reference_row(call: Call, zone: ZoneInfo | None) -> tuple:
    """The row as the rules would write it, function by function."""
    stamp = None if call.at is None else call.at.astimezone(timezone.utc).isoformat(timespec="seconds")
    silent = call.at is not None and is_unanswered_incoming(call)
    return (call_key(call)[:20], call.e164, stamp, call.direction.value, call.status.value, call.duration, call.name,
            call.raw_number, call.log_format, int(silent), int(silent and is_night(call.at, zone)),
            int(bool(call.name) and call.log_format in CONTACT_FORMATS), call.ring)


def reference_tallies(calls: list[Call], include_all: bool) -> dict[str, tuple]:
    out: dict[str, CallerTally] = {}
    for call in calls:
        if call.direction is not Direction.INCOMING:
            continue
        tally = out.setdefault(call.e164 or WITHHELD, CallerTally())
        if call.name and call.log_format in CONTACT_FORMATS:
            tally.name = call.name
        if call.at is None:
            tally.listed = tally.listed or is_unanswered_incoming(call)
            continue
        kind = ("voicemails" if call.status is CallStatus.VOICEMAIL else "unanswered" if is_unanswered_incoming(call)
                else "refused" if is_refused(call) else "other_incoming" if include_all else None)
        if kind:
            tally.add(kind, call.at.timestamp())
    return {key: fields_of(tally) for key, tally in out.items()}


def fields_of(tally: CallerTally) -> tuple:
    return tuple(None if t is None else list(t) for t in (tally.unanswered, tally.voicemails, tally.other_incoming,
                                                           tally.refused)) + (tally.name, tally.listed)


def test_rows_say_what_the_rules_say() -> None:
    calls = generated_calls()
    for zone in (None, ZoneInfo("UTC"), ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Kathmandu")):
        assert [_row(c, zone) for c in calls] == [reference_row(c, zone) for c in calls]


def test_tallies_say_what_the_rules_say() -> None:
    calls = generated_calls()
    for include_all in (False, True):
        tallies = tally_calls(calls, include_all=include_all)
        assert {key: fields_of(t) for key, t in tallies.items()} == reference_tallies(calls, include_all)
