"""The whocalled command line (typer). Parses options, runs, prints, picks the exit code.

Exit codes, decided in the command modules only: 0 success (even when some sources failed,
which is said on stderr), 1 runtime failure, 2 bad input or usage. The commands live in
:mod:`lookup.cli.numbers` (lookup, config), :mod:`lookup.cli.lists` (block, allow, unlist,
lists, report, reports), :mod:`lookup.cli.files` (export, import), :mod:`lookup.cli.data`
(triage, sources, serve), :mod:`lookup.cli.sync` (sync ftc, fcc, osm, wikidata) and
:mod:`lookup.cli.expect` (expect, forget, unreport); shared options and helpers in
:mod:`lookup.cli.common`, rendering in :mod:`lookup.cli.render`, :mod:`lookup.cli.printer`
(lookup's results as they come) and :mod:`lookup.cli.render_triage`.

The console script runs :func:`main`, not ``app``: typer turns every command's signature into
click parameters on each run (about 1.5 ms a command, most of a cached lookup's own cost), so
when the first argument names a command, only that command is built.
"""

from __future__ import annotations

import gc
import sys
from typing import Sequence

import typer

# Importing the command modules registers their commands, in this order in --help.
from lookup.cli import numbers  # noqa: F401  isort: skip
from lookup.cli import lists  # noqa: F401  isort: skip
from lookup.cli import files  # noqa: F401  isort: skip
from lookup.cli import data  # noqa: F401  isort: skip
from lookup.cli import sync  # noqa: F401  isort: skip
from lookup.cli import community  # noqa: F401  isort: skip
from lookup.cli import expect  # noqa: F401  isort: skip
from lookup.cli.common import app

__all__ = ["app", "app_for", "main"]


def _command_name(info: typer.models.CommandInfo) -> str:
    # typer's own rule for a command registered without a name.
    return info.name or info.callback.__name__.lower().replace("_", "-")  # type: ignore[union-attr]


def app_for(argv: Sequence[str]) -> typer.Typer:
    """The app to run for ``argv`` (the arguments after the program name): a copy of ``app``
    holding only the command or command group that ``argv[0]`` names, or ``app`` itself for
    anything else (no arguments, ``--help``, an unknown name), so those behave exactly as
    before. The copy keeps a no-op callback, so it stays a group: ``whocalled lookup N``
    still takes the command name first, and usage lines and errors read the same."""
    if not argv or argv[0].startswith("-"):
        return app
    name = argv[0]
    commands = [c for c in app.registered_commands if _command_name(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    one = typer.Typer(
        name=app.info.name,
        help=app.info.help,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    one.registered_commands = commands
    one.registered_groups = groups
    one.callback()(_no_options)
    return one


def _no_options() -> None:
    """Who called me, and should I call back?"""


def main() -> None:
    tune_garbage_collector()
    args = sys.argv[1:] = [as_valid_text(arg) for arg in sys.argv[1:]]
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        # Bytes that are not UTF-8 on stdin become U+FFFD; output is always valid text.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    command = typer.main.get_command(app_for(args))
    try:
        code = command.main(args, prog_name="whocalled", standalone_mode=False)
    except typer.Abort:
        typer.echo("whocalled: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        line = usage_error_line(exc, args)
        if line is None:
            raise
        if line:
            typer.echo(line, err=True)
        sys.exit(getattr(exc, "exit_code", 2))
    sys.exit(code if isinstance(code, int) else 0)


# Python's cycle collector runs after every 700 new container objects, and each run of the older
# generations walks everything still alive. A command makes many objects that live to its end
# (a triage's tallies and groups, a batch's findings) and hardly any cycles, so with the default
# thresholds a 100,000-call triage spent about 0.5 s of its 4 in 869 collections that found next
# to nothing. Memory is freed by reference counting as before; cycles are still collected, only
# less often. The objects of the start-up (modules, classes) are set aside for good first.
GC_THRESHOLDS = (100_000, 50, 100)


def tune_garbage_collector() -> None:
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def usage_error_line(exc: Exception, args: Sequence[str] = ()) -> str | None:
    """A usage error of the command line (click's, as typer carries it) as one line that names
    the command and where its help is; None for any other exception. (Typer would draw a box
    of five lines or more, which scripts and narrow terminals read badly.)"""
    kinds = {k.__name__ for k in type(exc).__mro__}
    if "ClickException" not in kinds:
        return None
    if "NoArgsIsHelpError" in kinds:
        return ""  # the help has been printed
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        path = ctx.command_path
    else:  # raised before a context existed: the command is the first word, if any
        named = [c for c in app_for(args[:1]).registered_commands if args and _command_name(c) == args[0]]
        path = f"whocalled {args[0]}" if named else "whocalled"
    message = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
    hint = f" (see '{path} --help')"
    return f"whocalled: {path.removeprefix('whocalled').strip() or 'usage'}: {message}{hint}"


def as_valid_text(arg: str) -> str:
    """A command-line argument with bytes that were not valid UTF-8 (Python keeps them as lone
    surrogates) replaced by U+FFFD, so they can be stored and printed."""
    try:
        raw = arg.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that did not come from a byte
        raw = arg.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace")
