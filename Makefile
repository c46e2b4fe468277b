# collabsim — two commands on a fresh machine:
#   make demo   set up .venv and run the main job (SPP-IRT vs PBG comparison into out/demo/)
#   make test   set up .venv (with test tools and Chromium) and run the whole suite
#               (in 3 worker processes on 2 cores: a third fills the time the browser,
#               server and cluster tests spend waiting; `make test WORKERS=auto` = one per core)
# Choose another interpreter with e.g. `make test PYTHON=python3.11`.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
REPS   ?= 10
WORKERS ?= 3

.PHONY: all venv demo test test-fast lint bench chromium clean calibrate

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,test]'
	$(BIN)/python -m collabsim.viz.assets
	$(BIN)/python -c "from collabsim._kernels import warm; warm()"  # compile the Numba loops once
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/collabsim compare spp_irt pbg --replications $(REPS) --seed 2026 --out out/demo

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The browser test fails (not skips) here if Chromium is missing: COLLABSIM_REQUIRE_BROWSER=1.
# --no-loadscope-reorder: test files go to the workers in the order tests/conftest.py sets
# (longest first); xdist's default sends the files with the most tests first, which left the
# two-minute Sobol fixture of fact 4 to the end of the run.
PYTEST_DIST := -n $(WORKERS) --dist loadfile --no-loadscope-reorder

test: $(STAMP) chromium
	$(BIN)/ruff check collabsim tests benchmarks
	COLLABSIM_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q $(PYTEST_DIST) --durations=20

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_DIST) -m "not slow and not browser"

lint: $(STAMP)
	$(BIN)/ruff check collabsim tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# A small ABC-SMC of the shipped licensing calibration (600 model runs at 1,000 citizens);
# run it again to continue it. See docs/calibration.md.
calibrate: $(STAMP)
	$(BIN)/collabsim calibrate jambi --budget 600 --workers 2 --out results/calibration/jambi

clean:
	rm -rf $(VENV) out runs cmp .pytest_cache
