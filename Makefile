# benchbot: everything a fresh machine needs comes from here.
#   make demo   virtual environment, install, build the test models, measure a small
#               sweep on this machine and print the markdown latency table
#   make test   the test suite, every tier (unit, cli, e2e: local, adb, ssh, farm, browser)
#   make test-fast  the unit and cli tiers: the edit loop (under 2 minutes)
#   make bench  benchbot's overhead, measured (figures for the closing notes); one part
#               alone: e.g. .venv/bin/python benchmarks/publish.py --runs 100

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BB     := $(VENV)/bin/benchbot
STAMP  := $(VENV)/.installed-stamp
MODELS := zoo:squeezenet1_1,zoo:mobilenet_v3_small,zoo:efficientnet_lite0,models/tiny_fc.tflite

.PHONY: install models demo test test-fast bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "benchbot needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

models: $(STAMP)
	$(PY) models/build_test_models.py --out models

demo: models
	$(BB) run --device local --model $(MODELS) \
	    --threads 1,2 --batch 1,4 --min-time 0.5 --max-repeat 5

test: models
	sh scripts/install-test-deps.sh
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

test-fast: models
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q tests/unit tests/cli

bench: models
	$(PY) benchmarks/overhead.py
	$(PY) benchmarks/trust.py
	$(PY) benchmarks/publish.py

clean:
	rm -rf $(VENV) .pytest_cache
	rm -f models/*.onnx models/*.tflite

