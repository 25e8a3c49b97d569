# workbench: two commands for a fresh machine.
#   make demo   creates .venv, installs, opens JupyterLab on the quickstart notebook
#   make test   installs what the tests need (Chromium and PostgreSQL where it can) and runs them all

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed

.PHONY: demo test test-python test-js bench lint format build system-deps clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Reinstall when the package metadata changes; the build hook bundles widgets/ with esbuild.
# torch goes first, pinned, so the `ml` extra's range is met by the CPU build rather
# than pulling a multi-GB CUDA one; set TORCH= to another pin (or empty) to change that.
TORCH ?= torch==2.13.0
$(STAMP): pyproject.toml package.json package-lock.json hatch_build.py | $(PY)
	$(if $(TORCH),$(PY) -c "import torch" 2>/dev/null || $(PIP) install --quiet "$(TORCH)")
	$(PIP) install --quiet -e ".[test]"
	touch $(STAMP)

node_modules/.stamp: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

build: $(STAMP) node_modules/.stamp
	npm run --silent build

demo: $(STAMP) build
	cd notebooks && ../$(VENV)/bin/jupyter lab quickstart.ipynb

system-deps:
	bash tools/system-deps.sh

test: system-deps build test-js test-python

test-js: build
	npm test

test-python: build
	$(PY) -m pytest -q -p no:cacheprovider tests/unit tests/browser

bench: build
	$(PY) -m tests.benchmarks

lint: $(STAMP)
	$(VENV)/bin/ruff check workbench tests hatch_build.py
	$(VENV)/bin/ruff format --check workbench tests hatch_build.py

format: $(STAMP)
	$(VENV)/bin/ruff format workbench tests hatch_build.py

clean:
	rm -rf $(VENV) node_modules workbench/static/*.js workbench/static/*.css
