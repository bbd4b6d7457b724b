# Everything a person does with Rollout. `make run` and `make test` set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_WORKERS ?= 2

.PHONY: run test lint fmt check worker beat bench migrate seed messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

migrate: $(VENV)/.installed-run
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

## The app on embedded defaults (SQLite, tasks in-process, e-mail to the console).
run: seed
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## The whole suite. DATABASE_URL / REDIS_URL switch it to PostgreSQL and Redis.
test: $(VENV)/.installed-test
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: $(VENV)/.installed-run
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

## A Celery worker and the beat scheduler, for REDIS_URL set (see README).
worker: $(VENV)/.installed-run
	$(BIN)/celery -A config worker --queues celery,pdf --loglevel=info

beat: $(VENV)/.installed-run
	$(BIN)/celery -A config beat --loglevel=info --schedule var/celerybeat-schedule

## Speed figures on a large generated dataset, SQLite then PostgreSQL, into bench/results.json
## (not part of `make test`; the PostgreSQL pass is skipped when its server is unreachable).
BENCH_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/rollout_bench
bench: $(VENV)/.installed-run
	mkdir -p var
	DATABASE_URL=sqlite:///var/bench.sqlite3 REDIS_URL= $(BIN)/python manage.py bench $(BENCH_ARGS)
	DATABASE_URL=$(BENCH_POSTGRES_URL) REDIS_URL= $(BIN)/python manage.py bench $(BENCH_ARGS)

messages: $(VENV)/.installed-run
	$(BIN)/python manage.py makemessages --locale vi --ignore '.venv/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) var
