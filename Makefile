# One command to run the dashboard, one to run the tests. Both create .venv and install what they need.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run test lint install install-dev browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

## make run: install, create or upgrade the database, seed demo data (in demo mode), serve on http://localhost:8501
run: install
	@sh scripts/install-chromium.sh || echo "warning: Debian chromium could not be installed; PDF briefings need it"
	$(BIN)/python -m dashboard init $$(case "$${DASHBOARD_DEMO_MODE:-true}" in 0|false|no|off) ;; *) echo --demo ;; esac)
	@echo "Cyber Dialogue Dashboard: http://localhost:$(PORT)"
	$(BIN)/streamlit run app.py --server.port $(PORT) $${DASHBOARD_MAX_UPLOAD_MB:+--server.maxUploadSize $$DASHBOARD_MAX_UPLOAD_MB}

## make test: install test dependencies (Python packages, Debian chromium and poppler-utils), lint, run every test
test: install-dev browser lint
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

browser:
	@sh scripts/install-chromium.sh --tests

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
