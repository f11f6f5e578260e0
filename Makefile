# Two commands on a fresh machine with Python 3.11 and pip:
#   make demo   install, then build and audit the sample hearing
#   make test   install, then lint, type-check and run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint typecheck pytest bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# `auditor demo` exits 1 because the sample hearing has findings (that is its point).
demo: install
	$(BIN)/auditor demo demo-out; test $$? -le 1

lint: install
	$(BIN)/ruff check auditor tests bench scripts

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

bench: install
	$(BIN)/python bench/bench_scan.py

clean:
	rm -rf $(VENV) demo-out bench/out .pytest_cache .mypy_cache .ruff_cache
