"""iOS CallKit Call Directory data: one number per line as the Int64 the extension passes to
``addBlockingEntry(withNextSequentialPhoneNumber:)``, strictly ascending and de-duplicated.

The number is the E.164 digits without ``+`` (``12025550123``). CallKit has no prefixes
(skipped and counted) and no national form (``--national`` is ignored).

Ordering in bounded memory: the caller passes rows ordered by pattern (SQLite
``ORDER BY pattern``). Among numbers of the same length that text order is numeric
order, so each length goes to its own spooled temporary file as it streams by, and the
files are joined shortest first. Equal neighbours are written once (and counted as
skipped); a number smaller than the one before it of the same length raises
:class:`BlocklistError`, because it means the rows were not ordered.
"""

from __future__ import annotations

import shutil
import tempfile
from itertools import islice
from operator import lt
from typing import Iterator, TextIO

from lookup.blocklists import BlocklistError, ExportRow, ExportStats
from lookup.blocklists.columns import iter_columns
from lookup.blocklists.common import BATCH, ExportOptions

SPOOL = 4 * 1024 * 1024  # bytes per length kept in memory before spilling to disk


def write(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    spools: dict[int, tempfile.SpooledTemporaryFile[str]] = {}
    pending: dict[int, list[str]] = {}
    last: dict[int, str] = {}
    written = 0

    def add(size: int, digits: list[str]) -> None:
        """Queue ``digits`` (all ``size`` long, ascending, after what came before) for their spool."""
        lines = pending.get(size)
        if lines is None:
            lines = pending[size] = []
            spools[size] = tempfile.SpooledTemporaryFile(max_size=SPOOL, mode="w+", encoding="ascii", newline="")
        lines.extend(digits)
        last[size] = digits[-1]
        if len(lines) >= BATCH:
            spools[size].write("\n".join(lines) + "\n")
            lines.clear()

    try:
        for columns in iter_columns(rows, stats, prefixes=False):
            batch = [number[1:] for number in columns.numbers]
            size = len(batch[0])
            previous = last.get(size)
            if (
                min(map(len, batch)) == max(map(len, batch)) == size
                and (previous is None or batch[0] > previous)
                and all(map(lt, batch, islice(batch, 1, None)))
            ):  # the usual batch: one length, strictly ascending, checked without a step per number
                add(size, batch)
                written += len(batch)
                continue
            for digits in batch:
                size = len(digits)
                previous = last.get(size)
                if previous is not None and digits <= previous:
                    if digits == previous:
                        stats.skipped += 1
                        continue
                    raise BlocklistError(
                        f"callkit needs rows ordered by number (ORDER BY pattern): +{digits} came after +{previous}"
                    )
                add(size, [digits])
                written += 1
        for size in sorted(spools):
            spool = spools[size]
            if pending[size]:
                spool.write("\n".join(pending[size]) + "\n")
            spool.seek(0)
            shutil.copyfileobj(spool, out, 1 << 20)
        stats.written += written
    finally:
        for spool in spools.values():
            spool.close()
