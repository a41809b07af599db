# The two commands a user needs: `make run` (the main job) and `make test` (every test and check).
# Both set up a local virtualenv and build the Rust extension first; nothing is installed by hand.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SHARED_DATA ?= ../shared/data
RUN_DIR ?= runs/demo

.PHONY: setup system-deps run demo-core test lint rust-test py-test fmt bench clean

RUST_SOURCES := $(shell find rust_core/src -name '*.rs')

# Re-runs (and rebuilds the extension) whenever the Rust sources or the manifests change.
$(STAMP): pyproject.toml Cargo.toml rust_core/Cargo.toml $(RUST_SOURCES)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## setup: create .venv, install dependencies and build the extension (release profile) in place
setup: $(STAMP)

## run: the main job — a backtest of the shipped real demo data (AAPL, GOOG, IBM, MSFT daily,
## 2008-2012) through the whole actor pipeline (Pykka actor host), writing report.html,
## report.json, results.json and messages.jsonl
run: setup
	$(PY) -m ferrotrade.cli backtest --symbol AAPL,GOOG,IBM,MSFT --start 2008-01-01 \
	  --end 2012-12-31 --strategy macd --position-size 0.2 --slippage 10 --host actors \
	  --out $(RUN_DIR) --json $(RUN_DIR)/results.json
	@echo "report: $(RUN_DIR)/report.html"

## demo-core: the Rust core on real NASDAQ data and the matching benchmark
demo-core: setup
	$(PY) -m ferrotrade.cli lobster replay $(SHARED_DATA)/lobster/LOBSTER_SampleFile_GOOG_2012-06-21_10.zip
	$(PY) -m ferrotrade.cli bench matching --ops 300000 --repeats 3

## system-deps: headless Chromium, which renders the HTML report in its test (Debian package;
## needs root). Without it that one test is skipped locally; under CI it is required.
system-deps:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) \
	    || { echo "could not install chromium"; [ -z "$$CI" ]; }; }

## lint: formatters, linters, type checks and the stub check
lint: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --workspace --features ferrotrade-core/python -- -D warnings
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m mypy.stubtest ferrotrade._ferrotrade_core

## rust-test: the pure-Rust unit, property and integration tests
rust-test:
	cargo test --workspace

## py-test: every Python test, slow ones included
py-test: setup system-deps
	$(PY) -m pytest -q

## test: everything CI runs
test: lint rust-test py-test

## fmt: rewrite Rust and Python formatting in place
fmt: setup
	cargo fmt --all
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## bench: the benchmark suites (figures printed beside their baselines)
bench: setup
	$(PY) -m ferrotrade.cli bench matching
	$(PY) -m ferrotrade.cli bench actors
	$(PY) -m ferrotrade.cli bench backtest
	cargo bench --workspace

clean:
	rm -rf target $(VENV) ferrotrade/*.so
