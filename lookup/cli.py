"""The whocalled command line (typer). Parses options, runs, prints, picks the exit code.

Exit codes, decided here only: 0 success (even when some sources failed, which
is said on stderr), 1 runtime failure, 2 bad input or usage.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Iterator, NoReturn, Optional

import typer

from lookup.models import Category, ListEntry, ListKind, Report

app = typer.Typer(
    name="whocalled",
    help="Who called me, and should I call back? Look numbers up, triage call logs, block and report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Show the configuration and where it lives.", no_args_is_help=True)
app.add_typer(config_app, name="config")

# Options shared by commands; each means the same everywhere.
DbOpt = Annotated[
    Optional[Path], typer.Option("--db", help="SQLite database file (default: user data dir; env WHOCALLED_DB).")
]
ConfigOpt = Annotated[
    Optional[Path], typer.Option("--config", help="TOML config file (default: user config dir; env WHOCALLED_CONFIG).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (one object per line) instead of text.")]
RegionOpt = Annotated[
    Optional[str], typer.Option("--region", "-r", help="Home country for national numbers, e.g. US, GB, DE.")
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Do it even if it touches your own number or an allowlisted one.")]


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr, no traceback, and the exit code."""
    typer.echo(f"whocalled: {message}", err=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    typer.echo(f"whocalled: {message}", err=True)


@contextmanager
def opened(db: Path | None, config: Path | None, region: str | None = None) -> Iterator[tuple["Settings", "Store"]]:
    from db.store import Store, StoreError
    from lookup.settings import ConfigError, load_settings

    try:
        settings = load_settings(config, db_path=db, region=region)
    except ConfigError as exc:
        fail(str(exc))
    try:
        store = Store(settings.db_path)  # type: ignore[arg-type]
    except StoreError as exc:
        fail(str(exc))
    try:
        yield settings, store
    finally:
        store.close()


def make_engine(settings: "Settings", store: "Store", only: list[str] | None = None) -> "Engine":
    from lookup.engine import Engine
    from scrapers.registry import load_sources, source_names

    unknown = [n for n in (only or []) if n not in source_names()]
    if unknown:
        fail(f"unknown source {unknown[0]!r} (known: {', '.join(source_names()) or 'none'})")
    return Engine(store=store, settings=settings, sources=load_sources(settings))


def read_inputs(numbers: list[str]) -> list[str]:
    out: list[str] = []
    for item in numbers:
        if item == "-":
            for line in sys.stdin:
                line = line.strip()
                if line and not line.startswith("#"):
                    out.append(line)
        else:
            out.append(item)
    return out


# ---------------------------------------------------------------- lookup


@app.command()
def lookup(
    numbers: Annotated[list[str], typer.Argument(help="Numbers in any notation; '-' reads one per line from stdin.")],
    region: RegionOpt = None,
    json_out: JsonOpt = False,
    offline: Annotated[bool, typer.Option("--offline", help="Never touch the network; use what is stored.")] = False,
    refresh: Annotated[bool, typer.Option("--refresh", help="Ignore cached answers and ask the sources again.")] = False,
    deadline: Annotated[
        Optional[float], typer.Option("--deadline", min=0.1, help="Seconds the online lookup may take (default 4).")
    ] = None,
    source: Annotated[
        Optional[list[str]], typer.Option("--source", "-s", help="Only ask this source (repeatable).")
    ] = None,
    deep: Annotated[bool, typer.Option("--deep", help="Also fetch second comment pages where a site has them.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also show sources that were skipped.")] = False,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Look numbers up: what the number says, what sources say, a verdict and call-back advice.

    Example: whocalled lookup "+1 876 555 0123" 202-555-0143
    """
    inputs = read_inputs(numbers)
    if not inputs:
        fail("no numbers given (pass numbers, or '-' to read them from stdin)")
    with opened(db, config, region) as (settings, store):
        engine = make_engine(settings, store, source)
        if offline:
            results = engine.lookup_offline(inputs, settings.region)
        else:
            import asyncio

            results = asyncio.run(
                engine.lookup(inputs, region=settings.region, refresh=refresh, deadline=deadline, only=source or (), deep=deep)
            )
    bad = 0
    if json_out:
        write = sys.stdout.write
        dumps = json.dumps
        for r in results:
            bad += r.error is not None
            write(dumps(r.to_json(), ensure_ascii=False) + "\n")
    else:
        from lookup.output import render_result

        first = True
        for r in results:
            if r.error:
                bad += 1
                warn(f"{r.input!r}: {r.error}")
                continue
            if not first:
                typer.echo("")
            typer.echo(render_result(r, verbose=verbose))
            first = False
    failed = {(f.source, f.status.value) for r in results for f in r.findings if f.status.value in ("blocked", "rate_limited", "layout_changed", "error", "timeout")}
    for name, status in sorted(failed):
        warn(f"source {name}: {status.replace('_', ' ')}")
    if bad:
        raise typer.Exit(2)


# ---------------------------------------------------------------- lists


def _own_numbers(settings: "Settings") -> list[str]:
    from lookup.numbers import NumberError, normalize_number

    out = []
    for raw in settings.own_numbers:
        try:
            n = normalize_number(raw, settings.region, details=False)
        except NumberError:
            continue
        if n.e164:
            out.append(n.e164)
    return out


def _pattern(raw: str, region: str) -> str:
    from lookup.numbers import NumberError, normalize_pattern

    try:
        return normalize_pattern(raw, region)
    except NumberError as exc:
        fail(str(exc))


@app.command()
def block(
    pattern: Annotated[str, typer.Argument(help="A number, or a prefix ending in * such as +1202555*.")],
    reason: Annotated[Optional[str], typer.Option("--reason", help="Why (shown in lists and exports).")] = None,
    force: ForceOpt = False,
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Put a number or a prefix range on your block list.

    Example: whocalled block +1202555* --reason "neighbour spoofing"
    """
    with opened(db, config, region) as (settings, store):
        key = _pattern(pattern, settings.region)
        entry = ListEntry(pattern=key, kind=ListKind.BLOCK, reason=reason)
        own = [n for n in _own_numbers(settings) if entry.matches(n)]
        if own and not force:
            fail(f"{key} would block your own number {own[0]}; add --force if you mean it")
        existing = store.get_list_entry(key)
        if existing is not None and existing.kind is ListKind.ALLOW and not force:
            fail(f"{key} is on your allowlist; add --force to block it instead")
        store.add_list_entry(entry)
        allowed = [e.pattern for e in store.iter_list_entries(ListKind.ALLOW) if entry.is_prefix and entry.matches(e.pattern.rstrip("*"))]
    typer.echo(f"Blocked {key}" + (f" ({reason})" if reason else "") + ".")
    if allowed:
        typer.echo(f"Note: {len(allowed)} allowlisted number(s) in that range stay allowed.")


@app.command()
def allow(
    pattern: Annotated[str, typer.Argument(help="A number (or prefix ending in *) you always want to get through.")],
    reason: Annotated[Optional[str], typer.Option("--reason", help="Why (e.g. 'pharmacy').")] = None,
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Put a number on your allowlist: it is never flagged or blocked.

    Example: whocalled allow 202-555-0143 --reason pharmacy
    """
    with opened(db, config, region) as (settings, store):
        key = _pattern(pattern, settings.region)
        existing = store.get_list_entry(key)
        store.add_list_entry(ListEntry(pattern=key, kind=ListKind.ALLOW, reason=reason))
    was = " (it was blocked; now allowed)" if existing and existing.kind is ListKind.BLOCK else ""
    typer.echo(f"Allowed {key}{was}.")


@app.command()
def unlist(
    pattern: Annotated[str, typer.Argument(help="The number or prefix to take off your block or allow list.")],
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Take a number or prefix off your lists.

    Example: whocalled unlist +1202555*
    """
    with opened(db, config, region) as (settings, store):
        key = _pattern(pattern, settings.region)
        removed = store.remove_list_entry(key)
    if removed is None:
        warn(f"{key} was not on your block or allow list")
        return
    typer.echo(f"Removed {key} from your {removed.kind.value} list.")


class KindChoice(StrEnum):
    block = "block"
    allow = "allow"


@app.command("lists")
def show_lists(
    kind: Annotated[Optional[KindChoice], typer.Option("--kind", help="Only block or only allow entries.")] = None,
    json_out: JsonOpt = False,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Show your block and allow lists.

    Example: whocalled lists --kind block --json
    """
    with opened(db, config) as (settings, store):
        entries = store.list_entries(ListKind(kind.value) if kind else None)
    if json_out:
        for e in entries:
            typer.echo(json.dumps({"pattern": e.pattern, "kind": e.kind.value, "reason": e.reason, "added_at": e.added_at, "origin": e.origin}))
        return
    if not entries:
        typer.echo("Your block and allow lists are empty.")
        return
    for e in entries:
        typer.echo(f"{e.kind.value:5}  {e.pattern:18}  {e.added_at[:10]}  {e.reason or ''}".rstrip())


# ---------------------------------------------------------------- reports


class CategoryChoice(StrEnum):
    robocall = "robocall"
    scam = "scam"
    telemarketer = "telemarketer"
    debt_collector = "debt_collector"
    survey = "survey"
    political = "political"
    silent = "silent"
    other = "other"


def parse_when(text: str) -> str:
    """ISO date or date-time (local time unless it carries an offset) to ISO UTC."""
    raw = text.strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            value = datetime.strptime(raw, fmt)
            break
        except ValueError:
            continue
    else:
        try:
            value = datetime.fromisoformat(text.strip())
        except ValueError:
            fail(f"--at: not a date or time: {text!r} (use YYYY-MM-DD or 'YYYY-MM-DD HH:MM')")
    if value.tzinfo is None:
        value = value.astimezone()  # the user's local time
    return value.astimezone(timezone.utc).isoformat(timespec="seconds")


@app.command()
def report(
    number: Annotated[str, typer.Argument(help="The number that called you.")],
    category: Annotated[CategoryChoice, typer.Option("--category", "-c", help="What kind of call it was.")],
    note: Annotated[Optional[str], typer.Option("--note", help="What happened, in your words.")] = None,
    at: Annotated[Optional[str], typer.Option("--at", help="When the call came (default: now), e.g. '2026-11-20 14:05'.")] = None,
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Record your own spam report about a number (kept locally; ready to file with the FTC).

    Example: whocalled report 202-555-0143 --category robocall --note "car warranty"
    """
    from lookup.numbers import NumberError, normalize_number

    when = parse_when(at) if at else None
    with opened(db, config, region) as (settings, store):
        try:
            n = normalize_number(number, settings.region, details=False)
        except NumberError as exc:
            fail(str(exc))
        if n.e164 is None:
            fail(f"cannot report {number!r}: it is not a dialable number ({n.kind.value})")
        rid = store.add_report(Report(e164=n.e164, category=Category(category.value), note=note, at=when))
    typer.echo(f"Report #{rid} recorded: {n.e164} as {category.value}.")


@app.command()
def reports(
    json_out: JsonOpt = False,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """List the spam reports you recorded.

    Example: whocalled reports --json
    """
    with opened(db, config) as (settings, store):
        items = store.list_reports()
    if json_out:
        for r in items:
            typer.echo(json.dumps({"id": r.id, "e164": r.e164, "category": r.category.value, "note": r.note, "at": r.at, "created_at": r.created_at, "submitted_to": r.submitted_to, "submission": r.submission}))
        return
    if not items:
        typer.echo("No reports yet. Record one with: whocalled report NUMBER --category robocall")
        return
    for r in items:
        typer.echo(f"#{r.id}  {r.e164:16}  {r.category.value:14}  {(r.at or r.created_at)[:16]}  {r.note or ''}".rstrip())


# ---------------------------------------------------------------- config


@config_app.command("show")
def config_show(
    db: DbOpt = None,
    config: ConfigOpt = None,
    region: RegionOpt = None,
) -> None:
    """Print the resolved settings as JSON (secrets masked).

    Example: whocalled config show
    """
    from lookup.settings import ConfigError, load_settings

    try:
        settings = load_settings(config, db_path=db, region=region)
    except ConfigError as exc:
        fail(str(exc))
    typer.echo(json.dumps(settings.redacted(), indent=2))


@config_app.command("path")
def config_path(config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Print where the config file and the database are.

    Example: whocalled config path
    """
    from lookup.settings import ConfigError, load_settings

    try:
        settings = load_settings(config, db_path=db)
    except ConfigError as exc:
        fail(str(exc))
    exists = "" if settings.config_path and settings.config_path.exists() else "  (not created yet)"
    typer.echo(f"config:   {settings.config_path}{exists}")
    typer.echo(f"database: {settings.db_path}")


if False:  # for type checkers only
    from db.store import Store
    from lookup.engine import Engine
    from lookup.settings import Settings
