"""Commands for call logs, sources and the server: triage, sources, serve (sync is in :mod:`lookup.cli.sync`)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from lookup.cli.common import (
    ConfigOpt,
    DbOpt,
    JsonOpt,
    RegionOpt,
    progress_bar,
    app,
    fail,
    make_engine,
    opened,
    parse_when,
    run_async,
    warn,
)
from lookup.models import ListEntry, ListKind, LogFormat


# ---------------------------------------------------------------- triage


@app.command("triage")
def triage_command(
    paths: Annotated[list[Path], typer.Argument(help="Call-log files or folders (Android XML, Google Voice Takeout, iPhone CallHistory.storedata, FRITZ!Box CSV, Asterisk Master.csv, CSV, text).")],
    since: Annotated[Optional[str], typer.Option("--since", help="Only calls on or after this date (YYYY-MM-DD).")] = None,
    include_all: Annotated[bool, typer.Option("--all", help="Show every incoming call's number, not only silent missed calls.")] = False,
    offline: Annotated[bool, typer.Option("--offline", help="Never touch the network; use what is stored.")] = False,
    json_out: JsonOpt = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print CSV (one row per number).")] = False,
    block_spam: Annotated[bool, typer.Option("--block-spam", help="Add the likely-spam numbers to your block list.")] = False,
    deadline: Annotated[Optional[float], typer.Option("--deadline", min=0.1, help="Seconds of wall time the whole command may take, counted from its start; numbers not looked up online by then are judged from stored data. Without it, each online batch may take the configured deadline (default 4 s).")] = None,
    top: Annotated[Optional[int], typer.Option("--top", min=0, help="Show only the N most urgent numbers (a terminal shows 40 unless told; 0 for all).")] = None,
    online_limit: Annotated[int, typer.Option("--online-limit", min=0, help="Look up at most this many numbers online (most silent calls first); the rest are judged from stored data, and the next run goes on with them.")] = 100,
    log_format: Annotated[Optional[LogFormat], typer.Option("--format", help="Force the log format instead of detecting it.")] = None,
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Find the silent missed calls in your call logs and decide on each caller.

    Example: whocalled triage calls-2026-11-20.xml --since 2026-11-01 --block-spam
    """
    import time

    from lookup.calllogs import CallLogError
    from lookup.cli.render_triage import row_renderer
    from lookup.triage import triage as run_triage

    ends = time.monotonic() + deadline if deadline is not None else None
    if json_out and csv_out:
        fail("--json and --csv contradict each other: pick one")
    since_at = datetime.fromisoformat(parse_when(since, "--since")) if since else None
    with opened(db, config, region) as (settings, store):
        engine = make_engine(settings, store)
        # One bar on a terminal for both phases: the calls read, then the numbers looked up online.
        bar, finish = progress_bar("Reading call logs", quiet=json_out or csv_out)
        try:
            report_ = run_async(
                run_triage(engine, paths, fmt=log_format.value if log_format else None, since=since_at,
                           include_all=include_all, offline=offline, deadline=deadline, ends=ends,
                           progress=(lambda done, total: bar(done, total, "Looking up")) if bar else None,
                           online_limit=online_limit,
                           reading=(lambda calls: bar(calls, 0, "Reading call logs")) if bar else None,
                           render=row_renderer(settings, csv_out=csv_out) if json_out or csv_out else None)
            )
        except CallLogError as exc:
            finish()
            fail(str(exc))
        finish()
        if block_spam:
            day = datetime.now().strftime("%Y-%m-%d")
            spam = report_.spam_numbers()
            from lookup.lists import block_many

            report_.blocked_now, _ = block_many(
                store, settings, (ListEntry(e, ListKind.BLOCK, reason=f"triage {day}", origin="triage") for e in spam)
            )
    for log in report_.logs:
        if log.tally.skipped:
            warn(f"{log.path.name}: {log.tally.summary()}")
    from lookup.cli.render_triage import print_triage

    print_triage(report_, settings, json_out=json_out, csv_out=csv_out, top=top)
    if report_.left_offline:
        warn(
            f"looked up {report_.looked_up_online} numbers online; {report_.left_offline} more were judged from stored"
            " data only (run triage again to go on with them, or raise --online-limit)"
        )
    if block_spam:
        typer.echo(f"Blocked {report_.blocked_now} likely-spam number(s).", err=json_out or csv_out)


# ---------------------------------------------------------------- sources


@app.command("sources")
def sources_command(
    check: Annotated[bool, typer.Option("--check", help="Ask every enabled source about its live canary numbers and say which look broken.")] = False,
    json_out: JsonOpt = False,
    deadline: Annotated[float, typer.Option("--deadline", min=0.5, help="Seconds the --check may take.")] = 10.0,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """List the lookup sources: kind, countries, enabled, last success and last failure.

    Example: whocalled sources --check
    """
    from scrapers.base import DatasetSource
    from scrapers.registry import load_sources

    with opened(db, config) as (settings, store):
        sources = load_sources(settings)
        checks: dict[str, str] = {}
        if check:
            from lookup.canaries import run_canaries

            checks = run_async(run_canaries(store, settings, [s for s in sources if s.enabled], deadline=deadline))
        health = store.source_health()
        synced = {}
        for s in sources:
            dataset = s.dataset if isinstance(s, DatasetSource) else None
            state = store.get_sync_state(dataset) if dataset else None
            if state is not None:
                synced[s.name] = {"synced_at": state.updated_at, "synced_rows": state.rows or 0}
        areas: dict[str, list[dict]] = {}
        for a in store.listing_areas():
            areas.setdefault(a.source, []).append({"area": a.area, "rows": a.rows, "synced_at": a.synced_at})
        for name, rows_ in areas.items():
            synced[name] = {"synced_at": max(r["synced_at"] for r in rows_), "synced_rows": sum(r["rows"] for r in rows_)}
    rows = []
    for s in sources:
        h = health.get(s.name, {})
        rows.append({
            "name": s.name,
            "title": s.title,
            "kind": s.kind.value,
            "countries": sorted(s.regions) or ["all"],
            "enabled": s.enabled,
            "how_to_enable": None if s.enabled else (s.enable_hint or f"set enabled = true under [sources.{s.name}]"),
            "last_success_at": h.get("last_success_at"),
            "last_failure_at": h.get("last_failure_at"),
            "last_failure": f"{h['last_failure_status']}: {h['last_failure']}" if h.get("last_failure_status") else None,
            **synced.get(s.name, {"synced_at": None, "synced_rows": None}),
            **({"areas": areas.get(s.name, []), "sync_hint": s.enable_hint} if s.kind.value == "listing" else {}),
            **({"check": checks.get(s.name, "not checked")} if check else {}),
        })
    # For monitoring: --check fails (exit 1) when a checked source looks broken.
    broken = [name for name, verdict in checks.items() if verdict.startswith("BROKEN")]
    if json_out:
        for row in rows:
            typer.echo(json.dumps(row))
    elif not rows:
        typer.echo("No sources are registered.")
    else:
        _print_sources(rows, check)
    if broken:
        warn(f"{len(broken)} source{'s look' if len(broken) > 1 else ' looks'} broken: {', '.join(broken)}")
        raise typer.Exit(1)


def _print_sources(rows: list[dict], check: bool) -> None:
    for row in rows:
        from lookup.numbers import _nanp_regions

        if set(row["countries"]) == set(_nanp_regions()):
            countries = "NANP (+1)"
        else:
            countries = ",".join(row["countries"]) if len(row["countries"]) <= 6 else f"{len(row['countries'])} countries"
        state = "enabled" if row["enabled"] else "off"
        typer.echo(f"{row['name']:24} {row['kind']:8} {countries:18} {state}")
        if row["how_to_enable"]:
            typer.echo(f"    to enable: {row['how_to_enable']}")
        if row["synced_at"] and not row.get("areas"):
            typer.echo(f"    last sync: {row['synced_at']} ({row['synced_rows']:,} rows)")
        if row.get("areas") == [] and row["enabled"]:
            typer.echo(f"    no area synced yet: {row['sync_hint']}")
        for area in row.get("areas") or ():
            typer.echo(f"    area {area['area']}: {area['rows']:,} numbers, synced {area['synced_at']}")
        if row["last_success_at"]:
            typer.echo(f"    last answer: {row['last_success_at']}")
        if row["last_failure"]:
            typer.echo(f"    last failure: {row['last_failure_at']}  {row['last_failure']}")
        if check:
            typer.echo(f"    check: {row['check']}")


# ---------------------------------------------------------------- serve


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on; anything but loopback needs a token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8787,
    token: Annotated[Optional[str], typer.Option("--token", help="Require 'Authorization: Bearer TOKEN' (or ?token=) on every request, at least 16 characters; default from the config or WHOCALLED_SERVER_TOKEN.")] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Serve the JSON API for PBXs (lookup, screen, CNAM, blocklists) and a web page for the household.

    Example: whocalled serve --host 0.0.0.0 --token "$(openssl rand -hex 16)"
    """
    from db.store import StoreError
    from lookup.server.app import run_server
    from lookup.settings import ConfigError
    from lookup.settings_load import check_token, load_settings

    try:
        settings = load_settings(config, db_path=db)
        if token is not None:
            token = check_token(token, "--token")
    except ConfigError as exc:
        fail(str(exc))
    try:
        run_server(settings, host=host, port=port, token=token)
    except ValueError as exc:
        fail(str(exc))
    except StoreError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", code=1)
