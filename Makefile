# Two commands on a fresh machine: `make run` and `make test`.
# Everything is installed into .venv from requirements.lock; nothing by hand.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint proto proto-check venv clean bench

$(STAMP): requirements.lock pyproject.toml
	@# Embedded PostgreSQL runs on the machine's binaries with contrib (console's org tree needs ltree).
	@ls /usr/share/postgresql/*/extension/ltree.control >/dev/null 2>&1 || \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-contrib)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

## Start embedded PostgreSQL, Redis and Kafka (Tansu), every service and a simulated site.
run: $(STAMP)
	$(PY) -m services.devstack

## Lint, architecture checks, generated-code check, then the whole test suite.
test: $(STAMP) lint proto-check
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check services simulators bench tests
	$(VENV)/bin/lint-imports

## Regenerate services/contracts from proto/meterpay/v1.
proto: $(STAMP)
	$(PY) -m services.kit.protogen

## Fails when `make proto` would change the committed generated code.
proto-check: $(STAMP)
	$(PY) -m services.kit.protogen --check

bench: $(STAMP)
	$(PY) bench/e2e_slice.py

clean:
	rm -rf $(VENV) .run
