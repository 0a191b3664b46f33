"""Sphinx configuration of the documentation site: `make site` builds it into site/.

The site works offline: MathJax is served from the site itself (site_offline.py), the
theme (furo) uses the system's fonts, and nothing is loaded from another host; the tests
in tests/test_site.py check the built HTML for it.  Warnings are errors in `make site`
(-W --keep-going -n), so a renamed function or a broken reference fails the build.
"""

import sys
import warnings
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import minigrad  # noqa: E402

project = "minigrad-bptt"
author = "the minigrad-bptt maintainers"
copyright = "the minigrad-bptt maintainers, MIT licence"
release = version = minigrad.__version__

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",                   # the docstrings' NumPy sections (Parameters, Returns, ...)
    "sphinx.ext.mathjax",         # served from the site: see mathjax_path below
    "myst_nb",                    # Markdown pages (myst-parser) and the executed notebooks
    "sphinx_copybutton",
    "site_offline",               # MathJax copied into the site
    "site_notebooks",             # the notebooks run in this Python; a failed cell named
    "site_links",                 # links to files outside the site, pointed at its pages
    "site_gallery",               # every figure kind in both styles, drawn at build time
    "site_pages",                 # the standalone HTML pages, served and embedded
    "site_cli",                   # the CLI reference, from bptt_cli.main.build_parser()
    "site_docstrings",            # |a| is an absolute value; formula displays keep their lines
]

# The standalone pages the site generates, serves as static files and embeds in
# "In the browser" (pages.md), each with a link to open it full screen: (title, the `bptt`
# command that writes it, without "-o FILE", or a function that takes the path; what the
# page is).  The file is named after the command: explore -> pages/explore.html.
standalone_pages = [
    ("The backward-pass explorer", ["explore"],
     "the reverse walk of a 6-step RNN, node by node: `bptt explore` (or "
     "`viz.explore(loss).save(path)`) writes this one self-contained file"),
    ("The lecture deck", ["lecture"],
     "the 50-minute lecture's 20 slides with speaker notes (N), full screen with F: "
     "`bptt lecture` writes this one self-contained file"),
]

root_doc = "index"
exclude_patterns = ["notebooks/solutions", "**/.ipynb_checkpoints", "slides", "_ext"]
nitpicky = True
smartquotes = False           # "--heat" stays two hyphens, in the CLI's text and everywhere

# Markdown (MyST): $...$ math, ::: fences, and anchors for the headings that pages link to
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# The notebooks, executed at every build; an error in a cell fails the build and names the
# cell, and so does a line on stderr (as in tests/test_notebooks.py).
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = False   # a failed cell: a warning, which -W makes an error
nb_execution_show_tb = True
nb_output_stderr = "warn"
nb_merge_streams = True
nb_ipywidgets_js = {}         # no widget scripts from a CDN: a progress bar shows no output

# The API reference, from the docstrings
autodoc_member_order = "bysource"      # each automodule in docs/api/ says :members:
autodoc_default_options = {"undoc-members": True}     # methods with no docstring too
autodoc_typehints = "none"    # the docstrings say what each argument is
autoclass_content = "both"
numpydoc_show_class_members = False     # autodoc lists the members
# numpydoc drops a section it does not know; site_docstrings.py turns the docstrings' own
# headings into rubrics before numpydoc reads them.  numpydoc also reads each docstring for a
# signature, and warns there about those headings: that reading keeps nothing of them.
warnings.filterwarnings("ignore", message="Unknown section", category=UserWarning)
numpydoc_xref_param_type = False       # types stay text; nitpicky checks the :func: and
numpydoc_validation_checks = set()      # :class: references (no intersphinx: no network)

# Math from the site's own copy of MathJax 3 (copied into _static/mathjax by site_offline)
mathjax_path = "mathjax/tex-chtml.js"

html_theme = "furo"
html_title = f"minigrad-bptt {release}"
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {"navigation_with_keys": True}
# The search page would fetch each result's page for a summary, which a browser refuses
# for a site opened from disk (file://): the results are listed without it.
html_show_search_summary = False
