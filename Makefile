# The course's commands. Only Python 3.11 and make are needed; everything else goes into .venv.
#
#   make lab          open the course in JupyterLab (PORT=8888, GPU=1 for an NVIDIA card)
#   make test         run the whole test suite: course_lib unit tests + every notebook (fast mode)
#   make dashboards   serve the Voila lecture dashboards (PORT=8866)
#   make test-full    every lecture notebook in full mode, offline (CI runs it after make test)
#   make test-deep    the property tests with many random examples (Hypothesis profile "deep")
#   make bench        run the benchmarks, write benchmarks/results.json and results.md
#   make measure      run every lecture notebook in full mode, offline; write benchmarks/notebooks.json
#                     (and keep the executed copies in build/executed for make site),
#                     the table in benchmarks/README.md and each title cell's measured time and memory
#   make site         the course website from the full-mode run (site/_build/html)
#   make test-site    the website in Chromium (after make site)
#   make lint         ruff check + format check
#   make clean-notebooks   strip outputs (except cells tagged nbval-check-output) before a commit
#   make lint-fix     apply ruff's fixes and formatting (.venv/bin/pre-commit run --all-files checks)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?=
GPU ?= 0
# Open a browser only where there is a display.
# Jupyter refuses to run as root (containers, CI) without this flag.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
NO_BROWSER := $(if $(or $(DISPLAY),$(WAYLAND_DISPLAY),$(filter Darwin,$(shell uname -s))),,--no-browser)

PROPERTY_TESTS := $(shell grep -l '^import hypothesis_profiles' tests/*.py)

.PHONY: lint-fix site test-site lab test test-full test-deep test-unit test-notebooks dashboards bench measure lint clean-notebooks venv

venv: $(STAMP)

# (Re)install when .venv is missing or a requirements file / pyproject.toml changed.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), sys.version' 2>/dev/null \
	  || { echo "error: the course needs Python 3.11 as $(PYTHON) (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.gpu
	@touch $(STAMP)

# GPU=1: swap the CPU build for TensorFlow with CUDA (same version; NVIDIA card on Linux).
# Both builds install the same `tensorflow` module, so remove both before installing.
$(VENV)/.gpu: $(STAMP)
	$(BIN)/python -m pip uninstall --quiet -y tensorflow-cpu tensorflow
	$(BIN)/python -m pip install --quiet "tensorflow[and-cuda]==$(TF_VERSION)"
	@touch $@
TF_VERSION = $(shell sed -n 's/^tensorflow-cpu==\([^;]*\);.*/\1/p' requirements.txt)
# JupyterLab's settings overrides (no news popup on the first launch), as on Binder.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
$(LAB_SETTINGS): binder/overrides.json $(STAMP)
	@mkdir -p $(dir $@) && cp binder/overrides.json $@
SETUP := $(STAMP) $(LAB_SETTINGS) $(if $(filter 1,$(GPU)),$(VENV)/.gpu)

lab: $(SETUP)
	$(BIN)/jupyter lab notebooks/00_welcome.ipynb --port=$(or $(PORT),8888) $(NO_BROWSER) $(ALLOW_ROOT) --ServerApp.root_dir=.

# Every test in one pytest run; notebooks under nbval in fast mode.
# Pass ARGS to narrow it, e.g.  make test ARGS=notebooks/04_convolution.ipynb
# WORKERS pytest-xdist processes share the tests (WORKERS=0: all in this one process).
# --dist loadfile keeps each file, so each notebook's cells, in one worker, in order.
ARGS ?= tests notebooks
WORKERS ?= 2
test: $(SETUP)
	COURSE_FAST=1 COURSE_STRICT_WIDGETS=1 MPLBACKEND=Agg $(BIN)/python -m pytest $(ARGS) \
	  $(if $(filter 0,$(WORKERS)),,-n $(WORKERS) --dist loadfile) \
	  --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  --nbval-cell-timeout=600 -rs --durations=15 --ignore=tests/test_site.py

# Full mode, the way students run the notebooks: each one top to bottom in a fresh kernel,
# offline; any failing cell fails it. Prints each notebook's time and peak memory.
test-full: $(SETUP)
	MPLBACKEND=Agg $(BIN)/python benchmarks/measure.py --check $(if $(filter tests notebooks,$(ARGS)),,$(ARGS))

# The website: each lecture as executed in full mode (build/executed, from make test-full;
# missing or stale copies are run first), the contents, exercises, data and API pages.
# SITE_ARGS=--no-run refuses to execute anything (CI, after make test-full).
SITE_ARGS ?=
site: $(SETUP)
	MPLBACKEND=Agg $(BIN)/python site/build.py $(SITE_ARGS)

test-site: $(SETUP)
	$(BIN)/python -m pytest tests/test_site.py -p no:cacheprovider -rs

# A longer random search of the property tests (minutes); make test replays a fixed set.
test-deep: $(SETUP)
	HYPOTHESIS_PROFILE=deep COURSE_FAST=1 COURSE_STRICT_WIDGETS=1 MPLBACKEND=Agg \
	  $(BIN)/python -m pytest $(PROPERTY_TESTS) -p no:cacheprovider

dashboards: $(SETUP)
	$(BIN)/voila notebooks/dashboards --port=$(or $(PORT),8866) $(NO_BROWSER) --Voila.ip=127.0.0.1

bench: $(SETUP)
	$(BIN)/python benchmarks/run.py

# Pass lecture numbers to measure only some:  make measure ARGS="06 12"
measure: $(SETUP)
	$(BIN)/python benchmarks/measure.py $(if $(filter tests notebooks,$(ARGS)),,$(ARGS))

lint: $(STAMP)
	$(BIN)/ruff check course_lib tests datasets benchmarks site
	$(BIN)/ruff format --check course_lib tests datasets benchmarks site

# nbval's checked cells are marked keep_output (clean_notebooks.py), nbstripout strips the rest;
# .pre-commit-config.yaml runs the same two as checks.
NBSTRIPOUT := $(BIN)/nbstripout --keep-count --keep-id \
  --extra-keys "metadata.widgets metadata.language_info cell.metadata.execution cell.metadata.collapsed"
clean-notebooks: $(STAMP)
	$(BIN)/python tests/clean_notebooks.py notebooks
	$(NBSTRIPOUT) notebooks/*.ipynb notebooks/dashboards/*.ipynb

# What the pre-commit hooks check, fixed: ruff's fixes and formatting.
lint-fix: $(STAMP)
	$(BIN)/ruff check --fix course_lib tests datasets benchmarks site
	$(BIN)/ruff format course_lib tests datasets benchmarks site
