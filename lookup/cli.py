"""The whocalled command line (typer). Parses options, runs, prints, picks the exit code.

Exit codes, decided in the command modules only: 0 success (even when some sources failed,
which is said on stderr), 1 runtime failure, 2 bad input or usage. The commands live in
:mod:`lookup.cli_numbers` (lookup, lists, reports, config), :mod:`lookup.cli_lists` (export,
import) and :mod:`lookup.cli_data` (triage, sync, sources, serve); shared options and helpers
in :mod:`lookup.cli_common`.
"""

# Importing the command modules registers their commands, in this order in --help.
from lookup import cli_numbers  # noqa: F401  isort: skip
from lookup import cli_lists  # noqa: F401  isort: skip
from lookup import cli_data  # noqa: F401  isort: skip
from lookup.cli_common import app

__all__ = ["app"]
