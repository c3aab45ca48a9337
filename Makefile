# Filmportalen: `make run` starts the portal, `make test` runs the tests. Both install what is
# missing first and are safe to run again.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMPS := .make
PO     := $(wildcard portal/translations/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)
# pytest processes (pytest-xdist); each test file stays in one process with its fixtures, and much
# of a browser or worker test is waiting, so two processes share two cores well. 0: one process.
TEST_WORKERS ?= 2

.PHONY: run test lint screens check-translations messages lock worker clean help

help:
	@echo "make run    start the portal (web, worker, Redis) on http://127.0.0.1:$${PORT:-5000}"
	@echo "make test   install test dependencies, run ruff, the JavaScript unit tests and pytest"
	@echo "make screens  screenshots of each role's main page at phone and desktop width in docs/screens/"

run: $(STAMPS)/sysdeps-run $(STAMPS)/venv-run $(MO)
	@bash scripts/run.sh

test: $(STAMPS)/sysdeps-test $(STAMPS)/venv-test $(MO)
	$(BIN)/ruff check .
	$(BIN)/python scripts/audit.py
	node --test --test-reporter=dot tests/js/*.test.mjs
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(STAMPS)/venv-test
	$(BIN)/ruff check .

# The layout browser test photographs each role's main page at phone and desktop width.
screens: $(STAMPS)/sysdeps-test $(STAMPS)/venv-test $(MO)
	SCREENS_DIR=docs/screens $(BIN)/python -m pytest -q -p no:cacheprovider \
	  "tests/e2e/test_layout_browser.py::test_every_page_fits_every_size_and_passes_axe"

# System packages come from apt when a command is missing (sudo when not root).
$(STAMPS)/sysdeps-run: scripts/sysdeps.sh
	@bash scripts/sysdeps.sh run
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/sysdeps-test: scripts/sysdeps.sh
	@bash scripts/sysdeps.sh test
	@mkdir -p $(STAMPS) && touch $@

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip==26.3

$(STAMPS)/venv-run: $(VENV)/bin/python requirements.txt constraints.txt
	$(BIN)/python -m pip install -q -r requirements.txt -c constraints.txt
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/venv-test: $(VENV)/bin/python requirements.txt requirements-dev.txt constraints.txt
	$(BIN)/python -m pip install -q -r requirements-dev.txt -c constraints.txt
	@mkdir -p $(STAMPS) && touch $@ $(STAMPS)/venv-run

%.mo: %.po $(STAMPS)/venv-run
	$(BIN)/pybabel compile -i $< -o $@

# Developer helpers --------------------------------------------------------------------------

messages: $(STAMPS)/venv-run
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o instance/messages.pot .
	$(BIN)/pybabel update -i instance/messages.pot -d portal/translations --no-fuzzy-matching --ignore-obsolete

lock: $(STAMPS)/venv-test
	{ echo '# Full lock of every Python package (runtime and tests), from `pip freeze`.'; \
	  echo '# Regenerate after changing requirements*.txt: make lock'; \
	  $(BIN)/python -m pip freeze --exclude-editable; } > constraints.txt

clean:
	rm -rf $(STAMPS) .pytest_cache .ruff_cache
