"""Seeded fuzzing of every reader: real samples with one field (or a few bytes) made hostile.

Whatever a log holds, a reader either yields its calls (a bad row skipped and counted with its
position) or refuses the whole file with a one-line CallLogError. Nothing else may escape:
no OverflowError from ``inf`` or year 9999, no ValueError from ``²`` that ``isdigit()`` let
through. The cases are drawn with a fixed seed per format, so a failure repeats.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path


from db.store import Store
from lookup.calllogs import CallLogError, read_calls
from lookup.models import LogFormat, ReadTally
from lookup.text import clean_text
from lookup.triage import group_calls
from lookup.triage_read import import_logs

from tests.calllogs.conftest import CALLS_DIR, DATA, SHARED_SAMPLES, STOREDATA_SAMPLE, write_storedata, write_takeout_zip

CASES_PER_FORMAT = 400

# Values that broke readers, and their cousins: overflowing and not-a-number floats, digits that
# str.isdigit() accepts but int() refuses, dates at the ends of the calendar with an offset that
# pushes them over, huge integers, placeholders, control characters and nothing at all.
HOSTILE = (
    "inf", "-inf", "Infinity", "1e999", "-1e999", "nan", "NaN", "1e308", "-1", "-0", "0x1F",
    "²", "①", "³⁴⁵", "١٢٣", "߁߂", "𝟙𝟚", "½", "9" * 40, "-" + "9" * 40, "1" * 400,
    "0001-01-01T00:00:00+14:00", "0001-01-01 00:00:00", "9999-12-31T23:59:59-14:00", "9999-12-31 23:59:59",
    "01.01.01 00:00", "31.12.99 23:59", "99/99/9999 99:99", "00.00.00 00:00", "2024-02-30 10:00:00",
    "253402300799", "253402300800000", "-62135596800", "1e9", "PT999999999999H", "P99999999D",
    "99999999:00", "9999999999:59:59", "1:60", "", " ", "null", "(null)", "\x00", "\x1b]0;x\x07", "\ufeff",
    "\ud800", "\"", "\"\"\"", "<>", "&amp;", "Anonymous", "+", "+1", "+" + "1" * 30,
)


# Half the time a value is replaced by a hostile one of its own kind, so that dates meet
# impossible dates and numbers meet impossible numbers, not only the parsers' first checks.
HOSTILE_DATES = tuple(v for v in HOSTILE if re.search(r"\d[-./:]\d|^\d{9,}$|^-\d{9,}$", v))
HOSTILE_NUMBERS = tuple(v for v in HOSTILE if v not in HOSTILE_DATES and len(v) < 60)
_DATE_LIKE = re.compile(r"\d{2,4}[-./]\d{1,2}[-./]\d{1,4}|^\d{9,13}$")


def hostile(rng: random.Random, original: str = "") -> str:
    if original and rng.random() < 0.5:
        kind = HOSTILE_DATES if _DATE_LIKE.search(original) else HOSTILE_NUMBERS
        return rng.choice(kind)
    value = rng.choice(HOSTILE)
    return value if rng.random() < 0.8 else value + rng.choice(HOSTILE)


def read_all(path: Path, fmt: LogFormat | None) -> None:
    """Read ``path`` through; only a one-line CallLogError may come out."""
    tally = ReadTally()
    try:
        for call in read_calls(path, fmt=fmt, tally=tally, tz="Pacific/Kiritimati", region="US"):
            assert call.at is None or call.at.utcoffset() is not None
            for text in (call.name or "", call.raw_number):  # outside text comes out as one clean line
                assert clean_text(text) == text, (call.name, call.raw_number)
    except CallLogError as exc:
        assert "\n" not in str(exc)
        return
    assert tally.read + tally.skipped + tally.ignored >= 0


# ---------------------------------------------------------------- mutators per kind of file


def mutate_text(rng: random.Random, data: bytes, delimiter: str) -> bytes:
    """One cell of a data line replaced by a hostile value (or, now and then, raw bytes spoilt)."""
    if rng.random() < 0.15:
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    candidates = [i for i, line in enumerate(lines) if delimiter in line or (delimiter == "\n" and line.strip())]
    for _ in range(rng.randint(1, 3)):
        index = rng.choice(candidates[1:] if len(candidates) > 1 and delimiter != "\n" else candidates)
        if delimiter == "\n":
            lines[index] = hostile(rng)
            continue
        cells = lines[index].split(delimiter)
        cell = rng.randrange(len(cells))
        value = hostile(rng, cells[cell].strip('"'))
        quoted = cells[cell].startswith('"')
        cells[cell] = f'"{value}"' if quoted and rng.random() < 0.7 else value
        lines[index] = delimiter.join(cells)
    return "\n".join(lines).encode("utf-8", "surrogatepass")


_ATTR = re.compile(rb'(\w+)="([^"]*)"')


def mutate_xml(rng: random.Random, data: bytes) -> bytes:
    """An attribute of a <call> given a hostile value (escaped as XML requires)."""
    spots = [m for m in _ATTR.finditer(data) if data.rfind(b"<call ", 0, m.start()) > data.rfind(b">", 0, m.start())]
    for match in rng.sample(spots, k=min(len(spots), rng.randint(1, 3))):
        value = hostile(rng, match.group(2).decode("utf-8", "replace")).encode("utf-8", "surrogatepass")
        value = value.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b'"', b"&quot;")
        value = re.sub(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", b"", value)
        data = data[: match.start(2)] + value + data[match.end(2):]
        break  # offsets moved: one attribute per pass keeps them right
    return data


_TITLE = re.compile(rb'(title|href)="([^"]*)"')


def mutate_html(rng: random.Random, data: bytes) -> bytes:
    spots = list(_TITLE.finditer(data))
    match = rng.choice(spots)
    value = hostile(rng, match.group(2).decode("utf-8", "replace")).encode("utf-8", "surrogatepass")
    value = value.replace(b'"', b"&quot;")
    if match.group(1) == b"href" and rng.random() < 0.5:
        value = b"tel:" + value
    return data[: match.start(2)] + value + data[match.end(2):]


STORE_COLUMNS = ("ZDATE", "ZDURATION", "ZADDRESS", "ZORIGINATED", "ZANSWERED", "ZNAME", "ZISO_COUNTRY_CODE",
                 "ZBLOCKEDBYEXTENSION")
SQL_VALUES = (float("inf"), float("-inf"), 1e308, -1e308, 2**63 - 1, -(2**63), b"\xff\xfe", b"", 0.5)


def mutate_storedata(rng: random.Random, path: Path) -> Path:
    rows = [dict(row) for row in STOREDATA_SAMPLE]
    for _ in range(rng.randint(1, 3)):
        row = rng.choice(rows)
        column = rng.choice(STORE_COLUMNS)
        row[column] = rng.choice(SQL_VALUES) if rng.random() < 0.4 else hostile(rng, str(row[column]))
    for row in rows:
        for key, value in row.items():
            if isinstance(value, str):
                row[key] = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return write_storedata(path, rows)


# ---------------------------------------------------------------- one fuzz run per format

TEXT_SAMPLES: dict[LogFormat, tuple[tuple[str, str], ...]] = {
    LogFormat.FRITZBOX_CSV: (("fritzbox_de_7col.csv", ";"), ("fritzbox_de_8col.csv", ";"), ("fritzbox_en.csv", ";"),
                             ("fritzbox_classic_typ.csv", ";")),
    LogFormat.ASTERISK_CSV: (("Master.csv", ","),),
    LogFormat.GENERIC_CSV: (("generic_calls.csv", ","),),
    LogFormat.PLAIN_TEXT: (("numbers.txt", "\n"),),
}
XML_SAMPLES = ("calls-20240310091245.xml", "smses-with-calls.xml")
HTML_SAMPLES = tuple(sorted(CALLS_DIR.glob("*.html"))) + tuple(sorted(SHARED_SAMPLES.glob("gvoice_takeout_*.html")))


def fuzz_cases(fmt: LogFormat, rng: random.Random, tmp_path: Path) -> list[Callable[[], Path]]:
    def text_case(i: int) -> Callable[[], Path]:
        name, delimiter = rng.choice(TEXT_SAMPLES[fmt])
        data = mutate_text(rng, (DATA / name).read_bytes(), delimiter)
        return lambda: _write(tmp_path / f"{i}-{name}", data)

    def xml_case(i: int) -> Callable[[], Path]:
        name = rng.choice(XML_SAMPLES)
        data = mutate_xml(rng, (DATA / name).read_bytes())
        return lambda: _write(tmp_path / f"{i}-{name}", data)

    def html_case(i: int) -> Callable[[], Path]:
        page = rng.choice(HTML_SAMPLES)
        data = mutate_html(rng, page.read_bytes())
        if i % 20 == 0:
            return lambda: write_takeout_zip(tmp_path / f"{i}.zip", {"Takeout/Voice/Calls/x - 2020-01-01T00_00_00Z.html": data})
        return lambda: _write(tmp_path / f"{i}-{page.name}", data)

    def store_case(i: int) -> Callable[[], Path]:
        seed = rng.random()
        return lambda: mutate_storedata(random.Random(seed), tmp_path / f"{i}.storedata")

    make = {LogFormat.ANDROID_XML: xml_case, LogFormat.GVOICE_TAKEOUT: html_case,
            LogFormat.IOS_CALLHISTORY: store_case}.get(fmt, text_case)
    count = CASES_PER_FORMAT // 4 if fmt is LogFormat.IOS_CALLHISTORY else CASES_PER_FORMAT
    return [make(i) for i in range(count)]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def store_all(store: Store, path: Path) -> None:
    """Triage's import of ``path`` into ``store``: what a reader yields must also store."""
    try:
        tallies, _logs, _added = import_logs(store, [path], region="US", fmt=None, tz="Pacific/Kiritimati")
    except CallLogError as exc:
        assert "\n" not in str(exc)
        return
    group_calls(tallies, since=None, include_all=True)


def test_no_reader_falls_over_on_a_hostile_field(log_format: LogFormat, tmp_path: Path) -> None:
    rng = random.Random(f"whocalled-fuzz-{log_format.value}")
    failures = []
    with Store(":memory:") as store:
        for index, case in enumerate(fuzz_cases(log_format, rng, tmp_path)):
            path = case()
            checks = [lambda: read_all(path, None), lambda: read_all(path, log_format)]
            if index % 10 == 0:
                checks.append(lambda: store_all(store, path))
            for check in checks:
                try:
                    check()
                except Exception as exc:  # collected and reported below, with the case that caused it
                    failures.append(f"case {index} ({path.name}): {type(exc).__name__}: {exc}"[:300])
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:15])


def test_a_bad_row_is_skipped_with_its_position_and_the_rest_kept(tmp_path: Path) -> None:
    """The faults the fuzzer found, one per reader kind: each costs its row, counted with where."""
    cases = {
        "calls.xml": ('<calls count="3"><call number="+12015550123" duration="inf" date="1709622843000" type="3" />'
                      '<call number="+12015550124" duration="0" date="1e999" type="3" />'
                      '<call number="+12015550125" duration="²" date="1709622843000" type="3" />'
                      '<call number="+12015550126" duration="0" date="1709622843000" type="3" /></calls>'),
        "generic.csv": ("timestamp,number,duration\n9999-12-31T23:59:59-14:00,+12015550123,0\n"
                        "0001-01-01T00:00:00+14:00,+12015550124,0\n2024-03-05T10:00:00Z,+12015550125,nan\n"
                        "2024-03-05T10:00:00Z,+12015550125,①\n2024-03-05T10:00:00Z,+12015550126,1e999\n"
                        "2024-03-05T10:00:00Z,+12015550127,0\n"),
        "fritz.csv": ("sep=;\nTyp;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer\n"
                      "²;04.03.24 18:02;;030 1234567;;;0:12\n2;04.03.24 18:02;;030 1234568;;;²:00\n"
                      "2;04.03.24 18:02;;030 1234569;;;1e999\n2;04.03.24 18:03;;030 1234570;;;0:00\n"),
        "Master.csv": ('"","+12025550143","100","from-trunk","x <+12025550143>","a","b","Dial","d",'
                       '"2024-03-04 09:15:02","","2024-03-04 09:18:44",222,inf,"ANSWERED","DOCUMENTATION","1"\n'
                       '"","+12025550144","100","from-trunk","x <+12025550144>","a","b","Dial","d",'
                       '"2024-03-04 09:15:02","","2024-03-04 09:18:44",222,0,"NO ANSWER","DOCUMENTATION","1"\n'),
    }
    results = {}
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        tally = ReadTally()
        calls = list(read_calls(path, tally=tally, region="DE" if name == "fritz.csv" else "US"))
        results[name] = (len(calls), tally.skipped, [p.split(":")[0] for p in tally.problems])
    assert results == {
        "calls.xml": (1, 3, ["element 1 (line 1)", "element 2 (line 1)", "element 3 (line 1)"]),
        "generic.csv": (1, 5, ["line 2", "line 3", "line 4", "line 5", "line 6"]),
        "fritz.csv": (1, 3, ["line 3", "line 4", "line 5"]),
        "Master.csv": (1, 1, ["line 1"]),
    }


def test_ios_rows_with_overflowing_values_are_skipped(make_storedata: Callable[..., Path]) -> None:
    rows = [dict(STOREDATA_SAMPLE[0], Z_PK=1, ZDATE=float("inf")), dict(STOREDATA_SAMPLE[0], Z_PK=2, ZDURATION=1e308),
            dict(STOREDATA_SAMPLE[0], Z_PK=3, ZDATE="²"), dict(STOREDATA_SAMPLE[0], Z_PK=4),
            dict(STOREDATA_SAMPLE[1], Z_PK=5)]
    path = make_storedata(rows)
    with closing(sqlite3.connect(path)) as db:  # text that is not UTF-8, as a damaged file may hold
        db.execute("UPDATE ZCALLRECORD SET ZNAME = CAST(x'ff4d61726961' AS TEXT) WHERE Z_PK = 5")
        db.commit()
    tally = ReadTally()
    calls = list(read_calls(path, tally=tally))
    assert [c.name for c in calls] == [None, "\ufffdMaria"]
    assert (len(calls), tally.skipped) == (2, 3)
    assert sorted(p.split(":")[0] for p in tally.problems) == ["record 1", "record 2", "record 3"]


def test_fuzz_cases_really_mutate(tmp_path: Path) -> None:
    """The fuzzer's files differ from the samples, so the test above exercises something."""
    rng = random.Random(1)
    changed = sum(case().read_bytes() != (DATA / "generic_calls.csv").read_bytes()
                  for case in fuzz_cases(LogFormat.GENERIC_CSV, rng, tmp_path)[:50])
    assert changed >= 45
    with closing(sqlite3.connect(fuzz_cases(LogFormat.IOS_CALLHISTORY, rng, tmp_path)[0]())) as db:
        assert db.execute("SELECT COUNT(*) FROM ZCALLRECORD").fetchone()[0] == len(STOREDATA_SAMPLE)
