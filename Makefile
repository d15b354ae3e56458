# Two commands on a fresh machine: `make serve` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test test-fast clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

serve: $(BIN)/.installed  ## install, index the bundled FAQ if needed, serve on http://127.0.0.1:8000
	$(BIN)/faq serve

test: $(BIN)/.installed  ## install and run the whole test suite, slow tests included
	$(BIN)/python -m pytest

test-fast: $(BIN)/.installed  ## the quick run while developing (slow tests skipped)
	$(BIN)/python -m pytest -m "not slow"

clean:
	rm -rf $(VENV) var *.egg-info
