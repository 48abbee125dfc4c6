# 住宅小区管理工作台 — `make run` to try it, `make test` to check it. See README.md.
#
# Everything runs from ./.venv (created with `python3 -m venv` on first use); the packages in
# requirements-dev.txt (requirements.txt plus the test/lint tools; both hashed locks made by
# `make lock` from requirements*.in) are (re)installed whenever either file is newer than the
# venv's stamp.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 5000

PY    := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app run
STAMP := $(VENV)/.requirements.stamp

# Settings of a real deployment that must never leak into the test suite: tests choose their
# own database and Redis (OFFICE_TEST_DATABASE_URL / OFFICE_TEST_REDIS_URL, see tests/conftest.py).
TEST_ENV := env -u OFFICE_DATABASE_URL -u OFFICE_REDIS_URL -u OFFICE_INSTANCE_DIR \
	-u OFFICE_ADMIN_PASSWORD -u SECRET_KEY

.PHONY: help setup lock run db worker test lint bench migrate vendor i18n clean distclean

help:
	@echo "make run       set up .venv, migrate, seed a demo county, create admin, serve http://$(HOST):$(PORT)"
	@echo "make test      run the test suite (SQLite + in-process jobs unless OFFICE_TEST_* are set)"
	@echo "make lint      ruff check, and the layering of office/ (python -m checks.layers)"
	@echo "make bench     run the benchmarks (python -m bench)"
	@echo "make migrate m=\"what changed\"   autogenerate a migration from the models"
	@echo "make i18n      extract the UI strings (babel.cfg), update the zh/en catalogues, compile"
	@echo "make lock      re-make the hashed requirements*.txt from the pins in requirements*.in"
	@echo "make vendor    refresh office/static/vendor/ from package.json (needs npm)"
	@echo "make worker    an RQ worker for OFFICE_REDIS_URL (production; make run needs none)"
	@echo "make clean     remove caches;  make distclean  also .venv and node_modules (not instance/)"

# ---------------------------------------------------------------- environment

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check --quiet --require-hashes --no-deps \
		-r requirements-dev.txt
	@touch $@

# The hashed locks, from the pins in requirements*.in (every platform's files hashed, so an
# intranet mirror can serve them and pip refuses anything else). After changing a pin:
# `make lock`, then `make test`.
UV_LOCK := $(VENV)/bin/uv pip compile --generate-hashes --universal --python-version 3.11 --quiet
lock: setup
	$(UV_LOCK) requirements.in -o requirements.txt
	$(UV_LOCK) requirements-dev.in -c requirements.txt -o requirements-dev.txt

# Front-end libraries are pinned in package.json and vendored (committed) under
# office/static/vendor/: running and testing need no npm. After changing a version there:
vendor:
	npm ci --no-audit --no-fund && npm run vendor

setup: $(STAMP)

# ---------------------------------------------------------------- running

db: setup
	$(FLASK) db upgrade

run: db
	$(FLASK) office seed-demo
	$(FLASK) office ensure-admin
	$(FLASK) run --host $(HOST) --port $(PORT)

worker: setup
	@test -n "$$OFFICE_REDIS_URL" || { echo "set OFFICE_REDIS_URL (make run needs no worker)" >&2; exit 1; }
	$(VENV)/bin/rq worker -w office.jobs.worker.OfficeWorker --with-scheduler --url "$$OFFICE_REDIS_URL" office

# ---------------------------------------------------------------- checking

test: setup
	$(TEST_ENV) $(PY) -m pytest -q $(ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(PY) -m checks.layers

bench: setup
	$(PY) -m bench $(ARGS)

# ---------------------------------------------------------------- schema

migrate: db
	@test -n "$(m)" || { echo 'usage: make migrate m="add photo to compound"' >&2; exit 1; }
	$(FLASK) db migrate -m "$(m)"
	@echo "Review the new file in migrations/versions/, then run make test (tests/test_migrations.py)."

# ---------------------------------------------------------------- translations

# The UI strings of office/ (Chinese msgids, babel.cfg) → office/translations/{zh,en}: new msgids
# are added (zh: a Chinese msgid is its own translation; en: fill in the empty msgstr), none is
# dropped, FAB's stay in zh (which a plain `pybabel update` from office/ alone would make
# obsolete), then both are compiled (commit the .po and .mo files) and checked for gaps.
POT := $(VENV)/office-messages.pot
i18n: setup
	PYTHONPATH=. $(VENV)/bin/pybabel -q extract -F babel.cfg -k N_ -k tr_n -k _l -k __ -k tr -k lazy -k flash_tr \
		--no-wrap --sort-by-file -o $(POT) office
	$(PY) office/translations/catalog.py update $(POT)
	$(VENV)/bin/pybabel -q compile -d office/translations
	$(PY) office/translations/catalog.py check

# ---------------------------------------------------------------- tidying

clean:
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o \
		-type d -name __pycache__ -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache artifacts bench/out

# instance/ holds the SQLite database, uploads, reports and the generated SECRET_KEY: it is
# data, not build output; remove it by hand to start over.
distclean: clean
	rm -rf $(VENV) node_modules
