"""What the call itself says about its caller, besides STIR/SHAKEN's verstat (:mod:`lookup.stir`):
the caller name the trunk sent (CNAM) and the SIP Identity header's PASSporT.

Caller name, and how it weighs:
- It matches one of your blocked name patterns (``whocalled block --name "*WARRANTY*"``, a glob
  in any case): 70 points, past the "likely spam" threshold on its own, as a blocked number is
  blocked. Your allowlist and contacts still win.
- It is a label a carrier's call analytics put in place of the name (``SCAM LIKELY``,
  ``SPAM RISK``, ... in ``cnam_labels.tsv``): that carrier's verdict, 20 to 45 points.
- It disagrees with your contact's name or a listing for the number: shown, weighing nothing.
  Names in the caller-name databases are short (15 characters), often stale, and a forged
  caller ID brings the real owner's name along, so a mismatch proves nothing by itself.
  Generic names (``WIRELESS CALLER``, a city and state) are not compared.

Identity header (RFC 8224): ``header.payload.signature;info=<...>;alg=ES256;ppt=shaken``. Its
payload (base64url JSON, RFC 8225/8588) says which attestation the originating carrier gave
(``attest``) and for which number (``orig.tn``). whocalled does not check the signature (it has
no certificates): the header shows what the call claims, and a verstat from your own carrier,
which did check it, outranks it. An ``orig.tn`` other than the screened number is shown,
weighing nothing (forwarded calls carry one too). A header that cannot be read is shown as such
and otherwise ignored: a screen never fails over it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any, Iterable

from lookup.models import Evidence, iso_now
from lookup.text import clean_text

NAME_LIMIT = 60  # characters kept of a caller name the trunk sent
PATTERN_LIMIT = 60
BLOCKED_NAME_POINTS = 70.0
IDENTITY_LIMIT = 4096  # longer Identity headers are not read
SOURCE = "caller name"
_WORDS = re.compile(r"[^0-9A-Z]+")
# Names carriers' databases give when they know no person or business (not compared).
GENERIC_NAMES = frozenset({
    "WIRELESS CALLER", "CELL PHONE", "UNKNOWN", "UNKNOWN NAME", "UNAVAILABLE", "NOT AVAILABLE", "PRIVATE",
    "ANONYMOUS", "TOLL FREE", "TOLL FREE CALL", "OUT OF AREA", "V", "CALLER ID",
})
_CITY_STATE = re.compile(r"^[A-Z .'-]+ [A-Z]{2}$")  # "WASHINGTON DC", "LOS ANGELES CA"


@dataclass(frozen=True)
class NameBlock:
    """A blocked caller-name pattern: a glob (``*`` any text, ``?`` one character), upper case."""

    pattern: str
    reason: str | None = None
    added_at: str = field(default_factory=iso_now)
    origin: str = "user"

    def matches(self, name: str | None) -> bool:
        return bool(name) and fnmatchcase(name.upper(), self.pattern)


@dataclass(frozen=True)
class Identity:
    """What a PASSporT claims; ``error`` says why it could not be read (then the rest is None)."""

    attest: str | None = None
    orig_tn: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"attest": self.attest, "orig_tn": self.orig_tn, "error": self.error}


def clean_name(raw: str | None) -> str | None:
    """The caller name a trunk sent, as one clean line of at most NAME_LIMIT characters, without
    the quotes a SIP display name may keep."""
    return clean_text(clean_text(raw).strip('"'), NAME_LIMIT) or None


def name_pattern(raw: str) -> str:
    """``raw`` as a stored name pattern (one line, upper case); ValueError when empty."""
    pattern = clean_text(raw, PATTERN_LIMIT).upper()
    if not pattern:
        raise ValueError("the name pattern is empty")
    return pattern


def is_catch_all(pattern: str) -> bool:
    """Whether ``pattern`` has no letter or digit to match on, so it matches every name."""
    return not any(ch.isalnum() for ch in pattern)


def words_of(name: str) -> str:
    return _WORDS.sub(" ", name.upper()).strip()


@lru_cache(maxsize=1)
def carrier_labels() -> tuple[tuple[str, float, str], ...]:
    """``(label, points, kind)`` from ``cnam_labels.tsv``, longest label first."""
    from importlib.resources import files

    rows = []
    for line in files("lookup").joinpath("cnam_labels.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            points, kind, label = line.split("\t")
            rows.append((words_of(label), float(points), kind))
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


def carrier_label(name: str) -> tuple[str, float, str] | None:
    """The carrier label ``name`` is (or starts with), if any."""
    words = words_of(name)
    for label, points, kind in carrier_labels():
        if words == label or words.startswith(label + " "):
            return label, points, kind
    return None


def is_generic(name: str) -> bool:
    words = words_of(name)
    return not words or words in GENERIC_NAMES or words.replace(" ", "").isdigit() or bool(_CITY_STATE.match(words))


def agrees(sent: str, known: str) -> bool:
    """Whether two names plausibly name the same caller: one holds the other's words (the
    sent one may be cut at 15 characters), or they share a word of four letters or more."""
    a, b = words_of(sent), words_of(known)
    if not a or not b:
        return True
    if a in b or b in a or b.startswith(a[:15]):
        return True
    return bool({w for w in a.split() if len(w) >= 4} & {w for w in b.split() if len(w) >= 4})


def name_evidence(name: str, blocks: Iterable[NameBlock], known: Iterable[tuple[str, str]]) -> list[Evidence]:
    """The reasons the caller name ``name`` gives; ``known`` holds ``(whose, name)`` pairs such
    as ``("your contact", "Mom")`` or ``("the listing", "City Library")`` for the number."""
    out: list[Evidence] = []
    hit = next((b for b in blocks if b.matches(name)), None)
    if hit is not None:
        why = f" ({hit.reason})" if hit.reason else ""
        out.append(Evidence("name_blocked", BLOCKED_NAME_POINTS,
                            f'The caller\'s name "{name}" matches your blocked name {hit.pattern}{why}.', SOURCE))
    label = carrier_label(name)
    if label is not None:
        text, points, kind = label
        out.append(Evidence(f"name_label_{kind}", points,
                            f'The caller\'s name is "{name}": a carrier labelled the call as {kind}.', SOURCE))
    elif not is_generic(name):
        for whose, other in known:
            if other and not agrees(name, other):
                out.append(Evidence("name_mismatch", 0,
                                    f'The caller\'s name "{name}" is not {whose} "{other}" for this number.', SOURCE))
                break
    return out


# ---------------------------------------------------------------- Identity (RFC 8224)


def read_identity(raw: str) -> Identity:
    """The claims of an Identity header's PASSporT (not verified); never raises."""
    text = raw.strip()
    if len(text) > IDENTITY_LIMIT:
        return Identity(error=f"longer than {IDENTITY_LIMIT} characters")
    token = text.split(";", 1)[0].strip().strip("<>")
    parts = token.split(".")
    if len(parts) != 3:
        return Identity(error="not a PASSporT (header.payload.signature)")
    if not parts[1]:
        return Identity(error="compact form: the claims are not in the header")
    claims = decode_part(parts[1])
    if not isinstance(claims, dict):
        return Identity(error="its payload is not base64url JSON")
    attest = claims.get("attest")
    attest = attest.upper() if isinstance(attest, str) and attest.upper() in ("A", "B", "C") else None
    orig = claims.get("orig")
    tn = orig.get("tn") if isinstance(orig, dict) else None
    tn = tn if isinstance(tn, str) and tn.lstrip("+").isdigit() and len(tn) <= 20 else None
    if attest is None and tn is None:
        return Identity(error="it names neither an attestation nor an originating number")
    return Identity(attest=attest, orig_tn=tn)


def decode_part(part: str) -> Any:
    """A base64url JWT part as JSON; None when it is not one."""
    import base64
    import binascii

    try:
        data = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        return json.loads(data.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def identity_evidence(ident: Identity, e164: str | None, *, outranked: bool) -> list[Evidence]:
    """The reasons an Identity header gives, weighing nothing (see the module's notes);
    ``outranked`` when the carrier's verstat came with the call."""
    source = "Identity header"
    if ident.error:
        return [Evidence("identity_unread", 0, f"The call's Identity header could not be read ({ident.error}).", source)]
    out = []
    if ident.attest:
        after = " (the carrier's verstat decides)" if outranked else ""
        out.append(Evidence("identity_attest", 0,
                            f"The call claims attestation {ident.attest} in its Identity header, signature not checked{after}.",
                            source))
    if ident.orig_tn and e164 and ident.orig_tn.lstrip("+") != e164.lstrip("+"):
        out.append(Evidence("identity_other_number", 0,
                            f"The call's Identity header was signed for +{ident.orig_tn.lstrip('+')}, not for {e164}.",
                            source))
    return out
