# `make test` on a fresh machine: Python 3.10 virtualenv with the pinned
# dependencies and Odoo 16's own, Redis and PostgreSQL up, engine tests, static
# checks, then the Odoo tests of every addon with and without demo data, on an
# Odoo 16 unpacked from ODOO_SOURCE (default: the official nightly) or ODOO_BIN
# (see README).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
EVERYTHING := tests/.node/node_modules/@modelcontextprotocol/server-everything/dist/index.js
EVERYTHING_VERSION := 2026.8.31
ESLINT := tests/.node/node_modules/.bin/eslint
ESLINT_VERSION := 8.57.1
# Debian packages that Odoo's requirements build against (psycopg2, python-ldap, lxml).
BUILD_PACKAGES := gcc libpq-dev libldap2-dev libsasl2-dev libxml2-dev libxslt1-dev
# Every Odoo addon of the repository: the core and its glue modules.
ADDONS := $(patsubst %/__manifest__.py,%,$(wildcard */__manifest__.py))

.PHONY: test setup services engine-test lint odoo-test i18n bench bench-methods e2e-llm docker-smoke clean

test: setup services engine-test lint odoo-test

setup: $(VENV)/.installed $(EVERYTHING) $(ESLINT)

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-test.txt docker/requirements-odoo.txt
	tools/python310.sh $(VENV)
	tools/apt-install.sh $(BUILD_PACKAGES)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Pinned Node packages go to tests/.node.
NPM_INSTALL := tools/ensure-node.sh && mkdir -p tests/.node && cd tests/.node \
	&& npm install --no-audit --no-fund --silent

$(EVERYTHING):
	$(NPM_INSTALL) @modelcontextprotocol/server-everything@$(EVERYTHING_VERSION)

$(ESLINT):
	$(NPM_INSTALL) eslint@$(ESLINT_VERSION)

services:
	tools/ensure-services.sh

# The engine tests of the core (tests/) and of each glue addon (<addon>/services/tests/):
# pyproject.toml's testpaths.
engine-test:
	$(PY) -m pytest -q -p no:cacheprovider

lint:
	for addon in $(ADDONS); do $(PY) tools/check_addon.py $$addon || exit 1; done
	$(VENV)/bin/ruff check .
	$(VENV)/bin/isort --check-only --diff .
	$(VENV)/bin/pylint --rcfile=.pylintrc-mandatory $(ADDONS)
	$(ESLINT) --max-warnings 0 --no-error-on-unmatched-pattern $(wildcard $(addsuffix /static,$(ADDONS)))

# ODOO_BIN: an existing odoo-bin (with the Python that runs it); else the Odoo 16
# of ODOO_SOURCE, unpacked into .odoo. `make odoo-test ADDONS=mcp_crew_crm` tests one addon.
odoo-test: setup services
	ADDONS="$(ADDONS)" tools/odoo-test.sh

# Each addon's i18n/<addon>.pot re-exported by Odoo from a scratch database, its pt_BR.po
# merged with it (tools/i18n-export.sh): then translate the msgstr it leaves empty.
i18n: setup services
	ADDONS="$(ADDONS)" tools/i18n-export.sh

bench: setup services
	$(PY) bench/bench_discovery.py

# Crews against a real model (minutes per run; not part of `make test`): the local
# llama.cpp model of ../shared/tools/local-llm.sh, or E2E_LLM_BASE_URL (see the script).
e2e-llm: setup services
	tools/e2e-llm.sh

# The Odoo methods callers use (get_tools, call_tool, ask), in-process on the
# Odoo of tools/ensure-odoo.sh, beside raw baselines (bench/bench_methods.py).
bench-methods: setup services
	tools/ensure-odoo.sh >/dev/null
	ODOO_ROOT=$(CURDIR)/.odoo/src $(PY) bench/bench_methods.py \
		--addons-path=$$(cat .odoo/addons-path) $(ODOO_ARGS)

# The README's Docker commands, run and checked: build, up, health, HTTP checks,
# the Odoo tests in the test image, down -v (tools/docker-smoke.sh). Needs Docker
# with Compose v2 and python3, not the virtualenv.
docker-smoke:
	tools/docker-smoke.sh

clean:
	rm -rf $(VENV) tests/.node .odoo
