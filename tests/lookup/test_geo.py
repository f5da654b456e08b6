"""lookup.geo gives the same English places as phonenumbers' geocoder, from a compact cache."""

from __future__ import annotations

import random

import phonenumbers
from phonenumbers import geocoder

from lookup import geo
from lookup.numbers import normalize_number


def sample_numbers() -> list[str]:
    rng = random.Random(7)
    fixed = ["+12025550143", "+14155550199", "+18768812345", "+18095550100", "+442079460958", "+441134960000",
             "+49301234567", "+491711234567", "+33123456789", "+33612345678", "+61298765432", "+81312345678",
             "+5511912345678", "+541112345678", "+5491112345678", "+919876543210", "+390612345678",
             "+8613812345678", "+862012345678", "+34912345678", "+79123456789", "+74951234567", "+16135550123"]
    ccs = [1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 54, 55, 56, 57,
           61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 98, 212, 234, 254, 351, 353, 358, 420, 852, 886, 972]
    out = list(fixed)
    for _ in range(1500):
        cc = rng.choice(ccs)
        out.append(f"+{cc}{rng.randint(10**8, 10**10 - 1)}")
    return out


def test_same_answers_as_phonenumbers(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WHOCALLED_CACHE", str(tmp_path))
    monkeypatch.setattr(geo, "_table", None)
    monkeypatch.setattr(geo, "_unavailable", False)
    compared = 0
    for raw in sample_numbers():
        try:
            pn = phonenumbers.parse(raw, None)
        except phonenumbers.NumberParseException:
            continue
        assert geo.describe_location(pn, phonenumbers.number_type(pn)) == geocoder.description_for_number(pn, "en"), raw
        compared += 1
    assert compared > 1000
    assert geo.cache_path().exists()


def test_unwritable_cache_falls_back_to_phonenumbers(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("WHOCALLED_CACHE", str(blocker / "sub"))
    monkeypatch.setattr(geo, "_table", None)
    monkeypatch.setattr(geo, "_unavailable", False)
    assert normalize_number("+44 20 7946 0958").location == "London"
    assert geo._unavailable is True


def test_carrier_and_time_zones_match_phonenumbers() -> None:
    from phonenumbers import carrier, timezone

    from lookup.numbers import MAX_TIME_ZONES, describe, parse_number

    compared = 0
    for raw in sample_numbers():
        try:
            number, pn = parse_number(raw, "US")
        except ValueError:
            continue
        _, name, zones = describe(pn, number.type)
        assert name == (carrier.name_for_number(pn, "en") or None), raw
        expected = tuple(z for z in timezone.time_zones_for_number(pn) if z != "Etc/Unknown")
        assert zones == (expected if len(expected) <= MAX_TIME_ZONES else ()), raw
        compared += 1
    assert compared > 1000
