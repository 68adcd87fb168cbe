# platform_abm: set up, run and test. `make run` and `make test` are the quick start.
VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
SCENARIO  ?= scenarios/default.toml

.PHONY: setup run test lint credit-data browser-deps bench clean

$(STAMP): pyproject.toml
	@PY=$$(scripts/find-python.sh) || exit 1; \
	  echo "using $$PY"; \
	  [ -x $(BIN)/python ] || $$PY -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

setup: $(STAMP)

## Set up (if needed) and run the default scenario on the embedded population.
run: setup
	$(BIN)/platform-abm run $(SCENARIO)

## Set up (if needed) and run the whole test suite.
test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

## The real Kaggle credit file, as shipped inside the whynot 0.12.0 wheel.
credit-data: setup
	$(BIN)/python -m pip install --quiet --no-deps whynot==0.12.0

## Debian's Chromium for the browser tests (needs root).
browser-deps:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

bench: setup
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) results .pytest_cache
