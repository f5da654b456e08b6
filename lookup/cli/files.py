"""Commands that move lists in and out: export and import."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer

from lookup.cli.common import (
    ConfigOpt,
    DbOpt,
    RegionOpt,
    app,
    fail,
    opened,
    parse_when,
    warn,
)
from lookup.models import ListKind


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
    since_at = parse_when(since, "--since") if since else None
    with opened(db, config, region, readonly=True) as (settings, store):
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
                                 own_numbers=settings.own_e164)
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


