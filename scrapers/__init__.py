"""Everything that talks to the outside world about a number. The registry lives in
:mod:`scrapers.registry` so that importing one source does not import them all."""
