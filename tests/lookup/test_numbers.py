"""normalize_number: what people paste, across countries, and every failure."""

from __future__ import annotations

import pytest

from lookup.models import NumberKind, NumberType
from lookup.numbers import NumberError, nanp_e164, normalize_number, normalize_pattern, parse_number

# (id, raw, region, e164, extra expectations)
NOTATIONS = [
    ("us-dashes", "202-555-0143", "US", "+12025550143", {"region": "US"}),
    ("us-parens", "(202) 555-0143", "US", "+12025550143", {}),
    ("us-dots", "202.555.0143", "US", "+12025550143", {}),
    ("us-leading-1", "1 202 555 0143", "US", "+12025550143", {}),
    ("us-plus", "+1 (202) 555-0143", "US", "+12025550143", {}),
    ("us-011-to-uk", "011 44 20 7946 0958", "US", "+442079460958", {"region": "GB"}),
    ("us-00-to-uk", "0044 20 7946 0958", "US", "+442079460958", {"region": "GB"}),
    ("us-00-to-fr", "0033 6 12 34 56 78", "US", "+33612345678", {"region": "FR", "type": NumberType.MOBILE}),
    ("tel-uri", "tel:+1-202-555-0143", "US", "+12025550143", {}),
    ("tel-uri-ext", "tel:+1-202-555-0143;ext=42", "US", "+12025550143", {"extension": "42"}),
    ("extension-x", "202-555-0143 x1234", "US", "+12025550143", {"extension": "1234"}),
    ("extension-ext", "202-555-0143 ext. 77", "US", "+12025550143", {"extension": "77"}),
    ("vanity", "1-800-FLOWERS", "US", "+18003569377", {"type": NumberType.TOLL_FREE}),
    ("full-width", "＋１ ２０２ ５５５ ０１４３", "US", "+12025550143", {}),
    ("arabic-indic", "٠٣٠ ١٢٣٤٥٦٧", "DE", "+49301234567", {}),
    ("nbsp-and-dashes", "202\u00a0555\u20110143", "US", "+12025550143", {}),
    ("uk-national", "020 7946 0958", "GB", "+442079460958", {"location": "London"}),
    ("uk-premium", "0909 879 0000", "GB", "+449098790000", {"type": NumberType.PREMIUM_RATE}),
    ("de-national", "030 1234567", "DE", "+49301234567", {"location": "Berlin"}),
    ("de-premium", "0900 1234567", "DE", "+499001234567", {"type": NumberType.PREMIUM_RATE}),
    ("de-mobile", "0171 1234567", "DE", "+491711234567", {"type": NumberType.MOBILE}),
    ("fr-national", "01 23 45 67 89", "FR", "+33123456789", {"type": NumberType.FIXED_LINE}),
    ("jamaica", "+1 876 881 2345", "US", "+18768812345", {"region": "JM", "carrier": "Digicel"}),
    ("dominican", "+1 809 555 0100", "US", "+18095550100", {"region": "DO"}),
    ("us-premium", "+1 900 555 0199", "US", "+19005550199", {"type": NumberType.PREMIUM_RATE}),
    ("in-mobile", "+91 98765 43210", "US", "+919876543210", {"region": "IN", "type": NumberType.MOBILE}),
    ("au-national", "(02) 9876 5432", "AU", "+61298765432", {"region": "AU"}),
    ("jp-national", "03-1234-5678", "JP", "+81312345678", {"region": "JP"}),
    ("br-mobile", "+55 11 91234-5678", "US", "+5511912345678", {"region": "BR"}),
    ("invalid-area-code", "+1 123 456 7890", "US", "+11234567890", {"valid": False}),
    ("lowercase-region", "020 7946 0958", "gb", "+442079460958", {}),
]


@pytest.mark.parametrize("raw,region,e164,extra", [c[1:] for c in NOTATIONS], ids=[c[0] for c in NOTATIONS])
def test_notations(raw: str, region: str, e164: str, extra: dict) -> None:
    n = normalize_number(raw, region)
    assert n.kind is NumberKind.NUMBER
    assert n.e164 == e164
    for key, value in extra.items():
        assert getattr(n, key) == value, key
    if extra.get("valid", True):
        assert n.valid and n.possible
        assert n.national and n.international


def test_facts_of_a_number() -> None:
    n = normalize_number("+44 20 7946 0958")
    assert (n.region, n.country_code, n.national, n.international) == ("GB", 44, "020 7946 0958", "+44 20 7946 0958")
    assert n.location == "London"
    assert n.time_zones == ("Europe/London",)
    assert n.type is NumberType.FIXED_LINE


def test_details_can_be_skipped() -> None:
    n = normalize_number("+44 20 7946 0958", details=False)
    assert n.e164 == "+442079460958" and n.location is None and n.time_zones == ()


@pytest.mark.parametrize(
    "raw", ["Anonymous", "PRIVATE", "Restricted", "unknown", "Unavailable", "Withheld", "", "  ", "null", "<unknown>", "-2"]
)
def test_caller_id_placeholders_are_withheld(raw: str) -> None:
    n = normalize_number(raw)
    assert n.kind is NumberKind.WITHHELD and n.withheld and n.e164 is None


@pytest.mark.parametrize(
    "raw,region,kind",
    [("911", "US", NumberKind.EMERGENCY), ("112", "DE", NumberKind.EMERGENCY), ("999", "GB", NumberKind.EMERGENCY),
     ("24273", "US", NumberKind.SHORT_CODE), ("33669", "US", NumberKind.SHORT_CODE)],
    ids=["us-911", "de-112", "gb-999", "us-shortcode", "us-shortcode-2"],
)
def test_short_and_emergency(raw: str, region: str, kind: NumberKind) -> None:
    n = normalize_number(raw, region)
    assert n.kind is kind and n.short == raw and n.e164 is None


@pytest.mark.parametrize(
    "raw,region,message",
    [
        ("hello", "US", "not a phone number: 'hello'"),
        ("12", "US", "too short for US"),
        ("+1 202", "US", "too short"),
        ("1234567890123456789", "US", "too long"),
        ("+999 1234567", "US", "country code"),
        ("555-1234", "US", "needs an area code"),
        ("x" * 500, "US", "not a phone number"),
        ("!!!", "US", "not a phone number"),
    ],
    ids=["word", "too-short", "too-short-intl", "too-long", "bad-country", "local-only", "huge", "punctuation"],
)
def test_failures_say_what_is_wrong(raw: str, region: str, message: str) -> None:
    with pytest.raises(NumberError) as err:
        normalize_number(raw, region)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "digits,e164", [("2025550143", "+12025550143"), ("12025550143", "+12025550143"), ("0125550143", None), ("202555014", None), ("", None)]
)
def test_nanp_fast_path(digits: str, e164: str | None) -> None:
    assert nanp_e164(digits) == e164


def test_fast_path_agrees_with_phonenumbers() -> None:
    for digits in ["2025550143", "8768812345", "4155550199", "8005551234"]:
        assert nanp_e164(digits) == normalize_number(digits, "US", details=False).e164


@pytest.mark.parametrize(
    "raw,region,pattern",
    [("+1202555*", "US", "+1202555*"), ("1-202-555*", "US", "+1202555*"), ("202555*", "US", "+1202555*"),
     ("0049 30*", "US", "+4930*"), ("030*", "DE", "+4930*"), ("202-555-0143", "US", "+12025550143")],
)
def test_patterns(raw: str, region: str, pattern: str) -> None:
    assert normalize_pattern(raw, region) == pattern


@pytest.mark.parametrize("raw", ["+4*", "abc*", "Anonymous", "911", "+9991234*"])
def test_bad_patterns(raw: str) -> None:
    with pytest.raises(NumberError):
        normalize_pattern(raw, "US")


def test_validity_and_type_agree_with_phonenumbers_everywhere() -> None:
    """parse_number finds validity and type in one pattern pass; it must say what
    phonenumbers' own is_valid_number and number_type say, for every region's example
    numbers of every type and for near-miss variants of them (one digit changed)."""
    import random

    import phonenumbers
    from phonenumbers import PhoneNumberFormat, PhoneNumberType

    from lookup.numbers import _TYPES

    rng = random.Random(7)
    samples = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE,
                     PhoneNumberType.PREMIUM_RATE, PhoneNumberType.VOIP):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, PhoneNumberFormat.E164)
            samples.append(e164)
            digits = list(e164[1:])
            i = rng.randrange(len(str(example.country_code)), len(digits))
            digits[i] = str((int(digits[i]) + rng.randrange(1, 10)) % 10)
            samples.append("+" + "".join(digits))
    checked = 0
    for raw in samples:
        try:
            number, parsed = parse_number(raw, "US")
        except NumberError:
            continue
        checked += 1
        assert number.valid == phonenumbers.is_valid_number(parsed), raw
        expected = _TYPES.get(phonenumbers.number_type(parsed), NumberType.UNKNOWN)
        assert number.type == expected, raw
    assert checked > 800


@pytest.mark.parametrize(
    "raw",
    ["+¹2025*", "+1202²*", "①*", "+1202①*", "+1202555014399*", "+4912345678901234*"],
    ids=["superscript-cc", "superscript-digit", "circled", "circled-inside", "longer-than-nanp", "longer-than-de"],
)
def test_prefixes_no_number_can_match_are_refused(raw: str) -> None:
    with pytest.raises(NumberError):
        normalize_pattern(raw, "US")


def test_prefix_fuzz_only_number_errors_and_only_matchable_prefixes() -> None:
    """Seeded: strings of every kind of digit, sign and separator either fail with NumberError
    or give ``+`` and ASCII digits and ``*``, no longer than the country's longest number."""
    import random
    import re

    alphabet = "0123456789" "²³¹①⑨٢٣۴１２" "+*-. ()/#x" "\u00a0\u200b"
    rnd = random.Random(2026)
    accepted = 0
    for _ in range(3000):
        raw = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 20)))
        if rnd.random() < 0.7:
            raw += "*"
        try:
            out = normalize_pattern(raw, rnd.choice(["US", "DE", "GB"]))
        except NumberError:
            continue
        accepted += 1
        assert re.fullmatch(r"\+[0-9]{2,15}\*?", out), (raw, out)
    assert accepted > 100  # the fuzz reaches the accepting paths too
