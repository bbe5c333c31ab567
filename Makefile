# The two commands of the README (`make demo`, `make test`) set up everything they
# need on a fresh machine: a virtualenv with tether installed, and (on first use)
# Apache Kafka's jars from Maven Central.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

CHROMIUM := /usr/bin/chromium

.PHONY: demo test lint unit integration chaos broker clean chromium constraints

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/tether demo $(ARGS)

# The whole suite, the chaos suite (tests/integration/chaos) included; `make chaos`
# runs just that (`make chaos ARGS=--soak` for the long run).
test: $(STAMP) lint $(CHROMIUM)
	$(VENV)/bin/pytest $(ARGS)

chaos: $(STAMP)
	$(VENV)/bin/pytest -m chaos tests/integration/chaos $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

unit: $(STAMP)
	$(VENV)/bin/pytest tests/unit tests/contract $(ARGS)

integration: $(STAMP) $(CHROMIUM)
	$(VENV)/bin/pytest tests/integration $(ARGS)

# The status page's browser test drives Debian's Chromium (never `playwright
# install`): installed here as root; otherwise that test fails saying how.
chromium: $(CHROMIUM)
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else \
		echo "Chromium is missing: sudo apt-get install -y chromium chromium-driver" >&2; \
	fi

broker: $(STAMP)
	$(VENV)/bin/tether broker start

# Re-pin constraints.txt to what a fresh install of '.[dev]' resolves today.
constraints:
	fresh=$$(mktemp -d) && $(PYTHON) -m venv $$fresh \
	  && $$fresh/bin/pip install --quiet '.[dev]' \
	  && { grep '^#' constraints.txt; $$fresh/bin/pip freeze --exclude tether; } > constraints.new \
	  && mv constraints.new constraints.txt; rm -rf $$fresh constraints.new

clean:
	rm -rf $(VENV) var build *.egg-info
