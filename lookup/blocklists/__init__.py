"""Blocklist files out and in: one module per format, this package ties them together.

Export: :func:`export_rows` streams :class:`ExportRow` values into a file in one of the
:class:`ExportFormat` formats and never holds all rows in memory. A row's ``pattern`` is
an E.164 number (``"+12025550123"``) or a prefix in our own form (``"+1202555*"``).
Each format writes prefixes in its own pattern syntax where it has one and otherwise
skips them, counting them in :attr:`ExportStats.skipped_prefixes`; anything that is not
a number (withheld callers, junk) is skipped and counted in :attr:`ExportStats.skipped`.

Import: :func:`detect_import_format` guesses a file's format and :func:`read_entries`
yields :class:`ImportedEntry` values with numbers normalised to E.164 and prefixes in
our ``"+CC...*"`` form. A line that cannot be read is skipped and counted in
:class:`ImportStats` with a one-line reason. ``contacts_vcard`` and
``google_contacts_csv`` are address books: their entries belong on the allow list.

Format modules are imported only when used, so that ``import lookup.blocklists`` is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from enum import StrEnum
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Iterable, Iterator, Mapping, TextIO

if TYPE_CHECKING:
    from lookup.models import Number, Report


class BlocklistError(ValueError):
    """A blocklist file cannot be written or read; the message is one line."""


class ExportFormat(StrEnum):
    TXT = "txt"
    CSV = "csv"
    JSON = "json"
    VCARD = "vcard"
    VCARD4 = "vcard4"
    FRITZBOX = "fritzbox"
    NCID = "ncid"
    FREEPBX = "freepbx"
    ASTDB = "astdb"
    YACB = "yacb"
    SPAMBLOCKER = "spamblocker"
    CALLBLOCKER = "callblocker"
    CALLKIT = "callkit"


READABLE: frozenset[ExportFormat] = frozenset(ExportFormat) - {ExportFormat.CALLKIT}
"""Formats that ``read_entries`` reads back (every one but CallKit, which has no names)."""

CONTACTS_VCARD = "contacts_vcard"
GOOGLE_CONTACTS_CSV = "google_contacts_csv"
CONTACT_FORMATS: frozenset[str] = frozenset({CONTACTS_VCARD, GOOGLE_CONTACTS_CSV})
"""Import formats that are address books: their numbers go on the allow list."""

IMPORT_FORMATS: tuple[str, ...] = tuple(sorted(READABLE)) + (CONTACTS_VCARD, GOOGLE_CONTACTS_CSV)


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One entry to export. ``pattern`` is ``"+12025550123"`` or a prefix ``"+1202555*"``."""

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


MAX_PROBLEMS = 50


@dataclass
class ImportStats:
    """What an import read: entries yielded, lines skipped and why (the first ``MAX_PROBLEMS`` reasons)."""

    read: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)

    def add_problem(self, problem: str) -> None:
        """Count one skipped line and keep its reason while there is room."""
        self.skipped += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


# ---------------------------------------------------------------- registry

_WRITERS: dict[ExportFormat, tuple[str, str]] = {
    ExportFormat.TXT: ("txt", "write"),
    ExportFormat.CSV: ("csv_format", "write"),
    ExportFormat.JSON: ("json_format", "write"),
    ExportFormat.VCARD: ("vcard", "write_v3"),
    ExportFormat.VCARD4: ("vcard", "write_v4"),
    ExportFormat.FRITZBOX: ("fritzbox", "write"),
    ExportFormat.NCID: ("ncid", "write"),
    ExportFormat.FREEPBX: ("freepbx", "write"),
    ExportFormat.ASTDB: ("astdb", "write"),
    ExportFormat.YACB: ("yacb", "write"),
    ExportFormat.SPAMBLOCKER: ("spamblocker", "write"),
    ExportFormat.CALLBLOCKER: ("callblocker", "write"),
    ExportFormat.CALLKIT: ("callkit", "write"),
}

_READERS: dict[str, tuple[str, str]] = {
    ExportFormat.TXT: ("txt", "read"),
    ExportFormat.CSV: ("csv_format", "read"),
    ExportFormat.JSON: ("json_format", "read"),
    ExportFormat.VCARD: ("vcard", "read"),
    ExportFormat.VCARD4: ("vcard", "read"),
    ExportFormat.FRITZBOX: ("fritzbox", "read"),
    ExportFormat.NCID: ("ncid", "read"),
    ExportFormat.FREEPBX: ("freepbx", "read"),
    ExportFormat.ASTDB: ("astdb", "read"),
    ExportFormat.YACB: ("yacb", "read"),
    ExportFormat.SPAMBLOCKER: ("spamblocker", "read"),
    ExportFormat.CALLBLOCKER: ("callblocker", "read"),
    CONTACTS_VCARD: ("contacts", "read_vcard"),
    GOOGLE_CONTACTS_CSV: ("contacts", "read_google_csv"),
}


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
    writer = _load(*_WRITERS[fmt])
    localize = make_localizer(national_region) if national_region else None
    stats = ExportStats()
    with open_target(out, stats) as target:
        options = ExportOptions(localize=localize, chunk_size=chunk_size, target=target)
        writer(iter(rows), target.stream, options, stats)
    return stats


def detect_import_format(path: Path) -> str:
    """Guess ``path``'s format from its first bytes: an ExportFormat value or a contacts format."""
    from lookup.blocklists.detect import sniff_format

    return sniff_format(Path(path))


def read_entries(
    path: Path,
    fmt: str = "auto",
    *,
    region: str = "US",
    stats: ImportStats | None = None,
) -> Iterator[ImportedEntry]:
    """Yield the numbers and prefixes in ``path``; national numbers are taken in ``region``.

    Lines that cannot be read are skipped and counted in ``stats``. Raises
    :class:`BlocklistError` when the file cannot be read at all: at once for a missing
    file or an unknown format, while iterating for an XML entity bomb or broken JSON.
    """
    from lookup.blocklists.common import ReadContext

    path = Path(path)
    if fmt == "auto":
        fmt = detect_import_format(path)
    if fmt not in _READERS:
        raise BlocklistError(f"cannot import format {fmt!r}; choose one of: auto, {', '.join(IMPORT_FORMATS)}")
    if not path.is_file():
        raise BlocklistError(f"no such file: {path}")
    reader = _load(*_READERS[fmt])
    context = ReadContext(region=region, stats=stats if stats is not None else ImportStats())
    return _count_read(reader(path, context), context.stats)


def _count_read(entries: Iterator[ImportedEntry], stats: ImportStats) -> Iterator[ImportedEntry]:
    for entry in entries:
        stats.read += 1
        yield entry


def format_ftc_report(
    reports: Iterable[Report], numbers: Mapping[str, Number] | None = None, *, tz: tzinfo | None = None
) -> Iterator[str]:
    """Text blocks with what the FTC complaint form asks for (see ``ftc_report``)."""
    return _load("ftc_report", "format_ftc_report")(reports, numbers, tz=tz)


def write_ftc_csv(reports: Iterable[Report], out: TextIO, **consumer: str | None) -> int:
    """The user's reports in the FTC daily complaint CSV layout (see ``ftc_report``)."""
    return _load("ftc_report", "write_ftc_csv")(reports, out, **consumer)
