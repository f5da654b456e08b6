# whocalled: `make demo` and `make test` work on a fresh clone (they create .venv themselves).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test bench clean install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	# Byte-compile now: the first run would otherwise compile every module it loads (up to 1.3x a lookup).
	$(BIN)/python -m compileall -q lookup scrapers db
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# The main job on a database of its own: look up a mix of numbers, then triage an example call
# log. The demo's calls are fictional, so they go to demo.db here (ignored by git), never into
# your own database. (Exit code 2 from lookup means "some inputs were not phone numbers", which
# the sample has on purpose.)
DEMO_DB := $(CURDIR)/demo.db

demo: $(STAMP)
	@echo "== The demo keeps its data in $(DEMO_DB) (not your own database)."
	WHOCALLED_DB=$(DEMO_DB) $(BIN)/whocalled lookup --offline - < examples/numbers.txt || test $$? -eq 2
	@echo
	@echo "== Triage of examples/calls-example.xml (an Android call-log export):"
	WHOCALLED_DB=$(DEMO_DB) $(BIN)/whocalled triage --offline examples/calls-example.xml

test: $(STAMP)
	$(BIN)/python -m pytest

# make bench BENCH_ARGS=--quick for smaller sizes; BENCH_ARGS=bench_lookup.py for one script
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) bench/out .pytest_cache demo.db demo.db-wal demo.db-shm
