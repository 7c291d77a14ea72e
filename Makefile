# Two commands from a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
IMAGE ?= flaskstack/debian:12
SUITE ?= bookworm

export PATH := $(abspath $(BIN)):$(PATH)
export ANSIBLE_CONFIG := $(abspath ansible.cfg)

.PHONY: demo demo-clean test unit molecule engine image venv

$(BIN)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

engine:
	bash scripts/engine.sh

image: engine
	bash scripts/build-image.sh $(SUITE) $(IMAGE)

demo: venv image
	bash scripts/demo.sh

demo-clean:
	docker rm -f flaskstack-demo

unit: venv
	bash scripts/unit.sh

molecule: venv image
	bash scripts/molecule.sh

test: venv image
	bash scripts/test.sh
