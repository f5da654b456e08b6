"""lookup.callinfo: the caller name's reasons and the Identity header's claims, pure (issue 17)."""

from __future__ import annotations

import pytest

from lookup.callinfo import NameBlock, carrier_label, carrier_labels, clean_name, name_evidence, read_identity
from lookup.models import Finding, EvidenceKind, Status
from lookup.results import LookupResult
from lookup.server.api import known_names


def test_every_label_of_the_data_file_is_read() -> None:
    labels = {label: (points, kind) for label, points, kind in carrier_labels()}
    assert labels["SCAM LIKELY"] == (45.0, "fraud") and labels["TELEMARKETER"] == (20.0, "nuisance")
    assert len(labels) == 14
    assert carrier_label("Scam-Likely!") is not None and carrier_label("SPAMMY FOODS") is None


def test_a_name_that_disagrees_with_a_listing_is_shown() -> None:
    listing = Finding("osm", "+12025550100", Status.FOUND, evidence=EvidenceKind.LISTING,
                      facts={"match": "exact", "listings": [{"name": "Martin Luther King Jr Library"}]})
    result = LookupResult("+12025550100", findings=(listing,))
    known = known_names(result)
    assert known == [("the listing", "Martin Luther King Jr Library")]
    [ev] = name_evidence("ACME SOLAR", (), known)
    assert ev.signal == "name_mismatch" and ev.weight == 0 and 'the listing "Martin Luther King Jr Library"' in ev.detail
    assert name_evidence("MLK LIBRARY", (), known) == []  # shares a word: the same caller


def test_a_blocked_pattern_and_a_label_both_count() -> None:
    evidence = name_evidence("SPAM RISK WARRANTY", (NameBlock("*WARRANTY*"),), ())
    assert {(e.signal, e.weight) for e in evidence} == {("name_blocked", 70.0), ("name_label_spam", 35.0)}


@pytest.mark.parametrize(("raw", "clean"), [('"ACME"', "ACME"), ("  ", None), (None, None), ("A" * 99, "A" * 60)])
def test_clean_name(raw, clean) -> None:
    assert clean_name(raw) == clean


def test_identity_without_parameters_and_with_angle_brackets_is_read() -> None:
    token = ("eyJhbGciOiJFUzI1NiJ9.eyJhdHRlc3QiOiJiIiwib3JpZyI6eyJ0biI6IisxMjE1NTU1MTIxMiJ9fQ.c2ln")
    ident = read_identity(f"<{token}>")
    assert (ident.attest, ident.orig_tn, ident.error) == ("B", "+12155551212", None)
