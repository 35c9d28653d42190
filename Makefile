# Two commands do everything on a fresh machine:
#   make demo   creates .venv, installs reporter, analyzes the bundled seed-like sample into out/
#   make test   creates .venv, installs reporter with the dev and frameworks extras, runs ruff
#               and the test suite (the replay tests compare against real Lightning,
#               transformers and Keras; without them those tests skip)
# torch is installed first and pinned to 2.13.0, the CPU build this machine has on disk; an
# unpinned torch would pull a multi-GB CUDA build.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
TORCH  ?= torch==2.13.0
SAMPLE ?= samples/seed_like
OUT    ?= out

.PHONY: demo test test-frameworks lint venv clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)

$(VENV)/.installed-base: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed: $(VENV)/.installed-base
	$(BIN)/python -m pip install --quiet -e '.[dev,frameworks]'
	touch $@

venv: $(VENV)/.installed

demo: $(VENV)/.installed-base
	$(BIN)/reporter analyze $(SAMPLE) -o $(OUT)
	@echo "report: $(OUT)/TRAINING_INSTABILITY_FIX.md  $(OUT)/report.html  $(OUT)/report.json"

lint: venv
	$(BIN)/ruff check reporter replay templates tests benchmarks samples docs

test: venv lint
	KERAS_BACKEND=torch $(BIN)/python -m pytest -q

# only the tests that compare against real Lightning, transformers and Keras
test-frameworks: venv
	KERAS_BACKEND=torch $(BIN)/python -m pytest -q tests/replay tests/cli/test_replay.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache
