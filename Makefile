# Quick start: `make demo` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= demo-workspace

SYSDEPS := $(VENV)/.sysdeps

.PHONY: install sysdeps test demo clean pg-stop bench

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

# a private PostgreSQL on 127.0.0.1 so storage, lifecycle and concurrency tests run on both databases
PG_SERVER := scripts/postgres-test-server.sh

test: $(STAMP) $(SYSDEPS)
	url=$$(sh $(PG_SERVER) start) && WORKBENCH_TEST_PG_URL="$$url" $(BIN)/python -m pytest -q

pg-stop:
	sh $(PG_SERVER) stop

# benchmarks (figures in the README); generated vendor files are cached between runs
BENCH_CACHE ?= $(HOME)/.cache/workbench-bench
bench: $(STAMP) $(SYSDEPS)
	$(BIN)/python bench/pricing.py --rows 10000000 --format both --keep $(BENCH_CACHE)
	$(BIN)/python bench/month_end.py --keep $(BENCH_CACHE)
	$(BIN)/python bench/dashboard.py

LAST_MONTH = $(shell date -d "$$(date +%Y-%m-01) -1 month" +%Y-%m)
PORT ?= 8866

# the demo: a fresh workspace from generated vendor files, last month's month-end batch
# (drafts, executed invoice notebooks, PDFs, CSVs, Excel; the demo has one customer without an
# AWS pricebook on purpose, so month-end reports it and exits 1), then the dashboards on localhost
demo: $(STAMP) $(SYSDEPS)
	rm -rf $(DEMO)
	$(BIN)/workbench demo $(DEMO)
	-$(BIN)/workbench month-end $(DEMO) --period $(LAST_MONTH) --jobs 2 --apply-credits --include-marketplace
	$(BIN)/workbench serve $(DEMO) --notebook all --port $(PORT) --no-browser

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .hypothesis
