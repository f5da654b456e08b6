"""The verdict: pure, explainable, recomputed every time it is shown.

Every signal becomes an :class:`Evidence` item ``(signal, weight, detail,
source)``. Positive weights point to an unwanted caller, negative ones to a
genuine one. The weights are summed into the score, kept within -100..100 (negative: more
speaks for the caller than against), and the level comes from the thresholds in the settings.
The user's own lists always win: allow beats block beats everything else.

How the weights were chosen (points, where 60 = likely spam by default):
- A user's own report is first-hand: 45 for the first, 15 more per repeat.
- An invalid number cannot be a real caller's line: caller ID was forged (35);
  an impossible length even more so (45).
- Premium rate (50): calling back is what the scam wants. Shared cost (15).
- A +1 number outside the home country (30): looks domestic, is billed as an
  international call; the classic one-ring ("wangiri") bait. Other
  international numbers (10): unusual, not alarming by themselves.
- Neighbour spoofing (25): robocallers fake the recipient's own area code and
  exchange. The user's own number calling them (35) is always forged.
- Withheld caller ID (15): nothing to look up, nothing to call back.
- A source contributes up to ±50 scaled by its reliability and by how many
  reports back it (confidence 1 - e^(-n/5)); "no reports" weighs nothing:
  absence of complaints is weak evidence, never a clean bill.
- Public complaints (FTC, FCC) are first-hand reports by people who got the call:
  15 x log2(1 + n) points for n complaints (1: 15, 3: 30, 7: 45, 15+: 60), scaled
  by recency (latest within 30 days x1, within 90 days x0.7, older x0.4), plus 10
  when most were prerecorded robocalls (illegal without consent). So a handful of
  recent complaints makes a number suspicious and a dozen or more likely spam;
  zero complaints adds nothing. This is the one complaint curve: the complaint
  sources give it as their ``spam`` (:func:`complaint_spam`, 0.5 + points/140) and
  the verdict reads the points back from that (:func:`complaint_points`).
- An NANP prefix (area code + exchange) that no carrier holds cannot originate a
  call: the caller ID is spoofed (40).
- Findings are weighed by what they are evidence of (``Finding.evidence``), never
  by which source sent them; one source counts once (its latest definite answer,
  when a source answers both live and from synced data).
- A number listed exactly as a named place's or organisation's (OpenStreetMap, Wikidata: -40)
  is someone the person can look up: likely OK on its own; one listing counts, however many
  directories agree. A number in the same block of 100 as a listed one (-5) is only a hint:
  businesses often call from other lines of their block. A listing never outweighs the
  user's block list (that level wins) or strong evidence against the number: when complaints,
  opinions and the user's reports add up to the "suspicious" threshold, the listing is shown
  with no weight.
- Repeated silent calls (10 per repeat, up to 30) and calls at night (10)
  are what probing robocallers do; a number the user called before (-30) or
  answered (-10) is probably someone they deal with.
- When the calls came (``lookup.timing``): a number that called again 1 to 10 minutes after
  a call that went unanswered (-20) is what a person who needs you does; blockers let such a
  second call through for that reason. It outweighs the +10 of the one repeat, so two calls
  minutes apart lean to genuine, and unless something else speaks against the number the
  advice is to call back. A redial within 30 seconds (15) is a dialler's retry: people take
  longer to notice and dial again. Silent calls at about the same time of day on 3 or more
  days (20) are a campaign's schedule; with the repeats they add up to "suspicious".
- A call the user expects (-40, ``lookup.expect``): the user's own word for a while, as much as a
  named listing; while it applies the level stays at most "unknown" and the advice is to call back.
- A wave (30): one of 5 or more different numbers of one block (100 numbers, a thousands-block
  for +1) that called silently within 7 days is one campaign rotating its caller ID, even when
  each number called once; suspicious on its own. It stays apart from neighbour spoofing.
  The count, the days and the block sizes come from the ``[waves]`` settings.
- Two or more silent calls that rang under 5 seconds (20), where the log records ring time
  (Asterisk CDRs, CSVs with a ring column): hung up before anyone could answer, the bait of
  diallers that want a call back; with the repeats that is "suspicious", and the advice is no.
- A number in a range its regulator reserves for telemarketing (20; France's ARCEP ranges,
  ``lookup/data/telemarketing.toml``): a legal sales caller, not a scam, so it alone stays
  below "suspicious" (a second silent call reaches it) and never makes "likely spam"; a call
  back only gets the pitch, so the advice is no (``lookup.verdict_patterns``).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Mapping, Sequence

from lookup.models import (
    CallBack,
    Evidence,
    EvidenceKind,
    Finding,
    History,
    Level,
    ListEntry,
    ListKind,
    Number,
    NumberKind,
    NumberType,
    Report,
    Status,
    Verdict,
)
from lookup.describe import CATEGORY_WORDS
from lookup.expect import Expectation, match_expectation
from lookup.numbers import region_is_nanp
from lookup.regions import DOMESTIC_NANP, REGION_NAMES
from lookup.verdict_listings import listed_advice, listed_place, listing_evidence, weigh_listing
from lookup.settings import Settings, Thresholds
from lookup.verdict_patterns import evidence_from_history, short_ring_evidence, telemarketing_evidence

DEFAULT_RELIABILITY = 0.6
MAX_SOURCE_WEIGHT = 50.0
MAX_COMPLAINT_POINTS = 70.0  # 60 for the count, 10 for robocalls
UNASSIGNED_POINTS = 40.0
def region_name(region: str | None) -> str:
    """A country name for a region code, from phonenumbers' own English geocoding data."""
    if not region:
        return "an unknown country"
    return REGION_NAMES.get(region, region)


def confidence(reports: int | None) -> float:
    """How far a source's signal can be trusted from how many reports back it (0..1)."""
    if reports is None:
        return 0.5
    return 1.0 - math.exp(-max(reports, 0) / 5.0)


def evidence_from_number(number: Number, settings: Settings, own: Sequence[str] = ()) -> list[Evidence]:
    """What the number itself says."""
    ev: list[Evidence] = []
    if number.kind is NumberKind.WITHHELD:
        ev.append(Evidence("withheld", 15, "The caller withheld their number, so nobody can look it up or call back."))
        return ev
    if number.kind is NumberKind.EMERGENCY:
        ev.append(Evidence("emergency", -60, f"{number.short} is an emergency-services number."))
        return ev
    if number.kind is NumberKind.SHORT_CODE:
        ev.append(Evidence("short_code", 0, f"{number.short} is a short code (carrier or text-message service)."))
        return ev
    e164 = number.e164 or ""
    if not number.possible:
        ev.append(Evidence("impossible", 45, "This number has an impossible length for its country: the caller ID was faked."))
    elif not number.valid:
        ev.append(
            Evidence("invalid", 35, "This is not an assigned number in its country's numbering plan: the caller ID was probably faked.")
        )
    if number.type is NumberType.PREMIUM_RATE:
        ev.append(Evidence("premium_rate", 50, "Premium-rate number: calling it back can cost a lot per minute."))
    elif number.type is NumberType.SHARED_COST:
        ev.append(Evidence("shared_cost", 15, "Shared-cost number: calling back may be charged above normal rates."))
    elif number.type is NumberType.TOLL_FREE:
        ev.append(Evidence("toll_free", 0, "Toll-free number, usually a business or call centre."))
    home = settings.region
    domestic = DOMESTIC_NANP if home in DOMESTIC_NANP else frozenset({home})
    if number.country_code == 1 and region_is_nanp(home) and number.region and number.region not in domestic:
        ev.append(
            Evidence(
                "nanp_international",
                30,
                f"+1 number from {region_name(number.region)}: it looks domestic but calling back is an "
                "international call, the bait of one-ring scams.",
            )
        )
    elif number.region and number.region != home and not (number.country_code == 1 and region_is_nanp(home)):
        ev.append(Evidence("international", 10, f"International number from {region_name(number.region)}."))
    if e164 and e164 in own:
        ev.append(Evidence("own_number", 35, "This is your own number: the caller ID was forged."))
    elif e164 and number.valid:
        nsn = number.national_significant or ""
        for mine in own:
            if not mine.startswith(f"+{number.country_code}"):
                continue
            mine_nsn = mine[1 + len(str(number.country_code)) :]
            shared = 6 if number.country_code == 1 else max(len(mine_nsn) - 4, 3)
            if len(nsn) >= shared and nsn[:shared] == mine_nsn[:shared]:
                what = "area code and exchange" if number.country_code == 1 else "leading digits"
                ev.append(
                    Evidence(
                        "neighbour_spoofing",
                        25,
                        f"Same {what} as your number {mine}: robocallers fake nearby numbers so you pick up.",
                    )
                )
                break
    return ev


def complaint_weight(count: int, latest: str | None, robocall_share: float | None, today: date | None = None) -> float:
    """Points for ``count`` public complaints (see the module docstring for the reasoning)."""
    if count <= 0:
        return 0.0
    weight = min(15 * math.log2(1 + count), 60.0)
    if latest:
        try:
            age = ((today or date.today()) - date.fromisoformat(latest[:10])).days
        except ValueError:
            age = 0
        weight *= 1.0 if age <= 30 else 0.7 if age <= 90 else 0.4
    if robocall_share is not None and robocall_share >= 0.5:
        weight += 10
    return round(weight, 1)


def complaint_spam(count: int, latest: str | None, *, today: date, robocall_share: float | None = None) -> float:
    """:func:`complaint_weight` as a complaint source's 0.5..1 spam signal (0.5 for none)."""
    points = complaint_weight(count, latest, robocall_share, today)
    return round(0.5 + points / (2 * MAX_COMPLAINT_POINTS), 4)


def complaint_points(spam: float | None) -> float:
    """The points a complaint finding's ``spam`` stands for (the inverse of :func:`complaint_spam`)."""
    if spam is None:
        return 0.0
    return round(max(0.0, min(spam, 1.0) - 0.5) * 2 * MAX_COMPLAINT_POINTS, 1)


def one_per_source(findings: Sequence[Finding]) -> list[Finding]:
    """Every failure, and one definite finding per source: its latest (a source that answers
    live and from synced data counts once)."""
    latest: dict[str, Finding] = {}
    out: list[Finding] = []
    for f in findings:
        if not f.status.is_definite:
            out.append(f)
        elif f.source not in latest or f.fetched_at > latest[f.source].fetched_at:
            latest[f.source] = f
    return out + list(latest.values())


def evidence_from_findings(findings: Sequence[Finding], reliability: Mapping[str, float] | None = None) -> list[Evidence]:
    """One evidence item per definite finding, weighed by what it is evidence of."""
    ev: list[Evidence] = []
    for f in one_per_source(findings):
        if f.status is Status.NOT_FOUND:
            ev.append(Evidence(f"source:{f.source}", 0, f.detail or "no reports", f.source))
            continue
        if f.status is not Status.FOUND:
            continue
        detail = f.detail or _default_detail(f)
        if f.evidence is EvidenceKind.COMPLAINTS:
            ev.append(Evidence(f"complaints:{f.source}", complaint_points(f.spam), detail, f.source))
        elif f.evidence is EvidenceKind.NUMBERING and f.spam is not None and f.spam > 0.5:
            detail = f.detail or "No carrier holds this number's prefix: the caller ID is spoofed."
            ev.append(Evidence("unassigned_prefix", UNASSIGNED_POINTS, detail, f.source))
        elif f.evidence is EvidenceKind.LISTING:
            ev.append(listing_evidence(f, listed=any(e.signal == "listing" for e in ev)))
        elif f.evidence is EvidenceKind.OPINION and f.spam is not None:
            r = (reliability or {}).get(f.source, DEFAULT_RELIABILITY)
            weight = (f.spam - 0.5) * 2 * MAX_SOURCE_WEIGHT * r * confidence(f.reports)
            ev.append(Evidence(f"source:{f.source}", round(weight, 1), detail, f.source))
        else:  # a carrier record, a listing (weighed by issue 14), an opinion without a signal
            ev.append(Evidence(f"source:{f.source}", 0, detail, f.source))
    return ev


def _default_detail(f: Finding) -> str:
    parts = []
    if f.name:
        parts.append(f.name)
    if f.categories:
        parts.append(", ".join(CATEGORY_WORDS.get(c, c) for c in f.categories))
    if f.reports:
        parts.append(f"{f.reports} reports")
    return "; ".join(parts) or "listed"


def evidence_from_reports(reports: Sequence[Report]) -> list[Evidence]:
    if not reports:
        return []
    cats = sorted({CATEGORY_WORDS.get(r.category.value, r.category.value) for r in reports})
    weight = min(45 + 15 * (len(reports) - 1), 75)
    when = max((r.at or r.created_at) for r in reports)[:10]
    times = "once" if len(reports) == 1 else f"{len(reports)} times"
    return [Evidence("user_report", weight, f"You reported it {times} as {', '.join(cats)} (last {when}).", "you")]


def score(
    number: Number,
    findings: Sequence[Finding] = (),
    history: History | None = None,
    lists: Sequence[ListEntry] = (),
    settings: Settings | None = None,
    *,
    reports: Sequence[Report] = (),
    reliability: Mapping[str, float] | None = None,
    own_numbers: Sequence[str] | None = None,
    expected: Sequence["Expectation"] = (),
) -> Verdict:
    """Weigh everything known about ``number`` into a verdict with plain-words reasons."""
    settings = settings or Settings()
    own = list(own_numbers) if own_numbers is not None else list(settings.own_e164)
    allow = [e for e in lists if e.kind is ListKind.ALLOW and e.matches(number.e164)]
    block = [e for e in lists if e.kind is ListKind.BLOCK and e.matches(number.e164)]

    ev: list[Evidence] = []
    if allow:
        e = max(allow, key=lambda x: len(x.pattern))
        ev.append(Evidence("allowlist", -100, _list_detail("on your allowlist", e), "you"))
    elif block:
        e = max(block, key=lambda x: len(x.pattern))
        ev.append(Evidence("blocklist", 100, _list_detail("on your block list", e), "you"))
    if history and history.contact_name and not block:
        ev.append(Evidence("contact", -100, f"In your contacts as {history.contact_name}.", "call log"))
    ev += evidence_from_reports(reports)
    ev += evidence_from_number(number, settings, own)
    ev += telemarketing_evidence(number)
    ev += evidence_from_findings(findings, reliability)
    ev += evidence_from_history(history, settings.waves)
    ev += short_ring_evidence(history)
    th = settings.thresholds
    ev = weigh_listing(ev, th.suspicious)
    match = match_expectation(number, expected, ev, th) if expected else None
    if match is not None:
        ev.append(match.evidence)

    raw = sum(e.weight for e in ev)
    # The score is the sum itself, kept within -100..100, so the level and the number shown
    # always agree: likely OK is -20 and less, likely spam 60 and more (the default thresholds).
    spam_score = int(round(min(max(raw, -100), 100)))
    if allow:
        level = Level.ALLOWED
    elif block:
        level = Level.BLOCKED
    elif history and history.contact_name:
        level = Level.ALLOWED
    else:
        level = level_of(raw, th)
    if match is not None and match.applies:  # the expected call: never flagged, worth a call back
        level = level if level in (Level.LIKELY_OK, Level.UNKNOWN) else Level.UNKNOWN
        advice, why = CallBack.YES, match.advice
    else:
        advice, why = call_back_advice(number, level, ev, listed_place(findings))
    ordered = tuple(sorted(ev, key=lambda e: -abs(e.weight)))
    return Verdict(level=level, score=spam_score, call_back=advice, call_back_reason=why, evidence=ordered)


def level_of(raw: float, th: Thresholds) -> Level:
    """The level a summed weight reaches (when no list or contact decides)."""
    if raw >= th.likely_spam:
        return Level.LIKELY_SPAM
    if raw >= th.suspicious:
        return Level.SUSPICIOUS
    if raw <= th.likely_ok:
        return Level.LIKELY_OK
    return Level.UNKNOWN


def _list_detail(what: str, entry: ListEntry) -> str:
    scope = f"the range {entry.pattern}" if entry.is_prefix else "this number"
    text = f"You put {scope} {what}" if entry.is_prefix else f"This number is {what}"
    return text + (f" ({entry.reason})." if entry.reason else ".")


def call_back_advice(
    number: Number, level: Level, evidence: Sequence[Evidence], place: Mapping | None = None
) -> tuple[CallBack, str]:
    signals = {e.signal for e in evidence}
    listed = place is not None and any(e.signal == "listing" and e.weight < 0 for e in evidence)
    if number.kind is NumberKind.WITHHELD:
        return CallBack.NO, "You cannot call back: the number was withheld. A caller who needs you will call again or leave a message."
    if number.kind is NumberKind.EMERGENCY:
        return CallBack.YES, "Emergency services tried to reach you: call back."
    if level is Level.ALLOWED:
        return CallBack.YES, "A caller you trust."
    if level is Level.BLOCKED:
        return CallBack.NO, "You blocked this number."
    if "premium_rate" in signals:
        return CallBack.NO, "Do not call back: premium-rate numbers charge you for the call, which is what the caller wants."
    if number.kind is NumberKind.SHORT_CODE:
        return CallBack.CAUTION, "Short codes usually send texts; calling back may be charged."
    if level is Level.LIKELY_SPAM:
        return CallBack.NO, "Do not call back: it is likely spam, and a call back tells them your line is live."
    if "telemarketing_range" in signals:
        return CallBack.NO, "No need to call back: it is a sales call from a telemarketing range; calling back only gets you the pitch."
    if "short_rings" in signals:
        return CallBack.NO, "Do not call back: it hangs up after a ring or two so that you call back, which is what it wants."
    if listed and level is not Level.SUSPICIOUS:
        return CallBack.YES, listed_advice(place)  # type: ignore[arg-type]
    if signals & {"invalid", "impossible", "own_number", "unassigned_prefix"}:
        return CallBack.NO, "Do not call back: the caller ID was faked, so a call back would reach someone else or nobody."
    if "nanp_international" in signals:
        return CallBack.CAUTION, "Careful: this is an international call despite the +1. Only call back if you know someone there."
    if level is Level.SUSPICIOUS:
        return CallBack.CAUTION, "Suspicious: if it claims to be your bank or an agency, call the number on their website instead."
    if "international" in signals or "shared_cost" in signals:
        return CallBack.CAUTION, "It may cost more to call back; do so only if you expect a call from there."
    if "urgent_redial" in signals and "quick_redial" not in signals:
        return CallBack.YES, "Call back: they tried again within minutes, which is what someone who needs you does."
    if level is Level.LIKELY_OK:
        return CallBack.YES, "Probably a genuine caller."
    return CallBack.CAUTION, "Nothing is known against it; if it mattered they will call again or leave a message."
