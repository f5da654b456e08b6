"""Commands that fill the local tables: sync ftc, sync fcc (complaint datasets), sync osm and
sync wikidata (listing directories)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from lookup.cli.common import ConfigOpt, DbOpt, fail, opened, run_async, sync_app, warn


def _run_sync(kind: str, settings, store, **kwargs) -> None:
    from lookup import sync as sync_mod

    callback, finish = _sync_progress(f"Syncing {kind.upper()}")
    try:
        if kind == "ftc":
            result = run_async(sync_mod.sync_ftc(store, settings, progress=callback, **kwargs))
        else:
            result = run_async(sync_mod.sync_fcc(store, settings, progress=callback, **kwargs))
    except ValueError as exc:
        finish()
        fail(str(exc))
    finish()
    typer.echo(result.summary())
    for name, why in result.skipped_files:
        warn(f"skipped {name}: {why}")
    for line in result.failure_lines():
        warn(line)
    if kwargs.get("files") and not result.files_read and result.skipped_files:
        raise typer.Exit(2)  # none of the files the user gave could be read: bad input
    if not result.ok and not result.rows_added and not result.files_read:
        raise typer.Exit(1)


def _sync_progress(label: str):
    """A rich progress bar on stderr for ``progress(label, done, total)`` callbacks (terminal only)."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(transient=True, console=Console(stderr=True))
    task = bar.add_task(label, total=None)
    bar.start()

    def update(what: str, done: int, total: int | None) -> None:
        bar.update(task, description=f"{label}: {what}", completed=done, total=total or None)

    return update, bar.stop


def _check_files(files: list[Path] | None) -> list[Path]:
    for f in files or []:
        if f.is_dir():
            fail(f"{f} is a folder: give the CSV files in it")
        if not f.is_file():
            fail(f"no such file: {f}")
    return list(files or [])


FilesArg = Annotated[Optional[list[Path]], typer.Argument(help="CSV files to import instead of downloading (same as --file).")]


@sync_app.command("ftc")
def sync_ftc_command(
    files: FilesArg = None,
    days: Annotated[Optional[int], typer.Option("--days", min=1, max=400, help="How many past days of FTC daily complaint files to fetch (default: what is online, about 5 weeks).")] = None,
    file: Annotated[Optional[list[Path]], typer.Option("--file", help="Import these FTC complaint CSV files instead of downloading (repeatable).")] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Fetch the FTC Do-Not-Call complaint files (or import given ones) for offline lookups.

    Example: whocalled sync ftc --days 14
    """
    files = _check_files([*(file or []), *(files or [])])
    with opened(db, config) as (settings, store):
        _run_sync("ftc", settings, store, days=days, files=files)


@sync_app.command("fcc")
def sync_fcc_command(
    files: FilesArg = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Only complaints on or after this date (YYYY-MM-DD).")] = None,
    file: Annotated[Optional[list[Path]], typer.Option("--file", help="Import these FCC complaint CSV exports instead of downloading (repeatable).")] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Fetch the FCC unwanted-call complaints export (or import given files) into the local tables.

    Example: whocalled sync fcc --since 2026-01-01
    """
    files = _check_files([*(file or []), *(files or [])])
    if since is not None:
        try:
            datetime.strptime(since.strip(), "%Y-%m-%d")
        except ValueError:
            fail(f"--since: not a date: {since!r} (use YYYY-MM-DD)")
    with opened(db, config) as (settings, store):
        _run_sync("fcc", settings, store, since=since, files=files)


# ---------------------------------------------------------------- listing directories

MaxAgeOpt = Annotated[float, typer.Option("--max-age", min=0, help="Days an area's listings stay fresh: a fresher area is not downloaded again (0: always download).")]


def _run_listing_sync(label: str, coro_for) -> None:
    """Run one listing sync (``coro_for(progress)``), report it in one line, choose the exit code
    (2 bad input, 1 failed)."""
    from lookup.sync_listings import UnknownArea
    from scrapers.osm import AreaError

    callback, finish = _sync_progress(f"Syncing {label}")
    try:
        result = run_async(coro_for(callback))
    except (AreaError, UnknownArea) as exc:
        finish()
        fail(str(exc))
    finish()
    if result.failure:
        fail(result.summary(), code=1)
    typer.echo(result.summary())
    if result.tally.skipped:
        warn(f"{result.source} {result.area}: {result.tally.summary()}")


@sync_app.command("osm")
def sync_osm_command(
    area: Annotated[Optional[str], typer.Option("--area", help="An ISO 3166-2 code (US-DC, DE-BE) or a small country's code (LU).")] = None,
    bbox: Annotated[Optional[str], typer.Option("--bbox", help="A box S,W,N,E in degrees instead of an area.")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", help="Read a saved Overpass API JSON answer instead of downloading (with --area to name it).")] = None,
    max_age: MaxAgeOpt = 7.0,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Download the phone numbers of the places in an area from OpenStreetMap, to name callers offline.

    The whole area is downloaded once (one Overpass query) and matched here: no number is sent.
    Data © OpenStreetMap contributors (ODbL).

    Example: whocalled sync osm --area US-DC
    """
    from lookup.sync_listings import sync_osm

    if file is not None and not file.is_file():
        fail(f"no such file: {file}")
    if file is not None and bbox:
        fail("--file and --bbox contradict each other: a saved answer is named with --area, if at all")
    with opened(db, config) as (settings, store):
        _run_listing_sync("OpenStreetMap", lambda progress: sync_osm(
            store, settings, area=area, bbox=bbox, file=file, max_age_days=max_age, progress=progress))


@sync_app.command("wikidata")
def sync_wikidata_command(
    country: Annotated[Optional[str], typer.Option("--country", help="A two-letter country code (US, DE).")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", help="Read a saved SPARQL JSON answer instead of downloading.")] = None,
    max_age: MaxAgeOpt = 7.0,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Download the organisations with a phone number (P1329) in a country from Wikidata, to name callers offline.

    Example: whocalled sync wikidata --country US
    """
    from lookup.sync_listings import sync_wikidata

    if file is not None and not file.is_file():
        fail(f"no such file: {file}")
    with opened(db, config) as (settings, store):
        _run_listing_sync("Wikidata", lambda progress: sync_wikidata(
            store, settings, country=country, file=file, max_age_days=max_age, progress=progress))
