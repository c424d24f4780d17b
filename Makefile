# Everything runs inside .venv, created on first use from the pinned requirements.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test pythons bench templates data baselines autograders bundles clean

install: $(STAMP)

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

DEMO_WRONG := tests/corpus/cs446_hw2/wrong_block_no_skip

# Grade the bundled example submissions of cs446-hw2 (the reference and a realistic mistake),
# print their scores, then show what the student with the mistake sees from the self-check.
demo: $(STAMP) data
	@mkdir -p build/demo
	$(PY) -m grader run cs446-hw2 reference/cs446_hw2 -o build/demo/reference.json
	$(PY) -m grader run cs446-hw2 $(DEMO_WRONG) -o build/demo/wrong_block_no_skip.json
	@echo; echo "== Scores (TA view)"
	$(PY) -m grader report build/demo/reference.json build/demo/wrong_block_no_skip.json
	@echo; echo "== Self-check of the wrong submission (student view; exits 1 because a check fails)"
	-$(PY) -m grader check cs446-hw2 $(DEMO_WRONG)

test: $(STAMP) data
	$(PY) -m pytest -q tests

# The student zip on Python 3.10, 3.12 and 3.13 (pyenv's): a venv each, so a few minutes; CI runs it.
pythons: $(STAMP)
	GRADER_TEST_PYTHONS=1 $(PY) -m pytest -q tests/test_student_pythons.py

bench: $(STAMP) data
	$(PY) tests/bench.py

templates: $(STAMP)
	$(PY) -m grader templates

# Deterministic data sets built from packages (nothing is downloaded); see data/README.md.
data: $(STAMP)
	$(PY) -m grader data all

# Scoring baselines (cs689-hw4: trains the reference music model, a few minutes) into each config.toml.
baselines: $(STAMP) data
	$(PY) -m grader baselines all

# Gradescope autograder zips and student zips of every assignment, into dist/.
autograders: $(STAMP) data
	$(PY) -m grader build all -o dist

bundles: $(STAMP) data
	$(PY) -m grader bundle all -o dist

clean:
	rm -rf build dist
