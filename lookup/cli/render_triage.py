"""Rendering a triage report: a rich table for people, JSON lines or CSV for programs."""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

from lookup.calllogs.common import resolve_zone
from lookup.results import caller_name
from lookup.settings import Settings
from lookup.triage import TriageReport, TriageRow

LEVEL_STYLE = {
    "likely_spam": "bold red",
    "blocked": "red",
    "suspicious": "yellow",
    "unknown": "white",
    "likely_ok": "green",
    "allowed": "bold green",
}


def row_json(row: TriageRow, settings: Settings) -> dict[str, Any]:
    zone = resolve_zone(settings.timezone)
    out = row.result.to_json()
    g = row.group
    out["calls"] = {
        "silent_missed": g.count,
        "rejected_or_blocked": g.refused,
        "other_incoming": len(g.others),  # answered or left a message: shown only with --all
        "first_at": g.first.isoformat(timespec="seconds") if g.first else None,  # None: listed without times
        "last_at": g.last.isoformat(timespec="seconds") if g.last else None,
        "local_times": g.local_times(zone),
    }
    if g.name:
        out["contact_name"] = g.name
    return out


def top_reason(row: TriageRow) -> str:
    v = row.result.verdict
    if v is None:
        return row.result.error or ""
    weighted = [e for e in v.evidence if e.weight]
    return (weighted[0].detail if weighted else "nothing known against it").rstrip(".")


def print_triage(report: TriageReport, settings: Settings, *, json_out: bool = False, csv_out: bool = False) -> None:
    if json_out:
        for row in report.rows:
            sys.stdout.write(json.dumps(row_json(row, settings), ensure_ascii=False) + "\n")
        return
    if csv_out:
        writer = csv.writer(sys.stdout)
        writer.writerow(["number", "silent_calls", "first_at", "last_at", "verdict", "spam_score", "call_back", "name", "top_reason"])
        for row in report.rows:
            v = row.result.verdict
            writer.writerow([
                row.group.key or "withheld",
                row.group.count,
                row.group.first.isoformat(timespec="seconds") if row.group.first else "",
                row.group.last.isoformat(timespec="seconds") if row.group.last else "",
                v.level.value if v else "",
                v.score if v else "",
                v.call_back.value if v else "",
                caller_name(row.result.findings, row.result.history) or row.group.name or "",
                top_reason(row),
            ])
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    zone = resolve_zone(settings.timezone)
    # A terminal gets its own width; a pipe or a file gets room for the reasons.
    console = Console() if sys.stdout.isatty() else Console(width=120)
    if not report.rows:
        console.print("No silent missed calls in these logs.")
        console.print(report.summary(), soft_wrap=True)
        return
    names = {id(row): caller_name(row.result.findings, row.result.history) or row.group.name or "" for row in report.rows}
    table = Table(show_lines=False, header_style="bold")
    for col in ("number", "calls", "last", "verdict", "call back"):
        table.add_column(col, no_wrap=True)
    table.add_column("why", overflow="fold", ratio=3, min_width=30)
    if any(names.values()):
        table.add_column("name", overflow="fold", ratio=1, min_width=10)
    for row in report.rows:
        v = row.result.verdict
        n = row.result.number
        label = n.international if n and n.e164 else "withheld"
        level = v.level.value if v else "error"
        cells = [
            Text(label or ""),
            str(row.group.count),
            row.group.last.astimezone(zone).strftime("%m-%d %H:%M") if row.group.last else "",
            Text(level.replace("_", " "), style=LEVEL_STYLE.get(level, "")),
            v.call_back.value if v else "",
            Text(top_reason(row)),
        ]
        if any(names.values()):
            cells.append(Text(names[id(row)]))
        table.add_row(*cells)
    console.print(table)
    console.print(report.summary(), soft_wrap=True)
