# The two commands of the README (`make demo`, `make test`) set up everything they
# need on a fresh machine: a virtualenv with tether installed, and (on first use)
# Apache Kafka's jars from Maven Central.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test lint unit integration chaos broker clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/tether demo $(ARGS)

# The chaos suite (tests/integration/chaos) is not part of `make test` yet: it runs
# for ~20 minutes and is still being hardened; `make chaos` runs it.
test: $(STAMP) lint
	$(VENV)/bin/pytest -m "not chaos" $(ARGS)

chaos: $(STAMP)
	$(VENV)/bin/pytest -m chaos tests/integration/chaos $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(VENV)/bin/pytest tests/unit tests/contract $(ARGS)

integration: $(STAMP)
	$(VENV)/bin/pytest tests/integration $(ARGS)

broker: $(STAMP)
	$(VENV)/bin/tether broker start

clean:
	rm -rf $(VENV) var build *.egg-info
