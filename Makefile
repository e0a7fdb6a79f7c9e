# Two commands: `make demo` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Exact versions, with hashes, of everything installed (the dependencies and the dev and prod extras), for every
# platform: uv's lock, which `uv sync --locked` installs and refuses to install from if it no longer matches
# pyproject.toml. uv itself is installed at an exact version, in a throwaway environment.
LOCK := uv.lock
UV_VERSION ?= 0.13.9
UV_VENV ?= build/uv
UV := $(UV_VENV)/bin/uv

.PHONY: demo test install catalogs compile-catalogs lock clean

$(UV):
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The lock, exactly (packages it does not name are removed), then the project itself, editable.
$(BIN)/passerelle: pyproject.toml $(LOCK) | $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --locked --all-extras --python $(PYTHON) --quiet
	touch $@

install: $(BIN)/passerelle

# The interface's catalogs: strings extracted from the code, each language updated, compiled to .mo.
# A catalog is written only when its entries change. Run it after marking new strings, and commit the catalogs.
catalogs: install
	$(BIN)/passerelle translate interface

# The catalogs compiled as committed: demo and test change no tracked file (a test names strings not yet in them).
compile-catalogs: install
	$(BIN)/passerelle translate interface --compile-only

# The address `make demo` serves on, given to both commands: the demo prints it and records its learners with it
# (their xAPI homePage), and the server records their new learning with it. PASSERELLE_PUBLIC_URL, if set, wins.
DEMO_URL = $(or $(PASSERELLE_PUBLIC_URL),http://$(HOST):$(PORT)/)

# Mail (links to set or reset a password) is written to the server's log instead of being sent.
demo: compile-catalogs
	PASSERELLE_MAIL_LOG=1 PASSERELLE_PUBLIC_URL='$(DEMO_URL)' $(BIN)/passerelle demo
	PASSERELLE_MAIL_LOG=1 PASSERELLE_PUBLIC_URL='$(DEMO_URL)' $(BIN)/passerelle run --host $(HOST) --port $(PORT)

# The browser tests' JavaScript (scorm-again, a SCORM 1.2 runtime) as tests/browser/package-lock.json pins it,
# installed again only when the lock changes. Without npm the tests that need it are skipped (failed in CI).
BROWSER_JS := tests/browser/node_modules/.package-lock.json

$(BROWSER_JS): tests/browser/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; \
	else echo "npm is not installed: the browser tests that need scorm-again will be skipped"; fi

# The suite runs in one process per core (pytest-xdist), a test file's tests in the same one; TEST_JOBS=0 runs it
# in this process alone. With TEST_DATABASE_URL, each process has its own PostgreSQL database beside that one.
TEST_JOBS ?= auto
test: compile-catalogs $(BROWSER_JS)
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile $(PYTEST_ARGS)

# Change the lock on purpose: `make lock` adds what pyproject.toml newly asks for and keeps the other versions;
# `make lock UPGRADE=--upgrade` takes the newest versions pyproject.toml allows. Commit uv.lock, then make test.
UPGRADE ?=
lock: | $(UV)
	$(UV) lock $(UPGRADE)

clean:
	rm -rf $(VENV) dist instance .pytest_cache $(UV_VENV)
