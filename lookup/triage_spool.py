"""Triage rows kept as their printed lines instead of objects, so memory stays flat.

A judged number holds its whole answer (facts, verdict and reasons, sources, history):
about 2 KB, which at 60,000 silent callers was most of a 230 MB peak. When the output is
lines (``--json``, ``--csv``), each row is printed into a private temporary file as soon as it
is judged, and only its sort key, its place in the file and a few words for the summary stay
in memory; the lines are read back in the order of the report at the end. The file is
created unlinked, readable by its owner only, and gone when the run ends.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from typing import Callable, Iterable, Iterator, NamedTuple


class RowBrief(NamedTuple):
    """What the summary, ``--block-spam`` and the waves need of one row, once printed."""

    order: tuple  # :func:`lookup.triage.attention_key` of the row
    position: int  # in the triage's groups (and its spool)
    bucket: str  # the summary's bucket
    spam: str | None  # the E.164 number when its verdict is likely spam
    history: object  # the number's History when it is in a wave (find_waves reads it), else None

    @property
    def key(self) -> str:
        """The number, "" for withheld callers."""
        return self.order[3]

    @property
    def count(self) -> int:
        """Silent missed calls."""
        return -self.order[2]


class RowSpool:
    """Printed rows in a temporary file, by their position in the triage; a row added again
    (its online answer) replaces the earlier one. Per row, memory holds two numbers."""

    def __init__(self, render: Callable[[object], str]) -> None:
        self.render = render
        # A 64 KiB buffer: rows of a few KB written through the default 8 KiB one cost a system
        # call every few rows (0.045 s of CPU for 15,840 rows, against 0.015 s; 1 MiB gives
        # 0.010 s but shows in the report's memory, which test_triage_spool holds small).
        self._file = tempfile.TemporaryFile(buffering=1 << 16)
        self._end = 0
        self._reading = False  # lines() moved the file away from its end
        self._offsets = array("q")
        self._sizes = array("q")

    def add(self, position: int, row: object) -> None:
        data = self.render(row).encode("utf-8")
        if self._reading:  # rows are only appended: the file stays at its end until lines() reads
            self._file.seek(self._end)
            self._reading = False
        self._file.write(data)
        if position == len(self._offsets):  # the next row, as nearly every row comes
            self._offsets.append(self._end)
            self._sizes.append(len(data))
        else:
            missing = position + 1 - len(self._offsets)
            if missing > 0:
                self._offsets.extend([-1] * missing)
                self._sizes.extend([0] * missing)
            self._offsets[position] = self._end
            self._sizes[position] = len(data)
        self._end += len(data)

    def __len__(self) -> int:
        return sum(1 for offset in self._offsets if offset >= 0)

    def lines(self, positions: Iterable[int]) -> Iterator[str]:
        """The printed rows at ``positions``, in that order."""
        self._file.flush()
        pread = getattr(os, "pread", None)  # one call a row, and the file stays at its end (POSIX)
        if pread is not None:
            fd = self._file.fileno()
            for position in positions:
                yield pread(fd, self._sizes[position], self._offsets[position]).decode("utf-8")
            return
        self._reading = True
        for position in positions:
            self._file.seek(self._offsets[position])
            yield self._file.read(self._sizes[position]).decode("utf-8")

    def close(self) -> None:
        self._file.close()
