# gantoy: two commands do everything. `make demo` and `make test` bootstrap
# .venv themselves (python3 -m venv + pip install -e .[test,notebooks,docs] at
# the versions pinned in constraints.txt) on first use and again whenever
# pyproject.toml or constraints.txt changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCK := constraints.txt

.PHONY: demo test test-all bench bench-gan clean venv lock lab site browser

# JAX's persistent compilation cache, shared by make demo, the notebook kernels
# and the unit tests: a program compiled once (the notebooks compile about 40%
# of their run time) is read back from disk by every later run on this machine.
# The cache key includes XLA_FLAGS and the jaxlib version, so the unit tests'
# -O0 programs never stand in for the notebooks' own; a cached program is the
# same machine code, so results are bit-identical. `make clean` empties it.
export JAX_COMPILATION_CACHE_DIR ?= $(CURDIR)/build/jax-cache
export JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS ?= 0

venv: $(STAMP)

# setuptools warns at every editable install that a folder named like the
# package in the working directory could shadow it; here that folder is the
# package itself, so the warning is silenced (PYTHONWARNINGS reaches its build).
# The set-up says how long it took, so that a first `make test` or `make demo`
# reports it apart from the tests' or the notebooks' own time. make expands a
# recipe's lines before it runs the first, so $(shell date +%s) is the start.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet -c $(LOCK) -e '.[test,notebooks,docs]'
	touch $(STAMP)
	@echo "set-up: $(VENV) installed in $$(( $$(date +%s) - $(shell date +%s) )) s (once; again when pyproject.toml or $(LOCK) changes)"

# Rewrite constraints.txt with the newest versions pyproject.toml allows,
# resolved in a throwaway environment (its comment lines are kept). Run
# `make demo` afterwards and commit the notebooks with the new lock.
LOCK_VENV := build/lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet '.[test,notebooks,docs]'
	grep '^#' $(LOCK) > $(LOCK).new
	$(LOCK_VENV)/bin/python -m pip freeze --exclude gantoy >> $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf $(LOCK_VENV)

# Open the notebooks in JupyterLab: a reader's tool, not needed to run or test
# anything, so it is installed into .venv on first use (the locked packages
# kept at their pins) rather than listed in the lock.
JUPYTERLAB := jupyterlab==4.6.6
lab: $(STAMP)
	test -x $(VENV)/bin/jupyter-lab || $(PY) -m pip install --quiet -c $(LOCK) $(JUPYTERLAB)
	$(VENV)/bin/jupyter-lab notebooks/

# Execute every notebook headless (outputs written back; two at a time on two
# cores or more, see gantoy.notebook.demo.schedule), print the ledger, then
# render the site from the notebooks just written.
demo: $(STAMP)
	$(PY) -m gantoy.notebook.demo
	$(PY) docs/site/build.py

# The site: build/site/index.html, from the committed notebooks (not executed).
site: $(STAMP)
	$(PY) docs/site/build.py

# The browser test (tests/test_site.py) needs Debian's chromium and a CJK font.
# As root (CI) they are installed when missing; elsewhere the test skips and
# says what to install.
BROWSER_PACKAGES := chromium fonts-noto-cjk
browser:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	    && ! dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1; then \
	  t0=$$(date +%s); \
	  echo "installing $(BROWSER_PACKAGES) (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $(BROWSER_PACKAGES) >/dev/null \
	  && echo "set-up: $(BROWSER_PACKAGES) installed in $$(( $$(date +%s) - t0 )) s (once)"; \
	fi

# Parallel test workers (pytest-xdist): one per core, at most 4. The notebooks
# go first, longest first, one test at a time per worker (--maxschedchunk 1),
# so the short unit tests fill in around them.
JOBS ?= $(shell $(PYTHON) -c "import os; n = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count(); print(max(1, min(4, n or 1)))")
XDIST := -n $(JOBS) --dist load --maxschedchunk 1

# The whole default suite: unit, property, doctests, the notebooks and the
# site in a browser.
test: $(STAMP) browser
	MPLBACKEND=Agg $(PY) -m pytest $(XDIST)

# Also the tests marked slow.
test-all: $(STAMP) browser
	MPLBACKEND=Agg $(PY) -m pytest $(XDIST) -m ''

bench: $(STAMP)
	$(PY) benchmarks/ot.py

# GAN training throughput against eager PyTorch (torch is a benchmark-only
# dependency, installed here on first use; gantoy never imports it).
bench-gan: $(STAMP)
	$(PY) -c "import sys, torch; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null \
		|| $(PY) -m pip install --quiet torch==2.13.0
	$(PY) benchmarks/gan_throughput.py

clean:
	rm -rf build .pytest_cache
