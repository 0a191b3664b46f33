"""The site needs no network: MathJax is copied into it from a Python package.

``mathjax_path`` in conf.py names ``mathjax/tex-chtml.js``, relative to the site's
``_static/``.  The files come from the ``django-static-mathjax`` package (MathJax 3.2.2,
its last 3.x release, with the CHTML fonts; the package has no Python dependency): only
what the TeX-to-CHTML component loads is copied, about 8 MB of the package's 24.
"""

import shutil
from pathlib import Path

# What tex-chtml.js loads on a page: itself, the TeX extensions it autoloads, its fonts,
# the context menu and the accessibility parts that the menu turns on (with their
# speech rules).  The other combined components and the SVG output are left out.
MATHJAX_PARTS = ["tex-chtml.js", "input/tex/extensions", "output/chtml", "ui", "a11y", "sre",
                 "adaptors"]


def mathjax_source():
    """The es5/ folder of the installed MathJax distribution."""
    try:
        import mathjax
    except ImportError:
        raise ImportError("the site serves its own MathJax, from the django-static-mathjax "
                          "package: pip install -e '.[docs]' (make site does it)") from None
    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def copy_mathjax(app, exception):
    if app.builder.format != "html" or exception is not None:
        return
    source, target = mathjax_source(), Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / part, target / part)


def setup(app):
    mathjax_source()                        # fail at once when the package is missing
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
