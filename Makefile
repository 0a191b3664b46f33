# The two commands a newcomer needs:
#   make demo   set everything up, train a small RNN, compare its gradients, draw it
#   make test   set everything up and run the test suite
# Both can be rerun; steps that are already done are skipped.

VENV    := .venv
PY      := $(VENV)/bin/python
# The first Python >= 3.11 on the PATH (override with `make PYTHON=/path/to/python3.12`).
PYTHON  ?= $(shell for p in python3.13 python3.12 python3.11 python3 python; do \
             command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
             2>/dev/null && { echo $$p; break; }; done)

.PHONY: demo test docs site bench clean graphviz notebooks sync-notebooks

demo: $(VENV)/.installed-base graphviz
	$(PY) -m bptt_cli demo --out out

test: $(VENV)/.installed-dev graphviz chromium
	$(PY) -m pytest

# The README's images, regenerated into docs/.
docs: $(VENV)/.installed-base graphviz
	$(PY) -m bptt_cli docs --out docs
	$(PY) -c "from bptt_cli.demo import make_slides; make_slides('docs/slides')"

# The documentation site, built from docs/ into site/ (open site/index.html; it works
# offline): the guide, the API reference from the docstrings, the five notebooks executed,
# the figure gallery and the explorer drawn by the library.  Every warning is an error, a
# broken cross-reference included.  Installs the [docs] extra; needs Graphviz (and Chromium
# for the site's browser tests in tests/test_site.py, which make test runs once site/ exists).
site: $(VENV)/.installed-docs graphviz chromium
	rm -rf site build/site
	$(VENV)/bin/sphinx-build -b html -W --keep-going -n -q -d build/site/doctrees docs build/site/html
	mv build/site/html site        # build/site keeps the rest (myst-nb's executed notebooks)
	@echo "the site is in site/: open site/index.html"

# The lecture notebooks in JupyterLab (installs the [notebooks] extra: JupyterLab, Jupytext,
# ipywidgets). Jupytext saves each notebook together with its .py twin (notebooks/0*.py).
notebooks: $(VENV)/.installed-notebooks graphviz
	$(VENV)/bin/jupyter lab notebooks/

# After editing a .py twin in an editor (or an .ipynb without Jupytext): bring each pair
# level again, then clear the notebooks' outputs (and run times), which stay out of git.
sync-notebooks: $(VENV)/.installed-dev
	$(VENV)/bin/jupytext --sync notebooks/0*.ipynb
	$(PY) -c 'import sys, nbformat; \
	  books = [(path, nbformat.read(path, as_version=4)) for path in sys.argv[1:]]; \
	  code = [cell for _, nb in books for cell in nb.cells if cell.cell_type == "code"]; \
	  [(cell.update(outputs=[], execution_count=None), cell.metadata.pop("execution", None)) for cell in code]; \
	  [nbformat.write(nb, path) for path, nb in books]' notebooks/0*.ipynb

# Timings against hand-written NumPy and the peers (not part of the tests).  The memory
# benchmark measures in fresh processes, 5 runs a row; T = 100,000 (--long, 3 runs) adds
# about 4 minutes and T = 1,000,000 (--million, 3 runs) about 4 more.
bench: $(VENV)/.installed-bench graphviz
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) benchmarks/bench_bptt.py
	$(PY) benchmarks/bench_memory.py --long --million --compare --plot docs/checkpoint_memory.png
	$(PY) benchmarks/bench_viz.py

$(PY):
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: minigrad-bptt needs Python 3.11 or newer and none was found on the PATH."; \
	  echo "Install it (Debian/Ubuntu: sudo apt-get install python3; macOS: brew install python@3.12)"; \
	  echo "or point make at one: make PYTHON=/path/to/python3.12"; exit 1; fi
	$(PYTHON) -m venv $(VENV)

# Base install (numpy, graphviz, tqdm, matplotlib) for the demo.
$(VENV)/.installed-base: $(PY) setup.cfg pyproject.toml
	$(PY) -m pip install --quiet -e ".[plot]"
	touch $@

# Adds pytest, hypothesis and the PyTorch reference (torch==2.13.0, CPU) for the tests.
$(VENV)/.installed-dev: $(VENV)/.installed-base
	$(PY) -m pip install --quiet -e ".[dev,plot]"
	touch $@

# Adds JupyterLab, Jupytext and ipywidgets for the notebooks.
$(VENV)/.installed-notebooks: $(VENV)/.installed-base
	$(PY) -m pip install --quiet -e ".[notebooks,plot]"
	touch $@

# Adds Sphinx, furo, myst-nb, numpydoc, sphinx-copybutton and MathJax for make site.
$(VENV)/.installed-docs: $(VENV)/.installed-base
	$(PY) -m pip install --quiet -e ".[docs,plot]"
	touch $@

# Adds the peer engines the benchmark compares against (HIPS autograd, MyGrad, micrograd).
$(VENV)/.installed-bench: $(VENV)/.installed-dev
	$(PY) -m pip install --quiet -e ".[dev,plot,bench]"
	touch $@

graphviz:
	@sh tools/ensure-graphviz.sh

# Headless Chromium for the explorer's browser tests; outside CI a missing browser
# only prints how to install it (those tests then skip, saying why).
.PHONY: chromium
chromium:
	@sh tools/ensure-chromium.sh || [ "$$CI" != true ]

clean:
	rm -rf $(VENV) out build site *.egg-info

# Plant known bugs one at a time in a copy of the repository; every one must turn the
# tests red (tools/plant_bugs.py --list shows them; about ten minutes).
.PHONY: mutants
mutants: $(VENV)/.installed-dev graphviz
	$(PY) tools/plant_bugs.py --jobs 2
