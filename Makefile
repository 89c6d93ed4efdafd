# The two commands: `make run` (Adal with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
PYTEST_ARGS ?=

.PHONY: run test venv dev translations extract lint format migrate

# `make run PORT=5101` serves on another port; the printed addresses say the one it serves on.
HOST ?= 127.0.0.1
PORT ?= 5000

run: $(BIN)/.installed translations
	$(FLASK) db upgrade
	ADAL_BASE_URL=$${ADAL_BASE_URL:-http://$(HOST):$(PORT)} $(FLASK) demo --if-empty
	ADAL_TWO_FACTOR_REQUIRED=$${ADAL_TWO_FACTOR_REQUIRED:-0} $(FLASK) serve --host $(HOST) --port $(PORT)  # the demo's office signs in without a phone

test: $(BIN)/.installed-dev translations
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

$(BIN)/.installed: requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(BIN)/.installed-dev: requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(BIN)/.installed $@

# Compile the kk/ru/en catalogues (the .mo files are built, not committed).
translations: $(BIN)/.installed
	$(BIN)/pybabel -q compile -d translations

# Refresh the catalogues after changing user-facing strings.
extract: $(BIN)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -o translations/messages.pot lms courses campaigns dashboard concerns public_page events templates
	$(BIN)/pybabel -q update -N -i translations/messages.pot -d translations

lint: $(BIN)/.installed-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(BIN)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(BIN)/.installed
	$(FLASK) db migrate -m "$(m)"
