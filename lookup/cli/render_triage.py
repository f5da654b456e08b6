"""Rendering a triage report: a rich table for people, JSON lines or CSV for programs.

The CSV is for spreadsheets: its free-text cells (name, reason) are one clean line each and
guarded with :func:`lookup.text.safe_cell`, so no caller name runs as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

from lookup.calllogs.common import resolve_zone
from lookup.results import caller_name, encode_count, encode_optional, encode_text, result_text
from lookup.settings import Settings
from lookup.text import clean_text, safe_cell
from lookup.triage import CallerGroup, TriageReport, TriageRow

_UNSET: Any = object()
LEVEL_STYLE = {
    "likely_spam": "bold red",
    "blocked": "red",
    "suspicious": "yellow",
    "unknown": "white",
    "likely_ok": "green",
    "allowed": "bold green",
}


def row_json(row: TriageRow, settings: Settings, zone: Any = _UNSET) -> dict[str, Any]:
    """The JSON object of one row; ``zone``: the settings' time zone, when the caller has it.
    ``triage --json`` prints :func:`row_text`, the same object written directly, which
    tests/cli/test_row_text.py holds to this one."""
    zone = resolve_zone(settings.timezone) if zone is _UNSET else zone
    out = row.result.to_json()
    g = row.group
    first, last = g.first, g.last
    out["calls"] = {
        "silent_missed": g.count,
        "rejected_or_blocked": g.refused,
        "other_incoming": len(g.others),  # answered or left a message: shown only with --all
        "first_at": first.isoformat(timespec="seconds") if first else None,  # None: listed without times
        "last_at": last.isoformat(timespec="seconds") if last else None,
        "local_times": g.local_times(zone),
    }
    if g.name:
        out["contact_name"] = g.name
    return out


CSV_HEADINGS = ("number", "silent_calls", "first_at", "last_at", "verdict", "spam_score", "call_back", "name", "top_reason")


def row_text(row: TriageRow, zone: Any) -> str:
    """``json.dumps(row_json(row, settings, zone), ensure_ascii=False)``, written directly (see
    :func:`lookup.results.result_text`; tests/cli/test_row_text.py compares the two)."""
    g = row.group
    times, others = g.times, g.others
    if times and not others:  # as CallerGroup.first and .last take them, for most groups
        first, last = utc_seconds(times[0]), utc_seconds(times[-1])
    else:
        first = utc_seconds(min(t[0] for t in (times, others) if t)) if times or others else None
        last = utc_seconds(max(t[-1] for t in (times, others) if t)) if times or others else None
    tail = (
        f', "calls": {{"silent_missed": {encode_count(g.count)}, "rejected_or_blocked": {encode_count(g.refused)}, '
        f'"other_incoming": {len(g.others)}, "first_at": {encode_optional(first)}, "last_at": {encode_optional(last)}, '
        f'"local_times": [{", ".join(map(encode_text, local_minutes(g, zone)))}]}}'
    )
    if g.name:
        tail += f', "contact_name": {encode_text(g.name)}'
    return result_text(row.result, tail)


_DAYS: dict[int, str] = {}  # days since 1970 -> "YYYY-MM-DDT", filled as the rows need them
_HOURS_MINUTES = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
_SECONDS_UTC = [f"{s:02d}+00:00" for s in range(60)]


def utc_seconds(t: float) -> str:
    """``datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds")`` from three
    tables (day, hour and minute, second), at a fifth of its cost (a triage writes two for
    every number). A time whose microseconds could round up into the next second, or outside
    the four-digit years, is written the general way (tests/cli/test_row_text.py compares them)."""
    whole = math.floor(t) if _FOUR_DIGIT_YEARS[0] < t < _FOUR_DIGIT_YEARS[1] else None  # None: NaN too
    if whole is None or t - whole >= 0.999:
        return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds")
    day, second = divmod(whole, 86_400)
    date = _DAYS.get(day)
    if date is None:
        date = _DAYS[day] = datetime.fromtimestamp(day * 86_400, timezone.utc).strftime("%Y-%m-%dT")
    minute, second = divmod(second, 60)
    return date + _HOURS_MINUTES[minute] + _SECONDS_UTC[second]


# Unix times of years 1000 to 9999 in any zone: there a datetime's isoformat cut to minutes is
# its strftime("%Y-%m-%d %H:%M") (which writes years below 1000 without leading zeros).
_FOUR_DIGIT_YEARS = (-30_000_000_000.0, 253_000_000_000.0)


def local_minutes(group: CallerGroup, zone: Any) -> list[str]:
    """``group.local_times(zone)``, at about a third of strftime's cost a call (a triage
    prints every call of every number; tests/cli/test_row_text.py compares the two)."""
    shown = group.shown
    if not shown or not _FOUR_DIGIT_YEARS[0] < shown[0] <= shown[-1] < _FOUR_DIGIT_YEARS[1]:
        return group.local_times(zone)
    return [datetime.fromtimestamp(t, zone).isoformat(" ", "minutes")[:16] for t in shown]


def row_renderer(settings: Settings, *, csv_out: bool = False) -> Callable[[TriageRow], str]:
    """A row to its printed line: a JSON object, or with ``csv_out`` a CSV record."""
    if not csv_out:
        zone = resolve_zone(settings.timezone)
        return lambda row: row_text(row, zone) + "\n"
    return lambda row: _csv_line(_csv_cells(row))


def _csv_line(cells: Sequence[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue()


def _csv_cells(row: TriageRow) -> list[Any]:
    v = row.result.verdict
    return [
        row.group.key or "withheld",
        row.group.count,
        row.group.first.isoformat(timespec="seconds") if row.group.first else "",
        row.group.last.isoformat(timespec="seconds") if row.group.last else "",
        v.level.value if v else "",
        v.score if v else "",
        v.call_back.value if v else "",
        safe_cell(clean_text(caller_name(row.result.findings, row.result.history) or row.group.name)),
        safe_cell(clean_text(top_reason(row))),
    ]


def top_reason(row: TriageRow) -> str:
    v = row.result.verdict
    if v is None:
        return row.result.error or ""
    weighted = [e for e in v.evidence if e.weight]
    return (weighted[0].detail if weighted else "nothing known against it").rstrip(".")


def print_triage(
    report: TriageReport, settings: Settings, *, json_out: bool = False, csv_out: bool = False, top: int | None = None,
    console: Any = None,
) -> None:
    """JSON lines, CSV, or for people a table: on a terminal the first ``top`` rows (default
    :data:`DEFAULT_TOP`, 0 for all) fitted to its width; piped, every row as plain text."""
    if csv_out:
        sys.stdout.write(_csv_line(CSV_HEADINGS))
    if report.spool is not None:  # the rows were printed as they were judged
        briefs = report.briefs[:top] if top else report.briefs
        for line in report.spool.lines(b.position for b in briefs):
            sys.stdout.write(line)
    elif json_out or csv_out:
        render = row_renderer(settings, csv_out=csv_out)
        for row in report.rows[:top] if top else report.rows:
            sys.stdout.write(render(row))
    else:
        _print_text(report, settings, top=top, console=console)
        return
    if json_out and report.waves:  # after the numbers: one more line, the waves found
        waves = [wave.to_json(settings.waves) for wave in report.waves]
        sys.stdout.write(json.dumps({"waves": waves}, ensure_ascii=False) + "\n")


def _print_text(report: TriageReport, settings: Settings, *, top: int | None, console: Any) -> None:
    """The table on a terminal, plain lines when piped."""
    zone = resolve_zone(settings.timezone)
    rows = [_cells(row, zone) for row in report.rows]
    if console is not None or sys.stdout.isatty():
        _print_table(rows, report.summary(), top=DEFAULT_TOP if top is None else top, console=console)
    else:
        _print_plain(rows[:top] if top else rows, report.summary(), len(rows))
    for line in wave_lines(report, settings):
        (console.print if console is not None else print)(line)


def wave_lines(report: TriageReport, settings: Settings) -> list[str]:
    """One paragraph per wave of silent calls from one block, with the command that blocks it."""
    lines = []
    for wave in report.waves:
        text = (f"Wave: {len(wave.numbers)} numbers from {settings.waves.pattern(wave.block)} called you silently within "
                f"{settings.waves.days} days, one campaign rotating its caller ID.")
        if wave.own:
            text += (" This is your own number's block: callers fake numbers next to yours (neighbour spoofing), "
                     f"and blocking it would also block your neighbours. Only if you are sure: {wave.command}")
        else:
            text += f" Block the whole block: {wave.command}"
        lines.append(text)
    return lines


LEVEL_SHORT = {"likely_ok": "likely OK"}  # as the lookup and the summary say it
DEFAULT_TOP = 40  # rows a terminal shows unless --top says otherwise
MAX_WHY = 160  # characters of a reason a cell shows: a cell never holds a stranger's novel
MAX_NAME = 40
HEADINGS = ("number", "calls", "last", "verdict", "call back", "why", "name")


def _cells(row: TriageRow, zone: Any) -> tuple[str, ...]:
    """A row's cells as short plain text (capped, one line each)."""
    v = row.result.verdict
    n = row.result.number
    level = v.level.value if v else "error"
    name = caller_name(row.result.findings, row.result.history) or row.group.name or ""
    return (
        (n.international if n and n.e164 else "withheld") or "",
        str(row.group.count),
        _when(row, zone),
        LEVEL_SHORT.get(level, level.replace("_", " ")),
        v.call_back.value if v else "",
        clean_text(top_reason(row), MAX_WHY),
        clean_text(name, MAX_NAME),
    )


def _when(row: TriageRow, zone: Any) -> str:
    """The last call in local time; with the year when it was not this year."""
    if row.group.last is None:
        return ""  # a plain list of numbers has no call times
    last = row.group.last.astimezone(zone)
    this_year = datetime.now(last.tzinfo).year
    return last.strftime("%m-%d %H:%M" if last.year == this_year else "%Y-%m-%d %H:%M")


def _print_table(rows: list[tuple[str, ...]], summary: str, *, top: int, console: Any = None) -> None:
    """For a terminal, fitted to its width: a table whose "why" and "name" columns fold into
    the room left; below 100 columns, each number on one line and its reason (and name)
    indented under it, so no column is squeezed to a sliver. Only the first ``top`` rows
    (most urgent first); it says how many more there are."""
    from rich.console import Console

    console = console or Console()
    if not rows:
        console.print("No silent missed calls in these logs.")
        console.print(summary)
        return
    shown = rows[:top] if top > 0 else rows
    if console.width < 100:
        _print_stacked(console, shown)
    else:
        _print_wide(console, shown)
    if len(rows) > len(shown):
        console.print(f"... and {len(rows) - len(shown)} more numbers (--top N shows more, --top 0 all)")
    console.print(summary)


def _print_wide(console: Any, rows: list[tuple[str, ...]]) -> None:
    from rich.table import Table
    from rich.text import Text

    has_names = any(r[6] for r in rows)
    table = Table(header_style="bold")
    for heading in HEADINGS[:5]:
        table.add_column(heading, no_wrap=True)
    table.add_column("why", overflow="fold", ratio=3, min_width=20)
    if has_names:
        table.add_column("name", overflow="fold", ratio=1, min_width=10)
    for cells in rows:
        out = [cells[0], cells[1], cells[2], Text(cells[3], style=LEVEL_STYLE.get(cells[3].lower().replace(" ", "_"), "")),
               cells[4], cells[5]]
        table.add_row(*(out + [cells[6]] if has_names else out))
    console.print(table)


def _print_stacked(console: Any, rows: list[tuple[str, ...]]) -> None:
    from rich.padding import Padding
    from rich.text import Text

    widths = [max(len(HEADINGS[i]), *(len(r[i]) for r in rows)) for i in range(5)]
    console.print(Text("  ".join(h.ljust(widths[i]) for i, h in enumerate(HEADINGS[:5])).rstrip(), style="bold"))
    for cells in rows:
        line = Text()
        for i in range(5):
            style = LEVEL_STYLE.get(cells[3].lower().replace(" ", "_"), "") if i == 3 else ""
            line.append(cells[i].ljust(widths[i]) + ("  " if i < 4 else ""), style=style)
        console.print(line, overflow="fold")
        why = cells[5] + (f" ({cells[6]})" if cells[6] else "")
        console.print(Padding(Text(why, style="dim"), (0, 0, 0, 4)), overflow="fold")


def _print_plain(rows: list[tuple[str, ...]], summary: str, total: int) -> None:
    """Aligned plain text for a pipe or a file: nothing is cut or folded, and it costs little
    next to the triage itself (a rich table of 20,000 rows took longer than the work)."""
    write = sys.stdout.write
    if not rows:
        write("No silent missed calls in these logs.\n" if not total else "")
        write(summary + "\n")
        return
    has_names = any(r[6] for r in rows)
    order = [0, 1, 2, 3, 4, 6, 5] if has_names else [0, 1, 2, 3, 4, 5]  # the long reason last
    table = [[HEADINGS[i] for i in order], *([r[i] for i in order] for r in rows)]
    widths = [max(len(line[k]) for line in table) for k in range(len(order) - 1)]
    for line in table:
        head = "  ".join(cell.ljust(widths[k]) for k, cell in enumerate(line[:-1]))
        write(f"{head}  {line[-1]}".rstrip() + "\n")
    if total > len(rows):
        write(f"... and {total - len(rows)} more numbers\n")
    write(summary + "\n")
