"""The notebooks as the build runs them (myst-nb): in this very Python, and a cell that
raises is named.

* The kernel: a kernelspec of our own that runs ``sys.executable`` (the venv's Python),
  put first on JUPYTER_PATH and used for every notebook, so that a user's or the
  system's "python3" kernel, with other packages, can't be picked.
* A cell that raises: myst-nb warns with the whole traceback; this adds one line that
  says which cell of which notebook raised what, e.g. ``cell 7 raised ShapeError:
  RNN.unroll: xs has 3 features ...``.  ``make site`` turns both into errors.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

KERNEL = "minigrad-bptt-site"
logger = logging.getLogger(__name__)


def use_this_python(app, config):
    folder = tempfile.TemporaryDirectory(prefix="site-kernel-")
    app.site_kernel_folder = folder                    # removed when the build ends
    spec = Path(folder.name) / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (minigrad-bptt site build)", "language": "python",
        "env": {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}}))     # debugpy's frozen-modules note
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [folder.name, *filter(None, [os.environ.get("JUPYTER_PATH")])])
    config.nb_kernel_rgx_aliases = {".*": KERNEL}


def remove_kernel(app, exception):
    app.site_kernel_folder.cleanup()


def name_the_failed_cell(app, doctree):
    """One warning per notebook cell whose output is a traceback."""
    for cell in doctree.findall(nodes.container):
        if cell.get("nb_element") != "cell_code":
            continue
        for block in cell.findall(nodes.literal_block):
            if "traceback" in block["classes"]:
                lines = [line for line in block.astext().splitlines() if line.strip()]
                logger.warning(f"cell {cell['cell_index'] + 1} raised "
                               f"{lines[-1].strip() if lines else 'an error'}",
                               location=app.env.docname)


def setup(app):
    app.connect("config-inited", use_this_python)
    app.connect("build-finished", remove_kernel)
    app.connect("doctree-read", name_the_failed_cell)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
