# platform_abm: set up, run and test. `make run` and `make test` are the quick start.
VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
TESTSTAMP := $(VENV)/.installed-test
SCENARIO  ?= scenarios/default.toml
PIP       := $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: setup setup-test run test lint credit-data browser-deps bench clean

## The virtual environment with the package and what running needs.
$(STAMP): pyproject.toml
	@PY=$$(scripts/find-python.sh) || exit 1; \
	  echo "using $$PY"; \
	  [ -x $(BIN)/python ] || $$PY -m venv $(VENV)
	$(PIP) install -e .
	@touch $(STAMP)

## The test tools on top (pytest, hypothesis, ruff, playwright, dask).
$(TESTSTAMP): $(STAMP) pyproject.toml
	$(PIP) install -e ".[test]"
	@touch $(TESTSTAMP)

setup: $(STAMP)
setup-test: $(TESTSTAMP)

## Set up (if needed) and run the default scenario on the embedded population.
run: setup
	$(BIN)/platform-abm run $(SCENARIO)

## Set up (if needed) and run the whole test suite (skipped tests print their reasons).
test: setup-test
	$(BIN)/python -m pytest -q -rs

lint: setup-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

## The real Kaggle credit file, as shipped inside the whynot 0.12.0 wheel.
credit-data: setup
	$(PIP) install --no-deps whynot==0.12.0

## Debian's Chromium for the browser tests (needs root).
browser-deps:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

bench: setup-test
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) results .pytest_cache
