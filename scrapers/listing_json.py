"""Reading the list inside a large JSON answer one item at a time (Overpass ``elements``,
SPARQL ``results.bindings``), in memory that does not grow with the answer.

The text is read in chunks; ``json.JSONDecoder.raw_decode`` decodes each item of the wanted
list on its own, and the item is dropped once handed on. The other values of the objects on
the way (Overpass's ``remark``, SPARQL's ``head``) are decoded whole and kept in
:attr:`JsonItems.others`, since they are small: a caller looks at them once the list is done
(Overpass writes its ``remark`` after the elements). An answer that stops before its end
(a download cut off mid-stream) raises :class:`AnswerError` after the items read so far.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, TextIO

CHUNK = 256 * 1024
MAX_ITEM = 4 * 1024 * 1024  # characters one item may take: a hostile answer cannot grow the buffer for ever
_SPACE = " \t\n\r"


class AnswerError(ValueError):
    """The answer is not the JSON document expected, or it stops before its end."""


class JsonItems:
    """The items of the list at ``path`` (keys of nested objects) in a JSON text stream."""

    def __init__(self, stream: TextIO, path: tuple[str, ...], name: str = "the answer"):
        self.stream = stream
        self.path = path
        self.name = name
        self.buffer = ""
        self.at = 0
        self.ended = False
        self.found = False
        self.others: dict[str, Any] = {}
        self.decoder = json.JSONDecoder()

    def __iter__(self) -> Iterator[Any]:
        if self._peek() != "{":
            self._fail(f"it starts with {self._shown()} instead of a JSON object")
        yield from self._object(0)
        if self._peek():
            self._fail(f"more text after the end of the document ({self._shown()})")
        if not self.found:
            self._fail(f'it has no "{".".join(self.path)}" list')

    # -- the walk
    def _object(self, depth: int) -> Iterator[Any]:
        self._expect("{")
        if self._peek() == "}":
            self.at += 1
            return
        while True:
            if self._peek() != '"':
                self._fail(f"a key was expected, found {self._shown()}")
            key = self._decode("a key")
            self._expect(":")
            if key == self.path[depth] and depth + 1 == len(self.path) and self._peek() == "[":
                self.found = True
                yield from self._array()
            elif key == self.path[depth] and self._peek() == "{":
                yield from self._object(depth + 1)
            else:
                value = self._decode(f"the value of {str(key)[:40]!r}")
                if depth == 0:
                    self.others[str(key)] = value
            self._expect(",}")
            if self.buffer[self.at - 1] == "}":
                return

    def _array(self) -> Iterator[Any]:
        self._expect("[")
        if self._peek() == "]":
            self.at += 1
            return
        while True:
            yield self._decode("an item")
            self._expect(",]")
            if self.buffer[self.at - 1] == "]":
                return

    # -- the window on the stream
    def _fill(self) -> bool:
        if self.ended:
            return False
        chunk = self.stream.read(CHUNK)
        if not chunk:
            self.ended = True
            return False
        self.buffer = self.buffer[self.at :] + chunk
        self.at = 0
        return True

    def _peek(self) -> str:
        while True:
            while self.at < len(self.buffer) and self.buffer[self.at] in _SPACE:
                self.at += 1
            if self.at < len(self.buffer) or not self._fill():
                return self.buffer[self.at : self.at + 1]

    def _expect(self, allowed: str) -> None:
        found = self._peek()
        if not found or found not in allowed:
            self._fail(f"{' or '.join(repr(c) for c in allowed)} was expected, found {self._shown()}")
        self.at += 1

    def _decode(self, what: str) -> Any:
        self._peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.at)
            except json.JSONDecodeError as exc:
                if len(self.buffer) - self.at > MAX_ITEM:
                    self._fail(f"{what} is longer than {MAX_ITEM // 1024 // 1024} MB or not JSON")
                if not self._fill():
                    self._fail(f"{exc.msg} in {what} (or the answer was cut off there)")
                continue
            except RecursionError:
                self._fail(f"{what} is nested too deeply")
            if end == len(self.buffer) and self._fill():  # a number may go on in the next chunk
                continue
            self.at = end
            return value

    def _shown(self) -> str:
        found = self.buffer[self.at : self.at + 1]
        return repr(found) if found else "the end (the answer was cut off)"

    def _fail(self, why: str) -> None:
        raise AnswerError(f"{self.name} is not usable: {why}")
