"""Normalising what people paste into a phone number: the only module that parses.

``normalize_number`` accepts national numbers (with a default region),
``+`` and ``00``/``011`` international forms, ``tel:`` URIs, any punctuation,
vanity letters, extensions and non-ASCII digits. Caller-ID placeholders
("Anonymous", "Private", an empty field ...) give a *withheld* number, not an
error; short codes and emergency numbers are recognised as such. Anything
else that cannot be a phone number raises :class:`NumberError` whose message
says what is wrong.

The geocoder, carrier and time-zone tables of phonenumbers are large (about a
quarter of a second to import), so they are loaded only when ``details`` is
asked for; the engine stores those facts the first time and reads them back.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Sequence

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from lookup.models import Number, NumberKind, NumberType
from lookup.number_facts import _TYPES, MAX_TIME_ZONES, describe, region_and_type, with_details  # noqa: F401
from lookup.telemarketing import telemarketing_prefix


class NumberError(ValueError):
    """The input is not a phone number; the message says why in one line."""


WITHHELD_WORDS = frozenset(
    {
        "",
        "anonymous",
        "anon",
        "private",
        "private number",
        "restricted",
        "unknown",
        "unavailable",
        "withheld",
        "number withheld",
        "no caller id",
        "caller id blocked",
        "blocked",
        "out of area",
        "not available",
        "null",
        "none",
        "unbekannt",
        "anonym",
        "-1",
        "-2",
        "-3",
    }
)

_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "missing or unknown country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}

_NON_DIAL = re.compile(r"[\s\u00a0\u2000-\u200f\u202f\u2060.\-‐‑‒–—―−/\\()\[\]]+")
_DIGITS = re.compile(r"\d+")
_NANP = re.compile(r"1?([2-9]\d{2}[2-9]\d{6})")


def _ascii_digits(text: str) -> str:
    """Map full-width, Arabic-Indic and other Unicode decimal digits to ASCII."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch.isdigit() and not ("0" <= ch <= "9"):
            value = unicodedata.decimal(ch, None)
            out.append(str(value) if value is not None else ch)
        elif ch == "\uff0b":  # full-width plus
            out.append("+")
        else:
            out.append(unicodedata.normalize("NFKC", ch) if unicodedata.category(ch).startswith("P") else ch)
    return "".join(out)


def is_withheld_text(raw: str) -> bool:
    return raw.strip().strip("<>\"'").strip().lower() in WITHHELD_WORDS


def nanp_e164(digits: str) -> str | None:
    """Fast path for bulk data: a 10-digit (or 1 + 10-digit) NANP string to E.164.

    No phonenumbers parse; returns ``None`` when the digits cannot be a NANP
    number (area code or exchange starting with 0 or 1, wrong length).
    """
    if len(digits) == 10 or len(digits) == 11:
        m = _NANP.fullmatch(digits)
        if m:
            return "+1" + m.group(1)
    return None


def _prepare(raw: str, region: str) -> str:
    text = _ascii_digits(raw.strip())
    if text.lower().startswith("tel:"):
        text = text[4:]
        # RFC 3966: ";ext=" is understood by phonenumbers; drop other parameters
        parts = text.split(";")
        keep = [parts[0]] + [p for p in parts[1:] if p.lower().startswith("ext=")]
        text = ";".join(keep)
    compact = _NON_DIAL.sub("", text)
    # "00" is the international prefix almost everywhere; phonenumbers only knows
    # the default region's own, so a US user pasting "0044..." needs help.
    if compact.startswith("00") and not compact.startswith("000") and region in _nanp_regions():
        return "+" + compact[2:]
    return text


_NANP_REGIONS: frozenset[str] | None = None


def _nanp_regions() -> frozenset[str]:
    global _NANP_REGIONS
    if _NANP_REGIONS is None:
        _NANP_REGIONS = frozenset(phonenumbers.region_codes_for_country_code(1))
    return _NANP_REGIONS


def _short_kind(digits: str, region: str) -> NumberKind | None:
    if not 2 <= len(digits) <= 6:
        return None
    if phonenumbers.is_emergency_number(digits, region):
        return NumberKind.EMERGENCY
    from phonenumbers import shortnumberinfo

    try:
        parsed = phonenumbers.parse(digits, region)
    except NumberParseException:
        return None
    if shortnumberinfo.is_valid_short_number_for_region(parsed, region) or (
        region in _nanp_regions() and 5 <= len(digits) <= 6
    ):
        return NumberKind.SHORT_CODE
    return None


def normalize_number(raw: str, region: str = "US", *, details: bool = True) -> Number:
    """Parse ``raw`` as a phone number dialled from ``region`` (ISO code, e.g. "US").

    Raises :class:`NumberError` with a one-line reason when it cannot be a number.
    """
    return parse_number(raw, region, details=details)[0]


def listed_e164(raw: str, region: str) -> str | None:
    """The E.164 key of a number as a directory lists it (OpenStreetMap, Wikidata), read like any
    input (``tel:``, ``00``, letters) but without the facts a lookup needs: bulk syncs read
    hundreds of thousands. The extension is dropped; None when it is not a possible number."""
    region = (region or "US").upper()
    try:
        parsed = phonenumbers.parse(_prepare(str(raw), region), region)
    except NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    parsed.extension = None
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


def _nanp_parsed(text: str) -> phonenumbers.PhoneNumber | None:
    """``phonenumbers.parse(text)`` for ``+1`` and ten digits not starting with 0 or 1 (the
    E.164 keys a triage looks up), built directly: such a number has nothing to strip or
    guess, so the parse would give exactly this (tested against it). None for anything else."""
    if len(text) == 12 and text.startswith("+1") and text[2] in "23456789" and text[3:].isdigit() and text.isascii():
        return phonenumbers.PhoneNumber(country_code=1, national_number=int(text[2:]))
    return None


_NANP_FORMATS_OK: bool | None = None  # phonenumbers still formats +1 numbers as below (checked once)


def _nanp_formats(parsed: phonenumbers.PhoneNumber) -> tuple[str, str] | None:
    """The national and international formats of a +1 number of ten digits not starting with
    0 or 1, as phonenumbers writes them ("(202) 555-0143", "+1 202-555-0143": every +1 number is
    formatted by the US metadata, whose only ten-digit pattern is this one), by slicing; None
    for any other number, or when phonenumbers no longer formats a probe number so."""
    global _NANP_FORMATS_OK
    nsn = str(parsed.national_number)
    if parsed.country_code != 1 or len(nsn) != 10 or nsn[0] in "01" or parsed.italian_leading_zero:
        return None
    if _NANP_FORMATS_OK is None:
        _NANP_FORMATS_OK = check_nanp_formats()
    if not _NANP_FORMATS_OK:
        return None
    return f"({nsn[:3]}) {nsn[3:6]}-{nsn[6:]}", f"+1 {nsn[:3]}-{nsn[3:6]}-{nsn[6:]}"


def check_nanp_formats() -> bool:
    """Whether phonenumbers formats a probe +1 number (its leading 310 picks a pattern of its
    own for seven digits) as :func:`_nanp_formats` slices it."""
    probe = phonenumbers.PhoneNumber(country_code=1, national_number=3105550143)
    return (phonenumbers.format_number(probe, PhoneNumberFormat.NATIONAL) == "(310) 555-0143"
            and phonenumbers.format_number(probe, PhoneNumberFormat.INTERNATIONAL) == "+1 310-555-0143")


def parse_number(
    raw: str, region: str = "US", *, details: bool = False
) -> tuple[Number, phonenumbers.PhoneNumber | None]:
    """Like :func:`normalize_number` (by default without details), also returning the parsed
    object (``None`` for withheld, short and emergency numbers) so details can be added later.
    With ``details``, the Number is built with them at once: what :func:`with_details` gives."""
    if raw is None:
        raw = ""
    raw = str(raw)
    region = (region or "US").upper()
    if len(raw) > 200:
        raise NumberError(f"not a phone number: {raw[:40]!r}... (too long)")
    if is_withheld_text(raw):
        return Number(input=raw, kind=NumberKind.WITHHELD), None
    text = _prepare(raw, region)
    if not text.startswith("+"):
        bare = _NON_DIAL.sub("", text)
        if bare.isdigit():
            kind = _short_kind(bare, region)
            if kind is not None:
                return Number(input=raw, kind=kind, short=bare, region=region), None
    try:
        parsed = _nanp_parsed(text) or phonenumbers.parse(text, region)
    except NumberParseException as exc:
        reason = _REASONS.get(exc.error_type, "not a phone number")
        if exc.error_type in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_SHORT_AFTER_IDD):
            reason = f"too short for {region}" if not text.startswith("+") else reason
        if exc.error_type == NumberParseException.NOT_A_NUMBER or not _DIGITS.search(text):
            raise NumberError(f"not a phone number: {raw!r}") from None
        raise NumberError(f"{reason}: {raw!r}") from None
    possible_reason = phonenumbers.is_possible_number_with_reason(parsed)
    # is_valid_number and number_type each look the region up again (for +1 numbers that
    # means testing some 25 regions' metadata): the region and the type come from one pass.
    number_region, number_type = region_and_type(parsed)
    where = number_region or region
    if possible_reason == phonenumbers.ValidationResult.TOO_SHORT:
        raise NumberError(f"too short for {where}: {raw!r}")
    if possible_reason == phonenumbers.ValidationResult.TOO_LONG:
        raise NumberError(f"too long for {where}: {raw!r}")
    if possible_reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY and not valid_local(parsed):
        raise NumberError(f"needs an area code: {raw!r}")
    if possible_reason == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
        raise NumberError(f"unknown country code +{parsed.country_code}: {raw!r}")
    valid = number_type is not NumberType.UNKNOWN  # valid for its region exactly when it has a type there
    e164 = f"+{parsed.country_code}{phonenumbers.national_significant_number(parsed)}"  # format_number's E.164
    # The extension is kept apart: the formats below are the number's own, the same for every
    # extension, so stored facts of an E.164 key never carry one input's extension.
    extension, parsed.extension = parsed.extension or None, None
    formats = _nanp_formats(parsed) or (phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL),
                                        phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL))
    location, carrier, zones = describe(parsed, number_type) if details else (None, None, ())
    return Number(
        input=raw,
        kind=NumberKind.NUMBER,
        e164=e164,
        extension=extension,
        region=number_region if number_region != "ZZ" else None,
        country_code=parsed.country_code,
        national=formats[0],
        international=formats[1],
        valid=valid,
        possible=possible_reason
        in (phonenumbers.ValidationResult.IS_POSSIBLE, phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY),
        type=number_type,
        location=location,
        carrier=carrier,
        time_zones=zones,
        telemarketing=telemarketing_prefix(e164),
    ), parsed


def valid_local(parsed: phonenumbers.PhoneNumber) -> bool:
    return phonenumbers.is_valid_number(parsed)


_FRAGMENT = re.compile(r"\+?\(?[0-9][0-9().\-]*")
MAX_PIECES = 6  # "+1 (202) 555 01 43 ..." : a number is rarely typed in more pieces


def join_split_numbers(words: Sequence[str], region: str) -> list[str]:
    """Command-line words with the pieces of a number typed with spaces and no quotes
    (``020 7946 0958``) joined back into one; every other word is kept as it is. A word that
    is a whole valid number on its own stays alone, so ``2025550143 2025550144`` are two."""
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if _FRAGMENT.fullmatch(word) and not _is_whole_number(word, region):
            for end in range(min(len(words), i + MAX_PIECES), i + 1, -1):
                group = words[i:end]
                if all(_FRAGMENT.fullmatch(w) for w in group) and _is_whole_number(" ".join(group), region):
                    out.append(" ".join(group))
                    i = end
                    break
            else:
                out.append(word)
                i += 1
        else:
            out.append(word)
            i += 1
    return out


def _is_whole_number(text: str, region: str) -> bool:
    try:
        return normalize_number(text, region, details=False).valid
    except NumberError:
        return False


def region_is_nanp(region: str | None) -> bool:
    return bool(region) and region in _nanp_regions()


def normalize_pattern(raw: str, region: str = "US") -> str:
    """A block/allow pattern: an exact number to E.164, or a prefix ``+CCDIGITS*``.

    Prefixes are written as people think of them (``+1202555*``, ``1-202-555*``,
    ``0049 30*``); a national prefix is taken in ``region``.
    """
    text = _ascii_digits(raw.strip())
    if not text.endswith("*"):
        number = normalize_number(text, region, details=False)
        if number.e164 is None:
            raise NumberError(f"cannot list {raw!r}: it is not a dialable number ({number.kind.value})")
        return number.e164
    head = _NON_DIAL.sub("", text[:-1].rstrip("*"))
    if head.startswith("00"):
        head = "+" + head[2:]
    if head.startswith("011") and region_is_nanp(region):
        head = "+" + head[3:]
    if not head.startswith("+"):
        if not _is_plain_digits(head):
            raise NumberError(f"not a number prefix: {raw!r}")
        cc = phonenumbers.country_code_for_region(region)
        if cc == 0:
            raise NumberError(f"unknown region {region!r} for prefix {raw!r}")
        if cc == 1 and head.startswith("1"):
            head = head[1:]
        else:
            head = head.lstrip("0") if cc != 1 else head
        head = f"+{cc}{head}"
    digits = head[1:]
    if digits and not _is_plain_digits(digits):
        raise NumberError(f"not a number prefix (only the digits 0-9 may follow +): {raw!r}")
    if len(digits) < 2:
        raise NumberError(f"a prefix needs a country code and at least one more digit: {raw!r}")
    if len(digits) > 15:
        raise NumberError(f"prefix longer than any phone number: {raw!r}")
    cc = _country_code_of(digits)
    if not phonenumbers.region_codes_for_country_code(cc):
        raise NumberError(f"unknown country code in prefix: {raw!r}")
    longest = _longest_national(cc)
    if longest and len(digits) - len(str(cc)) > longest:
        raise NumberError(f"prefix longer than any +{cc} number ({longest} digits after +{cc}): {raw!r}")
    return f"+{digits}*"


def longest_number(digits: str) -> int:
    """The most digits (country code included) a number starting with ``digits`` (no ``+``)
    can have: 15, E.164's limit, when the country code is unknown."""
    cc = _country_code_of(digits) if digits[:1].isdigit() else 0
    longest = _longest_national(cc) if cc else 0
    return len(str(cc)) + longest if longest else 15


def _is_plain_digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also takes superscripts and circled digits (``²``,
    ``①``), which no number can contain and ``int()`` refuses."""
    return bool(text) and text.isascii() and text.isdigit()


@lru_cache(maxsize=None)
def _longest_national(cc: int) -> int:
    """The most digits a number of country code ``cc`` has after it (0 when unknown)."""
    lengths = [0]
    for region in phonenumbers.region_codes_for_country_code(cc):
        meta = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(cc, region)
        if meta is not None and meta.general_desc is not None:
            lengths.extend(meta.general_desc.possible_length or ())
    return max(lengths)


def _country_code_of(digits: str) -> int:
    for size in (1, 2, 3):
        cc = int(digits[:size])
        if phonenumbers.region_codes_for_country_code(cc):
            return cc
    return 0
