"""Commands about your own lists and reports: block, allow, unlist, lists, report, reports."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Iterator, Optional

import typer

from lookup.cli.common import (
    ConfigOpt,
    DbOpt,
    ForceOpt,
    JsonOpt,
    RegionOpt,
    app,
    fail,
    open_output,
    opened,
    parse_when,
    run_async,
    warn,
)
from lookup.models import Category, ListKind


# ---------------------------------------------------------------- lists


@contextmanager
def list_rules() -> Iterator[None]:
    """The list rules' refusals as one line and exit code 2; protection says how to override."""
    from lookup.lists import ListError, Protected

    try:
        yield
    except Protected as exc:
        fail(f"{exc}; add --force if you mean it")
    except ListError as exc:
        fail(str(exc))


@app.command()
def block(
    pattern: Annotated[Optional[str], typer.Argument(help="A number, or a prefix ending in * such as +1202555*.", show_default=False)] = None,
    name: Annotated[Optional[str], typer.Option("--name", help='Block a caller name instead: a pattern such as "*WARRANTY*" (any case).')] = None,
    reason: Annotated[Optional[str], typer.Option("--reason", help="Why (shown in lists and exports).")] = None,
    force: ForceOpt = False,
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Put a number, a prefix range or a caller-name pattern on your block list.

    Example: whocalled block +1202555* --reason "neighbour spoofing"
    """
    from lookup import lists

    if (pattern is None) == (name is None):
        fail("give a number or prefix to block, or --name PATTERN (not both)")
    with opened(db, config, region) as (settings, store), list_rules():
        if name is not None:
            named, _ = lists.block_name(store, name, reason, force=force)
            typer.echo(f"Blocked the caller name {named.pattern}" + (f" ({named.reason})" if named.reason else "") + ".")
            return
        done = lists.block(store, settings, pattern or "", reason, force=force)
    entry = done.entry
    typer.echo(f"Blocked {entry.pattern}" + (f" ({entry.reason})" if entry.reason else "") + ".")
    if done.allowed_inside:
        typer.echo(f"Note: {len(done.allowed_inside)} allowlisted number(s) in that range stay allowed.")


@app.command()
def allow(
    pattern: Annotated[str, typer.Argument(help="A number (or prefix ending in *) you always want to get through.")],
    reason: Annotated[Optional[str], typer.Option("--reason", help="Why (e.g. 'pharmacy').")] = None,
    share: Annotated[bool, typer.Option("--share", help="Also tell your community server the number is legitimate (asks first).")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With --share: share without asking for confirmation.")] = False,
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Put a number on your allowlist: it is never flagged or blocked.

    Nothing leaves this machine unless you add --share, and then only after you confirm.

    Example: whocalled allow 202-555-0143 --reason pharmacy
    """
    from lookup import lists

    if share and pattern.strip().endswith("*"):
        fail("--share takes one number, not a range: the community votes on numbers")
    with opened(db, config, region) as (settings, store), list_rules():
        if share:
            from lookup.cli.community import community_source

            community_source(settings, "--share")
        done = lists.allow(store, settings, pattern, reason)
    was = " (it was blocked; now allowed)" if done.was is ListKind.BLOCK else ""
    typer.echo(f"Allowed {done.entry.pattern}{was}.")
    if share:
        from lookup.cli.community import share_vote

        if (share_vote(settings, done.entry.pattern, "legit", None, None, yes=yes) or "").startswith("failed"):
            raise typer.Exit(1)


@app.command()
def unlist(
    pattern: Annotated[Optional[str], typer.Argument(help="The number or prefix to take off your block or allow list.", show_default=False)] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Take a blocked caller-name pattern off instead.")] = None,
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Take a number, prefix or caller-name pattern off your lists.

    Example: whocalled unlist +1202555*
    """
    from lookup import lists

    if (pattern is None) == (name is None):
        fail("give the number or prefix to take off your lists, or --name PATTERN (not both)")
    with opened(db, config, region) as (settings, store), list_rules():
        key, removed = lists.unlist_name(store, name) if name is not None else lists.unlist(store, settings, pattern or "")
    what = "caller name " if name is not None else ""
    if removed is None:
        warn(f"the {what}{key} was not on your lists" if name is not None else f"{key} was not on your block or allow list")
        return
    typer.echo(f"Removed {what}{key} from your " + ("block" if name is not None else removed.kind.value) + " list.")


@app.command("lists")
def show_lists(
    kind: Annotated[Optional[ListKind], typer.Option("--kind", help="Only block or only allow entries.")] = None,
    json_out: JsonOpt = False,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Show your block and allow lists.

    Example: whocalled lists --kind block --json
    """
    with opened(db, config, readonly=True) as (settings, store):
        entries = store.list_entries(kind)
        names = store.list_name_blocks() if kind in (None, ListKind.BLOCK) else []
    if json_out:
        for e in entries:
            typer.echo(json.dumps({"pattern": e.pattern, "kind": e.kind.value, "reason": e.reason, "added_at": e.added_at, "origin": e.origin}))
        for n in names:
            typer.echo(json.dumps({"pattern": n.pattern, "kind": "block", "match": "name", "reason": n.reason,
                                   "added_at": n.added_at, "origin": n.origin}))
        return
    if not entries and not names:
        typer.echo("Your block and allow lists are empty.")
        return
    from lookup.cli.render import render_list_entry, render_name_block

    for e in entries:
        typer.echo(render_list_entry(e))
    for n in names:
        typer.echo(render_name_block(n))


# ---------------------------------------------------------------- reports


class SubmitChoice(StrEnum):
    phoneblock = "phoneblock"
    community = "community"  # the community server in [sources.community]


@app.command()
def report(
    number: Annotated[list[str], typer.Argument(help="The number that called you (spaces allowed: 030 1234567).")],
    category: Annotated[Category, typer.Option("--category", "-c", help="What kind of call it was.")],
    note: Annotated[Optional[str], typer.Option("--note", help="What happened, in your words.")] = None,
    at: Annotated[Optional[str], typer.Option("--at", help="When the call came (default: now), e.g. '2026-11-20 14:05'.")] = None,
    submit: Annotated[Optional[SubmitChoice], typer.Option("--submit", help="Also send this one report to PhoneBlock or your community server (asks first).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Send without asking for confirmation.")] = False,
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Record your own spam report about a number (kept locally; ready to file with the FTC).

    Nothing is sent anywhere unless you ask with --submit, and then only after you confirm.

    Example: whocalled report 202-555-0143 --category robocall --note "car warranty"
    """
    from lookup import lists

    when = parse_when(at) if at else None
    with opened(db, config, region) as (settings, store):
        target = None
        if submit is SubmitChoice.community:
            from lookup.cli.community import community_source

            community_source(settings, "--submit community")
        elif submit is not None:
            from scrapers.phoneblock_net import PhoneblockNet

            target = PhoneblockNet(settings.source(PhoneblockNet.name))
            if not target.has_credentials:
                fail(f"--submit phoneblock needs your PhoneBlock token: {PhoneblockNet.enable_hint}")
        with list_rules():
            saved = lists.report(store, settings, " ".join(number), category, note, when)
        typer.echo(f"Report #{saved.id} recorded: {saved.e164} as {category.value}.")
        if submit is SubmitChoice.community:
            from lookup.cli.community import share_vote

            outcome = share_vote(settings, saved.e164, "spam", category.value, note, yes=yes)
            if outcome:
                store.record_submission(saved.id or 0, "community", outcome)
            if (outcome or "").startswith("failed"):
                raise typer.Exit(1)
            return
        if target is None:
            return
        question = f"Send this report ({saved.e164}, {category.value}{', with your note' if note else ''}) to PhoneBlock?"
        if not yes and not typer.confirm(question, default=False):
            typer.echo("Not sent; the report stays on this machine.")
            return
        from lookup.numbers import normalize_number
        from scrapers.phoneblock_net import submit_report

        n = normalize_number(saved.e164, settings.region, details=False)
        accepted, what = run_async(submit_report(target, n, category.value, note, settings))
        store.record_submission(saved.id or 0, "phoneblock", f"{'accepted' if accepted else 'failed'}: {what}")
    if not accepted:
        fail(f"PhoneBlock did not take the report: {what}", code=1)
    typer.echo(f"Sent to PhoneBlock: {what}")


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    ftc = "ftc"
    csv = "csv"


@app.command()
def reports(
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="text, json, ftc (what the FTC complaint form asks, ready to paste) or csv (the FTC complaint-data layout).")] = ReportFormat.text,
    json_out: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of standard output.")] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """List the spam reports you recorded, or print them ready to file with the FTC.

    Example: whocalled reports --format ftc
    """
    if json_out:
        fmt = ReportFormat.json
    with opened(db, config, readonly=True) as (settings, store):
        items = store.list_reports()
        numbers = store.get_numbers([r.e164 for r in items]) if fmt is ReportFormat.ftc else {}
    out = open_output(output) if output else sys.stdout
    try:
        if fmt is ReportFormat.json:
            for r in items:
                out.write(json.dumps({"id": r.id, "e164": r.e164, "category": r.category.value, "note": r.note, "at": r.at, "created_at": r.created_at, "submitted_to": r.submitted_to, "submission": r.submission}) + "\n")
        elif fmt is ReportFormat.ftc:
            from lookup.blocklists import format_ftc_report

            if not items:
                warn("no reports yet; record one with: whocalled report NUMBER --category robocall")
            out.write("\n\n".join(format_ftc_report(items, numbers)) + ("\n" if items else ""))
        elif fmt is ReportFormat.csv:
            from lookup.blocklists import write_ftc_csv

            write_ftc_csv(items, out)
        elif not items:
            out.write("No reports yet. Record one with: whocalled report NUMBER --category robocall\n")
        else:
            from lookup.cli.render import render_report

            for r in items:
                out.write(render_report(r, settings.timezone) + "\n")
    finally:
        if output:
            out.close()
