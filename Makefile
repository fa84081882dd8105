# The kit's entry points. `make demo` and `make test` set up .venv first.
# DATA_SRC: the corpus for demo/bench/calibrate (a CoNLL or JSON folder, or hub:ID);
# empty means the bundled sample corpus in dataset/sample.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_SRC ?=
# RELEASE_ARGS: extra options of `ner-instructor release`, e.g. --allow-placeholder-url
# for a dry run while colab.repository_url is still the example address.
RELEASE_ARGS ?=
# BENCH_ARGS: extra options of benchmarks/reference_results.py, e.g. --with-earlier-settings
# to also train each model with the defaults from before the speed settings.
BENCH_ARGS ?=
# TAGGERS_ARGS: extra options of benchmarks/taggers.py, e.g. --vectors PATH to also train
# with a word-vector file (fine-tuned, and the CNN frozen).
TAGGERS_ARGS ?=
STAMP := $(VENV)/.installed
export HF_DATASETS_OFFLINE ?= 1
export HF_HUB_OFFLINE ?= 1

.PHONY: setup demo test test-fast test-gpu lint bench bench-taggers bench-lazy bench-notebook bench-grading bench-similarity bench-sweep bench-encoder release leak-check calibrate bundle help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev]" torch==2.13.0  # the pin holds: no extra may move torch
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install the kit (pinned torch, dev extras)

demo: $(STAMP)  ## the whole instructor flow on DATA_SRC (default: bundled sample)
	$(BIN)/ner-instructor demo $(if $(DATA_SRC),--source $(DATA_SRC),)

test: $(STAMP)  ## the full test suite
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

test-fast: $(STAMP)  ## the tests not marked slow
	$(BIN)/python -m pytest -n 2 -q -m "not slow and not browser"

test-gpu: $(STAMP)  ## training on a CUDA GPU (run on a GPU host; skipped without one)
	$(BIN)/python -m pytest -q -rs tests/test_cuda.py

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check .

bench: $(STAMP)  ## reference results (random and length-grouped batches), then the four taggers (DATA_SRC)
	$(BIN)/python benchmarks/reference_results.py --source $(or $(DATA_SRC),../shared/data/conll2003) $(BENCH_ARGS)
	$(BIN)/python benchmarks/taggers.py --source $(or $(DATA_SRC),../shared/data/conll2003) $(TAGGERS_ARGS)

bench-taggers: $(STAMP)  ## FFNN, window, CNN and RNN taggers side by side; TAGGERS_ARGS="--vectors FILE" adds GloVe runs
	$(BIN)/python benchmarks/taggers.py --source $(or $(DATA_SRC),../shared/data/conll2003) $(TAGGERS_ARGS)

bench-lazy: $(STAMP)  ## the RNN with lazy embedding-table updates, a possible assignment change (after bench)
	$(BIN)/python benchmarks/lazy_table_updates.py

bench-notebook: $(STAMP)  ## run the instructor notebooks at full data, time every cell
	$(BIN)/python benchmarks/notebook_times.py --source $(or $(DATA_SRC),../shared/data/conll2003)

bench-grading: $(STAMP)  ## time and peak memory of grading one final submission (DATA_SRC)
	$(BIN)/python benchmarks/grading_budget.py --source $(or $(DATA_SRC),../shared/data/conll2003)

bench-similarity: $(STAMP)  ## time and peak memory of `ner-instructor similarity` on 300 generated submissions
	$(BIN)/python benchmarks/similarity_budget.py --students 300

bench-sweep: $(STAMP)  ## the three seed sweeps and 1-vs-2 worker scaling (DATA_SRC; docs/sweeps.md)
	$(BIN)/python benchmarks/sweep_bench.py --source $(or $(DATA_SRC),../shared/data/conll2003)

bench-encoder: $(STAMP)  ## grading budget of a base-size encoder model (DATA_SRC; needs the encoder extra)
	$(BIN)/python benchmarks/encoder_budget.py --grade --source $(or $(DATA_SRC),../shared/data/conll2003)

release: $(STAMP)  ## build the student release (with leak check); RELEASE_ARGS=--allow-placeholder-url for a dry run
	$(BIN)/ner-instructor release $(RELEASE_ARGS)

leak-check: $(STAMP)  ## leak-check the built student release
	$(BIN)/ner-instructor leak-check

calibrate: $(STAMP)  ## train reference models and propose score baselines
	$(BIN)/ner-instructor calibrate $(if $(DATA_SRC),--source $(DATA_SRC),)

bundle: $(STAMP)  ## build the Gradescope autograder zip
	$(BIN)/ner-instructor bundle
