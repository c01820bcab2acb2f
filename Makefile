# Everything a newcomer needs: `make demo` to see it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# System libraries WeasyPrint needs, and a CJK font so Chinese PDFs have no empty boxes;
# poppler-utils (pdftotext, pdffonts) for the tests that read the PDFs back.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-noto-cjk fontconfig poppler-utils
# Debian's headless browser and its WebDriver, for the browser tests (tests/browser) only: `make test`
# installs them, `make demo` does not need them.
BROWSER_PACKAGES := chromium chromium-driver

.DEFAULT_GOAL := help
.PHONY: help setup system-packages browser-packages demo test bench lint serve worker clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

system-packages:  ## Install WeasyPrint's libraries and a Chinese font (apt, as root) or say how
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "These system packages are missing:$$missing"; \
	    echo "Run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# Without them (and not root) the browser tests are skipped, saying why; CI requires them.
browser-packages:  ## Install Chromium and its driver for the browser tests (apt, as root) or say how
	@missing=""; for p in $(BROWSER_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing the browser tests' packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "The browser tests are skipped without:$$missing"; \
	    echo "To run them: sudo apt-get install -y$$missing"; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

setup: system-packages $(STAMP)  ## Create .venv and install the project and system packages

demo: setup  ## Set up SQLite, load the demo data and serve on http://127.0.0.1:8000/
	@set -euo pipefail; $(CONFIGURED); $(SERVE_FIELD_KEYS_IF_ANY); \
	DJANGO_DEBUG=true $(PY) manage.py migrate --noinput; \
	DJANGO_DEBUG=true $(PY) manage.py load_demo; \
	DJANGO_DEBUG=true $(PY) manage.py runserver 127.0.0.1:8000

# Whether a variable is set, in the environment or in .env (which the settings read too).
CONFIGURED := configured() { [ -n "$${!1:-}" ] || grep -qsE "^[[:space:]]*(export[[:space:]]+)?$$1=[^[:space:]]" .env; }
SERVE_SECRET_KEY_FILE := .serve-secret-key
# The keys of the encrypted ID numbers, phones and accounts `make serve` generates when none are set.
# `make demo` uses them too once they exist (its database may have been taken over by `make serve`);
# before that it runs on the published development key, as DJANGO_DEBUG allows.
SERVE_FIELD_KEYS_FILE := .serve-field-keys
SERVE_FIELD_KEYS_IF_ANY := if ! configured FIELD_ENCRYPTION_KEYS && ! configured FIELD_HASH_KEY \
  && [ -s $(SERVE_FIELD_KEYS_FILE) ]; then set -a; . ./$(SERVE_FIELD_KEYS_FILE); set +a; fi

# The production stack on this machine over plain HTTP, with no nginx in front: what is not set
# (environment or .env) gets a value for that, and it says so.
serve: setup  ## Production stack here: migrate, collectstatic, gunicorn on :8000 (and a worker with CELERY_BROKER_URL)
	@set -euo pipefail; $(CONFIGURED); \
	if ! configured SECRET_KEY; then \
	  if [ ! -s $(SERVE_SECRET_KEY_FILE) ]; then \
	    (umask 077; $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $(SERVE_SECRET_KEY_FILE)); \
	    echo "make serve: SECRET_KEY is not set: generated one into $(SERVE_SECRET_KEY_FILE) (git-ignored, used again next time)"; \
	  else \
	    echo "make serve: SECRET_KEY is not set: using the one in $(SERVE_SECRET_KEY_FILE)"; \
	  fi; \
	  export SECRET_KEY="$$(cat $(SERVE_SECRET_KEY_FILE))"; \
	fi; \
	generated_field_keys=""; \
	if ! configured FIELD_ENCRYPTION_KEYS && ! configured FIELD_HASH_KEY; then \
	  if [ ! -s $(SERVE_FIELD_KEYS_FILE) ]; then \
	    (umask 077; $(PY) -c 'import base64, secrets; key = lambda: base64.b64encode(secrets.token_bytes(32)).decode(); print(f"FIELD_ENCRYPTION_KEYS=serve:{key()}\nFIELD_HASH_KEY={key()}")' > $(SERVE_FIELD_KEYS_FILE)); \
	    echo "make serve: FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY are not set: generated them into $(SERVE_FIELD_KEYS_FILE) (git-ignored, used again next time; without it the encrypted data cannot be read)"; \
	  else \
	    echo "make serve: FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY are not set: using the ones in $(SERVE_FIELD_KEYS_FILE)"; \
	  fi; \
	  set -a; . ./$(SERVE_FIELD_KEYS_FILE); set +a; generated_field_keys=yes; \
	elif ! configured FIELD_ENCRYPTION_KEYS || ! configured FIELD_HASH_KEY; then \
	  echo "make serve: set both FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY, or neither (see .env.example)."; exit 1; \
	fi; \
	for default in ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=false SECURE_COOKIES=false SECURE_HSTS_SECONDS=0; do \
	  if ! configured "$${default%%=*}"; then \
	    export "$$default"; echo "make serve: $$default (plain HTTP on this machine; set it to change)"; \
	  fi; \
	done; \
	if configured DATABASE_URL; then echo "make serve: the database DATABASE_URL names"; \
	else echo "make serve: DATABASE_URL is not set: the SQLite file db.sqlite3"; fi; \
	$(PY) manage.py migrate --noinput; \
	if [ -n "$$generated_field_keys" ]; then \
	  echo "make serve: values a \`make demo\` wrote with the development key are re-encrypted with these keys:"; \
	  $(PY) manage.py rotate_field_key --from-development-key | tail -n 1; \
	fi; \
	$(PY) manage.py collectstatic --noinput -v 0; \
	if configured CELERY_BROKER_URL; then \
	  beat_dir=$$(mktemp -d); \
	  $(VENV)/bin/celery -A config worker -B --schedule "$$beat_dir/celerybeat-schedule" -l INFO & worker=$$!; \
	  trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null; rm -rf "$$beat_dir"' EXIT; \
	  echo "make serve: CELERY_BROKER_URL is set: a Celery worker with beat runs beside gunicorn (pid $$worker)"; \
	else \
	  echo "make serve: CELERY_BROKER_URL is not set: jobs run inside the web requests"; \
	fi; \
	echo "make serve: http://$${GUNICORN_BIND:-127.0.0.1:8000}/ (Ctrl-C stops)"; \
	$(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py config.wsgi

# Beat (the hourly job housekeeping) is not embedded: a province starts several workers and needs
# one beat (deploy/systemd/station-assessment-beat.service, or `manage.py jobs_housekeeping` from cron).
worker: setup  ## A Celery worker for the jobs; needs CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0)
	@$(CONFIGURED); configured CELERY_BROKER_URL || { \
	  echo "make worker: CELERY_BROKER_URL is not set (environment or .env), e.g. redis://127.0.0.1:6379/0."; \
	  echo "Without it the jobs run inside the web requests and no worker is needed."; exit 1; }
	$(VENV)/bin/celery -A config worker -l INFO

test: setup browser-packages  ## Run the whole suite (SQLite; PostgreSQL when DATABASE_URL is set)
	$(PY) -m pytest --create-db -q

# The size of the province `make bench` generates; BENCH_ARGS passes more (python -m bench.run --help).
UNITS ?= 300
STATIONS ?= 30
bench: setup  ## Issue 10's figures beside their baselines, on a fresh province (UNITS=300 STATIONS=30)
	$(PY) -m bench.run --units $(UNITS) --stations $(STATIONS) $(BENCH_ARGS)

lint:  setup ## ruff check and format check; the apps import one way only (import-linter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

clean:  ## Remove the venv, the local SQLite database and the browser tests' screenshots
	rm -rf $(VENV) db.sqlite3 media test-artifacts
