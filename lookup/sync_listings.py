"""The logic behind ``whocalled sync osm`` and ``whocalled sync wikidata``: listing directories
downloaded by area into the store, to be matched locally.

Each sync is the same three steps as the complaint syncs: fetch (the answer is streamed to a
temporary file through the project's :class:`~scrapers.http.Fetcher`, which paces, retries and
honours 429 with ``Retry-After``), parse (the source's reader walks the file item by item), and
save (the store replaces the area's rows in one transaction, so a failed sync keeps the rows of
the last good one). An area synced less than ``max_age_days`` ago is not downloaded again:
public Overpass servers ask for few, large requests, and the data changes slowly.

Privacy: a whole area is downloaded and matched here; no number is ever sent anywhere.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, TextIO

from db.store import Store
from lookup.models import Listing, ReadTally
from lookup.settings import Settings
from lookup.sync_files import Progress, open_fetcher
from scrapers import osm, wikidata
from scrapers.base import FetchError, ListingSource
from scrapers.listing_json import AnswerError

if TYPE_CHECKING:
    from scrapers.http import Fetcher

DEFAULT_MAX_AGE_DAYS = 7.0
Reader = Callable[[TextIO], Iterator[Listing]]


UnknownArea = osm.NoSuchArea  # the area code matched nothing: bad input, not a failed sync


@dataclass
class ListingSync:
    """What one listing sync did. ``fresh`` when the area was recent enough to be left alone;
    ``failure`` says why nothing was saved (the area keeps its earlier rows)."""

    source: str
    area: str
    rows: int = 0
    tally: ReadTally = field(default_factory=ReadTally)
    fresh_since: str | None = None
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def summary(self) -> str:
        if self.fresh_since:
            return (f"{self.source} {self.area}: synced {self.fresh_since[:16].replace('T', ' ')} UTC, still fresh;"
                    " nothing downloaded (--max-age 0 to download again)")
        if self.failure:
            return f"{self.source} {self.area}: sync failed, nothing changed: {self.failure}"
        places = "place" if self.tally.read == 1 else "places"
        return f"{self.source} {self.area}: {self.rows:,} numbers of {self.tally.read:,} {places} saved"


def is_fresh(store: Store, source: str, area: str, max_age_days: float, now: datetime) -> str | None:
    """When the area was last synced, if that is less than ``max_age_days`` ago."""
    known = store.listing_area(source, area)
    if known is None or max_age_days <= 0:
        return None
    try:
        at = datetime.fromisoformat(known.synced_at)
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return known.synced_at if now - at < timedelta(days=max_age_days) else None


def save_file(
    store: Store, result: ListingSync, path: Path, read: Reader, detail: str, progress: Progress | None = None
) -> ListingSync:
    """Parse ``path`` with ``read`` and put its listings in place of the area's rows;
    ``progress(area, numbers saved, None)`` after each batch."""
    counted = (lambda n: progress(result.area, n, None)) if progress is not None else None
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            result.rows = store.replace_listings(result.source, result.area, read(stream), detail=detail,
                                                 on_progress=counted)
    except UnknownArea:
        raise
    except AnswerError as exc:
        result.failure = str(exc)
    except OSError as exc:
        result.failure = f"cannot read {path.name}: {exc.strerror or exc}"
    return result


async def fetch_and_save(
    store: Store, settings: Settings, source: ListingSource, result: ListingSync, url: str, read: Reader,
    *, headers: dict[str, str], detail: str, fetcher: Fetcher | None, max_bytes: int, progress: Progress | None,
) -> ListingSync:
    """Stream ``url`` to a temporary file, then :func:`save_file` it."""
    async with open_fetcher(fetcher, settings, source) as client:
        with tempfile.TemporaryDirectory(prefix=f"whocalled-{source.name}-") as tmp:
            try:
                download = await client.download(
                    url, Path(tmp) / "answer.json", headers=headers, robots=False, max_bytes=max_bytes
                )
            except FetchError as exc:
                result.failure = f"{exc.status.value}: {exc.reason}"
                return result
            if download.path is None:
                result.failure = f"HTTP {download.status} from {source.title}"
                return result
            return save_file(store, result, download.path, read, detail, progress)


# ---------------------------------------------------------------- OpenStreetMap


async def sync_osm(
    store: Store, settings: Settings, *, area: str | None = None, bbox: str | None = None,
    file: Path | None = None, max_age_days: float = DEFAULT_MAX_AGE_DAYS, fetcher: Fetcher | None = None,
    now: datetime | None = None, progress: Progress | None = None,
) -> ListingSync:
    """Sync the places with a phone number in ``area`` (ISO 3166-2 or country code) or ``bbox``
    (``S,W,N,E``) from Overpass, or from a saved Overpass JSON answer ``file``. Raises
    :class:`scrapers.osm.AreaError` or :class:`UnknownArea` for bad input."""
    if area and bbox:
        raise osm.AreaError("--area and --bbox contradict each other: pick one")
    code = osm.check_area(area) if area else None
    box = osm.check_bbox(bbox) if bbox else None
    if code is None and box is None and file is None:
        raise osm.AreaError("say which area: --area US-DC, --bbox S,W,N,E or --file answer.json")
    key = code or (f"bbox {','.join(f'{v:g}' for v in box)}" if box else f"file {file.name}")  # type: ignore[union-attr]
    region = code[:2] if code else settings.region
    result = ListingSync(osm.Osm.name, key)
    source = osm.Osm(settings.source(osm.Osm.name))

    def read(stream: TextIO, need_area: bool) -> Iterator[Listing]:
        return osm.read_places(stream, key, region, result.tally, need_area=need_area)

    if file is not None:
        return save_file(store, result, file, lambda s: read(s, False), f"file {file.name}", progress)
    fresh = is_fresh(store, source.name, key, max_age_days, now or datetime.now(timezone.utc))
    if fresh:
        result.fresh_since = fresh
        return result
    query = osm.area_query(code) if code else osm.bbox_query(box)  # type: ignore[arg-type]
    return await fetch_and_save(
        store, settings, source, result, source.query_url(query), lambda s: read(s, code is not None),
        headers={"Accept": "application/json"}, detail=source.base_url, fetcher=fetcher,
        max_bytes=osm.MAX_ANSWER_BYTES, progress=progress,
    )


# ---------------------------------------------------------------- Wikidata


async def sync_wikidata(
    store: Store, settings: Settings, *, country: str | None = None, file: Path | None = None,
    max_age_days: float = DEFAULT_MAX_AGE_DAYS, fetcher: Fetcher | None = None, now: datetime | None = None,
    progress: Progress | None = None,
) -> ListingSync:
    """Sync the organisations with a phone number (P1329) in ``country`` from the Wikidata query
    service, or from a saved SPARQL JSON answer ``file``."""
    code = wikidata.check_country(country) if country else None
    if code is None and file is None:
        raise osm.AreaError("say which country: --country US, or --file answer.json")
    key = code or f"file {file.name}"  # type: ignore[union-attr]
    region = code or settings.region
    result = ListingSync(wikidata.Wikidata.name, key)
    source = wikidata.Wikidata(settings.source(wikidata.Wikidata.name))

    def read(stream: TextIO) -> Iterator[Listing]:
        return wikidata.read_organisations(stream, key, region, result.tally)

    if file is not None:
        return save_file(store, result, file, read, f"file {file.name}", progress)
    fresh = is_fresh(store, source.name, key, max_age_days, now or datetime.now(timezone.utc))
    if fresh:
        result.fresh_since = fresh
        return result
    return await fetch_and_save(
        store, settings, source, result, source.query_url(wikidata.country_query(code)), read,  # type: ignore[arg-type]
        headers={"Accept": "application/sparql-results+json"}, detail=source.base_url, fetcher=fetcher,
        max_bytes=wikidata.MAX_ANSWER_BYTES, progress=progress,
    )
