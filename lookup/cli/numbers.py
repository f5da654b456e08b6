"""Commands about numbers: lookup and config (show, path)."""

from __future__ import annotations

import itertools
import json
import sys
from typing import Annotated, Iterator, Optional

import typer

from lookup.cli.common import (
    ConfigOpt,
    DbOpt,
    JsonOpt,
    RegionOpt,
    progress_bar,
    app,
    config_app,
    fail,
    make_engine,
    opened,
    iter_inputs,
    run_async,
    warn,
)

LOOKUP_CACHE_KIB = 4096  # SQLite's page cache for an offline lookup of many numbers: as fast as 16 MB, 13 MB less


# ---------------------------------------------------------------- lookup


@app.command()
def lookup(
    numbers: Annotated[list[str], typer.Argument(help="Numbers in any notation; '-' reads one per line from stdin.")],
    region: RegionOpt = None,
    json_out: JsonOpt = False,
    offline: Annotated[bool, typer.Option("--offline", help="Never touch the network; use what is stored.")] = False,
    refresh: Annotated[bool, typer.Option("--refresh", help="Ignore cached answers and ask the sources again.")] = False,
    deadline: Annotated[
        Optional[float],
        typer.Option("--deadline", min=0.1, help="Seconds of wall time the whole command may take to ask the sources, counted from its start; numbers not reached by then are answered from what is stored. Without it, each batch of numbers may take the configured deadline (default 4 s)."),
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
    import time

    from lookup.cli.printer import ResultPrinter
    from lookup.numbers import join_split_numbers

    ends = time.monotonic() + deadline if deadline is not None else None
    if offline and refresh:
        fail("--offline and --refresh contradict each other (--refresh asks the sources again)")
    with opened(db, config, region, check=False) as (settings, store):
        from lookup.engine import WINDOW

        # read window by window: an offline lookup of '-' holds one window of inputs, not all
        windows = iter_windows(iter_inputs(join_split_numbers(numbers, settings.region)), WINDOW)
        first = next(windows, None)
        if first is None:
            fail("no numbers given (pass numbers, or '-' to read them from stdin)")
        engine = make_engine(settings, store, source)
        printer = ResultPrinter(json_out=json_out, verbose=verbose, tz=settings.timezone)
        if offline:
            store.limit_page_cache(LOOKUP_CACHE_KIB)
            for window in itertools.chain([first], windows):  # printed as each window is answered
                for r in engine.lookup_offline(window, settings.region):
                    printer.show(r)
                sys.stdout.flush()  # a program feeding numbers through a pipe gets each window's answers
        else:
            inputs = [*first, *itertools.chain.from_iterable(windows)]  # online: paced anyway, one run
            progress, finish = progress_bar("Looking up", quiet=len(inputs) < 2)

            async def stream() -> None:
                async for r in engine.iter_lookup(inputs, region=settings.region, refresh=refresh, deadline=deadline,
                                                  only=source or (), deep=deep, progress=progress, ends=ends):
                    printer.show(r)

            try:
                run_async(stream())
            finally:
                finish()
    bad = printer.bad
    if printer.failed:
        listed = ", ".join(f"{name} ({status.replace('_', ' ')})" for name, status in sorted(printer.failed))
        warn(f"no answer from {len({n for n, _ in printer.failed})} source(s): {listed}")
    if bad:
        raise typer.Exit(2)


def iter_windows(items: Iterator[str], size: int) -> Iterator[list[str]]:
    """``items`` in lists of up to ``size``, each taken only when the one before is done."""
    while window := list(itertools.islice(items, size)):
        yield window


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
    from lookup.settings import ConfigError
    from lookup.settings_load import load_settings

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
    from lookup.settings import ConfigError
    from lookup.settings_load import load_settings

    try:
        settings = load_settings(config, db_path=db)
    except ConfigError as exc:
        fail(str(exc))
    exists = "" if settings.config_path and settings.config_path.exists() else "  (not created yet)"
    typer.echo(f"config:   {settings.config_path}{exists}")
    typer.echo(f"database: {settings.db_path}")
