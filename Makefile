# Two commands: `make demo` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: demo test install catalogs clean

$(BIN)/passerelle: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/passerelle

# The interface's catalogs: strings extracted from the code, each language updated, compiled to .mo.
catalogs: install
	$(BIN)/passerelle translate interface

demo: catalogs
	$(BIN)/passerelle demo
	$(BIN)/passerelle run --host $(HOST) --port $(PORT)

test: catalogs
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) dist instance .pytest_cache
