# workbench: two commands for a fresh machine.
#   make demo   creates .venv, installs, opens JupyterLab on the quickstart notebook
#   make test   installs what the tests need (Chromium and PostgreSQL where it can) and runs them all

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed

.PHONY: demo test test-quick test-python test-js bench lint format build system-deps clean docs

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Reinstall when the package metadata changes; the build hook bundles widgets/ with esbuild.
# torch goes first, pinned, so the `ml` extra's range is met by the CPU build rather
# than pulling a multi-GB CUDA one; set TORCH= to another pin (or empty) to change that.
TORCH ?= torch==2.13.0
$(STAMP): pyproject.toml package.json package-lock.json hatch_build.py extension/package-lock.json | $(PY)
	$(if $(TORCH),$(PY) -c "import torch" 2>/dev/null || $(PIP) install --quiet "$(TORCH)")
	$(PIP) install --quiet -e ".[test]"
	touch $(STAMP)

node_modules/.stamp: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The JupyterLab side panel (extension/), a prebuilt extension in workbench/labextension.
# npm ci writes node_modules/.package-lock.json, so an install done by the build hook counts.
LABEXT      := workbench/labextension/package.json
LABEXT_VENV := $(VENV)/share/jupyter/labextensions/workbench-panel
extension/node_modules/.package-lock.json: extension/package-lock.json
	npm ci --prefix extension --no-audit --no-fund --loglevel=error
	touch $@

$(LABEXT): extension/node_modules/.package-lock.json extension/package.json extension/build.mjs \
		extension/tsconfig.json extension/install.json $(wildcard extension/src/*.ts extension/style/*)
	npm run --prefix extension --silent build
	touch $@

# `pip install -e` copies the panel into the venv once; a link (what `jupyter labextension
# develop` makes) lets JupyterLab load each rebuild without reinstalling.
build: $(STAMP) node_modules/.stamp $(LABEXT)
	npm run --silent build
	@if [ ! -L $(LABEXT_VENV) ]; then rm -rf $(LABEXT_VENV) && ln -s $(CURDIR)/workbench/labextension $(LABEXT_VENV); fi

# As root (containers, CI images) JupyterLab refuses to start without --allow-root; with no
# display (neither DISPLAY nor WAYLAND_DISPLAY set, except on macOS; or DEMO_NO_BROWSER=1)
# it opens no browser and prints the URL to open.
# DEMO_ARGS goes to `jupyter lab` as it is: make demo DEMO_ARGS=--port=8899
DEMO_ARGS ?=
HAS_DISPLAY := $(if $(filter Darwin,$(shell uname -s)),1,$(DISPLAY)$(WAYLAND_DISPLAY))
DEMO_NO_BROWSER ?= $(if $(HAS_DISPLAY),,1)
DEMO_FLAGS = $(if $(filter 0,$(shell id -u)),--allow-root) \
	$(if $(filter 1 yes true,$(DEMO_NO_BROWSER)),--no-browser)
demo: $(STAMP) build
	cd notebooks && exec ../$(VENV)/bin/jupyter lab quickstart.ipynb $(strip $(DEMO_FLAGS) $(DEMO_ARGS))

system-deps:
	bash tools/system-deps.sh

test: system-deps build test-js test-python

test-js: build
	npm test

test-python: build
	$(PY) -m pytest -q -p no:cacheprovider tests/unit tests/security tests/browser

# Fast feedback while changing code: unit and security tests without a browser,
# PostgreSQL, notebook runs, servers or package and docs builds (markers browser,
# postgres, slow), spread over the cores by pytest-xdist (QUICK_JOBS=1: one process).
# Bytecode is cached even where PYTHONDONTWRITEBYTECODE is set: each worker would
# otherwise compile and assertion-rewrite every test module again (~10 s of 20).
# `make test` runs them all.
# Property tests run a quarter of their examples (QUICK_EXAMPLES=1: all of them).
QUICK_JOBS ?= auto
QUICK_EXAMPLES ?= 0.25
test-quick: build
	@start=$$(date +%s); \
	env -u PYTHONDONTWRITEBYTECODE WORKBENCH_QUICK_EXAMPLES=$(QUICK_EXAMPLES) $(PY) -m pytest -q -p no:cacheprovider tests/unit tests/security \
		-m "not browser and not postgres and not slow" \
		$(if $(filter 1,$(QUICK_JOBS)),-p no:xdist,-n $(QUICK_JOBS) --dist worksteal); \
	rc=$$?; echo "make test-quick: $$(( $$(date +%s) - start )) s"; exit $$rc

# make bench ONLY=bench_store runs one module (several: ONLY="bench_store bench_team").
# It prints each module's wall time and the total at the end.
bench: build
	$(PY) -m tests.benchmarks $(ONLY)

lint: $(STAMP)
	$(VENV)/bin/ruff check workbench tests tools hatch_build.py docs/hooks.py
	$(VENV)/bin/ruff format --check workbench tests tools hatch_build.py docs/hooks.py
	$(VENV)/bin/lint-imports  # the layers and task-kind contracts in .importlinter

format: $(STAMP)
	$(VENV)/bin/ruff format workbench tests tools hatch_build.py docs/hooks.py

# The documentation site (mkdocs.yml) into site/; --strict makes every warning fail the
# build. NO_MKDOCS_2_WARNING silences mkdocs-material's end-of-life banner.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) node_modules workbench/static/*.js workbench/static/*.css workbench/static/build-info.json
	rm -rf extension/node_modules extension/lib workbench/labextension
