"""The user's address book as an allow list: vCard ``.vcf`` files and Google Contacts CSV.

Every number of every contact becomes an exact E.164 entry named after the contact;
short codes, withheld placeholders and junk are skipped and counted. Contacts never
give prefixes.

Google Contacts CSV (export from contacts.google.com): a header with ``Name`` (older)
or ``First Name``/``Last Name`` (newer, also ``Given Name``/``Family Name``) and pairs
``Phone 1 - Type``/``Phone 1 - Label`` and ``Phone 1 - Value``; a value holding several
numbers separates them with `` ::: ``. Outlook-style ``Mobile Phone`` columns are read too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from lookup.blocklists import ImportedEntry
from lookup.blocklists.common import ImportContext, iter_csv, open_text
from lookup.blocklists.vcard import iter_cards

MULTI_VALUE = " ::: "
_PHONE_VALUE = re.compile(r"phone \d+ - value|(?:.+ )?phone(?: \d+)?", re.IGNORECASE)
NAME_PARTS = (("first name", "given name"), ("middle name", "additional name"), ("last name", "family name"))
NAME_FALLBACKS = ("nickname", "organization 1 - name", "organization name", "company", "file as")


def read_vcard(path: Path, context: ImportContext) -> Iterator[ImportedEntry]:
    for card in iter_cards(path, context):
        for line, value in card.tels:
            e164 = context.to_number(value, f"line {line}")
            if e164 is not None:
                yield ImportedEntry(e164, name=card.name)


def read_google_csv(path: Path, context: ImportContext) -> Iterator[ImportedEntry]:
    with open_text(path) as stream:
        records = iter_csv(stream, context)
        header = next(records, None)
        if header is None:
            return
        columns = [cell.strip().lower() for cell in header[1]]
        phones = [at for at, column in enumerate(columns) if _PHONE_VALUE.fullmatch(column)]
        if not phones:
            context.problem("line 1", "no phone columns ('Phone 1 - Value') in the header")
            return
        for line, fields in records:
            name = contact_name(columns, fields)
            for at in phones:
                if at >= len(fields):
                    continue
                for raw in fields[at].split(":::"):
                    if raw.strip():
                        e164 = context.to_number(raw.strip(), f"line {line}")
                        if e164 is not None:
                            yield ImportedEntry(e164, name=name)


def contact_name(columns: list[str], fields: list[str]) -> str | None:
    """The contact's display name: ``Name``, else first/middle/last, else nickname or organisation."""

    def cell(*names: str) -> str:
        for name in names:
            if name in columns:
                at = columns.index(name)
                if at < len(fields) and fields[at].strip():
                    return fields[at].strip()
        return ""

    name = cell("name") or " ".join(part for part in (cell(*pair) for pair in NAME_PARTS) if part) or cell(*NAME_FALLBACKS)
    return name or None
