"""Blocklist files out and in: one module per format, one registry row per format.

Export: :func:`export_rows` streams :class:`ExportRow` values into a file in one of the
:class:`ExportFormat` formats and never holds all rows in memory. A row's ``pattern`` is
an E.164 number (``"+12025550123"``) or a prefix in our own form (``"+1202555*"``).
Each format writes prefixes in its own pattern syntax where it has one and otherwise
skips them, counting them in :attr:`ExportStats.skipped_prefixes`; anything that is not
a number (withheld callers, junk) is skipped and counted in :attr:`ExportStats.skipped`.

Import: :func:`detect_import_format` guesses a file's format and :func:`read_entries`
yields :class:`ImportedEntry` values with numbers normalised to E.164, prefixes in our
``"+CC...*"`` form and names and descriptions cleaned with :func:`lookup.text.clean_text`.
Every reader streams: memory does not grow with the file. A line that cannot be read is
skipped and counted in a :class:`lookup.models.ReadTally` with a one-line reason.
``contacts_vcard`` and ``google_contacts_csv`` are address books: their entries belong on
the allow list.

:data:`FORMATS` is the one table of formats (module, reader, writer, media type, file
extension); the CLI, the server and the tests take the formats from it. Format modules
are imported only when used, so that ``import lookup.blocklists`` is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from enum import StrEnum
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Iterable, Iterator, Mapping, NamedTuple, TextIO

if TYPE_CHECKING:
    from lookup.models import Number, ReadTally, Report


class BlocklistError(ValueError):
    """A blocklist file cannot be written or read; the message is one line."""


@dataclass(frozen=True, slots=True)
class FormatSpec:
    """One blocklist format: where its code is, what it can do, how the server serves it.

    ``writer`` and ``reader`` are function names in ``lookup.blocklists.<module>`` (``None``
    when the format is only written or only read); ``media_type`` and ``extension`` are what
    a subscription is answered with; ``contacts`` marks address books, whose numbers go on
    the allow list; ``fields`` names the :class:`ExportRow` fields besides the pattern that
    the writer reads, so an export may leave the others out (a test holds each to its writer).
    """

    name: str
    module: str
    writer: str | None
    reader: str | None
    media_type: str
    extension: str
    contacts: bool = False
    fields: tuple[str, ...] = ("description", "name", "verdict", "score", "added_at")


_JSON = "application/json"

FORMATS: dict[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        FormatSpec("txt", "txt", "write", "read", "text/plain", "txt", fields=()),
        FormatSpec("csv", "csv_format", "write", "read", "text/csv", "csv"),
        FormatSpec("json", "json_format", "write", "read", _JSON, "json"),
        FormatSpec("vcard", "vcard", "write_v3", "read", "text/vcard", "vcf", fields=()),
        FormatSpec("vcard4", "vcard", "write_v4", "read", "text/vcard", "vcf", fields=()),
        FormatSpec("fritzbox", "fritzbox", "write", "read", "application/xml", "xml", fields=("description", "name")),
        FormatSpec("ncid", "ncid", "write", "read", "text/plain", "blacklist", fields=("description", "name")),
        FormatSpec("freepbx", "freepbx", "write", "read", "text/csv", "csv", fields=("description", "name")),
        FormatSpec("astdb", "astdb", "write", "read", "text/plain", "txt", fields=("description", "name")),
        FormatSpec("yacb", "yacb", "write", "read", "text/csv", "csv", fields=("description", "name", "added_at")),
        FormatSpec("spamblocker", "spamblocker", "write", "read", "text/csv", "csv", fields=("description", "name")),
        FormatSpec("callblocker", "callblocker", "write", "read", _JSON, "json", fields=("description", "name", "added_at")),
        FormatSpec("callkit", "callkit", "write", None, "text/plain", "txt", fields=()),
        FormatSpec("contacts_vcard", "contacts", None, "read_vcard", "text/vcard", "vcf", contacts=True),
        FormatSpec("google_contacts_csv", "contacts", None, "read_google_csv", "text/csv", "csv", contacts=True),
    )
}
"""Every blocklist and contacts format, once."""

ExportFormat = StrEnum("ExportFormat", {name.upper(): name for name, spec in FORMATS.items() if spec.writer},
                       module=__name__)
ExportFormat.__doc__ = "What ``export --format`` takes: every row of :data:`FORMATS` with a writer."
ImportFormat = StrEnum("ImportFormat", {"AUTO": "auto", **{name.upper(): name for name, spec in FORMATS.items() if spec.reader}},
                       module=__name__)
ImportFormat.__doc__ = "What ``import --format`` takes: ``auto`` (detect), then every row of :data:`FORMATS` with a reader."

CONTACT_FORMATS: frozenset[str] = frozenset(spec.name for spec in FORMATS.values() if spec.contacts)
"""Import formats that are address books: their numbers go on the allow list."""


class ExportRow(NamedTuple):
    """One entry to export. ``pattern`` is ``"+12025550123"`` or a prefix ``"+1202555*"``.
    A named tuple: exports build a million of them, and a tuple is made in a third of the time
    a frozen dataclass takes."""

    pattern: str
    description: str | None = None
    verdict: str | None = None
    score: int | None = None
    added_at: str | None = None  # ISO-8601 UTC
    name: str | None = None


@dataclass
class ExportStats:
    """What an export wrote. ``files`` lists every file written when the output is a path."""

    written: int = 0
    skipped_prefixes: int = 0  # prefixes the format has no syntax for
    skipped: int = 0  # rows that are not numbers (withheld, junk) or repeat one already written
    files: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class ImportedEntry:
    """A number (E.164) or prefix (``"+CC...*"``) read from a file, with what the file said about it."""

    pattern: str
    name: str | None = None
    description: str | None = None


def _load(module: str, name: str):
    return getattr(import_module(f"{__name__}.{module}"), name)


# ---------------------------------------------------------------- public API


def export_rows(
    rows: Iterable[ExportRow],
    fmt: ExportFormat | str,
    out: Path | TextIO | BinaryIO,
    *,
    national_region: str | None = None,
    chunk_size: int | None = None,
) -> ExportStats:
    """Write ``rows`` to ``out`` in ``fmt``, streamed; return what was written and skipped.

    ``national_region`` ("US", "DE", ...) writes numbers of that region's country code in
    national form (``2025550123``, ``030123456``) for PBXs and phones that see caller IDs
    that way; CallKit and callblocker always need international numbers and ignore it.
    ``chunk_size`` is the vCard TEL lines per contact (default 200) or the FRITZ!Box
    entries per phonebook file (default 2000); when ``out`` is a path, FRITZ!Box parts go
    to ``out``, ``out-2``, ``out-3``... and all are listed in ``ExportStats.files``.
    CallKit needs ``rows`` ordered by pattern (``ORDER BY pattern``) and raises
    :class:`BlocklistError` otherwise.
    """
    from lookup.blocklists.common import ExportOptions, make_localizer, open_target

    try:
        fmt = ExportFormat(fmt)
    except ValueError:
        raise BlocklistError(f"unknown export format {fmt!r}; choose one of: {', '.join(ExportFormat)}") from None
    if chunk_size is not None and chunk_size < 1:
        raise BlocklistError(f"chunk size must be at least 1, not {chunk_size}")
    spec = FORMATS[fmt.value]
    writer = _load(spec.module, spec.writer)
    localize = make_localizer(national_region) if national_region else None
    stats = ExportStats()
    with open_target(out, stats) as target:
        options = ExportOptions(localize=localize, chunk_size=chunk_size, target=target)
        writer(rows, target.stream, options, stats)
    return stats


def detect_import_format(path: Path) -> ImportFormat:
    """Guess ``path``'s format from its first bytes."""
    from lookup.blocklists.detect import sniff_format

    return ImportFormat(sniff_format(Path(path)))


IMPORT_TEXT = 200  # names and descriptions read from a file are cut to this many characters


def read_entries(
    path: Path,
    fmt: ImportFormat | str = ImportFormat.AUTO,
    *,
    region: str = "US",
    tally: ReadTally | None = None,
) -> Iterator[ImportedEntry]:
    """Yield the numbers and prefixes in ``path``; national numbers are taken in ``region``.

    Lines that cannot be read are skipped and counted in ``tally``. Names and descriptions
    come out cleaned (:func:`lookup.text.clean_text`): a friend's list cannot bring terminal
    escapes or line breaks into the store. Raises :class:`BlocklistError` when the file
    cannot be read at all: at once for a missing file or an unknown format, while iterating
    for an XML entity bomb or broken JSON.
    """
    from lookup.blocklists.common import ImportContext
    from lookup.models import ReadTally

    path = Path(path)
    try:
        fmt = ImportFormat(fmt)
    except ValueError:
        raise BlocklistError(f"cannot import format {fmt!r}; choose one of: {', '.join(ImportFormat)}") from None
    if fmt is ImportFormat.AUTO:
        fmt = detect_import_format(path)
    if not path.is_file():
        raise BlocklistError(f"no such file: {path}")
    spec = FORMATS[fmt.value]
    reader = _load(spec.module, spec.reader)
    context = ImportContext(region=region, tally=tally if tally is not None else ReadTally())
    return _clean_entries(reader(path, context), context.tally)


def _clean_entries(entries: Iterator[ImportedEntry], tally: ReadTally) -> Iterator[ImportedEntry]:
    """Count each entry and clean its text: the one place every reader's entries pass through."""
    from lookup.text import clean_text

    for entry in entries:
        tally.read += 1
        if entry.name is None and entry.description is None:
            yield entry
        else:
            yield ImportedEntry(
                entry.pattern, clean_text(entry.name, IMPORT_TEXT) or None, clean_text(entry.description, IMPORT_TEXT) or None
            )


def format_ftc_report(
    reports: Iterable[Report], numbers: Mapping[str, Number] | None = None, *, tz: tzinfo | None = None
) -> Iterator[str]:
    """Text blocks with what the FTC complaint form asks for (see ``ftc_report``)."""
    return _load("ftc_report", "format_ftc_report")(reports, numbers, tz=tz)


def write_ftc_csv(reports: Iterable[Report], out: TextIO, **consumer: str | None) -> int:
    """The user's reports in the FTC daily complaint CSV layout (see ``ftc_report``)."""
    return _load("ftc_report", "write_ftc_csv")(reports, out, **consumer)
