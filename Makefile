# Everything a newcomer needs: `make demo` to see it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# System libraries WeasyPrint needs, and a CJK font so Chinese PDFs have no empty boxes;
# poppler-utils (pdftotext, pdffonts) for the tests that read the PDFs back.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-noto-cjk fontconfig poppler-utils

.DEFAULT_GOAL := help
.PHONY: help setup system-packages demo test bench lint serve clean

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

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

setup: system-packages $(STAMP)  ## Create .venv and install the project and system packages

demo: setup  ## Set up SQLite, load the demo data and serve on http://127.0.0.1:8000/
	DJANGO_DEBUG=true $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=true $(PY) manage.py load_demo
	DJANGO_DEBUG=true $(PY) manage.py runserver 127.0.0.1:8000

test: setup  ## Run the whole suite (SQLite; PostgreSQL when DATABASE_URL is set)
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

clean:  ## Remove the venv and the local SQLite database
	rm -rf $(VENV) db.sqlite3 media
