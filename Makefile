# mesoclinic — `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
WORKERS ?= 3
PG_PORT ?= 54329
PG_URL := postgres://postgres@127.0.0.1:$(PG_PORT)/mesoclinic

.PHONY: lock run serve install install-dev system-deps messages test test-sqlite test-postgres lint bench pg-start pg-stop clean

# The lock files pin every package, with its hashes: a release elsewhere changes nothing
# here until `make lock` is run again.
$(VENV)/.runtime: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# pip before 24 refuses a hashed lock whose packages ask for extras (weasyprint's
	# fonttools[woff]): a new virtual environment's pip is brought up to date first.
	$(BIN)/pip install --quiet --upgrade "pip>=25"
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

## lock: pin requirements*.txt again, with hashes, into requirements*.lock
lock: $(VENV)/.runtime
	$(BIN)/pip install --quiet pip-tools
	for f in requirements requirements-dev; do \
	    $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url \
	        --no-emit-find-links --output-file $$f.lock $$f.txt || exit 1; done

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

## messages: compile the French (and any other) message catalogues, locale/*.po → .mo
messages: install
	$(BIN)/python manage.py compilemessages --ignore .venv --verbosity 0

## run: install, migrate, load the catalogue and the demo, serve on http://127.0.0.1:8000
run: install
	scripts/system-deps.sh runtime
	$(MAKE) --no-print-directory messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_catalogue
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	BIN=$(BIN) PORT=$(PORT) WORKERS=$(WORKERS) scripts/serve.sh

## system-deps: Debian's chromium and postgresql, installed only when missing
system-deps:
	scripts/system-deps.sh test

lint: install-dev
	$(BIN)/ruff check .

## test: the whole suite on SQLite, then on a PostgreSQL server started on loopback
test: install-dev system-deps
	$(MAKE) --no-print-directory messages
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:
	@echo "== suite on SQLite =="
	rm -f var/test.sqlite3 var/test.sqlite3-wal var/test.sqlite3-shm
	$(BIN)/pytest

test-postgres:
	@echo "== suite on PostgreSQL =="
	scripts/pg-test.sh start $(PG_PORT)
	DATABASE_URL=$(PG_URL) $(BIN)/pytest; status=$$?; scripts/pg-test.sh stop $(PG_PORT); exit $$status

pg-start:
	scripts/pg-test.sh start $(PG_PORT)
pg-stop:
	scripts/pg-test.sh stop $(PG_PORT)

## bench: performance figures, written as JSON under bench/results/
BENCHES = bench/patient_search.py --patients 100000 && \
	    $(BIN)/python bench/analytics.py --sessions 1000000 && \
	    $(BIN)/python bench/search_near_me.py --clinics 10000 && \
	    $(BIN)/python bench/booking_contested.py --clients 16 --times 150 && \
	    $(BIN)/python bench/audit_writes.py --writers 8 --events 400 && \
	    $(BIN)/python bench/fhir_everything.py && \
	    $(BIN)/python bench/billing.py --payments 10000 && \
	    $(BIN)/python bench/load.py

bench: install-dev
	scripts/system-deps.sh bench
	$(BIN)/python bench/photo_alignment.py
	$(BIN)/python bench/upload_memory.py
	$(BIN)/python $(BENCHES)
	scripts/pg-test.sh start $(PG_PORT)
	export DATABASE_URL=$(PG_URL); $(BIN)/python $(BENCHES); \
	    status=$$?; scripts/pg-test.sh stop $(PG_PORT); exit $$status

clean:
	rm -rf staticfiles test-artifacts bench/results .pytest_cache
