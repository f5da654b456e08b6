"""Every `whocalled ...` example in the README's shell blocks runs as printed, in README order,
in one folder with one database: the files they name are laid out from the project's test data,
and every source is pointed at a local site on 127.0.0.1 that has nothing (404), so the examples
that go online end at once and locally (never the internet). Only what cannot run here is left out: the server (it
does not end), and lines that pipe into or append to another program's files."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SCRIPT = Path(sys.executable).with_name("whocalled")
DATA = ROOT / "tests"
SKIP = ("serve", "| ", ">> ", "$(")
# Examples that need the internet: here they must end cleanly (0, or 1 for "nothing could be fetched").
ONLINE = ("sync ftc", "sync fcc", "sync osm --area", "sync osm --bbox", "sync wikidata --country", "sources --check")


def examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        lines += [line.strip() for line in block.splitlines() if line.strip().startswith("whocalled ")]
    return lines


def lay_out_files(folder: Path, home: Path) -> None:
    """The files the examples name, from the project's own test data."""
    copies = {
        "calls-20261120.xml": ROOT / "examples" / "calls-example.xml",
        "numbers.txt": ROOT / "examples" / "numbers.txt",
        "FRITZ.csv": DATA / "calllogs" / "data" / "fritzbox_de_8col.csv",
        "Master.csv": DATA / "calllogs" / "data" / "Master.csv",
        "calls.csv": DATA / "calllogs" / "data" / "generic_calls.csv",
        "DNC_Complaint_Numbers_2026-11-20.csv": sorted((DATA / "data" / "ftc").glob("*.csv"))[0],
        "our-reports.csv": sorted((DATA / "data" / "ftc").glob("*.csv"))[1],
        "contacts.vcf": DATA / "blocklists" / "data" / "vcard_spam_contact_many_tel.vcf",
        "overpass.json": DATA / "pages" / "osm" / "us-dc.json",
        "wikidata.json": DATA / "pages" / "wikidata" / "us.json",
    }
    for name, source in copies.items():
        shutil.copy(source, folder / name)
    (folder / "friends-list.txt").write_text(
        "# from Anna: numbers that called her this month\n(212) 555-0177   # twice, no message\n"
        "212.555.0178\ntel:+442079460123\n"
    )
    (folder / "google-contacts.csv").write_text(
        "Name,Given Name,Family Name,Group Membership,Phone 1 - Type,Phone 1 - Value\n"
        "Jane Doe,Jane,Doe,* myContacts,Mobile,+1 202-555-0123\n"
    )
    with closing(sqlite3.connect(folder / "CallHistory.storedata")) as db:
        db.execute("CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_MAX INTEGER)")
        db.execute("CREATE TABLE ZCALLRECORD (Z_PK, ZDATE, ZDURATION, ZADDRESS, ZORIGINATED, ZANSWERED, ZCALLTYPE, ZNAME)")
        db.execute("INSERT INTO ZCALLRECORD VALUES (1, 785000000.0, 0.0, '+12025550143', 0, 0, 1, NULL)")
        db.commit()
    downloads = home / "Downloads"
    downloads.mkdir(parents=True)
    calls = DATA / "calllogs" / "data" / "takeout" / "Takeout" / "Voice" / "Calls"
    with zipfile.ZipFile(downloads / "takeout-20261120.zip", "w") as archive:
        for page in sorted(calls.iterdir()):
            archive.write(page, f"Takeout/Voice/Calls/{page.name}")


@pytest.mark.skipif(not SCRIPT.exists(), reason="the whocalled console script is not installed")
def test_every_readme_example_runs_as_printed(tmp_path, thread_server) -> None:
    from aiohttp import web

    from scrapers.registry import source_names

    async def nothing_here(request: web.Request) -> web.Response:
        return web.Response(status=404, text="not here")

    site = web.Application()
    site.router.add_route("*", "/{tail:.*}", nothing_here)
    dead = thread_server(site)  # a local site that has nothing: online examples end at once

    home = tmp_path / "home"
    folder = tmp_path / "work"
    folder.mkdir()
    lay_out_files(folder, home)
    config = tmp_path / "config.toml"
    # the local site may be asked quickly: a polite pace for the real sites would only slow the test
    config.write_text("".join(f'[sources.{name}]\nbase_url = "{dead}"\nrate = 100\n' for name in source_names()))
    env = {**os.environ, "HOME": str(home), "WHOCALLED_CONFIG": str(config), "WHOCALLED_DB": str(tmp_path / "w.db"),
           "XDG_DATA_HOME": str(home / ".local" / "share"), "COLUMNS": "80"}
    ran = []
    for line in examples():
        if any(mark in line for mark in SKIP):
            continue
        words = shlex.split(line, comments=True)
        stdin = None
        if "<" in words:
            at = words.index("<")
            stdin = (folder / words[at + 1]).read_bytes()
            words = words[:at] + words[at + 2:]
        words = [os.path.expanduser(w).replace(str(Path("~").expanduser()), str(home)) if w.startswith("~") else w
                 for w in words]
        words = [str(home) + w[1:] if w.startswith("~/") else w for w in words]
        result = subprocess.run([str(SCRIPT), *words[1:]], input=stdin, capture_output=True, cwd=folder, env=env,
                                timeout=120)
        err = result.stderr.decode("utf-8", "replace")
        assert "Traceback" not in err, (line, err)
        allowed = {0, 1} if any(mark in line for mark in ONLINE) else {0}
        if "numbers.txt" in line and "lookup" in line:
            allowed = {0, 2}  # the sample has inputs that are not numbers, on purpose
        if "--submit phoneblock" in line:
            allowed, must_say = {2}, "token"  # needs the user's own PhoneBlock token
            assert must_say in err, (line, err)
        assert result.returncode in allowed, (line, result.returncode, err[-600:])
        ran.append(line)
    assert len(ran) >= 30, ran
