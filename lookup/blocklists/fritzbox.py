"""FRITZ!Box phonebook XML, as the box imports it into a phonebook or its call-barring list.

Skeleton (FORMATS.md section 6): ``<phonebooks><phonebook name=...>`` with one
``<contact>`` per number: ``<category>0</category><person><realName/></person>
<telephony nid="1"><number type="home" prio="1" id="0">...</number></telephony>
<services/><setup/><features doorphone="0"/><mod_time>epoch</mod_time><uniqueid/>``.

A book holds about 2000 entries (seen on a 7590), so every ``chunk_size`` (default 2000)
contacts start a new file ``out-2.xml``, ``out-3.xml``... each a complete document (the
upload replaces a whole book). Written to a stream, the parts are further ``<phonebook>``
elements of the one document. Whether the call-barring list treats a trailing ``*`` as
a prefix is unverified (fritzsoap reads it as a main-number marker), so prefixes are
skipped and counted rather than risk an entry that silently blocks nothing. Names are
escaped with ``html.escape`` (``&``, ``<``, ``>``, and quotes in the book's name attribute;
``xml.sax.saxutils`` would load ``urllib.request`` into every export); the reader uses
defusedxml, loaded only to read, and refuses any DTD.
"""

from __future__ import annotations

import time
from itertools import chain, repeat
from pathlib import Path
from html import escape
from typing import TYPE_CHECKING, Iterator, TextIO

from lookup.blocklists import BlocklistError, ExportRow, ExportStats, ImportedEntry
from lookup.blocklists.columns import iter_columns
from lookup.blocklists.common import ExportOptions, ImportContext, TextMemo, clean_text, shorten

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

BOOK_LIMIT = 2000
BOOK_NAME = "whocalled"
DOCUMENT_START = '<?xml version="1.0" encoding="utf-8"?>\n<phonebooks>\n'
DOCUMENT_END = "</phonebooks>\n"
CONTACT_HEAD = "<contact><category>0</category><person><realName>"  # the realName, then
CONTACT_MIDDLE = '</realName></person><telephony nid="1"><number type="home" prio="1" id="0">'  # the number, then the tail
CONTACT_NUMBERS = 1000  # numbers kept per contact; a box shows a handful


def write(rows: Iterator[ExportRow], out: TextIO, options: ExportOptions, stats: ExportStats) -> None:
    limit = options.chunk_size or BOOK_LIMIT
    localize = options.localize
    tail = (
        f'</number></telephony><services/><setup/><features doorphone="0"/>'
        f"<mod_time>{int(time.time())}</mod_time><uniqueid/></contact>\n"
    )
    localize = localize or str
    labels = TextMemo(lambda label: escape(clean_text(label), quote=False))
    stream = out
    stream.write(DOCUMENT_START + book_start(1))
    in_book = 0
    books = 1
    for batch in iter_columns(rows, stats, prefixes=False):
        numbers = batch.numbers if options.localize is None else list(map(localize, batch.numbers))
        texts = list(map(labels.__getitem__, batch.labels(name_first=True)))
        if "" in texts:  # no label: the contact is named by its number
            texts = [text or local for text, local in zip(texts, numbers)]
        start = 0
        while start < len(numbers):
            if in_book == limit:
                books += 1
                part = options.target.open_part(books)
                if part is None:
                    stream.write("</phonebook>\n" + book_start(books))
                else:
                    stream.write("</phonebook>\n" + DOCUMENT_END)
                    stream = part
                    stream.write(DOCUMENT_START + book_start(books))
                in_book = 0
            end = min(start + limit - in_book, len(numbers))
            # the contacts joined from their pieces in one go: no string made per contact
            stream.write("".join(chain.from_iterable(
                zip(repeat(CONTACT_HEAD), texts[start:end], repeat(CONTACT_MIDDLE), numbers[start:end], repeat(tail))
            )))
            in_book += end - start
            stats.written += end - start
            start = end
    stream.write("</phonebook>\n" + DOCUMENT_END)


def book_start(index: int) -> str:
    name = BOOK_NAME if index == 1 else f"{BOOK_NAME} {index}"
    return f'<phonebook name="{escape(name)}">\n'


def read(path: Path, context: ImportContext) -> Iterator[ImportedEntry]:
    """Every ``<number>`` of every ``<contact>``, named by the contact's ``<realName>``.

    Streamed: every element is taken off the tree as soon as it ends (what a contact needs
    is kept aside first), so memory does not grow with the file, whatever its elements are.
    """
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    parents: list[Element] = []
    name: str | None = None
    numbers: list[str] = []
    try:
        for event, element in iterparse(str(path), events=("start", "end"), forbid_dtd=True):
            if event == "start":
                parents.append(element)
                continue
            parents.pop()
            tag = _local(element.tag)
            if tag == "contact":
                yield from _contact_entries(name, numbers, context)
                name, numbers = None, []
            elif tag == "realName" and element.text:
                name = element.text
            elif tag == "number" and element.text and element.text.strip():
                if len(numbers) < CONTACT_NUMBERS:
                    numbers.append(element.text.strip())
                else:
                    context.problem(f"contact {shorten(name or '(no name)')!r}", f"more than {CONTACT_NUMBERS} numbers")
            element.clear()
            if parents:
                parents[-1].remove(element)  # the only child left: each sibling went when it ended
    except DefusedXmlException as exc:
        raise BlocklistError(f"{path.name}: refused, the XML declares a DTD or entities ({type(exc).__name__})") from None
    except ParseError as exc:
        raise BlocklistError(f"{path.name} is not well-formed XML: {exc}") from None


def _contact_entries(name: str | None, numbers: list[str], context: ImportContext) -> Iterator[ImportedEntry]:
    where = f"contact {shorten(name or '(no name)')!r}"
    for raw in numbers:
        if raw.startswith("**") or (raw.isdigit() and len(raw) <= 3):
            context.problem(where, f"internal extension, not a phone number: {shorten(raw)!r}")
            continue
        pattern = context.to_pattern(raw, where)
        if pattern is not None:
            yield ImportedEntry(pattern, name=name)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
