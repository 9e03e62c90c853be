# `make run` and `make test` do all the set-up themselves: a virtual environment with the
# pinned dependencies of requirements.lock (installed exactly, without resolving), then the
# package itself. The first install compiles llama.cpp (about 5 minutes on 2 cores).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean-store

$(STAMP): requirements.lock pyproject.toml devtools/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e . -e ./devtools
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) app.py

lint: install
	$(PY) -m ruff check assistant devtools tests app.py
	$(PY) -m ruff format --check assistant devtools tests app.py
	$(PY) -m mypy assistant devtools

test: lint
	$(PY) -m pytest

bench: install
	$(VENV)/bin/assistant bench

clean-store:
	rm -rf vectorstore/* && touch vectorstore/.gitkeep
