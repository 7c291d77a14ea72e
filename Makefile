# Two commands from a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# Debian suites the scenarios run on, and the image tag each one gets.
IMAGES := bullseye:flaskstack/debian:11 bookworm:flaskstack/debian:12 trixie:flaskstack/debian:13

export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: demo demo-clean test unit engine image venv host-tools host-image docs bench

$(BIN)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

engine:
	bash scripts/engine.sh

host-tools:
	bash scripts/host-tools.sh

# The distribution's tools first (one apt run for all), then the engine and images.
host-image: host-tools
	$(MAKE) --no-print-directory image

# The images build side by side (about a minute instead of three); any that
# fails fails the target.
image: engine
	pids=(); for pair in $(IMAGES); do bash scripts/build-image.sh "$${pair%%:*}" "$${pair#*:}" & pids+=($$!); done; \
	status=0; for pid in "$${pids[@]}"; do wait "$$pid" || status=1; done; exit $$status

demo: venv engine
	bash scripts/build-image.sh bookworm flaskstack/debian:12
	bash scripts/demo.sh

demo-clean:
	docker rm -f flaskstack-demo

$(BIN)/.bench: $(BIN)/.installed requirements-bench.txt
	$(BIN)/pip install --quiet -r requirements-bench.txt
	touch $@

# Converge and serving speed against the baselines, on fresh Debian 12
# containers (about 15 minutes): a table, docs/performance.md and its chart.
bench: venv $(BIN)/.bench engine
	bash scripts/build-image.sh bookworm flaskstack/debian:12
	$(BIN)/python scripts/bench.py

# Role READMEs from each role's meta/argument_specs.yml.
docs: venv
	$(BIN)/python scripts/role_docs.py

# Unit tests only: no containers.
unit: venv
	$(BIN)/pytest tests/unit -p no:cacheprovider -q

# Everything in one pytest session: role checks, ansible-test sanity and
# units, the consumer test and every molecule scenario (each one create,
# converge, idempotence, testinfra verify, destroy), two at a time, the
# longest first. It ends with the table of where the time went. The unit
# tests run once, through ansible-test units (the ecosystem's gate, which
# collects every test of tests/unit); `make unit` runs them directly.
# The tools and the images are made side by side: pip fills the venv while
# apt, dockerd and debootstrap make the engine and the images (from a fresh
# machine the venv took 51 s before the first image build could start).
TEST_WORKERS ?= 2
test:
	$(MAKE) --no-print-directory -j2 venv host-image
	$(BIN)/pytest tests --ignore=tests/unit -p no:cacheprovider -v -rfEs -n $(TEST_WORKERS) --dist loadgroup --durations=15 --timeout=900
