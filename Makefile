# Two commands for a fresh machine: `make run` (install, ingest the sample, open the app) and
# `make test` (install, the browser for the end-to-end test, run the suite). Everything Python
# lives in the project-local .venv; the browser is Debian's chromium.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MODEL_STAMP := $(VENV)/.model-server
KB     ?= $(or $(PITCHCRAFT_KB),.pitchcraft)
PORT   ?= 8501
HOST   ?= 127.0.0.1
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run ingest browser test test-fast bench lint format clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# CPU build of torch from this machine's wheel cache, before anything can pull a CUDA one.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The real model server for the tests and the bench only: `make run` does not wait for it.
$(MODEL_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,model-server]'
	touch $(MODEL_STAMP)

# Ingest the sample knowledge only when the store is empty (a document deleted in the app stays
# deleted); `make ingest` refreshes it incrementally. Then serve the app on $(HOST):$(PORT)
# (`pitchcraft serve` refuses a non-loopback HOST unless sign-in is configured: see README).
run: install
	@if $(BIN)/python -c "import sys; from assistant.core.config import Settings; \
	from assistant.index.kb import KnowledgeBase; \
	sys.exit(0 if KnowledgeBase(Settings(kb='$(KB)')).is_empty() else 1)"; then \
		echo "Empty knowledge store $(KB): ingesting knowledge/ (about a minute, once)"; \
		$(BIN)/pitchcraft --kb $(KB) ingest knowledge || [ $$? -eq 1 ]; \
	else echo "Knowledge store $(KB) is ready (make ingest refreshes knowledge/)"; fi
	@echo "Pitchcraft: http://$(HOST):$(PORT)"
	PITCHCRAFT_KB=$(KB) $(BIN)/pitchcraft serve --host $(HOST) --port $(PORT)

ingest: install
	$(BIN)/pitchcraft --kb $(KB) ingest knowledge
	$(BIN)/pitchcraft --kb $(KB) status

# Debian's chromium for tests/test_e2e.py (Playwright drives it; no browser download).
browser:
	@test -x /usr/bin/chromium || { \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; }
	@/usr/bin/chromium --version 2>/dev/null

test: install browser $(MODEL_STAMP)
	$(BIN)/python -m pytest

# Every test that needs neither the embedding model nor a server (hashing embedder, tiny
# knowledge bases), on both cores: well under a minute. `make test` stays the full suite.
test-fast: install
	$(BIN)/python -m pytest -m "not slow" -n 2 -q

bench: install $(MODEL_STAMP)
	$(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(KB) .pytest_cache .ruff_cache
