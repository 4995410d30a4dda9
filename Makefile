# make run   - set up and run the product on the embedded default (SQLite, in-process timers)
# make test  - set up and run the tests (SQLite; set DATABASE_URL and REDIS_URL for the production path)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
ADDR ?= 127.0.0.1:8000

.PHONY: setup run test bench worker beat

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The pages' scripts (webui/frontend/*.js, see package.json) are bundled when node is there; without
# node the pages still work, less the diagrams, charts and task forms that need them.
FRONTEND := webui/static/webui/build/.built
$(FRONTEND): package.json package-lock.json $(wildcard webui/frontend/* webui/frontend/*/*)
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund && npm run build && touch $@; \
	else \
		echo "npm not found: the front-end (webui/frontend) is not built"; \
	fi

setup: $(STAMP) $(FRONTEND)

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap
	$(PY) manage.py loaddemo
	$(PY) manage.py startyear
	$(PY) manage.py serve $(ADDR)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) bench/run.py

worker: setup
	$(VENV)/bin/celery -A config worker --loglevel=INFO

beat: setup
	$(VENV)/bin/celery -A config beat --loglevel=INFO
