"""The verdict: each signal alone, in combination, and the precedence of the user's lists."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lookup.models import (
    CallBack, Category, EvidenceKind, Finding, History, Level, ListEntry, ListKind, Report, Status,
)
from lookup.numbers import normalize_number
from lookup.settings import Settings
from lookup.verdict import complaint_points, complaint_spam, confidence, score

HOME = Settings(region="US", own_numbers=("+1 202 555 0100",))


def verdict(raw: str, **kw):
    return score(normalize_number(raw, kw.pop("region", "US")), settings=kw.pop("settings", HOME), **kw)


def signals(v) -> set[str]:
    return {e.signal for e in v.evidence}


# (id, number, expected signal, expected level, expected call-back)
SIGNALS = [
    ("ordinary", "+1 415 555 0199", None, Level.UNKNOWN, CallBack.CAUTION),
    ("withheld", "Anonymous", "withheld", Level.UNKNOWN, CallBack.NO),
    ("invalid", "+1 123 456 7890", "invalid", Level.SUSPICIOUS, CallBack.NO),
    ("premium-us", "+1 900 555 0199", "premium_rate", Level.SUSPICIOUS, CallBack.NO),
    ("premium-uk", "+44 909 879 0000", "premium_rate", Level.LIKELY_SPAM, CallBack.NO),
    ("jamaica", "+1 876 881 2345", "nanp_international", Level.SUSPICIOUS, CallBack.CAUTION),
    ("dominican", "+1 809 555 0100", "nanp_international", Level.SUSPICIOUS, CallBack.CAUTION),
    ("grenada", "+1 473 405 1234", "nanp_international", Level.SUSPICIOUS, CallBack.CAUTION),
    ("canada-is-domestic", "+1 416 555 0199", None, Level.UNKNOWN, CallBack.CAUTION),
    ("puerto-rico-is-domestic", "+1 787 555 0199", None, Level.UNKNOWN, CallBack.CAUTION),
    ("international", "+44 20 7946 0958", "international", Level.UNKNOWN, CallBack.CAUTION),
    ("neighbour", "+1 202 555 0143", "neighbour_spoofing", Level.UNKNOWN, CallBack.CAUTION),
    ("own-number", "+1 202 555 0100", "own_number", Level.SUSPICIOUS, CallBack.NO),
    ("emergency", "911", "emergency", Level.LIKELY_OK, CallBack.YES),
    ("short-code", "24273", "short_code", Level.UNKNOWN, CallBack.CAUTION),
    ("toll-free-is-neutral", "1-800-FLOWERS", "toll_free", Level.UNKNOWN, CallBack.CAUTION),
]


@pytest.mark.parametrize("raw,signal,level,call_back", [s[1:] for s in SIGNALS], ids=[s[0] for s in SIGNALS])
def test_each_signal_alone(raw, signal, level, call_back) -> None:
    v = verdict(raw)
    if signal:
        assert signal in signals(v)
    else:
        assert not [e for e in v.evidence if e.weight]
    assert v.level is level
    assert v.call_back is call_back
    assert all(e.detail and e.detail[0].isupper() or e.detail[0] in "+0123456789" for e in v.evidence)
    assert v.call_back_reason


def test_neighbour_spoofing_elsewhere_uses_leading_digits() -> None:
    s = Settings(region="DE", own_numbers=("+49 30 12345678",))
    v = score(normalize_number("+49 30 12349999"), settings=s)
    assert "neighbour_spoofing" in signals(v)
    v = score(normalize_number("+49 40 12345678"), settings=s)
    assert "neighbour_spoofing" not in signals(v)


def test_nanp_international_is_relative_to_home() -> None:
    jm_home = Settings(region="JM")
    v = score(normalize_number("+1 876 881 2345"), settings=jm_home)
    assert "nanp_international" not in signals(v)
    v = score(normalize_number("+1 202 555 0143"), settings=jm_home)
    assert "nanp_international" in signals(v)


def test_allow_beats_block_beats_everything() -> None:
    n = "+44 909 879 0000"
    allow = ListEntry("+449098790000", ListKind.ALLOW, "my bank's hotline")
    block = ListEntry("+44909*", ListKind.BLOCK)
    report = Report("+449098790000", Category.SCAM)
    spam = Finding("x", "+449098790000", Status.FOUND, spam=1.0, reports=100)
    v = verdict(n, lists=[block, allow], reports=[report], findings=[spam])
    # your allowlist decides the level; the score still says what the evidence adds up to
    assert v.level is Level.ALLOWED and v.call_back is CallBack.YES and v.score == 35
    v = verdict(n, lists=[block], findings=[Finding("x", "+449098790000", Status.FOUND, spam=0.0, reports=100)])
    assert v.level is Level.BLOCKED and v.call_back is CallBack.NO
    assert "range +44909*" in v.evidence[0].detail


def test_contact_name_allows_unless_blocked() -> None:
    h = History(contact_name="Pharmacy")
    assert verdict("+1 415 555 0199", history=h).level is Level.ALLOWED
    assert verdict("+1 415 555 0199", history=h, lists=[ListEntry("+14155550199", ListKind.BLOCK)]).level is Level.BLOCKED


def test_user_reports_weigh_heavily() -> None:
    r = Report("+14155550199", Category.ROBOCALL, at="2026-11-20T10:00:00+00:00")
    v = verdict("+1 415 555 0199", reports=[r])
    assert v.level is Level.SUSPICIOUS and "robocall" in v.evidence[0].detail
    v = verdict("+1 415 555 0199", reports=[r, r])
    assert v.level is Level.LIKELY_SPAM and v.call_back is CallBack.NO


def test_sources_weigh_by_reliability_and_confidence() -> None:
    many = Finding("a", "+14155550199", Status.FOUND, spam=1.0, reports=40, detail="negative rating from 40 reviews")
    few = Finding("a", "+14155550199", Status.FOUND, spam=1.0, reports=1)
    assert verdict("+1 415 555 0199", findings=[many], reliability={"a": 1.0}).level is Level.SUSPICIOUS
    two = [many, Finding("b", "+14155550199", Status.FOUND, spam=0.95, reports=20)]
    v = verdict("+1 415 555 0199", findings=two, reliability={"a": 0.9, "b": 0.8})
    assert v.level is Level.LIKELY_SPAM
    assert "negative rating from 40 reviews" in [e.detail for e in v.evidence]
    weak = verdict("+1 415 555 0199", findings=[few], reliability={"a": 1.0})
    strong = verdict("+1 415 555 0199", findings=[many], reliability={"a": 1.0})
    assert weak.score < strong.score
    assert confidence(0) == 0 and confidence(40) > 0.99


def test_no_reports_is_never_a_clean_bill() -> None:
    nf = [Finding(s, "+18768812345", Status.NOT_FOUND) for s in ("a", "b", "c")]
    v = verdict("+1 876 881 2345", findings=nf)
    assert v.level is Level.SUSPICIOUS
    assert all(e.weight == 0 for e in v.evidence if e.signal.startswith("source:"))


def test_failed_sources_add_no_evidence() -> None:
    failed = [Finding("a", "+14155550199", Status.BLOCKED, detail="captcha"), Finding("b", "+14155550199", Status.TIMEOUT)]
    v = verdict("+1 415 555 0199", findings=failed)
    assert v.level is Level.UNKNOWN and not any(e.signal.startswith("source:") for e in v.evidence)


def test_history_signals() -> None:
    h = History(silent_calls=4, night_calls=2)
    v = verdict("+1 415 555 0199", history=h)
    assert {"repeated_silent", "night_calls"} <= signals(v) and v.level is Level.SUSPICIOUS
    v = verdict("+1 415 555 0199", history=History(silent_calls=1, outgoing_calls=2))
    assert "called_before" in signals(v) and v.level is Level.LIKELY_OK and v.call_back is CallBack.YES


def test_thresholds_come_from_settings() -> None:
    strict = Settings(region="US", thresholds=type(HOME.thresholds)(likely_spam=25, suspicious=10, likely_ok=-20))
    assert score(normalize_number("+1 876 881 2345"), settings=strict).level is Level.LIKELY_SPAM


def _complaints(n: int, latest: str, share: float | None = 1.0, source: str = "ftc_gov") -> Finding:
    from datetime import date

    spam = complaint_spam(n, latest, today=date.today(), robocall_share=share)
    return Finding(source, "+14155550199", Status.FOUND, reports=n, last_reported=latest, spam=spam,
                   detail=f"{n} FTC complaints", evidence=EvidenceKind.COMPLAINTS)


def test_many_recent_complaints_mean_likely_spam() -> None:
    from datetime import date, timedelta

    recent = (date.today() - timedelta(days=3)).isoformat()
    old = (date.today() - timedelta(days=400)).isoformat()
    assert verdict("+1 415 555 0199", findings=[_complaints(1, recent, None)]).level is Level.UNKNOWN
    assert verdict("+1 415 555 0199", findings=[_complaints(3, recent)]).level is Level.SUSPICIOUS
    many = verdict("+1 415 555 0199", findings=[_complaints(20, recent)])
    assert many.level is Level.LIKELY_SPAM and many.call_back is CallBack.NO
    assert "20 FTC complaints" in [e.detail for e in many.evidence]
    assert verdict("+1 415 555 0199", findings=[_complaints(20, old, None)]).level is Level.UNKNOWN
    none = Finding("ftc_gov", "+14155550199", Status.NOT_FOUND, evidence=EvidenceKind.COMPLAINTS)
    assert verdict("+1 415 555 0199", findings=[none]).score == 0


def test_unassigned_prefix_is_spoofing() -> None:
    f = Finding("any_numbering_source", "+14155550199", Status.FOUND, detail="the prefix 415-555 is not assigned",
                spam=0.95, evidence=EvidenceKind.NUMBERING)
    v = verdict("+1 415 555 0199", findings=[f])
    assert "unassigned_prefix" in signals(v) and v.level is Level.SUSPICIOUS and v.call_back is CallBack.NO
    carrier = Finding("any_numbering_source", "+14155550199", Status.FOUND, detail="wireless carrier T-Mobile",
                      evidence=EvidenceKind.NUMBERING)
    assert verdict("+1 415 555 0199", findings=[carrier]).score == 0


def test_the_verdict_reads_the_evidence_kind_never_a_source_name_or_its_facts() -> None:
    """The same spam means different things by kind; a source's name or facts change nothing."""
    opinion = Finding("localcallingguide_com", "+14155550199", Status.FOUND, spam=0.95, reports=40,
                      facts={"assigned": False, "complaints": 40})
    v = verdict("+1 415 555 0199", findings=[opinion], reliability={"localcallingguide_com": 1.0})
    assert signals(v) == {"source:localcallingguide_com"} and v.evidence[0].weight == pytest.approx(45, abs=0.1)
    complaints = replace(opinion, source="x", evidence=EvidenceKind.COMPLAINTS)
    assert {e.signal: e.weight for e in verdict("+1 415 555 0199", findings=[complaints]).evidence} == {
        "complaints:x": complaint_points(0.95)}
    listing = replace(opinion, evidence=EvidenceKind.LISTING)  # a place next to it, not spam at all
    v = verdict("+1 415 555 0199", findings=[listing])
    assert v.score <= 0 and signals(v) == {"listing_block"}


def test_a_source_answering_live_and_from_synced_data_counts_once() -> None:
    live = _complaints(7, "2026-12-01")
    synced = replace(live, fetched_at="2020-01-01T00:00:00+00:00", spam=0.99, reports=99)
    v = verdict("+1 415 555 0199", findings=[synced, live])
    assert [e.weight for e in v.evidence if e.signal.startswith("complaints:")] == [complaint_points(live.spam)]


def test_the_score_shown_agrees_with_the_level() -> None:
    """Likely OK is -20 and less: the score shown is the sum itself (within -100..100), never 0."""
    from lookup.models import History

    history = History(outgoing_calls=3)
    v = score(normalize_number("+1 312 555 0123"), history=history)
    assert v.level is Level.LIKELY_OK and v.score <= Settings().thresholds.likely_ok
    many = [Finding(f"s{i}", "+18768812345", Status.FOUND, spam=1.0, reports=100) for i in range(8)]
    assert score(normalize_number("+1 876 881 2345"), findings=many).score == 100

