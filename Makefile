# `make run` and `make test` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test bench mutate lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[aggregator]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,aggregator,dev]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/bmad scan . --top 15
	$(BIN)/bmad learn anti-patterns . --top 10
	$(BIN)/bmad insights patterns .
	$(BIN)/python -m bmad.demo .
	@echo "Open this repository's dashboard: $(BIN)/bmad dashboard .  (prints a 127.0.0.1 address with its token; --no-open keeps the browser closed)"

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q --durations=15

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run_all.py

# Mutation testing of the pure core (bench/mutate.py lists the modules and their tests).
mutate: $(VENV)/.installed-test
	$(BIN)/python bench/mutate.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check bmad tests bench
	$(BIN)/ruff format --check bmad tests bench
	$(BIN)/mypy

format: $(VENV)/.installed-test
	$(BIN)/ruff format bmad tests bench
	$(BIN)/ruff check --fix bmad tests bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
