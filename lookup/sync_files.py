"""Reading complaint files into the store, shared by the FTC and FCC syncs in :mod:`lookup.sync`.

A file is streamed through its dataset's row reader into
``store.import_complaints`` (a transaction per batch); how it went is a
:class:`FileImport`, and :class:`SyncResult` adds those up for the CLI.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterator, TextIO

from db.datasets import DatasetsMixin
from lookup.settings import Settings
from lookup.text import plural
from scrapers.complaints import NotDatasetFile, RowTally

if TYPE_CHECKING:
    from scrapers.http import Fetcher

DOWNLOAD_ATTEMPT_SECONDS = 1800.0  # one attempt may stream a large file

Progress = Callable[[str, int, "int | None"], None]
"""``progress(label, done, total)``: ``label`` names the day or file being worked on; ``done`` and
``total`` count days for the FTC sync, pages for FCC pages and bytes within a file being imported
(``total`` None when unknown)."""
Reader = Callable[[TextIO, RowTally], Iterator[tuple[Any, ...]]]


@dataclass
class SyncResult:
    """What a sync or import did. ``unchanged`` holds days (or files) not read again because
    they were already imported and had not changed; ``failures`` are ``(day or file, reason)``."""

    dataset: str
    files_read: int = 0
    rows_added: int = 0
    rows_present: int = 0
    rows_skipped: int = 0  # rows without a usable number, or too few fields
    rows_out_of_range: int = 0  # older than --since
    days_without_file: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped_files: list[tuple[str, str]] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        parts = [f"{plural(self.files_read, 'file')} read", f"{plural(self.rows_added, 'row')} added",
                 f"{self.rows_present:,} already present"]
        if self.rows_skipped:
            parts.append(f"{self.rows_skipped:,} without a usable number")
        if self.rows_out_of_range:
            parts.append(f"{self.rows_out_of_range:,} older than asked")
        if self.days_without_file:
            parts.append(f"{plural(len(self.days_without_file), 'day')} without a file")
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} unchanged")
        if self.skipped_files:
            parts.append(f"{plural(len(self.skipped_files), 'file')} skipped")
        if self.failures:
            parts.append(f"{len(self.failures)} failed")
        return f"{self.dataset}: " + ", ".join(parts)

    def failure_lines(self) -> list[str]:
        """The failures, one line per reason: a sync without a network fails every day for the
        same reason, and that is said once, with the days it concerns."""
        by_reason: dict[str, list[str]] = {}
        for where, why in self.failures:
            # "...; not asked again for 60 s" is the same failure seen from a paused host
            by_reason.setdefault(why.split("; not asked again")[0], []).append(where)
        lines = []
        for why, places in by_reason.items():
            if len(places) == 1:
                lines.append(f"{places[0]}: {why}")
            else:
                ordered = sorted(places)
                lines.append(f"{len(places)} failed ({ordered[0]} .. {ordered[-1]}): {why}")
        return lines


def open_text(path: Path) -> TextIO:
    """A dataset file as text: BOM dropped, junk bytes replaced, line endings left to csv."""
    return open(path, encoding="utf-8-sig", errors="replace", newline="")


@dataclass
class FileImport:
    """How reading one file went: its row tally and rows added; ``not_dataset`` when it is not
    the dataset's CSV, ``failure`` when it broke off (rows before the break stay imported)."""

    label: str
    tally: RowTally = field(default_factory=RowTally)
    opened: bool = False
    added: int = 0
    not_dataset: NotDatasetFile | None = None
    failure: str | None = None

    @property
    def complete(self) -> bool:
        return self.not_dataset is None and self.failure is None


def import_file(
    store: DatasetsMixin, path: Path, read: Reader, *, label: str | None = None, progress: Progress | None = None
) -> FileImport:
    """Stream one file into ``complaints``, a batch per transaction."""
    outcome = FileImport(label or path.name)
    try:
        size = path.stat().st_size
        with open_text(path) as stream:
            outcome.opened = True

            def committed(count: int) -> None:
                outcome.added += count
                if progress is not None:
                    progress(outcome.label, stream.buffer.tell(), size)

            store.import_complaints(read(stream, outcome.tally), on_batch=committed)
    except NotDatasetFile as exc:
        outcome.not_dataset = exc
    except OSError as exc:
        outcome.failure = f"cannot read the file: {exc.strerror or exc}"
    if outcome.tally.damaged and outcome.failure is None:
        outcome.failure = f"damaged CSV at {outcome.tally.damaged}"
    return outcome


def count_file(result: SyncResult, outcome: FileImport) -> None:
    """Add one file's outcome to ``result``; a file that is not the dataset is listed as skipped."""
    if outcome.not_dataset is not None:
        result.skipped_files.append((outcome.label, outcome.not_dataset.reason))
        return
    if outcome.failure is not None:
        result.failures.append((outcome.label, outcome.failure))
    if not outcome.opened:
        return
    tally = outcome.tally
    result.files_read += 1
    result.rows_added += outcome.added
    result.rows_present += max(tally.rows - tally.skipped - tally.out_of_range - outcome.added, 0)
    result.rows_skipped += tally.skipped
    result.rows_out_of_range += tally.out_of_range


@asynccontextmanager
async def open_fetcher(fetcher: Fetcher | None, settings: Settings, source: Any) -> AsyncIterator[Fetcher]:
    """The given fetcher, or one of our own for this run (polite rate for the source's host,
    attempts long enough to stream a large file)."""
    if fetcher is not None:
        yield fetcher
        return
    from scrapers.http import Fetcher, FetchSettings

    fetch_settings = replace(FetchSettings.from_settings(settings, [source]), attempt_timeout=DOWNLOAD_ATTEMPT_SECONDS)
    async with Fetcher(fetch_settings) as own:
        yield own
