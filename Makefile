# Everything runs inside .venv, created on first use from the pinned requirements.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test bench templates data clean

install: $(STAMP)

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Grade the bundled example submissions of cs446-hw2 and print their scores.
demo: $(STAMP)
	@mkdir -p build/demo
	$(PY) -m grader run cs446-hw2 reference/cs446_hw2 -o build/demo/reference.json
	$(PY) -m grader run cs446-hw2 tests/corpus/cs446_hw2/wrong_block_no_skip -o build/demo/wrong_block_no_skip.json
	$(PY) -m grader report build/demo/reference.json build/demo/wrong_block_no_skip.json

test: $(STAMP)
	$(PY) -m pytest -q tests

bench: $(STAMP)
	$(PY) tests/bench.py

templates: $(STAMP)
	$(PY) -m grader templates

data: $(STAMP)
	@echo "cs446-hw2 needs no prepared data (it uses scikit-learn's bundled digits)."

clean:
	rm -rf build dist
