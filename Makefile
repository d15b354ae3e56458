# Two commands on a fresh machine: `make serve` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# torch's CPU build (the test lock pins torch==2.13.0+cpu) comes from PyTorch's own CPU wheel index; on a machine
# that cannot reach it (offline, CI here) pip gives up on it at once (no retries, a short timeout) and takes the
# wheel from its configured find-links or index. PyPI itself only has the multi-GB CUDA build.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
TORCH_INDEX_FLAGS := --extra-index-url $(TORCH_INDEX) --retries 0 --timeout 10
# Debian's packages: wait for another apt or dpkg (unattended upgrades, a second make) to let go of its lock
APT := DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -qq

# Installs come from the lock files (every package pinned, with its hashes), so two installs a month apart get the same packages.
LOCK_FLAGS := --quiet --strip-extras --allow-unsafe --generate-hashes --no-emit-index-url --no-emit-find-links

.PHONY: serve test test-fast chromium postgres nginx clean lock

$(BIN)/.installed: requirements/serve.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/serve.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed requirements/test.txt
	$(BIN)/python -m pip install --quiet --require-hashes $(TORCH_INDEX_FLAGS) -r requirements/test.txt
	touch $@

lock:  ## re-pin after a change to pyproject.toml's dependencies (keeps the other pins; pip-compile -U in these lines to upgrade all)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra test --extra st --extra bench -o requirements/test.txt pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) -c requirements/test.txt -o requirements/serve.txt pyproject.toml

chromium:  ## Debian's chromium for the browser tests (Playwright never downloads a browser here)
	@command -v chromium >/dev/null 2>&1 || ($(APT) update && $(APT) install -y chromium >/dev/null)

postgres:  ## Debian's PostgreSQL server binaries: the tests start a throwaway cluster of their own (tests/pgserver.py)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ($(APT) update && $(APT) install -y postgresql >/dev/null)

nginx:  ## Debian's nginx: the shipped load-balancer configuration is checked with nginx -t and load runs through it
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || ($(APT) update && $(APT) install -y nginx >/dev/null)

serve: $(BIN)/.installed  ## install (no torch), index the bundled FAQ if needed, serve on http://127.0.0.1:8000
	$(BIN)/faq serve

test: $(BIN)/.installed-test chromium postgres nginx  ## install with the test, sentence-transformers and peer-bench extras, Debian's chromium, PostgreSQL and nginx; run every test
	FAQ_REQUIRE_POSTGRES=1 FAQ_REQUIRE_NGINX=1 $(BIN)/python -m pytest

# make test-fast's temporary files go to memory (/dev/shm) where there is one: a run writes ~7,000 files (~230 MB), and
# pytest deletes an earlier run's as it exits, ~20 s of waiting on this machine's disk (and the index builds' fsyncs wait
# on it too). It also writes the bytecode caches even when PYTHONDONTWRITEBYTECODE is set: without them each pytest
# process compiles the project and rewrites the tests' asserts again, ~3 s of CPU each.
FAST_TMPDIR ?= $(firstword $(wildcard /dev/shm))
# make test-fast's workers: one per core, at most 4, and 3 on a machine of 1 or 2 cores: there a third worker runs while
# the other two wait (loopback servers, sync intervals, child processes), for ~2-3 s more CPU (its own collection and
# session fixtures). On this 2-core machine, 2026-12-07, shared with two other jobs: the only runs under 30 s were with 3
# workers (29.3 and 30.0 s, against 34.6 and 38.8 s with 2 in the runs beside them); under load neither wins (median of
# nine alternate runs each: 48.7 s with 3, 49.6 s with 2). `make test-fast FAST_WORKERS=2` to compare.
FAST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n < 3 ? 3 : (n > 4 ? 4 : n) )))

test-fast: $(BIN)/.installed-test  ## the quick run while developing: fake embedders only (no slow, browser, torch or real-model tests), on every core
	$(if $(FAST_TMPDIR),TMPDIR=$(FAST_TMPDIR)) PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(FAST_WORKERS) --dist loadfile -m "not slow and not browser and not st and not model"

clean:
	rm -rf $(VENV) var artifacts *.egg-info
