# Two entry points for a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint venv clean

# Reinstall only when the packaging changes; safe to rerun.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/hallscore demo

# ruff and mypy (configured in pyproject.toml) before the tests: a lint error fails `make test`.
lint: $(STAMP)
	$(BIN)/ruff check generator tests bench
	$(BIN)/mypy generator

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf site demo .hallscore-build
