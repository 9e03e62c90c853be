# `make run` and `make test` do all the set-up themselves: a virtual environment with the
# pinned dependencies of requirements.lock (installed exactly, without resolving), then the
# package itself. The first install compiles llama.cpp (about 5 minutes on 2 cores).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# llama.cpp is compiled for this machine's CPU, but without Intel AMX: its AMX matrix code
# crashes on the first prompt of more than one token on machines that report AMX yet do not
# let every thread use it (a general protection fault in ggml_backend_amx_mul_mat, seen on
# virtual Xeons; ggml-org/llama.cpp#20824). AVX-512 and the rest stay on.
ifeq ($(shell uname -m),x86_64)
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
LLAMA_CMAKE_ARGS ?= -DCMAKE_C_FLAGS="$(NO_AMX)" -DCMAKE_CXX_FLAGS="$(NO_AMX)"
endif

.PHONY: install run test lint bench clean-store

$(STAMP): requirements.lock pyproject.toml devtools/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	CMAKE_ARGS='$(LLAMA_CMAKE_ARGS)' $(PY) -m pip install --quiet --no-deps -r requirements.lock
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
