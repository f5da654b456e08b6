"""Reading the entries of a JSON list one at a time, in memory that does not grow with the file.

A blocklist in JSON is one array of entries, bare (``[...]``) or under a key of the top
object (``{"entries": [...]}``). :func:`iter_json_items` walks the document with
``json.JSONDecoder.raw_decode`` over a buffer filled in chunks: each entry (and each other
value of the top object) is decoded on its own and dropped once yielded, so a 25 MB list
costs what one entry costs. One value larger than ``MAX_VALUE`` characters is refused, so a
hostile file cannot make the buffer grow without bound either.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, TextIO

from lookup.blocklists import BlocklistError

CHUNK = 64 * 1024
MAX_VALUE = 1024 * 1024  # characters one entry (or one other top-level value) may take
_WHITESPACE = " \t\n\r"


class JsonReader:
    """A window on a text stream: the unread part of the document, refilled in chunks."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self.stream = stream
        self.name = name
        self.buffer = ""
        self.at = 0
        self.done = False
        self.decoder = json.JSONDecoder()

    def fill(self) -> bool:
        """Read one more chunk (dropping what was consumed); ``False`` at the end of the file."""
        if self.done:
            return False
        chunk = self.stream.read(CHUNK)
        if not chunk:
            self.done = True
            return False
        self.buffer = self.buffer[self.at :] + chunk.replace("\x00", "")
        self.at = 0
        return True

    def peek(self) -> str:
        """The next character that is not white space, without consuming it; ``""`` at the end."""
        while True:
            while self.at < len(self.buffer) and self.buffer[self.at] in _WHITESPACE:
                self.at += 1
            if self.at < len(self.buffer) or not self.fill():
                return self.buffer[self.at : self.at + 1]

    def expect(self, expected: str, what: str) -> None:
        found = self.peek()
        if found not in expected or not found:
            self.fail(f"expected {what}, found {shown(found)}")
        self.at += 1

    def decode(self, what: str) -> Any:
        """The next JSON value, read whole; more of the file is read until the value is complete."""
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.at)
            except json.JSONDecodeError as exc:
                if len(self.buffer) - self.at > MAX_VALUE:
                    self.fail(f"{what} is longer than {MAX_VALUE // 1024} KB or not valid JSON")
                if not self.fill():
                    self.fail(f"{exc.msg} in {what}")
                continue
            except RecursionError:
                self.fail(f"{what} is nested too deeply")
            # a number at the end of the buffer may go on in the next chunk
            if end == len(self.buffer) and not self.done and self.fill():
                continue
            self.at = end
            return value

    def fail(self, message: str, *, syntax: bool = True) -> None:
        """Refuse the file: ``syntax`` when it is not JSON at all, else when it is JSON but not a list."""
        what = "not valid JSON" if syntax else "not a JSON list of entries"
        raise BlocklistError(f"{self.name} is {what}: {message}")


def shown(character: str) -> str:
    return repr(character) if character else "the end of the file"


def iter_json_items(stream: TextIO, name: str, *, key: str = "entries", bare: bool = True) -> Iterator[Any]:
    """Each item of the document's list: the top array when ``bare`` allows one, else the array
    under ``key`` in the top object. Raises :class:`BlocklistError` (after the items read so
    far) when the document is broken or has no such list."""
    reader = JsonReader(stream, name)
    start = reader.peek()
    if start == "[" and bare:
        yield from iter_array(reader)
    elif start == "{":
        yield from iter_object_list(reader, key)
    else:
        wanted = f'an object with "{key}"' + (" or a list" if bare else "")
        reader.fail(f"expected {wanted}, found {shown(start)}", syntax=start in "[{\"-0123456789tfn" and bool(start))
    if reader.peek():
        reader.fail(f"more after the end of the document ({shown(reader.peek())})")


def iter_array(reader: JsonReader) -> Iterator[Any]:
    reader.expect("[", "'['")
    if reader.peek() == "]":
        reader.at += 1
        return
    index = 0
    while True:
        index += 1
        yield reader.decode(f"entry {index}")
        reader.expect(",]", "',' or ']'")
        if reader.buffer[reader.at - 1] == "]":
            return


def iter_object_list(reader: JsonReader, key: str) -> Iterator[Any]:
    """The items of the list under ``key``; the object's other values are read and dropped."""
    reader.expect("{", "'{'")
    found = False
    if reader.peek() == "}":
        reader.at += 1
    else:
        while True:
            if reader.peek() != '"':
                reader.fail(f"expected a key, found {shown(reader.peek())}")
            name = reader.decode("a key")
            reader.expect(":", "':'")
            if name == key and not found and reader.peek() == "[":
                found = True
                yield from iter_array(reader)
            else:
                reader.decode(f"the value of {str(name)[:40]!r}")
            reader.expect(",}", "',' or '}'")
            if reader.buffer[reader.at - 1] == "}":
                break
    if not found:
        reader.fail(f'no "{key}" list', syntax=False)
