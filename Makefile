# The two commands of the README: `make demo` starts the product on its embedded defaults,
# `make test` runs lint, import contracts and the tests. Both set up .venv first if needed.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $@

.PHONY: deps setup demo test bench bundle
deps:
	bash .ci/deps

setup: deps $(STAMP)

demo: setup
	$(BIN)/clerk demo

test: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest

bench: setup
	$(BIN)/python -m bench

# One archive for an offline window PC (docs/install.md): this machine's architecture, or
# ARCH=aarch64 (an ARM hall PC), PYVER=3.13 (the hall PC's Python), built on any machine.
ARCH ?=
PYVER ?=
bundle: setup
	PYTHON=$(BIN)/python ARCH=$(ARCH) PYVER=$(PYVER) bash deploy/bundle.sh
