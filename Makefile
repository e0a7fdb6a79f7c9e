# Two commands: `make demo` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Exact versions, with hashes, of everything installed: the dependencies and the dev and prod extras.
LOCK := requirements.lock
# `make lock` takes the newest versions pyproject.toml allows; `make lock UPGRADE=` keeps the locked
# ones and only adds what pyproject.toml newly asks for.
UPGRADE ?= --upgrade
UV_VERSION ?= 0.13.9
UV_VENV ?= build/uv

.PHONY: demo test install catalogs compile-catalogs lock clean

# The lock first, checked against its hashes, then the project itself, editable, with nothing more.
$(BIN)/passerelle: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
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

test: compile-catalogs $(BROWSER_JS)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Regenerate the lock on purpose (for Python 3.11 on Linux), with uv in a throwaway environment.
lock:
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	UV_CUSTOM_COMPILE_COMMAND="make lock" $(UV_VENV)/bin/uv pip compile --quiet pyproject.toml --extra dev --extra prod \
		--generate-hashes --python-version 3.11 --python-platform linux $(UPGRADE) --output-file $(LOCK)

clean:
	rm -rf $(VENV) dist instance .pytest_cache $(UV_VENV)
