# Two commands on a fresh machine with Python 3.11 and pip:
#   make demo   install, then build and audit the sample hearing
#   make test   install, then lint, type-check and run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint typecheck pytest pytest-wheel-ffmpeg bench clean

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

# The media, scan, demo, archive and copy-comparison tests again on the other ffmpeg path: the
# imageio-ffmpeg wheel's binary alone, no ffprobe (a machine with pip only). `pytest` above
# takes the system ffmpeg and ffprobe when they are installed.
WHEEL_FFMPEG_TESTS := tests/test_ffmpeg_paths.py tests/test_media.py tests/test_video.py \
	tests/test_demo.py tests/test_corpus.py tests/test_scan_session.py tests/test_detect_audio.py \
	tests/test_bad_input.py $(wildcard tests/test_archive_*.py) tests/test_compare_edits.py \
	tests/test_compare_cli.py tests/test_ledger_fingerprint.py
pytest-wheel-ffmpeg: install
	AUDITOR_FFMPEG=wheel AUDITOR_FFPROBE=none $(BIN)/python -m pytest -q $(WHEEL_FFMPEG_TESTS)

test: lint typecheck pytest pytest-wheel-ffmpeg

bench: install
	$(BIN)/python bench/bench_scan.py

clean:
	rm -rf $(VENV) demo-out bench/out .pytest_cache .mypy_cache .ruff_cache
