"""``python -m lookup.cli``: the same as the ``whocalled`` console script."""

from lookup.cli import main

main()
