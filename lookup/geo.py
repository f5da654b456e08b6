"""Where a number is from, in English, without loading phonenumbers' geocoder tables.

phonenumbers' geocoder keeps every language's place names in memory: about
100 MB and a quarter of a second to import. whocalled only shows English, so
the English entries are extracted once (in a separate process, so the big
tables never enter ours) into a compact cache file in the user cache
directory: sorted prefixes as 64-bit integers, an index into a list of
distinct names. Loading it takes milliseconds and a few MB; a lookup is a
handful of binary searches. The answers are the same as
``phonenumbers.geocoder.description_for_number(number, "en")`` (tested), and
when the cache cannot be built or read, that function is used instead.
"""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from array import array
from bisect import bisect_left
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from lookup.regions import REGION_NAMES

FORMAT_VERSION = 1
_table: tuple[int, array, array, list[str]] | None = None
_unavailable = False


def cache_path() -> Path:
    base = os.environ.get("WHOCALLED_CACHE")
    if base:
        root = Path(base)
    else:
        from platformdirs import user_cache_path

        root = user_cache_path("whocalled")
    return root / f"geo-en-{phonenumbers.__version__}-v{FORMAT_VERSION}.bin"


def build_table(path: str | Path) -> None:
    """Extract the English place names (run in a child process: it loads the full tables)."""
    from phonenumbers.geodata import GEOCODE_DATA, GEOCODE_LONGEST_PREFIX

    items = sorted((int(prefix), names["en"]) for prefix, names in GEOCODE_DATA.items() if "en" in names)
    values = sorted({name for _, name in items})
    position = {name: i for i, name in enumerate(values)}
    keys = array("q", (k for k, _ in items))
    index = array("I", (position[name] for _, name in items))
    payload = marshal.dumps((FORMAT_VERSION, GEOCODE_LONGEST_PREFIX, keys.tobytes(), index.tobytes(), values))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)


def _load() -> tuple[int, array, array, list[str]] | None:
    global _table, _unavailable
    if _table is not None or _unavailable:
        return _table
    path = cache_path()
    try:
        if not path.exists():
            subprocess.run(
                [sys.executable, "-c", "import sys; from lookup.geo import build_table; build_table(sys.argv[1])", str(path)],
                check=True, timeout=300, capture_output=True,
            )
        version, longest, raw_keys, raw_index, values = marshal.loads(path.read_bytes())
        if version != FORMAT_VERSION:
            raise ValueError("old cache format")
        keys, index = array("q"), array("I")
        keys.frombytes(raw_keys)
        index.frombytes(raw_index)
        _table = (longest, keys, index, values)
    except (OSError, ValueError, EOFError, TypeError, subprocess.SubprocessError):
        _unavailable = True  # fall back to phonenumbers' own geocoder
    return _table


def _area(e164: str, table: tuple[int, array, array, list[str]]) -> str:
    longest, keys, index, values = table
    digits = e164[1:]
    for size in range(min(longest, len(digits)), 0, -1):
        key = int(digits[:size])
        at = bisect_left(keys, key)
        if at < len(keys) and keys[at] == key:
            return values[index[at]]
    return ""


def area_of(e164: str) -> str:
    """The place the table gives for the longest listed prefix of ``e164`` ("" for none, or
    when the table cannot be read)."""
    table = _load()
    return _area(e164, table) if table is not None else ""


def longer_prefixes(lead: str, size: int) -> set[str] | None:
    """The first ``size`` digits of every listed prefix longer than that which starts with the
    digits ``lead``; None when the table cannot be read."""
    table = _load()
    if table is None:
        return None
    longest, keys, _, _ = table
    out: set[str] = set()
    for length in range(size + 1, longest + 1):  # the keys of one length starting with lead are one run
        low = int(lead) * 10 ** (length - len(lead))
        high = (int(lead) + 1) * 10 ** (length - len(lead))
        out.update(str(key)[:size] for key in keys[bisect_left(keys, low) : bisect_left(keys, high)])
    return out


def country_name(parsed: phonenumbers.PhoneNumber) -> str:
    regions = phonenumbers.region_codes_for_country_code(parsed.country_code)
    if len(regions) == 1:
        return REGION_NAMES.get(regions[0], "")
    found = None
    for region in regions:
        if phonenumbers.is_valid_number_for_region(parsed, region):
            if found is not None:
                return ""
            found = region
    return REGION_NAMES.get(found or "", "")


def describe_location(parsed: phonenumbers.PhoneNumber, number_type: int) -> str:
    """English description of where ``parsed`` is from (``number_type`` is phonenumbers' type)."""
    table = _load()
    if table is None:
        from phonenumbers import geocoder

        return geocoder.description_for_number(parsed, "en")
    if number_type == PhoneNumberType.UNKNOWN:
        return ""
    if not phonenumbers.is_number_type_geographical(number_type, parsed.country_code):
        return country_name(parsed)
    e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    token = phonenumbers.country_mobile_token(parsed.country_code)
    nsn = phonenumbers.national_significant_number(parsed)
    if token and nsn.startswith(token):
        try:
            region = phonenumbers.region_code_for_country_code(parsed.country_code)
            e164 = phonenumbers.format_number(phonenumbers.parse(nsn[len(token) :], region), PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            pass  # geocode the number as it is, as phonenumbers does
    return _area(e164, table) or country_name(parsed)
