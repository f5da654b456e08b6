"""Every reader streams: reading a log four times as long costs no more memory at its peak.

Each format's real sample is grown to two sizes (its calls repeated, with the non-call parts a
log holds between them: texts in an SMS backup, comments in a list), read through, and the
peak of Python's allocations compared (tracemalloc). The numbers repeat, as they do in real
logs: what a reader may keep grows with the distinct numbers, never with the file.
"""

from __future__ import annotations

import gc
import re
import shutil
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from lookup.calllogs import read_calls
from lookup.models import LogFormat, ReadTally

from tests.calllogs.conftest import CALLS_DIR, DATA, STOREDATA_SAMPLE, write_storedata

BASE_CALLS = 3_000  # calls at 1x; the 4x log holds 12,000
GROWTH_ALLOWED = 1.25  # the 4x peak may exceed the 1x peak by this factor (noise), not by 4
SLACK_BYTES = 96 << 10


def grow_text(name: str, header_lines: int, calls: int, path: Path) -> Path:
    lines = (DATA / name).read_bytes().splitlines(keepends=True)
    head, body = lines[:header_lines], [line for line in lines[header_lines:] if line.strip()]
    with path.open("wb") as out:
        out.writelines(head)
        for i in range(calls // len(body) + 1):
            out.writelines(body)
    return path


_DATE = re.compile(rb'date="(\d+)"')


def grow_xml(calls: int, path: Path) -> Path:
    """An SMS Backup & Restore file with calls between texts and an MMS with a large part."""
    text = (DATA / "calls-20240310091245.xml").read_bytes()
    start, end = text.index(b"<call "), text.rindex(b"</calls>")
    body = [line for line in text[start:end].splitlines(keepends=True) if line.strip()]
    sms = (DATA / "smses-with-calls.xml").read_bytes()
    texts = re.findall(rb"<sms [^>]*/>", sms)
    mms = b'<mms date="1709622843000"><parts><part ct="image/jpeg" data="' + b"QUJD" * 4000 + b'" /></parts></mms>\n'
    with path.open("wb") as out:
        out.write(b"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count='0'>\n")
        for i in range(calls // len(body) + 1):
            for line in body:
                out.write(_DATE.sub(lambda m: b'date="%d"' % (int(m.group(1)) + i * 1000), line))
            out.writelines(texts)
            out.write(mms)
        out.write(b"</smses>\n")
    return path


def grow_storedata(calls: int, path: Path) -> Path:
    rows = [dict(STOREDATA_SAMPLE[i % len(STOREDATA_SAMPLE)], Z_PK=i + 1, ZDATE=731404800.0 + i * 60)
            for i in range(calls)]
    return write_storedata(path, rows)


def grow_takeout(calls: int, path: Path) -> Path:
    pages = [p for p in sorted(CALLS_DIR.glob("*.html")) if " - Text - " not in p.name]
    folder = path / "Takeout" / "Voice" / "Calls"
    folder.mkdir(parents=True)
    for i in range(calls // 10):  # pages are files of their own: a tenth as many keeps the test quick
        page = pages[i % len(pages)]
        stamp = f"{2010 + i % 10}-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}_{i % 60:02d}_{(i // 60) % 60:02d}Z"
        shutil.copyfile(page, folder / f"Caller {i} - {stamp}.html")
    return path


GROWERS: dict[LogFormat, Callable[[int, Path], Path]] = {
    LogFormat.ANDROID_XML: grow_xml,
    LogFormat.GVOICE_TAKEOUT: grow_takeout,
    LogFormat.IOS_CALLHISTORY: grow_storedata,
    LogFormat.FRITZBOX_CSV: lambda n, p: grow_text("fritzbox_de_7col.csv", 2, n, p),
    LogFormat.ASTERISK_CSV: lambda n, p: grow_text("Master.csv", 0, n, p),
    LogFormat.GENERIC_CSV: lambda n, p: grow_text("generic_calls.csv", 1, n, p),
    LogFormat.PLAIN_TEXT: lambda n, p: grow_text("numbers.txt", 0, n, p),
}


def peak_of_reading(path: Path, fmt: LogFormat) -> tuple[int, int]:
    """(peak bytes allocated while reading ``path`` through, calls read)."""
    tally = ReadTally()
    gc.collect()  # garbage of earlier tests is not this read's
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        for _call in read_calls(path, fmt=fmt, tally=tally, tz="UTC"):
            pass
        return tracemalloc.get_traced_memory()[1] - before, tally.read
    finally:
        tracemalloc.stop()


def test_growers_cover_the_registry() -> None:
    from lookup.calllogs import READERS

    assert set(GROWERS) == set(READERS)


def test_peak_memory_does_not_grow_with_the_log(log_format: LogFormat, tmp_path: Path) -> None:
    small = GROWERS[log_format](BASE_CALLS, tmp_path / "small")
    large = GROWERS[log_format](BASE_CALLS * 4, tmp_path / "large")
    peak_of_reading(small, log_format)  # imports, caches and the number cache warm up first
    small_peak, small_calls = peak_of_reading(small, log_format)
    large_peak, large_calls = peak_of_reading(large, log_format)
    assert large_calls >= 3.5 * small_calls > 0
    assert large_peak <= small_peak * GROWTH_ALLOWED + SLACK_BYTES, (
        f"{log_format.value}: peak {small_peak >> 10} kB at {small_calls} calls, {large_peak >> 10} kB at {large_calls}"
    )
