"""What the call itself says about its caller ID: STIR/SHAKEN, as the carrier reports it.

A carrier that verified the call's signature puts the result in ``verstat`` (3GPP TS 24.229):
``TN-Validation-Passed`` (with the attestation level ``-A``, ``-B`` or ``-C`` on some networks),
``TN-Validation-Failed`` or ``No-TN-Validation``. It arrives as a parameter of the
P-Asserted-Identity or From URI (``<sip:+1919...@host;verstat=TN-Validation-Passed-C>``) or inside
its user part (``<sip:+1631...;verstat=TN-Validation-Passed@host>``). The attestation level alone
(``A``: the carrier knows the customer and that the number is theirs; ``B``: knows the customer,
not the number; ``C``: only the gateway the call came in by) may come separately.

How it weighs:
- A failed validation (50): the signature did not match, so the caller ID is probably forged.
  What is known about the number is then about someone else: a listing's credit is shown
  with no weight.
- Passed with A: the number really is the caller's, so its reputation applies to this call
  fully. It weighs nothing by itself: robocallers sign their own numbers too.
- Passed with B or C, no validation, or an attestation alone: shown, weighing nothing.
The user's block and allow lists and contacts keep deciding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from lookup.models import Evidence, Level, Verdict
from lookup.settings import Settings
from lookup.verdict import level_of

FAILED_POINTS = 50.0
VERSTATS = ("TN-Validation-Passed", "TN-Validation-Failed", "No-TN-Validation")
ATTESTS = ("A", "B", "C")
_VERSTAT_IN = re.compile(r"verstat=([A-Za-z-]+)", re.IGNORECASE)


class CallInfoError(ValueError):
    """A verstat or attestation the call claims that is none of the known values."""


@dataclass(frozen=True)
class Attestation:
    verstat: str | None  # one of VERSTATS, or None when the carrier sent none
    attest: str | None  # A, B, C or None

    def to_json(self) -> dict[str, str | None]:
        return {"verstat": self.verstat, "attest": self.attest}


def find_verstat(header: str) -> str | None:
    """The ``verstat`` value in a P-Asserted-Identity or From header (or its URI), wherever the
    carrier put it; None when there is none."""
    found = _VERSTAT_IN.search(header)
    return found.group(1) if found else None


# Asterisk's ``STIR_SHAKEN(0,verify_result)``, as the verstat it amounts to. Asterisk 16.15 to
# 20.6 (the first res_stir_shaken) says "Verification passed", "Signature failed", "Verification
# mismatch" or "Verification not present"; from 18.22, 20.7 and 21.2 the rewritten module gives
# its verification service's result code ("success", "signature_validation", ...). A check that
# could not run on the PBX's side (no certificate fetched, an internal error) says nothing about
# the caller: it counts as no validation, as does a call without an Identity header.
_PASSED_RESULTS = frozenset({"verification passed", "success"})
_UNCHECKED_RESULTS = frozenset({
    "verification not present", "disabled", "missing_identity_hdr", "internal_error", "invalid_arguments",
    "cert_retrieval_failure", "cert_cache_miss", "cert_cache_invalid", "cert_cache_expired",
})
_FAILED_RESULTS = frozenset({
    "signature failed", "verification mismatch", "signature_validation", "cid_orig_tn_mismatch", "cert_not_trusted",
    "cert_date_failure", "cert_contents_invalid", "cert_no_tn_auth_ext", "cert_no_spc_in_auth_ext", "no_raw_key",
    "missing_date_hdr", "date_hdr_parse_failure", "date_hdr_range_error", "missing_jwt_hdr", "missing_iat",
    "iat_range_error", "invalid_or_no_ppt", "invalid_or_no_alg", "invalid_or_no_typ", "invalid_or_no_grants",
    "invalid_or_no_attest", "missing_origid", "missing_orig_tn", "missing_dest_tn", "invalid_header", "invalid_grant",
    "invalid_or_no_callerid",
})


def verstat_of_result(result: str) -> str:
    """The verstat an Asterisk ``verify_result`` amounts to; :class:`CallInfoError` for a value
    neither Asterisk generation gives."""
    key = " ".join(result.split()).lower()
    if key in _PASSED_RESULTS:
        return "TN-Validation-Passed"
    if key in _FAILED_RESULTS:
        return "TN-Validation-Failed"
    if key in _UNCHECKED_RESULTS:
        return "No-TN-Validation"
    raise CallInfoError(f"verify is not a result Asterisk's STIR_SHAKEN(0,verify_result) gives: {result[:40]!r}")


def read_attestation(verstat: str | None, attest: str | None) -> Attestation | None:
    """``verstat`` as sent (``TN-Validation-Passed-A`` carries its attestation) and ``attest``;
    None when neither was given. Raises :class:`CallInfoError` for anything else."""
    if not verstat and not attest:
        return None
    level = None
    if attest:
        level = attest.strip().upper()
        if level not in ATTESTS:
            raise CallInfoError(f"attest must be A, B or C, not {attest[:20]!r}")
    status = None
    if verstat:
        value = verstat.strip()
        base, _, suffix = value.rpartition("-") if value[-2:-1] == "-" else (value, "", "")
        status = next((v for v in VERSTATS if v.lower() == base.lower()), None)
        if status is None or (suffix and suffix.upper() not in ATTESTS):
            raise CallInfoError(f"verstat must be one of {', '.join(VERSTATS)} (with -A, -B or -C), not {verstat[:40]!r}")
        if suffix:
            level = level or suffix.upper()
    return Attestation(status, level)


def attestation_evidence(att: Attestation) -> Evidence:
    """The one reason the attestation gives (see the module's weights)."""
    shown = (att.verstat or "no verstat") + (f", attestation {att.attest}" if att.attest else "")
    if att.verstat == "TN-Validation-Failed":
        return Evidence("stir_failed", FAILED_POINTS,
                        f"The carrier's caller ID check failed ({shown}): the number is probably forged.", "STIR/SHAKEN")
    if att.verstat == "TN-Validation-Passed" and att.attest == "A":
        return Evidence("stir_passed", 0,
                        f"The carrier verified that the number is the caller's ({shown}): what is known about it applies.",
                        "STIR/SHAKEN")
    if att.verstat == "TN-Validation-Passed":
        return Evidence("stir_passed", 0,
                        f"The carrier signed the call but did not vouch for the number ({shown}).", "STIR/SHAKEN")
    return Evidence("stir_unverified", 0, f"The caller ID was not verified ({shown}).", "STIR/SHAKEN")


def with_call_evidence(verdict: Verdict, extra: list[Evidence], settings: Settings) -> Verdict:
    """``verdict`` with the evidence the call brought; the user's lists and contacts still decide."""
    if not extra:
        return verdict
    ev = list(verdict.evidence)
    if any(e.signal == "stir_failed" for e in extra):
        ev = [
            Evidence(e.signal, 0, f"{e.detail} The caller ID failed verification: this may be someone else.", e.source)
            if e.signal.startswith("listing") and e.weight < 0 else e
            for e in ev
        ]
    ev += extra
    raw = sum(e.weight for e in ev)
    level = verdict.level if verdict.level in (Level.ALLOWED, Level.BLOCKED) else level_of(raw, settings.thresholds)
    ordered = tuple(sorted(ev, key=lambda e: -abs(e.weight)))
    return replace(verdict, level=level, score=int(round(min(max(raw, -100), 100))), evidence=ordered)
