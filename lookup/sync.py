"""The logic behind ``whocalled sync ftc`` and ``whocalled sync fcc``: complaint files into the store.

Files are streamed (never read whole), rows are committed in batches, and a
file or day counts as done only after its last batch: a killed sync leaves a
consistent database and the next run finishes the job (row ids make re-imports
add nothing).

FTC decisions: the window is the last ``days`` days (default 35, about what
the FTC keeps online) including today. Saturdays and Sundays are not asked
for (the FTC publishes no weekend files; ``weekends=True`` asks anyway). A
404 or a body that is not the CSV is "no file that day"; such a day is asked
again while it is at most a week old (late uploads), then left alone. A
finished day is asked again only while it is at most ``recheck_days`` old,
conditionally (ETag / Last-Modified), so a re-run costs a 304 at most.
A bot wall, a rate limit or robots.txt stops the run; other failures are
reported per day and the rest goes on.

FCC decisions: the first sync (no ``since``) takes the whole CSV export,
conditionally; later syncs, or ``since``, page through the SODA CSV of
complaints issued since then (by default 30 days before the latest date
already held, to catch late filings).
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from db.datasets import DatasetsMixin, SyncState
from lookup.models import Status, iso_now
from lookup.settings import ConfigError, Settings
from lookup.sync_files import FileImport, Progress, SyncResult, count_file, import_file, open_fetcher
from scrapers import fcc_gov, ftc_gov
from scrapers.base import FetchError, Page, detect_block_page
from scrapers.fcc_gov import FccGov
from scrapers.ftc_gov import FtcGov

if TYPE_CHECKING:
    from scrapers.http import Fetcher

DEFAULT_DAYS = 35
RECHECK_DAYS = 3
NO_FILE_RECHECK_DAYS = 7
FCC_OVERLAP_DAYS = 30
FCC_PAGE_ROWS = 50_000  # SODA's largest $limit
FCC_MAX_PAGES = 1000
FTC_MAX_BYTES = 200_000_000
FCC_MAX_BYTES = 4_000_000_000
STOPPING = (Status.BLOCKED, Status.RATE_LIMITED, Status.SKIPPED)


# ---------------------------------------------------------------- FTC


def import_ftc_files(store: DatasetsMixin, paths: Iterable[str | Path], progress: Progress | None = None) -> SyncResult:
    """Import FTC daily CSV files given by the user. A file named like the FTC's marks its day done."""
    result = SyncResult(ftc_gov.DATASET)
    state = store.get_sync_state(ftc_gov.DATASET) or SyncState(ftc_gov.DATASET)
    for raw in paths:
        path = Path(raw)
        outcome = import_file(store, path, ftc_gov.read_rows, progress=progress)
        count_file(result, outcome)
        if not outcome.complete:
            continue
        entry = {"status": "done", "rows": outcome.tally.rows, "at": iso_now(), "file": path.name}
        day = ftc_gov.file_day(path.name)
        if day:
            state.state.setdefault("days", {})[day] = entry
            state.last_date = max(filter(None, (state.last_date, day)))
        else:
            state.state.setdefault("files", {})[path.name] = entry
    state.rows += result.rows_added
    state.detail = result.summary()
    store.set_sync_state(state)
    return result


def plan_day(day: date, known: dict[str, Any], today: date, recheck_days: int, weekends: bool) -> str:
    """``fetch``, ``unchanged`` or ``no_file`` for one day of the window (see the module notes)."""
    age = (today - day).days
    status = known.get("status")
    if status == "done":
        return "fetch" if age <= recheck_days else "unchanged"
    if status == "none":
        return "fetch" if age <= NO_FILE_RECHECK_DAYS else "no_file"
    if day.weekday() >= 5 and not weekends:
        return "no_file"
    return "fetch"


async def sync_ftc(
    store: DatasetsMixin,
    settings: Settings,
    *,
    days: int | None = None,
    files: Iterable[str | Path] = (),
    progress: Progress | None = None,
    fetcher: Fetcher | None = None,
    today: date | None = None,
    recheck_days: int = RECHECK_DAYS,
    weekends: bool = False,
) -> SyncResult:
    """Download the missing days of the FTC daily CSV (or import ``files`` instead)."""
    files = list(files)
    if files:
        return import_ftc_files(store, files, progress)
    source = FtcGov(settings.source(FtcGov.name))
    days = max(1, days or whole_number(source.config.options.get("days", DEFAULT_DAYS), "sources.ftc_gov.days"))
    today = today or datetime.now(timezone.utc).date()
    state = store.get_sync_state(ftc_gov.DATASET) or SyncState(ftc_gov.DATASET)
    rows_before = state.rows
    day_states: dict[str, Any] = state.state.setdefault("days", {})
    window = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    result = SyncResult(ftc_gov.DATASET)
    async with open_fetcher(fetcher, settings, source) as client:
        with tempfile.TemporaryDirectory(prefix="whocalled-ftc-") as tmp:
            for index, day in enumerate(window, 1):
                iso = day.isoformat()
                known = day_states.get(iso, {})
                action = plan_day(day, known, today, recheck_days, weekends)
                if action == "no_file":
                    result.days_without_file.append(iso)
                elif action == "unchanged":
                    result.unchanged.append(iso)
                else:
                    stop = await fetch_ftc_day(client, source, day, known, Path(tmp), store, result, day_states)
                    state.last_date = max((d for d, s in day_states.items() if s.get("status") == "done"), default=None)
                    state.rows = rows_before + result.rows_added
                    store.set_sync_state(state)
                    if stop:
                        break
                if progress is not None:
                    progress(iso, index, len(window))
    state.rows = rows_before + result.rows_added
    state.detail = result.summary()
    store.set_sync_state(state)
    return result


async def fetch_ftc_day(
    client: Fetcher, source: FtcGov, day: date, known: dict[str, Any], tmp: Path, store: DatasetsMixin,
    result: SyncResult, day_states: dict[str, Any],
) -> bool:
    """Download and import one day; records its state. Returns True when the run must stop."""
    iso = day.isoformat()
    url = source.file_url(day)
    done = known.get("status") == "done"
    try:
        download = await client.download(
            url, tmp / ftc_gov.file_name(day), etag=known.get("etag") if done else None,
            last_modified=known.get("last_modified") if done else None, max_bytes=FTC_MAX_BYTES,
        )
    except FetchError as exc:
        result.failures.append((iso, f"{exc.status.value}: {exc.reason}"))
        return exc.status in STOPPING
    if download.status == 304:
        result.unchanged.append(iso)
        known["checked_at"] = iso_now()
        return False
    if download.path is None:
        if download.status in (404, 410):
            result.days_without_file.append(iso)
            day_states[iso] = {"status": "none", "checked_at": iso_now(), "http_status": download.status}
        else:
            result.failures.append((iso, f"HTTP {download.status} for {url}"))
        return False
    outcome = import_file(store, download.path, ftc_gov.read_rows, label=iso)
    head = read_head(download.path)
    download.path.unlink(missing_ok=True)
    missing = outcome.not_dataset
    if missing is not None and not missing.changed:
        wall = detect_block_page(Page(url, download.status, head))
        if wall:
            result.failures.append((iso, f"blocked: {wall}"))
            return True
        result.days_without_file.append(iso)
        day_states[iso] = {"status": "none", "checked_at": iso_now(), "http_status": download.status}
        return False
    if missing is not None:
        result.failures.append((iso, missing.reason))
        return False
    count_file(result, outcome)
    if outcome.complete:
        day_states[iso] = {
            "status": "done", "etag": download.etag, "last_modified": download.last_modified,
            "rows": outcome.tally.rows, "at": iso_now(),
        }
    return False


def read_head(path: Path, size: int = 65536) -> str:
    """The start of a downloaded file as text (to tell a bot wall from a missing file)."""
    with open(path, "rb") as fh:
        return fh.read(size).decode("utf-8", errors="replace")


# ---------------------------------------------------------------- FCC


def import_fcc_files(
    store: DatasetsMixin, paths: Iterable[str | Path], *, since: str | date | None = None,
    progress: Progress | None = None,
) -> SyncResult:
    """Import FCC complaint CSVs (the export or SODA pages); rows issued before ``since`` are left out."""
    result = SyncResult(fcc_gov.DATASET)
    state = store.get_sync_state(fcc_gov.DATASET) or SyncState(fcc_gov.DATASET)
    read = partial(fcc_gov.read_bulk_rows, since=iso_or_none(since))
    for raw in paths:
        path = Path(raw)
        outcome = import_file(store, path, read, progress=progress)
        count_file(result, outcome)
        if outcome.not_dataset is None:
            state.state.setdefault("files", {})[path.name] = {"rows": outcome.tally.rows, "at": iso_now()}
            state.last_date = max(filter(None, (state.last_date, outcome.tally.latest)), default=None)
    state.rows += result.rows_added
    state.detail = result.summary()
    store.set_sync_state(state)
    return result


async def sync_fcc(
    store: DatasetsMixin,
    settings: Settings,
    *,
    since: str | date | None = None,
    files: Iterable[str | Path] = (),
    progress: Progress | None = None,
    fetcher: Fetcher | None = None,
    page_rows: int = FCC_PAGE_ROWS,
) -> SyncResult:
    """Download FCC complaints (whole export first, then pages since the latest held) or import ``files``."""
    files = list(files)
    if files:
        return import_fcc_files(store, files, since=since, progress=progress)
    source = FccGov(settings.source(FccGov.name))
    state = store.get_sync_state(fcc_gov.DATASET) or SyncState(fcc_gov.DATASET)
    start = iso_or_none(since)
    if start is None and state.last_date:
        start = (date.fromisoformat(state.last_date) - timedelta(days=FCC_OVERLAP_DAYS)).isoformat()
    result = SyncResult(fcc_gov.DATASET)
    rows_before = state.rows
    async with open_fetcher(fetcher, settings, source) as client:
        with tempfile.TemporaryDirectory(prefix="whocalled-fcc-") as tmp:
            if start is None:
                latest = await fetch_fcc_export(client, source, Path(tmp), store, state, result, progress)
            else:
                latest = await fetch_fcc_pages(client, source, start, Path(tmp), store, result, progress, page_rows)
    if latest and result.ok and (state.last_date is None or latest > state.last_date):
        state.last_date = latest  # only after a complete run: pages come in id order, not date order
    state.rows = rows_before + result.rows_added
    state.detail = result.summary()
    store.set_sync_state(state)
    return result


async def fetch_fcc_export(
    client: Fetcher, source: FccGov, tmp: Path, store: DatasetsMixin, state: SyncState, result: SyncResult,
    progress: Progress | None,
) -> str | None:
    """The whole CSV export, conditionally; returns the latest date of issue read."""
    url = source.export_url()
    try:
        download = await client.download(
            url, tmp / "fcc-export.csv", etag=state.etag, last_modified=state.last_modified,
            headers=source.headers(), robots=False, max_bytes=FCC_MAX_BYTES,
        )
    except FetchError as exc:
        result.failures.append(("export", f"{exc.status.value}: {exc.reason}"))
        return None
    if download.status == 304:
        result.unchanged.append("export")
        return None
    if download.path is None:
        result.failures.append(("export", f"HTTP {download.status} for {url}"))
        return None
    outcome = import_file(store, download.path, fcc_gov.read_bulk_rows, label="export", progress=progress)
    download.path.unlink(missing_ok=True)
    if outcome.not_dataset is not None:
        result.failures.append(("export", outcome.not_dataset.reason))
        return None
    count_file(result, outcome)
    if outcome.complete:
        state.etag, state.last_modified = download.etag, download.last_modified
    return outcome.tally.latest


async def fetch_fcc_pages(
    client: Fetcher, source: FccGov, start: str, tmp: Path, store: DatasetsMixin, result: SyncResult,
    progress: Progress | None, page_rows: int,
) -> str | None:
    """SODA CSV pages of complaints issued since ``start``; returns the latest date of issue read."""
    read = partial(fcc_gov.read_bulk_rows, since=start)
    latest: str | None = None
    for number in range(FCC_MAX_PAGES):
        label = f"since {start}, page {number + 1}"
        try:
            download = await client.download(
                source.page_url(start, number * page_rows, page_rows), tmp / "fcc-page.csv",
                headers=source.headers(), robots=False, max_bytes=FCC_MAX_BYTES,
            )
        except FetchError as exc:
            result.failures.append((label, f"{exc.status.value}: {exc.reason}"))
            return latest
        if download.path is None:
            result.failures.append((label, f"HTTP {download.status}"))
            return latest
        if download.bytes == 0:
            return latest
        outcome = import_file(store, download.path, read, label=label)
        download.path.unlink(missing_ok=True)
        if outcome.not_dataset is not None:
            result.failures.append((label, outcome.not_dataset.reason))
            return latest
        count_file(result, outcome)
        latest = max(filter(None, (latest, outcome.tally.latest)), default=None)
        if progress is not None:
            progress(label, number + 1, None)
        if outcome.tally.rows < page_rows or not outcome.complete:
            return latest
    result.failures.append(("pages", f"stopped after {FCC_MAX_PAGES} pages"))
    return latest


def whole_number(value: Any, where: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where} must be a whole number, not {value!r}") from None


def iso_or_none(value: str | date | None) -> str | None:
    """An ISO day from a date or a ``YYYY-MM-DD`` string (ValueError for anything else)."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value).strip()[:10]).isoformat()


__all__ = [
    "FileImport",
    "Progress",
    "SyncResult",
    "import_fcc_files",
    "import_ftc_files",
    "sync_fcc",
    "sync_ftc",
]
