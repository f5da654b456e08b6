"""What a parsed number is: its region and type, and the facts a lookup shows (place, carrier,
time zones).

:mod:`lookup.numbers` parses; this module answers from phonenumbers' metadata what the parse
gives. The work is done once per number and as directly as phonenumbers allows: its
``region_code_for_number`` and ``number_type`` each match the same type patterns (for +1
numbers, region by region), so the region is found and typed in one pass here; the carrier
and time-zone helpers get the type instead of working it out twice more.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import Any, Callable

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberType

from lookup.models import Number, NumberType

_TYPES: dict[int, NumberType] = {
    PhoneNumberType.FIXED_LINE: NumberType.FIXED_LINE,
    PhoneNumberType.MOBILE: NumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: NumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.TOLL_FREE: NumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE: NumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST: NumberType.SHARED_COST,
    PhoneNumberType.VOIP: NumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER: NumberType.PERSONAL,
    PhoneNumberType.PAGER: NumberType.PAGER,
    PhoneNumberType.UAN: NumberType.UAN,
    PhoneNumberType.VOICEMAIL: NumberType.VOICEMAIL,
}
_PN_TYPES = {ours: theirs for theirs, ours in _TYPES.items()}
MAX_TIME_ZONES = 4


def region_and_type(parsed: phonenumbers.PhoneNumber) -> tuple[str | None, NumberType]:
    """``(phonenumbers.region_code_for_number(parsed), its type there)``, with one pattern pass
    where phonenumbers makes two: the region is the first of the country code's regions whose
    leading digits match or where the number has a type, and that type is the answer."""
    regions = phonenumbers.region_codes_for_country_code(parsed.country_code)
    if len(regions) <= 1:
        region = phonenumbers.region_code_for_number(parsed)
        return region, type_for_region(parsed, region)
    nsn = phonenumbers.national_significant_number(parsed)
    for region in regions:  # as phonenumbers' _region_code_for_number_from_list
        metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue
        checks = _type_checks(metadata)
        if checks.leading_digits is not None:
            if checks.leading_digits(nsn):
                return region, type_for_region(parsed, region)
            continue
        found = checks.type_of(nsn)
        if found != PhoneNumberType.UNKNOWN:
            return region, _TYPES.get(found, NumberType.UNKNOWN)
    return None, NumberType.UNKNOWN


def type_for_region(parsed: phonenumbers.PhoneNumber, region: str | None) -> NumberType:
    """The number's type in ``region``; UNKNOWN exactly when phonenumbers'
    ``is_valid_number_for_region`` says invalid (same checks, one pattern pass)."""
    if region is None:
        return NumberType.UNKNOWN
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(parsed.country_code, region)
    if metadata is None or (
        region != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
        and parsed.country_code != phonenumbers.country_code_for_valid_region(region)
    ):
        return NumberType.UNKNOWN
    nsn = phonenumbers.national_significant_number(parsed)
    return _TYPES.get(_type_checks(metadata).type_of(nsn), NumberType.UNKNOWN)


# The types in the order phonenumbers tries them (its _number_type_helper), before fixed line and mobile.
_SPECIAL_TYPES = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)
_Check = tuple[frozenset[int], Callable[[str], Any]]


class _TypeChecks:
    """One region's number types as phonenumbers tells them (``number_type`` once the region is
    known: its _number_type_helper), with every pattern compiled once and the types the region
    does not have left out. phonenumbers looks each pattern up in its cache, three calls deep,
    for every type of every number: most of the time a number's facts took. Tested against
    phonenumbers' own answers on every region's example numbers and thousands of generated ones."""

    def __init__(self, metadata: PhoneMetadata) -> None:
        self.metadata = metadata  # kept: the cache below is keyed by its id
        pattern = metadata.leading_digits
        self.leading_digits = re.compile(pattern).match if pattern is not None else None
        self.general = _desc_check(metadata.general_desc)
        self.special = [(kind, check) for name, kind in _SPECIAL_TYPES
                        if (check := _desc_check(getattr(metadata, name))) is not None]
        self.fixed_line = _desc_check(metadata.fixed_line)
        self.mobile = _desc_check(metadata.mobile)
        self.same_mobile_and_fixed_line = metadata.same_mobile_and_fixed_line_pattern

    def type_of(self, nsn: str) -> int:
        """phonenumbers' type (a PhoneNumberType) of the national significant number ``nsn``."""
        if not _matches(nsn, self.general):
            return PhoneNumberType.UNKNOWN
        for kind, check in self.special:
            if _matches(nsn, check):
                return kind
        if _matches(nsn, self.fixed_line):
            if self.same_mobile_and_fixed_line or _matches(nsn, self.mobile):
                return PhoneNumberType.FIXED_LINE_OR_MOBILE
            return PhoneNumberType.FIXED_LINE
        if not self.same_mobile_and_fixed_line and _matches(nsn, self.mobile):
            return PhoneNumberType.MOBILE
        return PhoneNumberType.UNKNOWN


def _desc_check(desc: Any) -> _Check | None:
    """The possible lengths and the compiled pattern of a PhoneNumberDesc; None for one that
    matches nothing (absent, or without a pattern), as phonenumbers' _is_number_matching_desc."""
    if desc is None or not desc.national_number_pattern:
        return None
    return frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern).fullmatch


def _matches(nsn: str, check: _Check | None) -> bool:
    """No possible lengths given means any length (the general description's were checked)."""
    if check is None:
        return False
    lengths, fullmatch = check
    return (not lengths or len(nsn) in lengths) and fullmatch(nsn) is not None


_CHECKS: dict[int, _TypeChecks] = {}


def _type_checks(metadata: PhoneMetadata) -> _TypeChecks:
    checks = _CHECKS.get(id(metadata))
    if checks is None:
        checks = _CHECKS[id(metadata)] = _TypeChecks(metadata)
    return checks


def with_details(number: Number, parsed: phonenumbers.PhoneNumber) -> Number:
    """``number`` with location, carrier and time zones filled in."""
    location, carrier, zones = describe(parsed, number.type)
    return replace(number, location=location, carrier=carrier, time_zones=zones)


def describe(
    parsed: phonenumbers.PhoneNumber, number_type: NumberType | None = None
) -> tuple[str | None, str | None, tuple[str, ...]]:
    """Location description, carrier name and time zones.

    The location comes from :mod:`lookup.geo` (English-only, a few MB) rather than
    phonenumbers' geocoder (every language, about 100 MB); carrier and time-zone tables
    are small and loaded on first use. A +1 number's facts may be its exchange's (below).
    """
    # The type is known already; phonenumbers' carrier and time-zone helpers would each
    # work it out again (two more region searches per number), so use their inner halves.
    pn_type = phonenumbers.number_type(parsed) if number_type is None else _PN_TYPES.get(number_type, PhoneNumberType.UNKNOWN)
    exchange = _exchange_of(parsed, pn_type)
    if exchange is None:
        return _facts(parsed, pn_type)
    facts = _EXCHANGE_FACTS.get(exchange)
    if facts is None:
        facts = _facts(parsed, pn_type)
        _, _, _, area_of = _tables()
        # shared only when the place is the table's entry for the exchange (not the country
        # named for want of one, which phonenumbers works out from the whole number)
        if facts[0] and facts[0] == area_of(f"+{exchange[0]}") and len(_EXCHANGE_FACTS) < MAX_EXCHANGES:
            _EXCHANGE_FACTS[exchange] = facts
    return facts


def _facts(parsed: phonenumbers.PhoneNumber, pn_type: int) -> tuple[str | None, str | None, tuple[str, ...]]:
    """:func:`describe` of ``parsed`` itself, with phonenumbers' type ``pn_type``."""
    carrier, timezone, describe_location, _ = _tables()
    location = describe_location(parsed, pn_type) or None
    mobile = pn_type in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.PAGER)
    name = (carrier.name_for_valid_number(parsed, "en") or None) if mobile else None
    if pn_type == PhoneNumberType.UNKNOWN:
        found: tuple[str, ...] | list[str] = ()
    elif phonenumbers.is_number_type_geographical(pn_type, parsed.country_code):
        found = timezone.time_zones_for_geographical_number(parsed)
    else:
        found = _country_time_zones(parsed)
    zones = tuple(z for z in found if z != "Etc/Unknown")
    if len(zones) > MAX_TIME_ZONES:  # phonenumbers lists every zone of the country code: it does not know
        zones = ()
    return location, name, zones


# ---------------------------------------------------------------- facts an exchange shares

# A +1 number's place, carrier and time zones are looked up by prefix (lookup.geo's table,
# phonenumbers' carrier and time-zone data), and the +1 prefixes are area code and exchange
# ("1202555") or shorter, but for a few dozen carrier entries. So every number of an exchange
# that no longer entry splits has the same three facts (for a geographic type, where they come
# from those tables alone): they are worked out for the first number of the exchange and
# reused for the others, as a call log holds many numbers of one exchange (neighbour spoofing
# picks them on purpose). Tested against the full path on thousands of numbers of few exchanges.
_EXCHANGE_FACTS: dict[tuple[str, int], tuple[str | None, str | None, tuple[str, ...]]] = {}
MAX_EXCHANGES = 20_000  # a long-running server keeps at most this many (a few MB)


def _exchange_of(parsed: phonenumbers.PhoneNumber, pn_type: int) -> tuple[str, int] | None:
    """``("1" + area code + exchange, type)`` of a +1 number whose facts its exchange shares; None
    for any other number (another country, a non-geographic type, a split exchange)."""
    if parsed.country_code != 1 or not phonenumbers.is_number_type_geographical(pn_type, 1):
        return None
    nsn = phonenumbers.national_significant_number(parsed)
    if len(nsn) != 10:
        return None
    split = _split_exchanges()
    head = "1" + nsn[:6]
    if split is None or head in split:
        return None
    return head, pn_type


@lru_cache(maxsize=1)
def _split_exchanges() -> frozenset[str] | None:
    """The +1 exchanges that an entry of more than seven digits splits, in any of the three
    tables; None when exchanges share nothing (the place names come from phonenumbers' own
    geocoder, or +1 numbers have a mobile token that changes the number the place is read for)."""
    carrier, timezone, _, _ = _tables()
    from lookup.geo import longer_prefixes

    split = longer_prefixes("1", 7)
    carriers, zones = getattr(carrier, "CARRIER_DATA", None), getattr(timezone, "TIMEZONE_DATA", None)
    if split is None or carriers is None or zones is None or phonenumbers.country_mobile_token(1):
        return None
    for table in (carriers, zones):
        split |= {key[:7] for key in table if len(key) > 7 and key.startswith("1")}
    return frozenset(split)


@lru_cache(maxsize=1)
def _tables() -> tuple[Any, Any, Callable[[phonenumbers.PhoneNumber, int], str], Callable[[str], str]]:
    """phonenumbers' carrier and time-zone modules and the place names (of a number, and of
    an E.164 prefix in the table), imported at the first number described (not with this
    module: they are large), then kept at hand."""
    from phonenumbers import carrier, timezone

    from lookup.geo import area_of, describe_location

    return carrier, timezone, describe_location, area_of


def _country_time_zones(parsed: phonenumbers.PhoneNumber) -> tuple[str, ...]:
    """Time zones of the number's country code (for non-geographic types: mobile, toll free)."""
    from phonenumbers import timezone

    inner = getattr(timezone, "_country_level_time_zones_for_number", None)
    return tuple(inner(parsed)) if inner else tuple(timezone.time_zones_for_number(parsed))
