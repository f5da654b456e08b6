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
sync_app = typer.Typer(help="Download or import public complaint data (FTC, FCC) for offline lookups.", no_args_is_help=True)
app.add_typer(sync_app, name="sync")

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
    if failed:
        listed = ", ".join(f"{name} ({status.replace('_', ' ')})" for name, status in sorted(failed))
        warn(f"no answer from {len({n for n, _ in failed})} source(s): {listed}")
    if bad:
        raise typer.Exit(2)


# ---------------------------------------------------------------- lists


def _own_numbers(settings: "Settings") -> list[str]:
    from lookup.numbers import normalize_own_numbers

    return normalize_own_numbers(settings.own_numbers, settings.region)


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


class SubmitChoice(StrEnum):
    phoneblock = "phoneblock"


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
    submit: Annotated[Optional[SubmitChoice], typer.Option("--submit", help="Also send this one report to a community list (asks first).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Send without asking for confirmation.")] = False,
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Record your own spam report about a number (kept locally; ready to file with the FTC).

    Nothing is sent anywhere unless you ask with --submit, and then only after you confirm.

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
        target = None
        if submit is not None:
            from scrapers.phoneblock_net import PhoneblockNet

            target = PhoneblockNet(settings.source(PhoneblockNet.name))
            if not target.has_credentials:
                fail(f"--submit phoneblock needs your PhoneBlock token: {PhoneblockNet.enable_hint}")
        rid = store.add_report(Report(e164=n.e164, category=Category(category.value), note=note, at=when))
        typer.echo(f"Report #{rid} recorded: {n.e164} as {category.value}.")
        if target is None:
            return
        question = f"Send this report ({n.e164}, {category.value}{', with your note' if note else ''}) to PhoneBlock?"
        if not yes and not typer.confirm(question, default=False):
            typer.echo("Not sent; the report stays on this machine.")
            return
        import asyncio

        accepted, what = asyncio.run(_submit_phoneblock(target, n, category.value, note, settings))
        store.record_submission(rid, "phoneblock", f"{'accepted' if accepted else 'failed'}: {what}")
    if not accepted:
        fail(f"PhoneBlock did not take the report: {what}", code=1)
    typer.echo(f"Sent to PhoneBlock: {what}")


async def _submit_phoneblock(source, number, category: str, note: str | None, settings) -> tuple[bool, str]:
    import asyncio

    from scrapers.base import FetchError
    from scrapers.http import Fetcher, FetchSettings

    async with Fetcher(FetchSettings.from_settings(settings, [source])) as fetcher:
        try:
            page = await fetcher.fetch(source.report_request(number, category, note), deadline=asyncio.get_running_loop().time() + 15)
        except FetchError as exc:
            return False, f"{exc.status.value}: {exc.reason}"
    return source.parse_report_response(page)


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
    with opened(db, config) as (settings, store):
        items = store.list_reports()
        numbers = store.get_numbers([r.e164 for r in items]) if fmt is ReportFormat.ftc else {}
    out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
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
            for r in items:
                out.write(f"#{r.id}  {r.e164:16}  {r.category.value:14}  {(r.at or r.created_at)[:16]}  {r.note or ''}".rstrip() + "\n")
    finally:
        if output:
            out.close()


# ---------------------------------------------------------------- export and import


class ExportChoice(StrEnum):
    txt = "txt"
    csv = "csv"
    json = "json"
    vcard = "vcard"
    vcard4 = "vcard4"
    fritzbox = "fritzbox"
    ncid = "ncid"
    freepbx = "freepbx"
    astdb = "astdb"
    yacb = "yacb"
    spamblocker = "spamblocker"
    callblocker = "callblocker"
    callkit = "callkit"


@app.command()
def export(
    fmt: Annotated[ExportChoice, typer.Option("--format", "-f", help="The file format your phone, app or PBX imports.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file (default: standard output).")] = None,
    include: Annotated[str, typer.Option("--include", help="Comma-separated: blocked, reported, likely_spam, datasets.")] = "blocked",
    min_complaints: Annotated[int, typer.Option("--min-complaints", min=1, help="With datasets: numbers with at least this many public complaints.")] = 3,
    days: Annotated[int, typer.Option("--days", min=1, help="With datasets: complaints from the last this many days.")] = 30,
    national: Annotated[bool, typer.Option("--national", help="Write numbers of your home country in national form.")] = False,
    since: Annotated[Optional[str], typer.Option("--since", help="Only entries added on or after this date (YYYY-MM-DD).")] = None,
    chunk_size: Annotated[Optional[int], typer.Option("--chunk-size", min=1, help="vCard numbers per contact (200) or FRITZ!Box entries per file (2000).")] = None,
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Export your block list (and more) for a phone, an app or a PBX.

    Example: whocalled export --format fritzbox -o blocklist.xml --include blocked,reported
    """
    from lookup.blocklists import BlocklistError, export_rows
    from lookup.export import Include, gather_rows

    try:
        kinds = [Include(part.strip()) for part in include.split(",") if part.strip()]
    except ValueError:
        fail(f"--include takes blocked, reported, likely_spam, datasets; not {include!r}")
    since_at = parse_when(since) if since else None
    with opened(db, config, region) as (settings, store):
        sources = []
        if Include.LIKELY_SPAM in kinds:
            from scrapers.registry import load_sources

            sources = load_sources(settings)
        rows = gather_rows(store, settings, kinds, since=since_at, min_complaints=min_complaints, days=days, sources=sources)
        try:
            stats = export_rows(rows, fmt.value, output or sys.stdout, national_region=settings.region if national else None, chunk_size=chunk_size)
        except BlocklistError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror}")
    where = ", ".join(str(f) for f in stats.files) if stats.files else (str(output) if output else "standard output")
    warn(f"exported {stats.written} entr{'y' if stats.written == 1 else 'ies'} as {fmt.value} to {where}")
    if stats.skipped_prefixes:
        warn(f"skipped {stats.skipped_prefixes} prefix range(s): the {fmt.value} format cannot express them")
    if stats.skipped:
        warn(f"skipped {stats.skipped} entr{'y' if stats.skipped == 1 else 'ies'} that are not plain numbers or repeat another")


class ImportAs(StrEnum):
    block = "block"
    allow = "allow"


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A blocklist (txt, csv, json, vcard, fritzbox, ncid, freepbx, callblocker, ...) or contacts (.vcf, Google Contacts CSV).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="auto (detect), or one of the export formats, contacts_vcard, google_contacts_csv.")] = "auto",
    as_: Annotated[Optional[ImportAs], typer.Option("--as", help="Put the numbers on the block or the allow list (default: allow for contacts, else block).")] = None,
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Import a blocklist, a friend's list, or your contacts as an allowlist.

    Example: whocalled import contacts.vcf
    """
    from lookup.blocklists import BlocklistError
    from lookup.export import import_list

    with opened(db, config, region) as (settings, store):
        try:
            result = import_list(store, file, fmt=fmt, kind=ListKind(as_.value) if as_ else None, region=settings.region,
                                 own_numbers=_own_numbers(settings))
        except BlocklistError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"cannot read {file}: {exc.strerror}")
    typer.echo(f"Imported {result.added} new {result.kind.value}-list entr{'y' if result.added == 1 else 'ies'} from {file.name} ({result.fmt}); {result.already} already listed.")
    if result.protected:
        warn(f"not blocked: {len(result.protected)} number(s) that are yours or on your allowlist ({', '.join(result.protected[:3])})")
    if result.stats.skipped:
        more = "; ..." if result.stats.skipped > len(result.stats.problems[:5]) else ""
        warn(f"skipped {result.stats.skipped} line(s) that could not be read ({'; '.join(result.stats.problems[:5])}{more})")


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


# ---------------------------------------------------------------- triage


class LogFormatChoice(StrEnum):
    android_xml = "android_xml"
    gvoice_takeout = "gvoice_takeout"
    ios_callhistory = "ios_callhistory"
    fritzbox_csv = "fritzbox_csv"
    asterisk_csv = "asterisk_csv"
    generic_csv = "generic_csv"
    plain_text = "plain_text"


@app.command("triage")
def triage_command(
    paths: Annotated[list[Path], typer.Argument(help="Call-log files or folders (Android XML, Google Voice Takeout, iPhone CallHistory.storedata, FRITZ!Box CSV, Asterisk Master.csv, CSV, text).")],
    since: Annotated[Optional[str], typer.Option("--since", help="Only calls on or after this date (YYYY-MM-DD).")] = None,
    include_all: Annotated[bool, typer.Option("--all", help="Show every incoming call's number, not only silent missed calls.")] = False,
    offline: Annotated[bool, typer.Option("--offline", help="Never touch the network; use what is stored.")] = False,
    json_out: JsonOpt = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print CSV (one row per number).")] = False,
    block_spam: Annotated[bool, typer.Option("--block-spam", help="Add the likely-spam numbers to your block list.")] = False,
    deadline: Annotated[Optional[float], typer.Option("--deadline", min=0.1, help="Seconds each online batch may take (default 4).")] = None,
    log_format: Annotated[Optional[LogFormatChoice], typer.Option("--format", help="Force the log format instead of detecting it.")] = None,
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Find the silent missed calls in your call logs and decide on each caller.

    Example: whocalled triage calls-2026-11-20.xml --since 2026-11-01 --block-spam
    """
    import asyncio

    from lookup.calllogs import CallLogError
    from lookup.triage import triage as run_triage

    since_at = datetime.fromisoformat(parse_when(since)) if since else None
    with opened(db, config, region) as (settings, store):
        engine = make_engine(settings, store)
        progress_cb, finish = _progress("Looking up", quiet=json_out or csv_out or offline)
        try:
            report_ = asyncio.run(
                run_triage(engine, paths, fmt=log_format.value if log_format else None, since=since_at,
                           include_all=include_all, offline=offline, deadline=deadline, progress=progress_cb)
            )
        except CallLogError as exc:
            finish()
            fail(str(exc))
        finish()
        if block_spam:
            from lookup.models import Level

            day = datetime.now().strftime("%Y-%m-%d")
            spam = [r.result.number.e164 for r in report_.rows if r.result.verdict and r.result.verdict.level is Level.LIKELY_SPAM and r.result.number and r.result.number.e164]
            report_.blocked_now = store.add_list_entries(
                [ListEntry(e, ListKind.BLOCK, reason=f"triage {day}", origin="triage") for e in spam]
            )
    for log in report_.logs:
        if log.stats.skipped:
            warn(f"{log.path.name}: {log.stats.summary()}")
    from lookup.output_triage import print_triage

    print_triage(report_, settings, json_out=json_out, csv_out=csv_out)
    if block_spam:
        typer.echo(f"Blocked {report_.blocked_now} likely-spam number(s).", err=json_out or csv_out)


def _progress(label: str, *, quiet: bool):
    """A rich progress bar on stderr (only on a terminal); returns (callback, finish)."""
    if quiet or not sys.stderr.isatty():
        return None, lambda: None
    from rich.progress import Progress

    bar = Progress(transient=True, console=__import__("rich.console").console.Console(stderr=True))
    task = bar.add_task(label, total=None)
    bar.start()

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return update, bar.stop


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
    from scrapers.registry import load_sources

    with opened(db, config) as (settings, store):
        sources = load_sources(settings)
        checks: dict[str, str] = {}
        if check:
            import asyncio

            from lookup.canaries import run_canaries

            checks = asyncio.run(run_canaries(store, settings, [s for s in sources if s.enabled], deadline=deadline))
        health = store.source_health()
        synced = {}
        for s in sources:
            dataset = getattr(sys.modules.get(type(s).__module__), "DATASET", None)
            state = store.get_sync_state(dataset) if dataset else None
            if state is not None:
                synced[s.name] = f"{state.updated_at} ({state.rows or 0:,} rows)"
    rows = []
    for s in sources:
        h = health.get(s.name, {})
        rows.append({
            "synced": synced.get(s.name),
            "name": s.name,
            "title": s.title,
            "kind": s.kind.value,
            "countries": sorted(s.regions) or ["all"],
            "enabled": s.enabled,
            "how_to_enable": None if s.enabled else (s.enable_hint or f"set enabled = true under [sources.{s.name}]"),
            "last_success_at": h.get("last_success_at"),
            "last_failure_at": h.get("last_failure_at"),
            "last_failure": f"{h['last_failure_status']}: {h['last_failure']}" if h.get("last_failure_status") else None,
            **({"check": checks.get(s.name, "not checked")} if check else {}),
        })
    if json_out:
        for row in rows:
            typer.echo(json.dumps(row))
        return
    if not rows:
        typer.echo("No sources are registered.")
        return
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
        if row["synced"]:
            typer.echo(f"    last sync: {row['synced']}")
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
    token: Annotated[Optional[str], typer.Option("--token", help="Require 'Authorization: Bearer TOKEN' (or ?token=) on every request; default from the config or WHOCALLED_SERVER_TOKEN.")] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Serve the JSON API for PBXs (lookup, screen, CNAM, blocklists) and a web page for the household.

    Example: whocalled serve --host 0.0.0.0 --token "$(openssl rand -hex 16)"
    """
    from db.store import StoreError
    from lookup.server import run_server
    from lookup.settings import ConfigError, load_settings

    try:
        settings = load_settings(config, db_path=db)
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


# ---------------------------------------------------------------- sync


def _run_sync(kind: str, settings, store, **kwargs) -> None:
    import asyncio

    from lookup import sync as sync_mod

    callback, finish = _sync_progress(f"Syncing {kind.upper()}")
    try:
        if kind == "ftc":
            result = asyncio.run(sync_mod.sync_ftc(store, settings, progress=callback, **kwargs))
        else:
            result = asyncio.run(sync_mod.sync_fcc(store, settings, progress=callback, **kwargs))
    except ValueError as exc:
        finish()
        fail(str(exc))
    finish()
    typer.echo(result.summary())
    for name, why in result.skipped_files:
        warn(f"skipped {name}: {why}")
    for where, why in result.failures:
        warn(f"{where}: {why}")
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
