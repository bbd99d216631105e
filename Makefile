# Hearth — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 8000
PY      = $(VENV)/bin/python
PIP     = $(VENV)/bin/pip
PYTEST_ARGS ?=

.PHONY: run test lint install bench bench-full bench-dashboard migrate demo check clean test-reliability lock audit

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Hearth needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Install exactly the tested versions: requirements.lock constrains every package,
# so an upstream release changes nothing until `make lock` is run on purpose.
# Reinstall only when the dependency list or the lock changes.
$(VENV)/.installed: pyproject.toml requirements.lock | $(VENV)/bin/python
	$(PIP) install --quiet -c requirements.lock -e '.[test,bench]'
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

run: demo
	@echo "Hearth is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	$(PY) -m support.serve -b $(HOST) -p $(PORT) support.asgi:application

# Tests, not whole files, are shared out (pytest-django runs the transactional tests, whose
# flush empties the data migrations' tables, after the others in each worker); a worker that
# runs out takes tests from the end of the other's queue, so the long real-server tests at
# the end do not leave a core idle.
test: install
	$(PY) manage.py makemigrations --check --dry-run >/dev/null
	$(VENV)/bin/pytest -n 2 --dist worksteal $(PYTEST_ARGS)

# Lint, formatting (ruff) and the apps' direction of dependency (import-linter), all configured
# in pyproject.toml.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test-reliability: install
	HEARTH_FULL_RUNS=1 $(VENV)/bin/pytest -m "reliability or load or security" $(PYTEST_ARGS)

# Pick the newest versions pyproject.toml allows and pin them: resolved in a fresh,
# throw-away venv so nothing installed by hand leaks into the lock. Run it on purpose
# after changing pyproject.toml or to take upstream releases; then `make test`.
LOCK_VENV = var/lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/pip install --quiet -e '.[test,bench]'
	$(LOCK_VENV)/bin/pip freeze --exclude-editable | grep -v '^-e ' > requirements.lock
	rm -rf $(LOCK_VENV)

# Known vulnerabilities in the locked dependencies: fails on any found. Packages the
# advisory source cannot answer for are listed as skipped (and counted by .ci/run).
audit: install
	$(VENV)/bin/pip-audit -r requirements.lock --no-deps --disable-pip --progress-spinner off

# The real-time path against bare Channels, then the safety screening's time per message
# and the model's load time and memory in one process (bench/model_bench.py).
bench: install
	$(PY) -m bench.run --quick
	$(PY) bench/model_bench.py --repeat 3

bench-full: install
	$(PY) -m bench.run --full

# The staff dashboard on a month of 10,000 chats (docs/performance.md, "The staff dashboard").
bench-dashboard: install
	$(PY) -m bench.dashboard

check: install
	$(PY) manage.py check

clean:
	rm -rf $(VENV) var .pytest_cache
