# The two commands of the README: `make demo` and `make test`.
# Each creates .venv and installs the pinned dependencies from pyproject.toml first.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-scale bench-linear chromium

# The browser tests drive Debian's chromium; install it when the machine lacks it.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/listdigest demo

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: $(STAMP) chromium
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

bench: $(STAMP)
	$(VENV)/bin/python bench/bench.py
	$(VENV)/bin/python bench/serve.py

# Each hostile input at 1x, 4x and 16x: the cost per byte stays flat (bench/linear.py).
bench-linear: $(STAMP)
	$(VENV)/bin/python bench/linear.py

# The synthetic LKML-like inboxes (bench/synth.py) go to $(BENCH_DATA), outside the checkout.
SCALE ?= 200000
BENCH_DATA ?= /work/bench-data
bench-scale: $(STAMP)
	BENCH_DATA=$(BENCH_DATA) $(VENV)/bin/python bench/scale.py --size $(SCALE)
