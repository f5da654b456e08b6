"""Commands for what the user expects and what they take back: expect, forget, unreport."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Annotated, Iterator, Optional

import typer

from lookup.cli.common import ConfigOpt, DbOpt, JsonOpt, RegionOpt, app, fail, opened
from lookup.text import clean_text


@contextmanager
def expect_rules() -> Iterator[None]:
    """The refusals of :mod:`lookup.expect` and :mod:`lookup.undo` as one line and exit code 2."""
    from lookup.expect import ExpectError
    from lookup.lists import ListError

    try:
        yield
    except (ExpectError, ListError) as exc:
        fail(str(exc))


@app.command()
def expect(
    who: Annotated[Optional[str], typer.Argument(help="Who you expect a call from, e.g. \"DHL\". Leave out to list the open expectations.")] = None,
    number: Annotated[Optional[str], typer.Option("--number", help="The number they will call from, if you know it.")] = None,
    prefix: Annotated[Optional[str], typer.Option("--prefix", help="The start of their numbers, e.g. +4420 or 0800*.")] = None,
    country: Annotated[Optional[str], typer.Option("--country", help="Their country as a two-letter code, e.g. GB (default: your home region).")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="When to stop expecting the call: YYYY-MM-DD (to the end of that day) or 'YYYY-MM-DD HH:MM' (default: 7 days from now).")] = None,
    done: Annotated[Optional[int], typer.Option("--done", min=1, help="Close the expectation with this id: the call came, or will not.")] = None,
    json_out: JsonOpt = False,
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Expect a call from someone whose number you do not know: matching callers are shown as
    "maybe the call you expect", with call back yes, and are never blocked as spam.

    Without --number, --prefix or --country, any number from your home region matches.

    With no arguments, list the open expectations.

    Example: whocalled expect "DHL" --prefix "+1 202 555"
    """
    from lookup import expect as expectations

    scoped = number is not None or prefix is not None or country is not None or until is not None
    if done is not None and (who is not None or scoped):
        fail("--done ID closes an expectation: give it alone")
    if who is None and scoped:
        fail("say who you expect a call from, e.g. whocalled expect \"DHL\" --prefix +4420")
    with opened(db, config, region, readonly=who is None and done is None) as (settings, store), expect_rules():
        if done is not None:
            closed = expectations.close_expectation(store, done)
            typer.echo(f"Closed expectation #{closed.id} ({closed.who}).")
            return
        if who is not None:
            added = expectations.add_expectation(store, settings, who, number=number, prefix=prefix, country=country, until=until)
            shown = [added]
        else:
            shown = expectations.open_expectations(store)
    if json_out:
        for x in shown:
            typer.echo(json.dumps(x.to_json(), ensure_ascii=False))
        return
    from lookup.describe import local_time

    if who is not None:
        x = shown[0]
        typer.echo(f"Expecting a call from {x.who} (#{x.id}): {x.callers()}, until {local_time(x.until_at, settings.timezone)}.")
        return
    if not shown:
        typer.echo("No open expectations. Add one with: whocalled expect \"DHL\" --until YYYY-MM-DD")
        return
    typer.echo(f"{'ID':>4}  {'WHO':20}  {'UNTIL':20}  CALLERS")
    for x in shown:
        until_text = local_time(x.until_at, settings.timezone)
        typer.echo(f"{x.id:>4}  {clean_text(x.who)[:20]:20}  {until_text[:20]:20}  {x.callers()}")


def confirm_first(question: str, yes: bool) -> bool:
    """True when the user said yes (or gave ``--yes``); without a terminal to ask on, one line
    and exit code 2."""
    if yes:
        return True
    if not sys.stdin.isatty():
        fail("this removes stored data and asks first, but there is no terminal to ask on: add --yes")
    return typer.confirm(question, default=False)


YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Remove without asking for confirmation.")]


@app.command()
def forget(
    number: Annotated[list[str], typer.Argument(help="The number whose stored calls to remove (spaces allowed).")],
    yes: YesOpt = False,
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Remove a number's calls read from your call logs (asks first unless --yes).

    Its lists, reports and looked-up facts stay; triaging a log that holds it brings them back.

    Example: whocalled forget +1 202 555 0143 --yes
    """
    from lookup import undo
    from lookup.describe import local_time

    with opened(db, config, region) as (settings, store), expect_rules():
        calls = undo.calls_to_forget(store, settings, " ".join(number))
        if not calls.count:
            typer.echo(f"No calls of {calls.e164} are stored; nothing to forget.")
            return
        span = local_time(calls.first_at, settings.timezone)
        if calls.last_at and calls.last_at != calls.first_at:
            span += f" to {local_time(calls.last_at, settings.timezone)}"
        what = f"{calls.count} call{'s' if calls.count != 1 else ''} of {calls.e164}" + (f" ({span})" if span else "")
        if not confirm_first(f"Remove {what}?", yes):
            typer.echo("Nothing was removed.")
            return
        gone = undo.forget_calls(store, calls)
    typer.echo(f"Removed {gone} call{'s' if gone != 1 else ''} of {calls.e164}" + (f" ({span})." if span else "."))


@app.command()
def unreport(
    report_id: Annotated[int, typer.Argument(min=1, help="The report's id, as 'whocalled reports' shows it (#3: 3).")],
    yes: YesOpt = False,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Remove one of your own spam reports, e.g. one made by mistake (asks first unless --yes).

    Example: whocalled unreport 3 --yes
    """
    from lookup import undo
    from lookup.cli.render import render_report

    with opened(db, config) as (settings, store), expect_rules():
        found = undo.report_to_remove(store, report_id)
        line = render_report(found, settings.timezone)
        if found.submitted_to:
            line += f" (it was sent to {found.submitted_to}: remove it there too)"
        if not confirm_first(f"Remove report {line}?", yes):
            typer.echo("Nothing was removed.")
            return
        undo.remove_report(store, found)
    typer.echo(f"Removed report {line}.")
