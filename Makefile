# Two commands on a fresh machine: `make serve` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test test-fast chromium postgres nginx clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,st,bench]'
	touch $@

chromium:  ## Debian's chromium for the browser tests (Playwright never downloads a browser here)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

postgres:  ## Debian's PostgreSQL server binaries: the tests start a throwaway cluster of their own (tests/pgserver.py)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)

nginx:  ## Debian's nginx: the shipped load-balancer configuration is checked with nginx -t and load runs through it
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null)

serve: $(BIN)/.installed  ## install (no torch), index the bundled FAQ if needed, serve on http://127.0.0.1:8000
	$(BIN)/faq serve

test: $(BIN)/.installed-test chromium postgres nginx  ## install with the test, sentence-transformers and peer-bench extras, Debian's chromium, PostgreSQL and nginx; run every test
	FAQ_REQUIRE_POSTGRES=1 FAQ_REQUIRE_NGINX=1 $(BIN)/python -m pytest

test-fast: $(BIN)/.installed-test  ## the quick run while developing: fake embedders only (no slow, browser, torch or real-model tests)
	$(BIN)/python -m pytest -m "not slow and not browser and not st and not model"

clean:
	rm -rf $(VENV) var artifacts *.egg-info
