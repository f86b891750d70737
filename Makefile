# Every target bootstraps its own virtual environment, so a fresh clone needs only python3.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench run clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/skillpass demo $(ARGS)

run: $(STAMP)
	$(BIN)/skillpass serve $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider $(ARGS)

bench: $(STAMP)
	SKILLPASS_BENCH_FAST=$(SKILLPASS_BENCH_FAST) $(BIN)/python -m benchmarks $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info skillpass-output
