"""Plain-text rendering of lookup results for people (JSON is in ``LookupResult.to_json``).

Plain ``print``-style text on purpose: it is what a cached lookup prints, and
importing a rich console would cost more than the lookup itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lookup.describe import LEVEL_WORDS, STATUS_WORDS, headline, listing_line
from lookup.models import ListEntry, Report, Status
from lookup.results import LookupResult, caller_name, listing_entries
from lookup.text import clean_text

if TYPE_CHECKING:
    from lookup.callinfo import NameBlock


def render_result(result: LookupResult, *, verbose: bool = False, tz: str | None = None, width: int | None = None) -> str:
    """A lookup's answer as text; times in ``tz`` (the configured zone, else the machine's);
    with ``width`` (a terminal's), long lines wrap under their own indent."""
    if result.error:
        return f"{result.input}: {result.error}"
    v = result.verdict
    assert v is not None
    lines = [headline(result)]
    name = caller_name(result.findings, result.history)
    listed = listing_entries(result.findings)
    if name:
        credit = next((e["attribution"] for e in listed if e["name"] == name and e.get("attribution")), None)
        lines.append(f"  caller:    {name}" + (f" ({credit})" if credit else ""))
    for entry in listed:
        lines.append(f"  listed:    {listing_line(entry)}")
    lines.append(f"  verdict:   {LEVEL_WORDS[v.level]} (spam score {v.score})")
    lines.append(f"  call back: {v.call_back.value}: {v.call_back_reason}")
    reasons = [e for e in v.evidence if e.weight != 0 and not _from_source(e.signal)]
    sources = [e for e in v.evidence if _from_source(e.signal)]
    if reasons:
        lines.append("  why:")
        lines.extend(f"    {'+' if e.weight > 0 else '-'} {e.detail}" for e in reasons)
    info = [e for e in v.evidence if e.weight == 0 and not _from_source(e.signal)]
    lines.extend(f"    · {e.detail}" for e in info)
    shown = {e.source for e in sources}
    source_lines = [f"    {e.source}: {e.detail}" for e in sources]
    for f in result.findings:
        if f.source in shown:
            continue
        if f.status is Status.SKIPPED and not verbose:
            continue
        why = STATUS_WORDS.get(f.status, f.status.value)
        if f.detail and f.status is not Status.NOT_FOUND:
            why = f"{why} ({f.detail})"
        source_lines.append(f"    {f.source}: {why}")
    if source_lines:
        lines.append("  sources:")
        lines.extend(sorted(source_lines))
    if result.history and result.history.silent_calls:
        h = result.history
        from lookup.describe import local_time
        from lookup.text import plural

        last = f", last {local_time(h.last_at, tz)}" if h.last_at else ""
        lines.append(f"  history:   {plural(h.silent_calls, 'silent call')}{last}")
    near = listing_entries(result.findings, match="block")
    if near:
        lines.append(f"  nearby:    {listing_line(near[0])} ({near[0]['e164']})")
    if result.links:
        lines.append("  look it up:")
        lines.extend(f"    {title}: {url}" for title, url in result.links)
    return "\n".join(fit(lines, width) if width else lines)


def fit(lines: list[str], width: int) -> list[str]:
    """Wrap the lines wider than ``width`` at spaces, continuing under their text (a line with a
    URL stays whole: a terminal link must not break)."""
    import textwrap

    out = []
    for line in lines:
        if len(line) <= width or "://" in line:
            out.append(line)
            continue
        body = line.lstrip()
        lead = len(line) - len(body)
        label = body.split(": ", 1)[0] if ": " in body[:14] else ""
        hang = lead + (len(label) + 2 if label else 2)
        out.append(textwrap.fill(body, width, initial_indent=" " * lead, subsequent_indent=" " * min(hang, width // 2),
                                 break_on_hyphens=False))
    return out


def _from_source(signal: str) -> bool:
    return signal.startswith(("source:", "complaints:"))


# Stored list and report text came from the user, a friend's list or an import made before
# readers cleaned text: it is cleaned again as it is printed, so it cannot reach a terminal as
# escape sequences or break a line.


def render_list_entry(entry: ListEntry) -> str:
    """One line of ``whocalled lists``: kind, pattern, date added, reason."""
    return f"{entry.kind.value:5}  {clean_text(entry.pattern):18}  {clean_text(entry.added_at)[:10]}  {clean_text(entry.reason)}".rstrip()


def render_name_block(block: NameBlock) -> str:
    """One line of ``whocalled lists`` for a blocked caller-name pattern."""
    return f"block  name {clean_text(block.pattern):13}  {clean_text(block.added_at)[:10]}  {clean_text(block.reason)}".rstrip()


def render_report(report: Report, tz: str | None = None) -> str:
    """One line of ``whocalled reports``: id, number, category, when (local time in ``tz``, the
    configured zone, else the machine's; with the zone's name), the user's note."""
    from lookup.describe import local_time

    when = local_time(report.at or report.created_at, tz)
    return f"#{report.id}  {clean_text(report.e164):16}  {report.category.value:14}  {when}  {clean_text(report.note)}".rstrip()
