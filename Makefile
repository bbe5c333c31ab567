# The two commands of the README (`make demo`, `make test`) set up everything they
# need on a fresh machine: a virtualenv with tether installed, and (on first use)
# Apache Kafka's jars from Maven Central.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

CHROMIUM := /usr/bin/chromium

.PHONY: demo test lint unit integration chaos broker clean chromium constraints audit base-digest

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

# Re-pin constraints.txt to what a fresh install of '.[dev,audit]' resolves today.
constraints:
	fresh=$$(mktemp -d) && $(PYTHON) -m venv $$fresh \
	  && $$fresh/bin/pip install --quiet '.[dev,audit]' \
	  && { grep '^#' constraints.txt; $$fresh/bin/pip freeze --exclude tether; } > constraints.new \
	  && mv constraints.new constraints.txt; rm -rf $$fresh constraints.new

# Every pin of constraints.txt against PyPI's vulnerability data (pip-audit, from the
# `audit` extra, installed on first use). Needs the network, so it is run by hand or
# on a schedule, never by `make test`. --strict: a package it could not look up fails
# the audit instead of passing unchecked. AUDIT_SERVICE=osv asks OSV instead.
AUDIT_SERVICE ?= pypi
audit: $(STAMP)
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[audit]'
	$(VENV)/bin/pip-audit --requirement constraints.txt --no-deps --disable-pip \
	  --strict --vulnerability-service $(AUDIT_SERVICE) --progress-spinner off $(ARGS)

# The current digest of the Dockerfile's base image, from Docker Hub's registry API
# (the multi-platform index): paste it into the Dockerfile's FROM line.
BASE_IMAGE := python
BASE_TAG := 3.11-slim
base-digest:
	@unreachable="Docker Hub's registry is out of reach: try docker buildx imagetools inspect $(BASE_IMAGE):$(BASE_TAG)"; \
	auth=$$(curl -fsS --max-time 20 "https://auth.docker.io/token?service=registry.docker.io&scope=repository:library/$(BASE_IMAGE):pull") \
	  || { echo "$$unreachable" >&2; exit 1; }; \
	token=$$(printf '%s' "$$auth" | $(PYTHON) -c 'import json, sys; print(json.load(sys.stdin)["token"])'); \
	headers=$$(curl -fsSI --max-time 20 -H "Authorization: Bearer $$token" \
	    -H "Accept: application/vnd.oci.image.index.v1+json" \
	    -H "Accept: application/vnd.docker.distribution.manifest.list.v2+json" \
	    "https://registry-1.docker.io/v2/library/$(BASE_IMAGE)/manifests/$(BASE_TAG)") \
	  || { echo "$$unreachable" >&2; exit 1; }; \
	printf '%s\n' "$$headers" | tr -d '\r' \
	  | awk -F': ' 'tolower($$1) == "docker-content-digest" { print "FROM $(BASE_IMAGE):$(BASE_TAG)@" $$2 }'

clean:
	rm -rf $(VENV) var build *.egg-info
