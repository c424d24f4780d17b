# Everything runs inside .venv, created on first use from requirements.lock: every package, indirect
# ones included, at a locked version and hash, the same stack that setup.sh gives Gradescope.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCK := requirements.lock
# torch's CPU build comes from this index (the default one would bring CUDA: gigabytes). Point it at a
# mirror, or set it empty where pip already finds the locked CPU wheel (a local wheel cache).
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
PYTHON_VERSION := $(shell cat .python-version)

.PHONY: install lock demo test sweep test-deploy pythons bench bench-gradescope templates data generator baselines autograders bundles clean

install: $(STAMP)

# torch is installed alone first, from the CPU index (an index given for the whole lock would be asked
# for every package); the rest then comes from PyPI, and torch is already there.
$(STAMP): $(LOCK) .python-version
	@$(PYTHON) -c 'import sys, platform; want = "$(PYTHON_VERSION)".rsplit(".", 1)[0]; \
	    sys.exit(0 if platform.python_version().startswith(want + ".") else \
	    f"$(LOCK) is for Python {want} (found {platform.python_version()} at {sys.executable}); run make PYTHON=python{want}")'
	$(PYTHON) -m venv $(VENV)
	awk '/^torch==/{p=1} p{print} p && !/\\$$/{p=0}' $(LOCK) > $(VENV)/torch.lock
	$(PY) -m pip install --quiet --no-deps --require-hashes $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) \
	    -r $(VENV)/torch.lock
	$(PY) -m pip install --quiet --no-deps --require-hashes -r $(LOCK)
	$(PY) -m pip check
	touch $(STAMP)

# Rewrite requirements.lock from requirements.txt and requirements-tools.txt, keeping every pin it
# already has unless those files ask otherwise (uv prefers the output file's versions). LOCK_FLAGS may add
# --find-links DIR where the CPU index is not reachable.
LOCK_FLAGS ?=
lock: $(STAMP)
	@mkdir -p build
	printf 'torch==%s+cpu\n' "$$(sed -n 's/^torch==//p' requirements.txt)" > build/torch-cpu.override
	$(VENV)/bin/uv pip compile requirements.txt requirements-tools.txt --generate-hashes --python-version $(PYTHON_VERSION) \
	    --python-platform x86_64-manylinux_2_28 --override build/torch-cpu.override \
	    $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX) --index-strategy unsafe-best-match) $(LOCK_FLAGS) \
	    --custom-compile-command "make lock" -o $(LOCK)

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

# Every corpus case graded under 20 seeds must earn one total (slow: see README, Seeds).
sweep: $(STAMP) data
	SEED_SWEEP=20 $(PY) -m pytest -q tests/test_seed_invariance.py

# Builds whole environments from requirements.lock: Gradescope's setup.sh on Ubuntu's Pythons (3.10, 3.8)
# in a fake /autograder, with only apt, the interpreter download and the CPU index stood in (minutes).
test-deploy: $(STAMP) data
	@mkdir -p build
	$(PY) -m pytest -q -m deployment --basetemp=build/test-deploy tests/test_deploy.py

# The student zip on Python 3.10, 3.12 and 3.13 (pyenv's): a venv each, so a few minutes; CI runs it.
pythons: $(STAMP) data
	GRADER_TEST_PYTHONS=1 $(PY) -m pytest -q tests/test_student_pythons.py

bench: $(STAMP) data
	$(PY) tests/bench.py

# Every assignment's reference through run_autograder 10 times inside Gradescope's default container
# (a 768 MB memory cgroup with half a CPU, made and removed here; needs root): fails unless all get full marks.
bench-gradescope: $(STAMP) data
	$(PY) tests/bench.py --gradescope 10

templates: $(STAMP)
	$(PY) -m grader templates

# Deterministic data sets built from packages (nothing is downloaded); see data/README.md.
data: $(STAMP)
	$(PY) -m grader data all

# cs689-hw4's target generator, whose draws are question 8's hidden targets (reference/cs689_hw4/target_generator.pt):
# train it again after a new held-out key, new training songs or a new reference model (about 10 minutes on 2 cores),
# then run `make data baselines` (a separate make: the data must be built again with it).
generator: $(STAMP)
	$(PY) -m grader.assignments.cs689_hw4.generator

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
