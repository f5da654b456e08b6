"""Naming a file's format from its first bytes, for ``import --format auto``."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from lookup.blocklists import BlocklistError, ImportFormat
from lookup.blocklists.common import open_text

HEAD = 64 * 1024
_SPAM_NAME = re.compile(r"spam|scam|block|junk|robo|telemarket|fraud", re.IGNORECASE)
_NCID_MARK = re.compile(r"^\^|#=|\[0-9\]|\\d|\{\d", re.MULTILINE)
_NUMBERISH = re.compile(r"(?:tel:)?[+(\d][\d\s().\-/]*\*?(\s*(;\s*ext\s*=|x|ext\.?)\s*\d+)?(\s+#.*)?", re.IGNORECASE)
_TEL_LINE = re.compile(r"(?:[\w-]+\.)?TEL[;:]", re.IGNORECASE)
_NAME_LINE = re.compile(r"(?:[\w-]+\.)?(?:FN|N)[;:]", re.IGNORECASE)
SPAM_CONTACT_TELS = 20  # a "contact" with this many numbers is a blocklist, not a person


def sniff_format(path: Path) -> str:
    """Name ``path``'s format from its first 64 KB; raise :class:`BlocklistError` naming what was tried."""
    if not path.is_file():
        raise BlocklistError(f"no such file: {path}")
    with open_text(path) as stream:
        head = stream.read(HEAD).replace("\x00", "")
    stripped = head.lstrip()
    if "BEGIN:VCARD" in head[:8192].upper() or path.suffix.lower() in (".vcf", ".vcard"):
        return sniff_vcard(head)
    if stripped.startswith("<"):
        if "<phonebooks" in head or "<phonebook" in head:
            return ImportFormat.FRITZBOX.value
        raise BlocklistError(f"{path.name} is XML but not a FRITZ!Box phonebook (no <phonebooks> element)")
    if stripped.startswith(("{", "[")):
        if '"whocalled-blocklist"' not in head and '"entries"' in head and '"number"' in head:
            return ImportFormat.CALLBLOCKER.value
        return ImportFormat.JSON.value
    lines = [line.strip() for line in head.splitlines() if line.strip()]
    if not lines:
        raise BlocklistError(f"{path.name} is empty")
    found = sniff_csv_header(lines[0])
    if found:
        return found
    entries = [line for line in lines[:500] if not line.startswith("#")]
    if entries and all(line.lower().startswith("database ") for line in entries[:50]):
        return ImportFormat.ASTDB.value
    if "ncid" in head[:4096].lower() or _NCID_MARK.search("\n".join(entries)):
        return ImportFormat.NCID.value
    numberish = sum(1 for line in entries if _NUMBERISH.fullmatch(line))
    if entries and numberish * 4 >= len(entries) * 3:  # mostly numbers: stray junk lines are skipped and counted
        return ImportFormat.TXT.value
    raise BlocklistError(
        f"cannot tell the format of {path.name}: it is not a vCard, a FRITZ!Box phonebook, JSON, a CSV with a "
        "known header (csv, freepbx, yacb, spamblocker, Google Contacts), astdb commands, an NCID list "
        "or one number per line; name the format"
    )


def sniff_csv_header(line: str) -> str | None:
    header = [cell.strip().strip('"').strip().lower() for cell in next(csv.reader([line]), [])]
    if header[:3] == ["id", "name", "pattern"]:
        return ImportFormat.YACB.value
    if any(cell.startswith("phone 1 - value") for cell in header):
        return ImportFormat.GOOGLE_CONTACTS_CSV.value
    if "company_phone_number" in header:
        raise BlocklistError("this is an FTC complaint CSV: load it with `whocalled sync ftc --file`, not import")
    if "pattern" in header:
        return ImportFormat.SPAMBLOCKER.value
    if header == ["number", "description"]:
        return ImportFormat.FREEPBX.value
    if "number" in header and {"verdict", "score", "added_at"} & set(header):
        return ImportFormat.CSV.value
    return None


def sniff_vcard(head: str) -> str:
    """A blocklist ("vcard"/"vcard4") when a card holds many numbers or every name says spam; else contacts."""
    upper = head.upper()
    version = ImportFormat.VCARD4.value if "VERSION:4.0" in upper else ImportFormat.VCARD.value
    cards = re.split(r"BEGIN:VCARD", head, flags=re.IGNORECASE)[1:]
    if not cards:
        return ImportFormat.CONTACTS_VCARD.value
    names: list[str] = []
    for card in cards:
        lines = card.splitlines()
        if sum(1 for line in lines if _TEL_LINE.match(line)) >= SPAM_CONTACT_TELS:
            return version
        names.extend(line.split(":", 1)[-1] for line in lines if _NAME_LINE.match(line))
    if names and all(_SPAM_NAME.search(name) for name in names):
        return version
    return ImportFormat.CONTACTS_VCARD.value
