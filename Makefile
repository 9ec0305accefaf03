# Two commands set everything up on a fresh clone: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
DEV := DJANGO_SETTINGS_MODULE=cac_platform.settings.dev
# Two pytest-xdist workers (one per core); each gets its own test database. Each module runs whole on
# one worker (`loadfile`: the data a module shares is built once, and a transactional test never
# flushes another module's), heaviest modules first (tests/fixtures/schedule.py, hence no reordering
# by test count) so both workers end together. Not `--dist worksteal`: a stolen transactional test
# flushes the data a module shares (docs/benchmarks.md).
PYTEST_ARGS ?= -n 2 --dist loadfile --no-loadscope-reorder

.PHONY: run test venv lock setup lint format messages check-migrations demo clean serve backup restore audit

# The venv installs the lock file (every transitive package, exact versions, hashes checked), so a fresh
# clone gets exactly the tested set. requirements*.txt are the readable direct dependencies; after
# editing them, `make lock` recompiles the locks (keeping every other pin where it can).
$(VENV)/.installed: requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --require-hashes -r requirements-dev.lock
	touch $@

venv: $(VENV)/.installed

LOCK := $(VENV)/bin/uv pip compile --python $(PY) --generate-hashes --custom-compile-command 'make lock' --quiet
lock: venv
	$(LOCK) requirements.txt -o requirements.lock
	$(LOCK) requirements-dev.txt --constraint requirements.lock -o requirements-dev.lock

setup: venv
	$(DEV) $(PY) manage.py migrate --noinput
	$(DEV) $(PY) manage.py load_demo
	$(DEV) $(PY) manage.py rebuild_search_index --no-progress
	$(DEV) $(PY) manage.py ensure_admin --demo-team --url http://$(HOST):$(PORT)

# The background worker (meaning vectors of new and edited pages) runs beside the server and
# stops with it; its queue is a table of the same database, so nothing else needs starting.
run: setup
	@echo "Serving on http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	@$(DEV) $(PY) manage.py db_worker --queue-name '*' --no-reload & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(DEV) $(PY) manage.py runserver $(HOST):$(PORT)

# pytest exits 5 when it collects nothing: that must fail, never pass silently.
node_modules/.installed: package.json
	@if command -v npm >/dev/null; then npm install --no-audit --no-fund --silent && touch $@; \
	  else echo "npm not found: the accessibility check will be skipped"; fi

# Python's bytecode cache on (the default, which some shells turn off): without it each worker and
# each process a test starts compiles the project again, and pytest rewrites the asserts of every
# test module again (4 of the 6.5 CPU-seconds each worker spends collecting).
test: venv node_modules/.installed
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$status

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/djlint . --lint

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Known vulnerabilities with a fix available in the locked runtime packages fail the build.
audit: venv
	$(PY) tools/audit.py

check-migrations: venv
	$(DEV) $(PY) manage.py makemigrations --check --dry-run

messages: venv
	$(DEV) $(PY) manage.py makemessages -l ko --ignore=.venv --ignore=node_modules --no-obsolete
	$(DEV) $(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles

# Production: gunicorn (workers from the core count) + WhiteNoise; needs SECRET_KEY, and usually
# DATABASE_URL and CACHE_URL. Example:
#   SECRET_KEY=... DATABASE_URL=postgres://postgres@127.0.0.1:5432/cac CACHE_URL=redis://127.0.0.1:6379/1 make serve
# DEMO=1 also loads the demo content (idempotent) and rebuilds the search index; SITE_URL (e.g.
# https://cac.example.org) gives the default site its public address (sitemap, absolute links).
PROD := DJANGO_SETTINGS_MODULE=cac_platform.settings.production
serve: venv
	$(PROD) $(PY) manage.py migrate --noinput
	@if [ -n "$(SITE_URL)" ]; then $(PROD) $(PY) manage.py configure_site "$(SITE_URL)"; fi
	@if [ "$(DEMO)" = "1" ]; then $(PROD) $(PY) manage.py load_demo && \
	  $(PROD) $(PY) manage.py rebuild_search_index --no-progress; fi
	$(PROD) $(PY) manage.py collectstatic --noinput -v 0
	@$(PROD) $(PY) manage.py db_worker --queue-name '*' --no-reload & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PROD) $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py cac_platform.wsgi

# Backups: database content as portable JSON plus media, in backups/ (or BACKUP=path).
backup: venv
	$(PY) manage.py backup $(BACKUP)

# Restore into a migrated, empty database: make restore BACKUP=backups/cac-....tar.gz
restore: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py restore $(BACKUP)
