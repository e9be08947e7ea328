# simcache: `make lab` to learn, `make test` to check everything. See README.md.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV      ?= .venv
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.simcache-installed
EXTRAS    ?= lab,redis,dev
# The real Redis `make test` uses (unit tests and the second notebook run). Only this
# variable: an exported REDIS_URL or SIMCACHE_REDIS_URL of yours is never followed.
SIMCACHE_TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
export SIMCACHE_TEST_REDIS_URL
LAB_ARGS  ?=
NBVAL_CELL_TIMEOUT ?= 300

PYTEST    := bash .ci/pytest-strict $(PY)
NBVAL     := --nbval-lax --nbval-current-env --nbval-cell-timeout=$(NBVAL_CELL_TIMEOUT) \
             -p no:cacheprovider --ignore=notebooks/solutions notebooks/
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

# Jupyter's move to platformdirs: opt in now, which also silences its warning.
export JUPYTER_PLATFORM_DIRS := 1

.PHONY: help venv lab test bench clean strip

help:
	@echo "make lab    open the course in JupyterLab (LAB_ARGS='--no-browser --port 8899')"
	@echo "make test   ruff, unit tests, every notebook on fakeredis and on a real Redis"
	@echo "make bench  run the benchmarks"
	@echo "make strip  clear notebook outputs before committing"
	@echo "make venv   create/update $(VENV);  make clean  remove it and caches"

venv: $(STAMP)

# Re-installs only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml
	@if [ -x "$(PY)" ] && ! "$(PY)" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	    echo "$(VENV) is broken or older than Python 3.11: recreating it"; rm -rf "$(VENV)"; \
	fi
	@if [ ! -x "$(PY)" ]; then \
	    py=""; \
	    for c in python3.13 python3.12 python3.11 python3; do \
	        if command -v "$$c" >/dev/null 2>&1 && \
	           "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then \
	            py="$$c"; break; \
	        fi; \
	    done; \
	    if [ -z "$$py" ]; then \
	        echo "error: simcache needs Python >= 3.11; none of python3.13 python3.12 python3.11 python3 is" >&2; \
	        exit 1; \
	    fi; \
	    echo "creating $(VENV) with $$(command -v $$py) ($$($$py -c 'import platform; print(platform.python_version())'))"; \
	    "$$py" -m venv "$(VENV)"; \
	fi
	$(PY) -m pip install --disable-pip-version-check -e '.[$(EXTRAS)]'
	@touch "$(STAMP)"

# The server's root is the repository (README, examples/, notebooks/ in the file browser);
# default_url makes both the launched browser and the printed URL open the first notebook.
# .jupyter/labconfig holds the lab's own setting overrides: never ask about (or fetch)
# Jupyter news, never check for updates, so no pop-up greets a learner; news_url=None
# also stops the feed.
START_NOTEBOOK := notebooks/00-start-here.ipynb
lab: venv
	JUPYTER_CONFIG_PATH='$(CURDIR)/.jupyter' $(VENV)/bin/jupyter lab $(ROOT_FLAG) \
	    --ServerApp.root_dir='$(CURDIR)' --LabApp.default_url=/lab/tree/$(START_NOTEBOOK) \
	    --LabApp.news_url=None $(LAB_ARGS)

test: venv
	$(VENV)/bin/ruff check .
	$(PYTEST) tests/
	@echo "== notebooks on fakeredis, and as if nginx were not installed (SIMCACHE_NGINX=none)"
	SIMCACHE_REDIS_URL=fakeredis:// SIMCACHE_NGINX=none $(PYTEST) $(NBVAL)
	@shown=$$(printf '%s' "$$SIMCACHE_TEST_REDIS_URL" | sed -E 's#//[^/@]*@#//***@#'); \
	if $(PY) -c "import os, redis; redis.Redis.from_url(os.environ['SIMCACHE_TEST_REDIS_URL'], socket_connect_timeout=2, socket_timeout=2).ping()" >/dev/null 2>&1; then \
	    echo "== notebooks on a real Redis (SIMCACHE_REDIS_URL=$$shown)"; \
	    SIMCACHE_REDIS_URL="$$SIMCACHE_TEST_REDIS_URL" REDIS_URL= $(PYTEST) $(NBVAL); \
	else \
	    echo "== SKIPPED notebooks on a real Redis: nothing answers PING at $$shown (start one: redis-server --daemonize yes --port 6379 --save '' --appendonly no)"; \
	fi

bench: venv
	$(PY) -m simcache.bench

strip: venv
	$(PY) .ci/strip-notebooks notebooks

clean:
	rm -rf "$(VENV)" .pytest_cache .ruff_cache .hypothesis build dist *.egg-info
	find . -path ./.git -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -prune -exec rm -rf {} +
