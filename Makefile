# Two commands from a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
IMAGE ?= flaskstack/debian:12
SUITE ?= bookworm

export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: demo demo-clean test unit engine image venv host-tools

$(BIN)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

engine:
	bash scripts/engine.sh

host-tools:
	bash scripts/host-tools.sh

image: engine
	bash scripts/build-image.sh $(SUITE) $(IMAGE)

demo: venv image
	bash scripts/demo.sh

demo-clean:
	docker rm -f flaskstack-demo

# Unit tests only: no containers.
unit: venv
	$(BIN)/pytest tests/unit -p no:cacheprovider -q

# Everything in one pytest session: unit tests, role checks, ansible-test
# sanity and units, then every molecule scenario (each one create, converge,
# idempotence, testinfra verify, destroy).
test: venv host-tools image
	$(BIN)/pytest tests -p no:cacheprovider -v -rfEs
