# Two commands do everything on a fresh machine:
#   make demo   creates .venv, installs reporter, analyzes the bundled seed-like sample into out/
#   make test   creates .venv, installs reporter with the dev extra, runs ruff and the test suite
# torch is installed first and pinned to 2.13.0, the CPU build this machine has on disk; an
# unpinned torch would pull a multi-GB CUDA build.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
TORCH  ?= torch==2.13.0
SAMPLE ?= samples/seed_like
OUT    ?= out

.PHONY: demo test lint venv clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(BIN)/reporter analyze $(SAMPLE) -o $(OUT)
	@echo "report: $(OUT)/TRAINING_INSTABILITY_FIX.md  $(OUT)/report.html  $(OUT)/report.json"

lint: venv
	$(BIN)/ruff check reporter replay templates tests benchmarks samples docs

test: venv lint
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache
