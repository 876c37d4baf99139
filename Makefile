# Quick start: `make run` (set up everything, load the demo, start the site) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SMTP_PORT ?= 2525

.PHONY: run test setup venv lint migrate bench bench-ledger bench-mail clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import tomllib; d = tomllib.load(open('pyproject.toml', 'rb')); p = d['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['dev']))" > $(VENV)/requirements.txt
	$(BIN)/pip install --disable-pip-version-check -q -r $(VENV)/requirements.txt
	touch $@

setup: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py compilemessages --ignore=.venv -v0 || true
	$(BIN)/python manage.py load_demo

# The SMTP listener runs in the background beside the site and stops when runserver ends.
run: setup
	@echo "Site: http://$(HOST):$(PORT)/   Admin: http://$(HOST):$(PORT)/admin/"
	@echo "Mail: SMTP listener on $(HOST):$(SMTP_PORT) (send replies there with any mail client or smtplib)"
	@$(BIN)/python manage.py smtp_inbound --host $(HOST) --port $(SMTP_PORT) & smtp_pid=$$!; \
	trap 'kill $$smtp_pid 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT); status=$$?; \
	kill $$smtp_pid 2>/dev/null; wait $$smtp_pid 2>/dev/null; exit $$status

test: venv
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

# The project's figures over HTTP against gunicorn, a Celery worker, PostgreSQL and Redis (one
# a line, with the load average). Keeps its database (bench_helpdesk, a million tickets) between
# runs; REDIS_URL must be a Redis database of the bench's own (its task queue is purged):
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/5 \
#     make bench [BENCH_ARGS="--quick" | "--duration 60 --concurrency 8 --only submit"]
bench: venv
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Needs PostgreSQL and Redis: DATABASE_URL=postgres://… REDIS_URL=redis://… make bench-mail
bench-mail: venv
	$(BIN)/python bench/mail_throughput.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf var .pytest_cache
