# The two commands a newcomer needs are `make demo` and `make test` (see README.md).
.PHONY: setup demo test test-fast smoke lint check pytest bench bench-engine bench-bulk bench-latency bench-api bench-pages bench-lifecycle bench-simulation messages bench-public

PY := .venv/bin/python

setup:
	@scripts/setup.sh

## Install, migrate, load demo data, start web + worker + beat on http://127.0.0.1:8000
demo: setup
	$(PY) scripts/demo.py

## The whole test suite: lint, architecture contract, migrations check, then pytest
test: setup
	$(PY) scripts/run_tests.py

## As `make test`, leaving out the tests that start worker processes or drive a browser, spread
## over the machine's cores (pytest-xdist: each process has a test database of its own)
test-fast: setup
	$(PY) scripts/run_tests.py -m "not worker and not browser" -n auto

## The production settings under gunicorn: sign-in, /healthz and a page of each role (CI runs it)
smoke: setup
	$(PY) scripts/smoke_production.py

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports

bench: bench-engine bench-bulk bench-latency

bench-engine: setup
	$(PY) bench/bench_engine.py

bench-bulk: setup
	$(PY) scripts/with_services.py $(PY) bench/bench_bulk.py

bench-latency: setup
	$(PY) scripts/with_services.py $(PY) bench/bench_latency.py

bench-api: setup
	$(PY) scripts/with_services.py $(PY) bench/bench_api.py

bench-pages: setup
	$(PY) scripts/with_services.py $(PY) bench/bench_pages.py

bench-lifecycle: setup
	$(PY) scripts/with_services.py $(PY) bench/bench_lifecycle.py

## Policy simulation against `reevaluate_holds --all` on the same data (BENCH_VICTIMS)
bench-simulation: setup
	$(PY) scripts/with_services.py $(PY) bench/bench_simulation.py

## Refresh the translation catalogues from the source (every language in core/languages.py), then
## compile them. Run after merging code that adds or changes translatable strings; the new
## messages then need translating (tests/i18n/test_catalogues.py says which are missing).
messages:
	$(PY) scripts/messages.py

## The public page /protocol: p95 server time against a 20 ms target, beside a bare endpoint
bench-public: setup
	$(PY) scripts/with_services.py $(PY) bench/bench_public.py
