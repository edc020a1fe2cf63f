# One place for the commands. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench install clean help

help:
	@echo "make run    - set up and run the demo (SQLite, X emulator, admin on :8000)"
	@echo "make test   - set up and run lint + the whole test suite (SQLite, then PostgreSQL)"
	@echo "make bench  - run the benchmarks in bench/"
	@echo "make format - format the code with ruff"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when a requirements file changes.
$(VENV)/.installed: requirements/base.txt requirements/dev.txt requirements/prod.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	./scripts/run.sh

test: install
	./scripts/test.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/compose.py
	$(BIN)/python bench/scan.py
	$(BIN)/python bench/publish.py
	$(BIN)/python bench/engine.py all
	$(BIN)/python bench/api.py
	$(BIN)/python bench/sampling.py
	$(BIN)/python bench/backup.py

clean:
	rm -rf $(VENV) data staticfiles .pytest_cache .ruff_cache
