"""STIR/SHAKEN as evidence (lookup.stir): reading verstat and attestation, and what they weigh."""

from __future__ import annotations

import pytest

from lookup.models import CallBack, Evidence, Level, Verdict
from lookup.settings import Settings
from lookup.stir import Attestation, CallInfoError, attestation_evidence, find_verstat, read_attestation, with_call_evidence

LISTED = Verdict(Level.LIKELY_OK, -40, CallBack.YES, "listed",
                 (Evidence("listing", -40, "Listed as Springfield Library.", "openstreetmap"),))


@pytest.mark.parametrize(
    ("header", "found"),
    [
        ("<sip:+19195550123@sip.example.com;verstat=TN-Validation-Passed-C>", "TN-Validation-Passed-C"),
        ("<sip:+16315550123;verstat=TN-Validation-Passed@ims.example.net>;tag=1", "TN-Validation-Passed"),
        ("<tel:+16315550123;verstat=No-TN-Validation>", "No-TN-Validation"),
        ("<sip:+16315550123@ims.example.net>", None),
    ],
)
def test_find_verstat_where_carriers_put_it(header, found) -> None:
    assert find_verstat(header) == found


def test_read_attestation_takes_the_level_from_verstat_or_attest() -> None:
    assert read_attestation("TN-Validation-Passed-A", None) == Attestation("TN-Validation-Passed", "A")
    assert read_attestation("TN-Validation-Passed-C", "b") == Attestation("TN-Validation-Passed", "B")
    assert read_attestation(None, None) is None
    with pytest.raises(CallInfoError, match="verstat must be one of"):
        read_attestation("Validation-Passed", None)


def test_failed_validation_takes_the_listing_credit_away() -> None:
    """A forged caller ID says nothing about the caller: the listed place did not call."""
    verdict = with_call_evidence(LISTED, [attestation_evidence(Attestation("TN-Validation-Failed", None))], Settings())
    assert verdict.level is Level.SUSPICIOUS and verdict.score == 50
    listing = next(e for e in verdict.evidence if e.signal == "listing")
    assert listing.weight == 0 and "failed verification" in listing.detail


def test_passed_a_keeps_the_numbers_reputation() -> None:
    verdict = with_call_evidence(LISTED, [attestation_evidence(Attestation("TN-Validation-Passed", "A"))], Settings())
    assert verdict.level is Level.LIKELY_OK and verdict.score == -40


def test_your_block_list_still_decides() -> None:
    blocked = Verdict(Level.BLOCKED, 100, CallBack.NO, "blocked", (Evidence("blocklist", 100, "On your block list.", "you"),))
    verdict = with_call_evidence(blocked, [attestation_evidence(Attestation("TN-Validation-Passed", "A"))], Settings())
    assert verdict.level is Level.BLOCKED
