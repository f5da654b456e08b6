"""Commands that move lists in and out: export and import."""

from __future__ import annotations

import sys
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
from lookup.blocklists import ExportFormat, ImportFormat
from lookup.models import ListKind


# ---------------------------------------------------------------- export and import


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="The file format your phone, app or PBX imports.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file (default: standard output).")] = None,
    include: Annotated[str, typer.Option("--include", help="Comma-separated: blocked, reported, likely_spam, datasets, community (your community server's list).")] = "blocked",
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

    Numbers on your allowlist are never exported; a blocked range with allowed numbers
    inside is written as the parts of it that stay blocked.

    Example: whocalled export --format fritzbox -o blocklist.xml --include blocked,reported
    """
    from lookup.blocklists import FORMATS, BlocklistError, export_rows
    from lookup.export import AllowlistEffect, Include, gather_rows

    try:
        kinds = [Include(part.strip()) for part in include.split(",") if part.strip()]
    except ValueError:
        fail(f"--include takes blocked, reported, likely_spam, datasets, community; not {include!r}")
    since_at = parse_when(since, "--since") if since else None
    effect = AllowlistEffect()
    with opened(db, config, region, readonly=True, check=False) as (settings, store):
        sources = []
        if Include.LIKELY_SPAM in kinds:
            from scrapers.registry import load_sources

            sources = load_sources(settings)
        community: list[str] = []
        if Include.COMMUNITY in kinds:
            from lookup.cli.community import community_numbers

            community = community_numbers(settings, store)
        rows = gather_rows(
            store, settings, kinds, since=since_at, min_complaints=min_complaints, days=days, sources=sources, effect=effect,
            community=community, fields=FORMATS[fmt.value].fields,
        )
        try:
            stats = export_rows(rows, fmt, output or sys.stdout, national_region=settings.region if national else None, chunk_size=chunk_size)
        except BlocklistError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror}")
    where = ", ".join(str(f) for f in stats.files) if stats.files else (str(output) if output else "standard output")
    warn(f"exported {plural(stats.written, 'entry', 'entries')} as {fmt.value} to {where}")
    if effect.left_out:
        warn(f"left out {plural(effect.left_out, 'entry', 'entries')} that your allowlist covers")
    if effect.ranges_split:
        ranges = plural(effect.ranges_split, "blocked range", "blocked ranges")
        warn(f"wrote {ranges} without the allowlisted numbers inside, as the numbers and sub-ranges that stay blocked")
    if stats.skipped_prefixes:
        warn(f"skipped {plural(stats.skipped_prefixes, 'prefix range', 'prefix ranges')}: the {fmt.value} format cannot express them")
    if stats.skipped:
        warn(f"skipped {plural(stats.skipped, 'entry', 'entries')} that are not plain numbers or repeat another")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A blocklist (txt, csv, json, vcard, fritzbox, ncid, freepbx, callblocker, ...) or contacts (.vcf, Google Contacts CSV).")],
    fmt: Annotated[ImportFormat, typer.Option("--format", "-f", help="auto (detect), or one of the export formats, contacts_vcard, google_contacts_csv.")] = ImportFormat.AUTO,
    as_: Annotated[Optional[ListKind], typer.Option("--as", help="Put the numbers on the block or the allow list (default: allow for contacts, else block).")] = None,
    region: RegionOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Import a blocklist, a friend's list, or your contacts as an allowlist.

    A file that gives no number at all (the wrong --format, or not a list) is refused and
    nothing is stored.

    Example: whocalled import contacts.vcf
    """
    from lookup.blocklists import BlocklistError
    from lookup.export import import_list

    with opened(db, config, region) as (settings, store):
        try:
            result = import_list(store, file, fmt=fmt, kind=as_, region=settings.region, own_numbers=settings.own_e164)
        except BlocklistError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"cannot read {file}: {exc.strerror}")
    added = plural(result.added, f"new {result.kind.value}-list entry", f"new {result.kind.value}-list entries")
    typer.echo(f"Imported {added} from {file.name} ({result.fmt.value}); {result.already} already listed.")
    if result.protected:
        warn(f"not blocked: {len(result.protected)} number(s) that are yours or on your allowlist ({', '.join(result.protected[:3])})")
    if result.tally.skipped:
        warn(result.tally.summary())
