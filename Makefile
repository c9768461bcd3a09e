# The two commands of the README. Both create .venv and install what they need first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: example test demo clean

example: $(VENV)/.installed  ## prepare data + model, then run notebooks 01-06 headless (local backend)
	$(PY) prep.py
	$(PY) -m byom_monitor.example.run_notebooks

demo: $(VENV)/.installed  ## continuous monitoring: server, capture, replayed traffic, schedules, alert
	test -f models/metadata.json || $(PY) prep.py
	$(PY) -m byom_monitor.example.demo

test: $(VENV)/.installed  ## run the test suite
	$(PY) -m pytest

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

clean:  ## remove generated data, models and results (keeps .venv)
	rm -rf results data/*.csv data/SOURCE.txt models/*.json models/*.joblib
