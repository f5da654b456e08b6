"""A batch of inputs to numbers with their facts: stored facts where the store has them,
computed once (and handed back to be saved) where it does not.

The engine's first step (:meth:`lookup.engine.Engine.normalize`); it reads the store and
never writes it, so the facts of a batch are saved with the rest of what the batch learns.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from db.store import Store
from lookup.models import Number
from lookup.number_facts import with_details
from lookup.numbers import NumberError, parse_number


def normalize_inputs(
    store: Store, inputs: Sequence[str], region: str
) -> tuple[list[Number | NumberError], dict[str, Number]]:
    """Every input parsed (or the NumberError saying why not), and the facts computed for the
    first time in this batch, by E.164 key."""
    # Inputs already in E.164 form ("+12025550143", spaces and dashes allowed) whose facts
    # are stored need no parsing at all: the stored row has everything parsing would give.
    plain = {raw: key for raw in inputs if (key := plain_e164(raw))}
    stored = store.get_numbers(list(set(plain.values()))) if plain else {}
    parsed: list[tuple[Number, Any, bool] | NumberError | Number] = []
    for raw in inputs:
        key = plain.get(raw)
        hit = stored.get(key) if key else None
        if hit is not None:
            parsed.append(replace(hit, input=raw))
            continue
        # A plain E.164 input the store does not hold is almost always new: its facts are
        # worked out with the parse, so its Number is built once (not built, then copied).
        try:
            number, pn = parse_number(raw, region, details=key is not None)
        except NumberError as exc:
            parsed.append(exc)
            continue
        parsed.append((number, pn, key is not None))
    asked = set(plain.values())  # looked up above: what is not stored there is not stored
    keys = [p[0].e164 for p in parsed if isinstance(p, tuple) and p[0].e164 and p[0].e164 not in asked]
    known = store.get_numbers(keys) if keys else {}
    fresh: dict[str, Number] = {}
    out: list[Number | NumberError] = []
    for item in parsed:
        if isinstance(item, (NumberError, Number)):
            out.append(item)
            continue
        number, pn, detailed = item
        if number.e164 is None or pn is None:
            out.append(number)
            continue
        found = known.get(number.e164) or fresh.get(number.e164)
        if found is None:
            full = number if detailed else with_details(number, pn)
            fresh[number.e164] = full
            out.append(full)
        else:
            out.append(replace(number, location=found.location, carrier=found.carrier, time_zones=found.time_zones))
    return out, fresh


_E164_PUNCTUATION = str.maketrans("", "", " -.()")


def plain_e164(raw: str) -> str | None:
    """``raw`` as an E.164 key when it is nothing but ``+`` and digits (spaces, dashes, dots
    and parentheses allowed), else None. Only a candidate: it is used as a key when stored."""
    text = raw.strip()
    if not text.startswith("+"):
        return None
    digits = text[1:].translate(_E164_PUNCTUATION)
    if 7 <= len(digits) <= 15 and digits.isdigit() and digits.isascii() and digits[0] != "0":
        return "+" + digits
    return None
