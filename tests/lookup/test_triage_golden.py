"""Issue 15: triage's speed work must not change a byte of what it prints. Two generated
Android logs (overlapping, so some calls come twice) full of what the signals read (redials
within seconds and minutes, the same hour on several days, waves from one block, voicemails
after missed calls, contacts, withheld callers, night calls, international numbers) are
triaged as ``--json`` and ``--all --json``; the output is compared with the golden file made
by the code before the speed work (``data/triage-golden.jsonl.gz``, written with
``gzip.compress(triage_outputs(...).encode(), mtime=0)``; made again when issue 16's signals
and waves line were merged, by the code just before the speed work). Only the ``fetched_at``
of the sources skipped in this run (the time of the run) is blanked."""

from __future__ import annotations

import gzip
import random
import re
from pathlib import Path

from typer.testing import CliRunner

from lookup.cli import app

GOLDEN = Path(__file__).parent / "data" / "triage-golden.jsonl.gz"
START_MS = 1_709_280_000_000  # 2024-03-01 08:00 UTC
_MIN = 60_000
_DAY = 86_400_000


def golden_calls(seed: int = 15) -> list[tuple[str, int, int, int, str]]:
    """``(number, unix ms, android type, duration, contact name)`` rows, in file order."""
    rng = random.Random(seed)
    blocks = ["20155501", "87655520", "31255530"]
    numbers = [f"{rng.choice(blocks)}{rng.randint(0, 99):02d}" for _ in range(70)]
    numbers += ["+447700900123", "+33612345678", "+4930901820", "9005550111", "12345"]
    contacts = {numbers[3]: "Aunt May", numbers[11]: "Dr Lee"}
    rows: list[tuple[str, int, int, int, str]] = []
    for number in numbers:
        at = START_MS + rng.randint(0, 20 * _DAY)
        hour = at % _DAY
        for _ in range(rng.randint(1, 9)):
            kind = rng.choice([3, 3, 3, 1, 1, 2, 4, 5, 6])
            duration = rng.randint(5, 600) if kind in (1, 2, 4) else 0
            rows.append((number, at, kind, duration, contacts.get(number, "(Unknown)")))
            step = rng.choice(["redial", "minutes", "next_day_same_time", "later"])
            if step == "redial":
                at += rng.randint(5, 30) * 1000
            elif step == "minutes":
                at += rng.randint(1, 10) * _MIN
            elif step == "next_day_same_time":
                at = at - at % _DAY + _DAY + hour + rng.randint(-10, 10) * _MIN
            else:
                at += rng.randint(1, 72) * 60 * _MIN
    for i in range(12):  # a wave: one silent call each from a dozen numbers of one block in two days
        rows.append((f"3055557{i:03d}", START_MS + 5 * _DAY + i * 4 * 60 * _MIN, 3, 0, "(Unknown)"))
    for i in range(6):  # withheld callers
        rows.append(("", START_MS + rng.randint(0, 20 * _DAY), 3, 0, "(Unknown)"))
    rng.shuffle(rows)
    return rows


def write_log(path: Path, rows: list[tuple[str, int, int, int, str]]) -> str:
    lines = "".join(
        f'  <call number="{n}" duration="{d}" date="{at}" type="{k}" presentation="{1 if n else 2}"'
        f' contact_name="{name}" />\n'
        for n, at, k, d, name in rows
    )
    path.write_text(f"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
                    f'<calls count="{len(rows)}">\n{lines}</calls>\n', encoding="utf-8")
    return str(path)


def triage_outputs(tmp_path: Path) -> str:
    rows = golden_calls()
    first = write_log(tmp_path / "calls-1.xml", rows[: len(rows) * 2 // 3])
    second = write_log(tmp_path / "calls-2.xml", rows[len(rows) // 3 :])  # a third of the calls again
    out = []
    for args in (["--json", first, second], ["--all", "--json", second]):
        r = CliRunner().invoke(app, ["triage", "--offline", *args])
        assert r.exit_code == 0 and "Traceback" not in r.output, r.output
        out.append(r.stdout)
    return re.sub(r'"fetched_at": "[^"]*"', '"fetched_at": ""', "".join(out))


def test_triage_json_is_byte_identical_to_the_golden_output(tmp_path) -> None:
    got = triage_outputs(tmp_path)
    want = gzip.decompress(GOLDEN.read_bytes()).decode("utf-8")
    assert got.count("\n") == want.count("\n") > 100
    for i, (a, b) in enumerate(zip(got.splitlines(), want.splitlines())):
        assert a == b, f"line {i + 1} differs"
    assert got == want
