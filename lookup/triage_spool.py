"""Triage rows kept as their printed lines instead of objects, so memory stays flat.

A judged number holds its whole answer (facts, verdict and reasons, sources, history):
about 2 KB, which at 60,000 silent callers was most of a 230 MB peak. When the output is
lines (``--json``, ``--csv``), each row is printed into a private temporary file as soon as it
is judged, and only its sort key, its place in the file and a few words for the summary stay
in memory; the lines are read back in the order of the report at the end. The file is
created unlinked, readable by its owner only, and gone when the run ends.
"""

from __future__ import annotations

import tempfile
from typing import Callable, Iterator, NamedTuple


class RowBrief(NamedTuple):
    """What the summary, ``--block-spam`` and the waves need of one row, once printed."""

    order: tuple  # :func:`lookup.triage.attention_key` of the row
    key: str  # the number, "" for withheld callers
    count: int  # silent missed calls
    bucket: str  # the summary's bucket
    spam: str | None  # the E.164 number when its verdict is likely spam
    wave_block: str | None
    history: object  # the number's History when it is in a wave (find_waves reads it), else None


class RowSpool:
    """Printed rows in a temporary file, by their position in the triage; a row added again
    (its online answer) replaces the earlier one."""

    def __init__(self, render: Callable[[object], str]) -> None:
        self.render = render
        self._file = tempfile.TemporaryFile()
        self._end = 0
        self._entries: dict[int, tuple[tuple, int, int]] = {}

    def add(self, position: int, order: tuple, row: object) -> None:
        data = self.render(row).encode("utf-8")
        self._file.seek(self._end)
        self._file.write(data)
        self._entries[position] = (order, self._end, len(data))
        self._end += len(data)

    def __len__(self) -> int:
        return len(self._entries)

    def lines(self, top: int | None = None) -> Iterator[str]:
        """The printed rows in report order (the first ``top`` when given)."""
        picked = sorted(self._entries.values())
        read = self._file.read
        self._file.flush()
        for _order, offset, size in picked[:top] if top else picked:
            self._file.seek(offset)
            yield read(size).decode("utf-8")

    def close(self) -> None:
        self._file.close()
