"""The printer of ``whocalled lookup``: each result as it comes, as a JSON line or a text block."""

from __future__ import annotations

import shutil
import sys

import typer

from lookup.cli.common import warn
from lookup.results import result_text


class ResultPrinter:
    """Prints lookup results one by one as they come (JSON lines or text blocks), counting the
    inputs that were not numbers and the sources that gave no answer."""

    FAILED = ("blocked", "rate_limited", "layout_changed", "error", "timeout")

    def __init__(self, *, json_out: bool, verbose: bool, tz: str | None = None) -> None:
        self.json_out = json_out
        self.tz = tz
        self.width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
        self.verbose = verbose
        self.bad = 0
        self.failed: set[tuple[str, str]] = set()
        self._first = True

    def show(self, r) -> None:
        self.failed.update((f.source, f.status.value) for f in r.findings if f.status.value in self.FAILED)
        if self.json_out:
            self.bad += r.error is not None
            sys.stdout.write(result_text(r) + "\n")  # json.dumps(r.to_json(), ensure_ascii=False), written directly
            return
        if r.error:
            self.bad += 1
            warn(f"{r.input!r}: {r.error}")
            return
        from lookup.cli.render import render_result

        if not self._first:
            typer.echo("")
        typer.echo(render_result(r, verbose=self.verbose, tz=self.tz, width=self.width))
        self._first = False
