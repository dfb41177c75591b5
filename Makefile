# Quick start: `make demo` and `make test`. Both create .venv and install what they need.
# `make help` lists the targets (from the `## ` line above each); `make` alone is `make install`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= demo-workspace

SYSDEPS := $(VENV)/.sysdeps

.PHONY: help install lock sysdeps test pg-stop bench demo demo-reset clean
.DEFAULT_GOAL := install

# constraints.txt pins every package to the versions the tests and benchmarks ran with: a new
# machine gets the same front end (a plotly release doubled the JavaScript a dashboard loaded)
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

## create .venv and install the project with its test extras (the default goal)
install: $(STAMP)

## re-resolve the newest versions into constraints.txt (then make test, and commit both)
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install -q --upgrade pip && .venv-lock/bin/pip install -q -e '.[test]'
	{ grep '^#' constraints.txt; .venv-lock/bin/pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .venv-lock

# Debian packages: chromium (statement PDFs, browser tests), poppler-utils, fonts
$(SYSDEPS): scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	@mkdir -p $(VENV) && touch $(SYSDEPS)

## install the Debian packages: chromium, poppler-utils, fonts
sysdeps: $(SYSDEPS)

# a private PostgreSQL on 127.0.0.1 so storage, lifecycle and concurrency tests run on both databases
PG_SERVER := scripts/postgres-test-server.sh

## run every test, on SQLite and on a private PostgreSQL it starts (and leaves running: make pg-stop)
test: $(STAMP) $(SYSDEPS)
	url=$$(sh $(PG_SERVER) start) && WORKBENCH_TEST_PG_URL="$$url" $(BIN)/python -m pytest -q

## stop the PostgreSQL test server that make test started
pg-stop:
	sh $(PG_SERVER) stop

# benchmarks (figures in the README); generated vendor files are cached between runs
BENCH_CACHE ?= $(HOME)/.cache/workbench-bench
## run the benchmarks of the README (pricing, month end, dashboard)
bench: $(STAMP) $(SYSDEPS)
	$(BIN)/python bench/pricing.py --rows 10000000 --format both --keep $(BENCH_CACHE)
	$(BIN)/python bench/month_end.py --keep $(BENCH_CACHE)
	$(BIN)/python bench/dashboard.py

LAST_MONTH = $(shell date -d "$$(date +%Y-%m-01) -1 month" +%Y-%m)
PORT ?= 8866

# the demo: a workspace from generated vendor files, last month's month-end batch (drafts,
# executed invoice notebooks, PDFs, CSVs, Excel; the demo has one customer without an AWS
# pricebook on purpose, so month-end reports it and exits 1), then the dashboards on localhost.
# A demo workspace made before is served as it is: what an analyst did there (approvals, status
# changes, deleted drafts) stays; `make demo-reset` throws it away and builds a new one. A
# $(DEMO) folder that is not a workspace is left alone (`workbench demo` refuses it).
## build demo-workspace (or reuse the one there) and serve the dashboards (PORT=8866)
demo: $(STAMP) $(SYSDEPS)
ifneq ($(wildcard $(DEMO)/workspace.json),)
	@echo "make demo: reusing $(DEMO) as you left it (approvals and other changes kept); make demo-reset builds a new one"
else
	$(BIN)/workbench demo $(DEMO)
	-$(BIN)/workbench month-end $(DEMO) --period $(LAST_MONTH) --jobs 2 --apply-credits --include-marketplace
endif
	$(BIN)/workbench serve $(DEMO) --dashboard all --port $(PORT) --no-browser

## delete demo-workspace (and all changes made in it), then make demo
demo-reset:
	rm -rf $(DEMO)
	$(MAKE) demo

## list the targets
help:
	@awk '/^## /{doc = substr($$0, 4); next} doc && /^[a-z][a-z-]*:/{printf "  make %-11s %s\n", substr($$0, 1, index($$0, ":") - 1), doc} {doc = ""}' $(firstword $(MAKEFILE_LIST))

## remove .venv and demo-workspace
clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .hypothesis
