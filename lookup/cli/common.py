"""What the command modules share: the typer apps, the common options, and helpers that
open the settings and the store, report errors in one line, and parse dates."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Coroutine, Iterator, NoReturn, Optional, TextIO, TypeVar

import typer

T = TypeVar("T")


app = typer.Typer(
    name="whocalled",
    help="Who called me, and should I call back? Look numbers up, triage call logs, block and report.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"whocalled {version('whocalled')}")
        except PackageNotFoundError:
            typer.echo("whocalled (not installed as a package)")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_show_version, is_eager=True)
    ] = False,
) -> None:
    """Who called me, and should I call back? Look numbers up, triage call logs, block and report."""
config_app = typer.Typer(help="Show the configuration and where it lives.", no_args_is_help=True)
app.add_typer(config_app, name="config")
sync_app = typer.Typer(help="Download or import public data for offline lookups: complaints (FTC, FCC), listings (OpenStreetMap, Wikidata).", no_args_is_help=True)
app.add_typer(sync_app, name="sync")
community_app = typer.Typer(help="Run a community server where households share spam votes privately.", no_args_is_help=True)
app.add_typer(community_app, name="community")

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
def opened(
    db: Path | None, config: Path | None, region: str | None = None, *, check: bool = True, readonly: bool = False
) -> Iterator[tuple["Settings", "Store"]]:
    """The settings and the store for one command. ``check``: look for damage first (commands
    that write, and those that would show a damaged file as empty); ``readonly``: the command
    only reads, so a file it may not write is opened read-only. A database error inside the
    block ends the command with one line and exit 1 (it is not the user's input)."""
    import sqlite3

    from db.store import Store, StoreDamaged, StoreError, damaged, is_damage
    from lookup.settings import ConfigError
    from lookup.settings_load import load_settings

    try:
        settings = load_settings(config, db_path=db, region=region)
    except ConfigError as exc:
        fail(str(exc))
    try:
        store = Store(settings.db_path, readonly=readonly)  # type: ignore[arg-type]
        if check:
            store.check()
    except StoreError as exc:  # a damaged file is not the user's input (1); a wrong file is (2)
        fail(str(exc), 1 if isinstance(exc, StoreDamaged) else 2)
    try:
        yield settings, store
    except sqlite3.Error as exc:
        if is_damage(exc):
            fail(str(damaged(store.path, str(exc))), 1)
        if "locked" in str(exc) or "busy" in str(exc):
            fail(f"database {store.path} stayed busy (another whocalled is writing to it); nothing was written: try again", 1)
        fail(f"database {store.path}: {exc}", 1)
    finally:
        store.close()


def open_output(path: Path) -> TextIO:
    """``path`` opened for writing text; a folder, a missing folder or no permission is one
    line naming the path (exit 2)."""
    try:
        return path.open("w", encoding="utf-8", newline="")
    except IsADirectoryError:
        fail(f"{path} is a folder: give a file name for the output")
    except FileNotFoundError:
        fail(f"cannot write {path}: the folder {path.parent} does not exist")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``, but the coroutine's value never becomes the task's result.

    While it restores the SIGINT handler, Python 3.11's ``asyncio.Runner`` formats the
    repr of its main task, and a finished task's repr includes its result. For a triage
    of 15,000 numbers that repr is 50 MB of text, built and thrown away. Here the value
    is handed out through a list instead, so the task's result is ``None``."""
    import asyncio

    box: list[T] = []

    async def hold() -> None:
        box.append(await coro)

    asyncio.run(hold())
    return box[0]


def make_engine(settings: "Settings", store: "Store", only: list[str] | None = None) -> "Engine":
    from lookup.engine import Engine
    from scrapers.registry import load_sources, source_names

    unknown = [n for n in (only or []) if n not in source_names()]
    if unknown:
        fail(f"unknown source {unknown[0]!r} (known: {', '.join(source_names()) or 'none'})")
    sources = load_sources(settings)
    off = [s for s in sources if s.name in (only or []) and not s.enabled]
    if off:
        source = off[0]
        why = getattr(source, "enable_hint", "") if source.needs_key and not source.has_credentials else ""
        fail(f"source {source.name!r} is turned off{': ' + why if why else f' (enable it under [sources.{source.name}])'}")
    return Engine(store=store, settings=settings, sources=sources)


def iter_inputs(numbers: list[str]) -> Iterator[str]:
    """The inputs one by one: each word, and for '-' each line of stdin as it is read (blank
    lines and '#' comments skipped)."""
    for item in numbers:
        if item == "-":
            for line in sys.stdin:
                line = line.strip()
                if line and not line.startswith("#"):
                    yield line
        else:
            yield item



def parse_when(text: str, option: str = "--at") -> str:
    """A date the user typed, as ISO UTC (:func:`lookup.lists.parse_when`); bad ones fail here."""
    from lookup.lists import ListError, parse_when as parse

    try:
        return parse(text)
    except ListError as exc:
        fail(f"{option}: {exc}")


def progress_bar(label: str, *, quiet: bool):
    """A rich progress bar on stderr (only on a terminal); returns (callback, finish)."""
    if quiet or not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(transient=True, console=Console(stderr=True))
    task = bar.add_task(label, total=None)
    started = False

    def update(done: int, total: int, what: str | None = None) -> None:
        # The bar's refresh thread starts with the first update, not before: a command that
        # finishes before it has anything to show never starts (or draws) it.
        nonlocal started
        if not started:
            bar.start()
            started = True
        # total 0: a count without an end; ``what`` renames the bar for the next phase of a run
        bar.update(task, completed=done, total=total or None, **({"description": what} if what else {}))

    def finish() -> None:
        if started:
            bar.stop()

    return update, finish



if TYPE_CHECKING:
    from db.store import Store
    from lookup.engine import Engine
    from lookup.settings import Settings


