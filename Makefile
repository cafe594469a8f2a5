# ClinicDesk: `make run` to start the app, `make test` to run the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The demo database: make run seeds it on first run. A clinic's own database is made with
# manage.py init and never seeded (README, "Running it for real").
DB     ?= data/demo.duckdb
HOST   ?= 127.0.0.1
PORT   ?= 8501

.PHONY: run test test-fast browser seed-large bench clean-venv

run: $(VENV)/.installed $(DB)
	@$(BIN)/python manage.py describe --db $(DB) --address $(HOST) --port $(PORT)
	CLINICDESK_DB=$(DB) $(BIN)/streamlit run app.py --server.address $(HOST) --server.port $(PORT)

# The whole suite, as CI runs it: two xdist workers, then the thread-race tests alone; prints
# the totals and the time it took (tests/run_all.py). The Python packages and the browser are
# installed side by side (one waits on the network while the other unpacks).
test:
	@$(MAKE) --no-print-directory -j2 $(VENV)/.installed-dev browser
	$(BIN)/python tests/run_all.py

# While you work: everything but the AppTest page tests and the browser tests.
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 -m "not slow"

# The demo database is created once; an existing file is never overwritten.
$(DB): | $(VENV)/.installed
	$(BIN)/python manage.py seed --scale demo --db $(DB)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# --no-compile: pip would compile every installed module (half the install time); Python compiles
# what is imported, once, at first use.
$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --no-compile -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --no-compile -r requirements-dev.txt
	touch $@

# Browser tests drive Debian's chromium through Playwright (Playwright cannot download its
# own browser here). Installed when missing and we are root; otherwise the e2e tests say why
# they skip (and fail under CI=true).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is not installed and we are not root: browser tests will skip (fail under CI)."; fi

seed-large: $(VENV)/.installed
	$(BIN)/python manage.py seed --scale large --db data/large.duckdb

# The benchmark at the large scale (issue 15): a table on the terminal and bench/results.json.
bench: $(VENV)/.installed-dev browser
	$(BIN)/python manage.py bench --scale large --out bench/results.json

clean-venv:
	rm -rf $(VENV)
