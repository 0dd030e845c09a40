# The two commands: `make run` and `make test`. Everything they need is installed from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: lock run serve worker scheduler evidence-key migrate test lint format migrations-check check race-check bench bench-tools \
  soak screenshots clean

# The packages are those of requirements.lock (what the app runs on) and requirements-dev.lock (the
# tests' and tools' on top), pinned (`make lock` writes both from pyproject.toml) and installed
# with --no-deps: nothing to resolve. `make run` installs only the first. The wheels are kept in
# a wheelhouse in pip's cache directory (never in the repo): once there, a fresh clone installs
# without the network. No upgrade of pip (the venv's works) and no byte-compiling of every file
# at install (Python compiles what it imports). docs/benchmarks.md, "make run from a fresh
# clone", has the figures. The checkout goes on the venv's path with a .pth file, as an
# editable install would, without building one (not from a copy that links another's venv).
PIP := $(PY) -m pip --disable-pip-version-check
DEV_STAMP := $(VENV)/.installed-dev
WHEELHOUSE ?= $(or $(PIP_CACHE_DIR),$(XDG_CACHE_HOME:%=%/pip),$(HOME)/.cache/pip)/velocify-sms-wheelhouse
FROM_WHEELHOUSE := install --quiet --no-compile --no-deps --no-index --find-links $(WHEELHOUSE)

# $(call locked,LOCKFILE): install it from the wheelhouse, fetching the wheels first if missing.
define locked
	@$(PIP) $(FROM_WHEELHOUSE) -r $(1) 2>/dev/null || { \
	  echo "Fetching the wheels of $(1) into $(WHEELHOUSE) (once)"; \
	  $(PIP) wheel --quiet --no-deps --wheel-dir $(WHEELHOUSE) -r $(1) && \
	  $(PIP) $(FROM_WHEELHOUSE) -r $(1); }
endef

# The venv without ensurepip's own install (pip and setuptools, every file byte-compiled: seconds
# on a busy machine): pip goes in from the wheel ensurepip bundles, as ensurepip does it, without
# compiling. Where that wheel is missing, the usual venv.
BOOTSTRAP_PIP := import ensurepip, glob, os, runpy, sys; \
  wheel = glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl"))[0]; \
  sys.path.insert(0, wheel); \
  sys.argv = ["pip", "install", "--quiet", "--no-compile", "--no-index", "--disable-pip-version-check", wheel]; \
  runpy.run_module("pip", run_name="__main__", alter_sys=True)

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || { $(PYTHON) -m venv --without-pip $(VENV) && $(PY) -c '$(BOOTSTRAP_PIP)'; } \
	  || $(PYTHON) -m venv --clear $(VENV)
	$(call locked,requirements.lock)
	test -L $(VENV) || $(PY) -c 'import sys, sysconfig; open(sysconfig.get_paths()["purelib"] + "/velocify_sms_checkout.pth", "w").write(sys.argv[1] + "\n")' $(CURDIR)
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(call locked,requirements-dev.lock)
	touch $(DEV_STAMP)

# Both lock files again from pyproject.toml's ranges (after changing a dependency): resolved in
# a throwaway venv, every package pinned; requirements-dev.lock holds what the dev extra adds.
# tests/test_lock.py fails while they and pyproject.toml disagree.
LOCK_FREEZE := .lock-venv/bin/pip freeze --exclude velocify-sms --exclude pip --exclude setuptools
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check .
	{ echo "# Written by make lock from pyproject.toml: what the app runs on, pinned."; \
	  $(LOCK_FREEZE); } > requirements.lock
	.lock-venv/bin/pip install --quiet --disable-pip-version-check '.[dev]'
	{ echo "# Written by make lock from pyproject.toml: what the tests and tools add, pinned."; \
	  $(LOCK_FREEZE) | grep -vxF -f requirements.lock; } > requirements-dev.lock
	rm -rf .lock-venv build

venv: $(DEV_STAMP) .env evidence-key

# Development settings for this checkout, written once when missing and never overwritten
# (git-ignored): DEBUG=true, a generated SECRET_KEY, a local TWILIO_AUTH_TOKEN so that
# `manage.py sms_simulate_inbound` can sign webhooks, and an Ed25519 key (32 random bytes) that
# signs the evidence anchors. velocify_sms/settings.py reads the file; real environment
# variables win over it. Deployments have no .env (docs/operations.md).
.env:
	@umask 077; $(PYTHON) -c 'import secrets; print("# Development settings written by make; the environment wins over them.\nDEBUG=true\nSECRET_KEY=" + secrets.token_urlsafe(50) + "\nTWILIO_AUTH_TOKEN=" + secrets.token_hex(16) + "\nSMS_EVIDENCE_SIGNING_KEY=" + secrets.token_hex(32))' > $@.tmp
	@mv $@.tmp $@
	@echo "Wrote $@: DEBUG=true, a generated SECRET_KEY, webhook token and anchor signing key (development only)."

# A .env written before anchors existed gets a development signing key added, once.
evidence-key: .env
	@grep -q '^SMS_EVIDENCE_SIGNING_KEY=' .env || { umask 077; $(PYTHON) -c 'import secrets; print("SMS_EVIDENCE_SIGNING_KEY=" + secrets.token_hex(32))' >> .env; \
	  echo "Added a development evidence signing key to .env."; }

# The database migrated and the demo data (seed_demo --migrate: one start of Django for both),
# then the web server, one task worker (lead imports run in it) and the scheduler (the periodic jobs:
# revocation deadlines, stalled imports, the evidence anchor) together. sms_supervise restarts
# the worker or the scheduler when one dies (back-off 1 s doubling to 30 s). Ctrl-C stops all:
# runserver gets it from the terminal, and the trap stops the supervisor with TERM, which stops
# its children. The supervisor runs at a lower priority (nice): on a machine of few cores its
# three processes starting beside the web server's two would delay the first page.
run: $(STAMP) .env evidence-key
	$(PY) manage.py seed_demo --migrate
	@nice -n 10 $(PY) manage.py sms_supervise worker scheduler & supervisor=$$!; \
	trap 'kill $$supervisor 2>/dev/null; wait $$supervisor 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# lint-imports: the layering contracts in pyproject.toml ([tool.importlinter]).
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(DEV_STAMP) .env
	$(PY) manage.py makemigrations --check --dry-run

check: $(STAMP) .env
	$(PY) manage.py check

test: $(DEV_STAMP) .env evidence-key lint migrations-check check
	$(BIN)/pytest $(PYTEST_ARGS)

# The race tests (PostgreSQL only: DATABASE_URL=postgres://...) RACE_RUNS times in a row with the
# per-number lock, then once without it, where every deterministic one must fail (the meta-test
# runs them in a child pytest with VELOCIFY_TEST_LOCKS=off). docs/decisions.md says what each proves.
RACE_TESTS := tests/optouts/test_services_race.py tests/optouts/messaging/test_send_race.py \
  tests/optouts/messaging/test_policy_race.py tests/optouts/messaging/test_deadline_race.py
RACE_RUNS ?= 20
race-check: $(DEV_STAMP)
	@case "$${DATABASE_URL:-}" in postgres*) ;; \
	  *) echo "race-check needs DATABASE_URL=postgres://... (the race tests skip on SQLite)" >&2; exit 2;; \
	esac
	@for i in $$(seq $(RACE_RUNS)); do \
	  echo "== race tests with the locks: run $$i of $(RACE_RUNS)"; \
	  VELOCIFY_TEST_LOCKS=on $(BIN)/pytest -q -p no:cacheprovider --reuse-db $$([ $$i = 1 ] && echo --create-db) \
	    $(RACE_TESTS) || exit 1; \
	done
	@echo "== race tests without the locks: every deterministic one must fail"
	$(BIN)/pytest -q -p no:cacheprovider tests/optouts/test_race_meta.py

# The README's pictures (docs/img/*.png): the agent and admin journeys in chromium at 1280x800, on
# a fresh SQLite test database with the journeys' own fixed leads and numbers. Only the dates on
# the pages move with the day they are taken.
JOURNEYS := tests/browser/test_journey_agent.py tests/browser/test_journey_admin.py
screenshots: $(DEV_STAMP) .env
	rm -f docs/img/*.png
	VELOCIFY_SCREENSHOTS=$(CURDIR)/docs/img DATABASE_URL= $(BIN)/pytest -q -p no:cacheprovider $(JOURNEYS)
	@ls -l docs/img

# --- Production shape: docs/operations.md ---------------------------------------------
# Run once per deploy, from one machine, before the new code serves traffic.
migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

# Django's checks first (a missing evidence signing key with DEBUG off stops it there), then
# gunicorn on $(HOST):$(PORT) with gunicorn.conf.py (WEB_CONCURRENCY processes, GUNICORN_THREADS
# each; bench/api.py starts the same). The database is DATABASE_URL, the cache CACHE_URL (Redis);
# no state lives in a process.
serve: $(STAMP)
	$(PY) manage.py check
	$(PY) manage.py collectstatic --noinput --verbosity 0
	HOST=$(HOST) PORT=$(PORT) exec $(BIN)/gunicorn velocify_sms.wsgi:application --config gunicorn.conf.py

# One task worker; run as many as needed, on as many machines (TASKS_BACKEND picks the kind).
# sms_worker is django-tasks-db's db_worker that waits out a database outage and writes a
# heartbeat (/readyz).
worker: $(STAMP)
	@if [ "$${TASKS_BACKEND:-database}" = rq ]; then \
	  exec $(PY) manage.py rqworker default --job-class django_tasks_rq.Job --with-scheduler; \
	else \
	  exec $(PY) manage.py sms_worker --no-reload --interval 1; \
	fi

# The scheduler (docs/operations.md, "Periodic jobs"): the revocation deadline sweep, the pickup
# of stalled imports and the evidence anchor, each at its SCHEDULE_*_SECONDS. One per deploy.
scheduler: $(STAMP)
	exec $(PY) manage.py sms_scheduler

# Every benchmark under bench/ (each rewrites its own section of docs/benchmarks.md), then one
# table of every target (figure, before, floor, ratio, met) with the machine, printed and written
# at the top. The load/soak/fault run (bench/soak.py) only with BENCH_SOAK=1; SOAK_SECONDS bounds it.
bench: $(DEV_STAMP) .env bench-tools
	$(PY) bench/run_all.py

# bench/api.py's load generator: Debian's wrk, installed here (as .ci/run installs chromium).
bench-tools:
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	@wrk --version 2>&1 | head -1

soak: $(DEV_STAMP) .env
	$(PY) bench/soak.py --seconds $${SOAK_SECONDS:-600}

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .import_linter_cache .grimp_cache
