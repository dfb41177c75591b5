# Quick start: `make demo` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= demo-workspace

SYSDEPS := $(VENV)/.sysdeps

.PHONY: install sysdeps test demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages: chromium (statement PDFs, browser tests), poppler-utils, fonts
$(SYSDEPS): scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	@mkdir -p $(VENV) && touch $(SYSDEPS)

sysdeps: $(SYSDEPS)

test: $(STAMP) $(SYSDEPS)
	$(BIN)/python -m pytest -q

demo: $(STAMP) $(SYSDEPS)
	rm -rf $(DEMO)
	$(BIN)/workbench demo $(DEMO)

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .hypothesis
