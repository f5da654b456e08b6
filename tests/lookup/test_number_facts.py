"""The quick paths of number facts give exactly what phonenumbers' own calls give."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from lookup.models import Number, NumberType
from lookup.number_facts import _PN_TYPES, _TYPES, describe, region_and_type, with_details
from lookup.numbers import NumberError, _nanp_formats, _nanp_parsed, parse_number


def _example_numbers() -> list[phonenumbers.PhoneNumber]:
    """Every region's example number of every type, and the non-geographic ones."""
    out = []
    kinds = [t for t in vars(PhoneNumberType).values() if isinstance(t, int) and t != PhoneNumberType.UNKNOWN]
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in kinds:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                out.append(example)
    for cc in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        example = phonenumbers.example_number_for_non_geo_entity(cc)
        if example is not None:
            out.append(example)
    return out


def _generated_numbers(count: int, *, every_code: bool = False) -> list[phonenumbers.PhoneNumber]:
    """Numbers of the country codes shared by several regions (+1, +7, +44, +47, +61, +262 ...),
    or of ``every_code``, some valid, many not: the digits of example numbers with their tails
    replaced at random."""
    rng = random.Random(15)
    shared = [cc for cc, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items() if len(regions) > 1 or every_code]
    bases = [n for n in _example_numbers() if n.country_code in shared]
    out = []
    for _ in range(count):
        base = rng.choice(bases)
        nsn = phonenumbers.national_significant_number(base)
        keep = rng.randint(1, len(nsn))
        digits = nsn[:keep] + "".join(rng.choice("0123456789") for _ in range(len(nsn) - keep))
        out.append(phonenumbers.parse(f"+{base.country_code}{digits}", "ZZ"))
    return out


def _direct(parsed: phonenumbers.PhoneNumber) -> tuple[str | None, NumberType]:
    region = phonenumbers.region_code_for_number(parsed)
    if region is None or not phonenumbers.is_valid_number_for_region(parsed, region):
        return region, NumberType.UNKNOWN
    return region, _TYPES.get(phonenumbers.number_type(parsed), NumberType.UNKNOWN)


def test_region_and_type_match_phonenumbers_for_every_example_number() -> None:
    numbers = _example_numbers()
    assert len(numbers) > 1000
    wrong = [(phonenumbers.format_number(n, PhoneNumberFormat.E164), region_and_type(n), _direct(n))
             for n in numbers if region_and_type(n) != _direct(n)]
    assert wrong == []


def test_region_and_type_match_phonenumbers_for_generated_numbers() -> None:
    numbers = _generated_numbers(6000)
    found = [region_and_type(n) for n in numbers]
    assert found == [_direct(n) for n in numbers]
    assert {t for _, t in found} > {NumberType.UNKNOWN, NumberType.FIXED_LINE_OR_MOBILE}  # valid and invalid both seen
    assert len({r for r, _ in found if r}) > 10  # many regions of the shared codes, not just the main one


def test_region_and_type_match_phonenumbers_for_numbers_of_every_country_code() -> None:
    """The compiled type patterns of every region (lookup.number_facts._TypeChecks) say what
    phonenumbers says, for the types each region has and the lengths it allows."""
    numbers = _generated_numbers(20_000, every_code=True)
    found = [region_and_type(n) for n in numbers]
    assert found == [_direct(n) for n in numbers]
    assert {t for _, t in found} >= set(NumberType) - {NumberType.UAN, NumberType.VOICEMAIL}
    assert len({n.country_code for n in numbers}) > 200


def test_a_plus_one_key_is_built_as_phonenumbers_parses_it() -> None:
    rng = random.Random(7)
    texts = [f"+1{rng.randint(2_000_000_000, 9_999_999_999)}" for _ in range(5000)]
    for text in texts:
        built = _nanp_parsed(text)
        assert built == phonenumbers.parse(text, "US"), text
        assert repr(built) == repr(phonenumbers.parse(text, "US"))


@pytest.mark.parametrize("text", ["+11234567890", "+10234567890", "+1202555014", "+120255501433", "+1202555O143",
                                  "+1２０２5550143", "12025550143", "+44 2079460958"])
def test_anything_else_goes_through_the_full_parse(text: str) -> None:
    assert _nanp_parsed(text) is None


def test_parse_number_gives_phonenumbers_e164_and_formats() -> None:
    for n in _example_numbers()[::3]:
        text = phonenumbers.format_number(n, PhoneNumberFormat.E164)
        number, parsed = parse_number(text, "US")
        assert number.e164 == text
        assert number.national == phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL)
        assert number.valid == phonenumbers.is_valid_number(parsed)


def test_plus_one_formats_are_sliced_as_phonenumbers_formats_them() -> None:
    rng = random.Random(11)
    area_codes = [f"{a}{b}{c}" for a in "23456789" for b in "0123456789" for c in "0123456789"]
    texts = [f"+1{code}{rng.randint(0, 9_999_999):07d}" for code in area_codes for _ in range(6)]
    texts += ["+13105550143", "+13101234567", "+12000000000", "+19999999999"]
    for text in texts:
        number, parsed = parse_number(text, "US")
        assert (number.national, number.international) == (
            phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL),
            phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)), text
    assert _nanp_formats(parse_number("+12025550143")[1]) is not None  # the quick path was taken
    assert _nanp_formats(parse_number("+442079460958")[1]) is None


def test_plus_one_formats_fall_back_when_phonenumbers_formats_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    import lookup.numbers as numbers

    monkeypatch.setattr(numbers, "_NANP_FORMATS_OK", None)
    monkeypatch.setattr(numbers, "check_nanp_formats", lambda: False)
    assert _nanp_formats(parse_number("+12025550143")[1]) is None
    assert parse_number("+12025550143")[0].national == "(202) 555-0143"  # from phonenumbers itself


def _parsed(texts: list[str]) -> list[tuple[str, Number, phonenumbers.PhoneNumber]]:
    """``(text, number, parsed)`` of each text that is a number."""
    out = []
    for text in texts:
        try:
            number, parsed = parse_number(text, "US")
        except NumberError:
            continue
        out.append((text, number, parsed))
    return out


def test_parse_number_with_details_is_with_details_of_the_parse() -> None:
    """The Number built with its facts at once is the one ``with_details`` copies them into."""
    texts = [phonenumbers.format_number(n, PhoneNumberFormat.E164) for n in _example_numbers()[::2]]
    texts += [phonenumbers.format_number(n, PhoneNumberFormat.E164) for n in _generated_numbers(1500)]
    texts += ["+1 202 555 0143 ext. 12", "tel:+1-202-555-0143;ext=7", "(202) 555-0143", "0044 20 7946 0958",
              "+12025550143", "+18768675309", "+19005550143"]
    parsed = _parsed(texts)
    for text, number, pn in parsed:
        assert parse_number(text, "US", details=True) == (with_details(number, pn), pn), text
    assert len(parsed) > 2000


def test_a_batch_is_normalised_as_each_input_alone() -> None:
    """``normalize_inputs`` (facts worked out with the parse for plain E.164 inputs the store does
    not hold, read from the store for the ones it does) gives what ``normalize_number`` gives each."""
    from db.store import Store
    from lookup.normalizing import normalize_inputs
    from lookup.numbers import normalize_number

    rng = random.Random(3)
    texts = [f"+1{rng.randint(2_000_000_000, 9_999_999_999)}" for _ in range(300)]
    texts += [phonenumbers.format_number(n, PhoneNumberFormat.E164) for n in _example_numbers()[::7]]
    texts += ["+1 (202) 555-0143", "202-555-0143", "+12025550143", "+12025550143", "Anonymous", "911", "+1234",
              "+44 020 7946 0958", "not a number"]

    def alone(text: str) -> object:
        try:
            return normalize_number(text, "US")
        except NumberError as exc:
            return str(exc)

    expected = [alone(t) for t in texts]
    with Store(":memory:") as store:
        out, fresh = normalize_inputs(store, texts, "US")
        assert [o if not isinstance(o, NumberError) else str(o) for o in out] == expected
        store.save_numbers(list(fresh.values())[::2])  # half of them known the second time
        again, _ = normalize_inputs(store, texts, "US")
        assert [o if not isinstance(o, NumberError) else str(o) for o in again] == expected


def test_numbers_of_one_exchange_share_what_is_worked_out_for_each() -> None:
    """describe() reuses a +1 exchange's place, carrier and time zones (number_facts._EXCHANGE_FACTS):
    for thousands of numbers of a few hundred exchanges, among them the exchanges a longer
    carrier entry splits (every next two digits of those), the same as working them out for
    each number, and a split exchange is never shared."""
    from lookup import number_facts

    number_facts._EXCHANGE_FACTS.clear()
    rng = random.Random(21)
    split = sorted(number_facts._split_exchanges() or ())
    assert split  # phonenumbers has carrier entries longer than an exchange for some +1 numbers
    texts = [f"+{head}{tail:02d}{rng.randint(0, 99):02d}" for head in split for tail in range(100)]
    heads = [f"1{rng.randint(200, 999)}{rng.randint(200, 999)}" for _ in range(300)]
    heads += [f"1{area}{rng.randint(200, 999)}" for area in (876, 809, 242, 787, 671, 684, 340) for _ in range(5)]
    from phonenumbers import carrier

    heads += rng.sample(sorted(k for k in carrier.CARRIER_DATA if k.startswith("1") and len(k) == 7), 60)  # named carriers
    texts += [f"+{head}{rng.randint(0, 9999):04d}" for head in heads for _ in range(12)]
    rng.shuffle(texts)
    shared = 0
    for text, number, parsed in _parsed(texts):
        pn_type = _PN_TYPES.get(number.type, PhoneNumberType.UNKNOWN)
        shared += number_facts._exchange_of(parsed, pn_type) in number_facts._EXCHANGE_FACTS
        assert describe(parsed, number.type) == number_facts._facts(parsed, pn_type), text
    assert shared > 1500
    assert not {head for head, _ in number_facts._EXCHANGE_FACTS} & set(split)
    assert len({facts[1] for facts in number_facts._EXCHANGE_FACTS.values()}) > 1  # carriers were shared too


def test_an_exchange_a_longer_entry_splits_is_not_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    """Were a carrier entry longer than the exchange (as some Caribbean ones are), the numbers of
    that exchange would each get their own facts."""
    from phonenumbers import carrier

    from lookup import number_facts

    monkeypatch.setitem(carrier.CARRIER_DATA, "12025551", {"en": "Split Telecom"})
    number_facts._split_exchanges.cache_clear()
    number_facts._EXCHANGE_FACTS.clear()
    try:
        texts = ["+12025550143", "+12025551143", "+12025552143", "+12025551999", "+12025553000"]
        found = [parse_number(text, "US", details=True)[0] for text in texts]
        assert [n.carrier for n in found] == [None, "Split Telecom", None, "Split Telecom", None]
        assert {n.location for n in found} == {"Washington D.C."}
        assert not [key for key in number_facts._EXCHANGE_FACTS if key[0] == "1202555"]
        parse_number("+12025560143", "US", details=True)
        assert [key for key in number_facts._EXCHANGE_FACTS if key[0] == "1202556"]  # its neighbour is shared
    finally:
        number_facts._split_exchanges.cache_clear()
        number_facts._EXCHANGE_FACTS.clear()
