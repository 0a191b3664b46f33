"""The documentation site that `make site` builds into site/: offline, complete, rendering.

* Offline: no page loads anything from another host.  Every HTML file (and the HTML of
  every iframe's srcdoc, and every CSS file) is read for http://, https:// or //host in a
  ``src``, the ``href`` of a stylesheet, script or other loaded link, an ``@import`` or a
  ``url(``; links in the text may point anywhere.  Every relative link and source names a
  file that the site has.
* Complete: every page of the issue is there; the API reference documents every public
  name of minigrad, rnn (with rnn.online and rnn.exercises) and viz; the CLI reference
  every subcommand and option of ``bptt``; the gallery every figure of
  ``bptt_cli.demo.gallery()`` in both styles, with the texts, nodes and edges that the
  current code draws, and every drawing function of viz; each notebook executed with its
  outputs; a docstring's own headings kept; a notebook whose cell raises fails the build
  and names the cell.
* Rendering: the landing page, an API page, a notebook page, the gallery, the math, the
  explorer's page and a search load in headless Chromium with the network blocked, with
  no console error, every image loaded, the math typeset, and nothing fetched but the
  site's files.

They read site/ as built: when it is missing (or older than the sources) they skip and say
so, unless SITE_BUILT=1 (.ci/run, after make site), which makes that a failure.
"""

import html as html_text
import importlib
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
SOURCES = ["docs", "minigrad", "rnn", "viz", "bptt_cli", "notebooks"]


def _newest_source():
    files = (p for folder in SOURCES for p in (ROOT / folder).rglob("*")
             if p.is_file() and p.suffix in (".py", ".md", ".ipynb", ".js", ".css", ".html"))
    return max(p.stat().st_mtime for p in files)


@pytest.fixture(scope="module")
def site():
    index = SITE / "index.html"
    problem = None
    if not index.is_file():
        problem = "site/ is not built"
    elif index.stat().st_mtime < _newest_source():
        problem = "site/ is older than the sources it is built from"
    if problem and os.environ.get("SITE_BUILT") == "1":
        pytest.fail(f"SITE_BUILT=1 but {problem}: did make site run and succeed?",
                    pytrace=False)
    if problem:
        pytest.skip(f"{problem}: make site builds it, then these tests check it")
    return SITE


def read(path):
    return path.read_text(encoding="utf-8")


# ------------------------------------------------------------------ offline

EXTERNAL = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CSS_REFERENCE = re.compile(r"""@import\s+(?:url\(\s*)?['"]?\s*([^'")\s;]+)"""
                           r"""|url\(\s*['"]?\s*([^'")\s]+)""", re.IGNORECASE)
LOADED_LINKS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon",
                "apple-touch-icon", "manifest", "preconnect", "dns-prefetch"}


def css_references(css):
    """The external addresses in a style sheet's @import and url(...)."""
    return [ref for pair in CSS_REFERENCE.findall(css) for ref in pair
            if ref and EXTERNAL.match(ref)]


class _Loads(HTMLParser):
    """Collects every address that a browser loads from an HTML page (not the <a> links
    a reader may follow), and the page's local ones."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.external, self.local, self._style = [], [], False

    def _address(self, what, value):
        (self.external if EXTERNAL.match(value) else self.local).append((what, value))

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        for name in ("src", "data", "poster"):
            if attrs.get(name):
                self._address(f"<{tag} {name}>", attrs[name])
        for candidate in attrs.get("srcset", "").split(","):
            if candidate.strip():
                self._address(f"<{tag} srcset>", candidate.split()[0])
        rel = set(attrs.get("rel", "").lower().split())
        if tag == "link" and rel & LOADED_LINKS and attrs.get("href"):
            self._address(f"<link rel={attrs['rel']}>", attrs["href"])
        if tag in ("image", "use", "feimage"):                    # inline SVG
            for name in ("href", "xlink:href"):
                if EXTERNAL.match(attrs.get(name, "")):
                    self.external.append((f"<{tag} {name}>", attrs[name]))
        self.external += [(f"<{tag} style>", ref)
                          for ref in css_references(attrs.get("style", ""))]
        if attrs.get("srcdoc"):
            inner = loads(attrs["srcdoc"])
            self.external += [(f"<{tag} srcdoc> {what}", ref) for what, ref in inner.external]
        self._style = tag == "style"

    def handle_endtag(self, tag):
        self._style = False

    def handle_data(self, data):
        if self._style:
            self.external += [("<style>", ref) for ref in css_references(data)]


def loads(html):
    parser = _Loads()
    parser.feed(html)
    parser.close()
    return parser


def test_the_offline_check_finds_every_kind_of_external_reference():
    page = """<html><head>
      <script src="https://cdn.example.org/mathjax.js"></script>
      <link rel="stylesheet" href="//fonts.example.org/font.css">
      <link rel="preload" href="http://example.org/x.woff2">
      <link rel="canonical" href="https://example.org/page.html">
      <style>@import url("https://fonts.example.org/css2");
             body {background: url(http://x.org/a.png)}</style>
      <style>@import "https://example.org/b.css";</style>
    </head><body>
      <img src="HTTPS://example.org/a.png">
      <img srcset="local.png 1x, https://example.org/2x.png 2x">
      <div style="background-image: url('https://example.org/bg.png')"></div>
      <iframe srcdoc="&lt;script src=&quot;https://example.org/in-frame.js&quot;&gt;
                      &lt;/script&gt;"></iframe>
      <svg><image href="https://example.org/i.png"/></svg>
      <a href="https://en.wikipedia.org/wiki/Backpropagation_through_time">a citation</a>
      <img src="_images/local.svg"> <script src="_static/mathjax/tex-chtml.js"></script>
    </body></html>"""
    found = [ref for _, ref in loads(page).external]
    assert found == ["https://cdn.example.org/mathjax.js", "//fonts.example.org/font.css",
                     "http://example.org/x.woff2", "https://fonts.example.org/css2",
                     "http://x.org/a.png", "https://example.org/b.css",
                     "HTTPS://example.org/a.png", "https://example.org/2x.png",
                     "https://example.org/bg.png", "https://example.org/in-frame.js",
                     "https://example.org/i.png"]
    assert ("<img src>", "_images/local.svg") in loads(page).local


def test_no_page_of_the_site_loads_anything_from_another_host(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20
    found = [f"{page.relative_to(site)}: {what} {ref}" for page in pages
             for what, ref in loads(read(page)).external]
    found += [f"{sheet.relative_to(site)}: {ref}" for sheet in sorted(site.rglob("*.css"))
              for ref in css_references(read(sheet))]
    assert not found, f"{len(found)} external references, the first: {found[:5]}"


def test_every_local_source_and_link_of_the_site_names_a_file_it_has(site):
    class Links(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.hrefs = []

        def handle_starttag(self, tag, attrs):
            self.hrefs += [value for name, value in attrs if name == "href" and value]

    missing = []
    for page in sorted(site.rglob("*.html")):
        text = read(page)
        links = Links()
        links.feed(text)
        for ref in [ref for _, ref in loads(text).local] + links.hrefs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc or not parts.path:     # other hosts, #anchors
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.exists():
                missing.append(f"{page.relative_to(site)} -> {ref}")
    assert not missing, f"{len(missing)} links to files the site does not have: {missing[:5]}"


# ---------------------------------------------------------------- complete

PAGES = ["index", "getting-started", "teaching", "lab", "pages", "gallery", "math",
         "internals", "benchmarks", "cli", "api/index", "api/minigrad", "api/rnn",
         "api/online", "api/viz", "notebooks/README"]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("0*.ipynb"))


def test_every_page_is_there(site):
    assert len(NOTEBOOKS) == 5
    missing = [name for name in PAGES + [f"notebooks/{n}" for n in NOTEBOOKS]
               if not (site / f"{name}.html").is_file()]
    assert not missing, f"pages missing from site/: {missing}"
    assert (site / "pages" / "explore.html").is_file()
    assert "_static/mathjax/tex-chtml.js" in read(site / "math.html")
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert list((site / "_static" / "mathjax" / "output" / "chtml" / "fonts").rglob("*.woff"))


def test_links_to_files_outside_the_site_lead_to_its_pages(site):
    """teaching.md links the README's Sources and docs/slides/; on the site those are
    the math page's sources and the gallery."""
    teaching = read(site / "teaching.html")
    assert 'href="math.html#sources"' in teaching
    assert 'href="gallery.html"' in teaching
    assert 'id="sources"' in read(site / "math.html")


def _ids(html):
    return set(re.findall(r'\bid="([^"]+)"', html))


def _public(module):
    """The public functions and classes of a module (its __all__ when it has one)."""
    import inspect
    names = getattr(module, "__all__", None) or [
        name for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__]
    return [name for name in names
            if inspect.isfunction(getattr(module, name)) or inspect.isclass(getattr(module, name))
            or inspect.ismodule(getattr(module, name))]


@pytest.mark.parametrize("module_name, page", [
    ("minigrad", "minigrad"), ("minigrad.nn", "minigrad"), ("minigrad.optim", "minigrad"),
    ("rnn", "rnn"), ("rnn.manual", "rnn"), ("rnn.rtrl", "rnn"), ("rnn.tasks", "rnn"),
    ("rnn.exercises", "rnn"), ("rnn.online", "online"), ("viz", "viz")])
def test_the_api_reference_documents_every_public_name(site, module_name, page):
    module = importlib.import_module(module_name)
    ids = _ids(read(site / "api" / f"{page}.html"))
    ids |= {i for p in (site / "api").glob("*.html") for i in _ids(read(p))}   # submodules
    missing = [name for name in _public(module)
               if f"{module_name}.{name}" not in ids and f"module-{module_name}.{name}" not in ids]
    assert _public(module), module_name
    assert not missing, f"{module_name}: not in the API reference: {missing}"


@pytest.mark.parametrize("module_name, name, page", [
    ("minigrad", "Tensor", "minigrad"), ("rnn.truncated", None, "rnn"),
    ("rnn.checkpoint", None, "rnn")])
def test_the_docstrings_own_headings_keep_their_text(site, module_name, name, page):
    """numpydoc drops a section it does not know ("In place" in minigrad.Tensor's
    docstring): the site keeps each heading and the text under it."""
    module = importlib.import_module(module_name)
    doc = (getattr(module, name) if name else module).__doc__
    found = re.findall(r"\n *([^\n]+)\n *(?:-{3,}|={3,}) *\n+ *([^\n]+)", doc)
    shown = html_text.unescape(re.sub(r"<[^>]+>", "", read(site / "api" / f"{page}.html")))
    shown = " ".join(shown.split())
    headings = [(title.strip(), text) for title, text in found
                if title.strip() not in ("Parameters", "Returns", "Examples", "Notes")]
    assert headings, f"{module_name}.{name}: no heading of its own found"
    for title, text in headings:
        words = " ".join(re.sub(r"``|\*", "", text).split()[:6])
        assert title in shown and words in shown, f"{title!r}: {words!r} is not shown"


def test_the_cli_reference_has_every_subcommand_and_option(site):
    import argparse
    from bptt_cli.main import build_parser

    html = read(site / "cli.html")
    commands = next(a for a in build_parser()._actions
                    if isinstance(a, argparse._SubParsersAction))
    for name, parser in commands.choices.items():
        assert f'id="bptt-{name}"' in html, f"no section for bptt {name}"
        section = html.split(f'id="bptt-{name}"', 1)[1].split('<section', 1)[0]
        for action in parser._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in section, f"bptt {name} {option} is not in its section"
        for line in (parser.epilog or "").splitlines()[1:]:
            assert line.strip() in html_text.unescape(section), line


@pytest.fixture(scope="module")
def drawn_now(tmp_path_factory):
    """bptt_cli.demo.gallery() drawn by the current code, in both styles."""
    from bptt_cli.demo import gallery
    out = tmp_path_factory.mktemp("gallery")
    return {style: gallery(out / style, formats=("svg",), style=style)
            for style in ("notebook", "slides")}


def drawing(svg):
    """What an SVG of Graphviz shows: its texts in order, and how many nodes and edges
    (the node ids come from a counter of the process that drew it, so they may differ)."""
    texts = [html_text.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    return texts, svg.count('class="node"'), svg.count('class="edge"')


def test_the_gallery_shows_each_figure_in_both_styles_as_the_code_draws_it(site, drawn_now):
    page = read(site / "gallery.html")
    for style, paths in drawn_now.items():
        assert len(paths) >= 7
        for path in paths:
            shown = site / "_gallery" / style / path.name
            assert f'src="_gallery/{style}/{path.name}"' in page, f"{style} {path.name}"
            assert drawing(read(shown)) == drawing(read(path)), (
                f"the gallery's {style} {path.name} is not what the code draws now")
            assert len(drawing(read(path))[0]) > 5


def test_the_gallery_has_every_drawing_function_of_viz(site):
    import viz
    page = read(site / "gallery.html")
    kinds = [name for name in viz.__all__
             if name.startswith("draw") or name in ("backward_frames", "backward_animation")]
    assert len(kinds) >= 9
    missing = [name for name in kinds if f"viz.{name}(" not in page]
    assert not missing, f"no figure in the gallery for {missing}"
    images = re.findall(r'<img class="gallery-figure" src="([^"]+)"', page)
    assert sum("/slides/" in src for src in images) >= 10
    assert all((site / src).is_file() for src in images)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_notebook_page_shows_its_executed_outputs(site, name):
    import json
    html = read(site / "notebooks" / f"{name}.html")
    code_cells = [c for c in json.loads(read(ROOT / "notebooks" / f"{name}.ipynb"))["cells"]
                  if c["cell_type"] == "code"]
    assert html.count('class="cell docutils container"') == len(code_cells)
    assert html.count('class="cell_output docutils container"') >= 5
    assert "traceback" not in html, f"{name}: a cell's output is an error"
    assert re.search(r'<img [^>]*src="\.\./_images/', html), f"{name}: no figure"
    if any("viz.explore(" in "".join(c["source"]) for c in code_cells):
        assert "<iframe srcdoc=" in html, f"{name}: the explorer is not shown inline"


def test_each_standalone_page_is_served_and_embedded(site):
    """The explorer (and each page that docs/conf.py's standalone_pages adds)."""
    import runpy
    conf = runpy.run_path(str(ROOT / "docs" / "conf.py"))   # puts docs/_ext on sys.path
    from site_pages import page_file

    html = read(site / "pages.html")
    assert [how for _, how, _ in conf["standalone_pages"]][0] == ["explore"]
    for title, how, _ in conf["standalone_pages"]:
        name = page_file(how)
        assert f'<iframe class="standalone-page" src="pages/{name}"' in html, title
        assert f'<a class="reference internal" href="pages/{name}">Open it full screen' in html
        assert f"<h2>{html_text.escape(title)}" in html, title
        page = read(site / "pages" / name)
        assert page.lstrip().lower().startswith("<!doctype html") and len(page) > 10_000, name
    assert "<svg" in read(site / "pages" / "explore.html")


# ---------------------------------------------------------------- the build

def test_make_site_checks_for_graphviz_and_chromium_and_treats_warnings_as_errors():
    import subprocess
    shown = subprocess.run(["make", "-n", "site"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout
    build = next(line for line in shown.splitlines() if "sphinx-build" in line)
    assert {"-W", "--keep-going", "-n"} <= set(build.split()), build
    for check in ("tools/ensure-graphviz.sh", "tools/ensure-chromium.sh"):
        assert check in shown and shown.index(check) < shown.index(build), check


def test_a_notebook_that_raises_fails_the_build_and_names_the_cell(tmp_path):
    """The site's own configuration (docs/conf.py) on a notebook whose third cell raises."""
    import json
    import subprocess
    import sys

    try:
        import myst_nb  # noqa: F401
    except ImportError:
        if os.environ.get("SITE_BUILT") == "1":
            pytest.fail("SITE_BUILT=1 but myst-nb is not installed", pytrace=False)
        pytest.skip("the docs extra is not installed: make site installs it")
    source = tmp_path / "source"
    source.mkdir()
    (source / "index.md").write_text("# Test\n\n```{toctree}\nbad\n```\n")
    cells = [("markdown", "# A notebook that raises"), ("code", "import rnn"),
             ("code", "rnn.RNN(2, 3, 1).unroll([[1.0, 2.0, 3.0]])   # 3 features, not 2")]
    (source / "bad.ipynb").write_text(json.dumps({
        "cells": [{"cell_type": kind, "metadata": {}, "source": text,
                   **({"outputs": [], "execution_count": None} if kind == "code" else {})}
                  for kind, text in cells],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}))
    run = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going",
                          "-n", "-q", "-c", str(ROOT / "docs"), str(source),
                          str(tmp_path / "html")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    said = re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr)
    assert run.returncode != 0, said[-2000:]
    assert re.search(r"bad\.ipynb: WARNING: cell 3 raised ShapeError: RNN\.unroll: xs has 3 "
                     r"features", said), said[-2000:]


# ---------------------------------------------------------------- rendering

from test_explore_browser import browser  # noqa: E402, F401  (headless Chromium, or a skip)

SHOWN = ["index.html", "api/rnn.html", "notebooks/01_unrolling.html", "gallery.html",
         "math.html", "pages.html", "search.html?q=truncated"]


@pytest.fixture(scope="module")
def offline_browser(site, browser):  # noqa: F811
    """The browser with every http(s) request blocked: the site must not need one."""
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*"]})
    return browser


@pytest.mark.parametrize("page", SHOWN)
def test_the_page_renders_offline_with_no_console_error(site, offline_browser, page):
    from selenium.webdriver.support.ui import WebDriverWait
    browser = offline_browser
    browser.get_log("browser")                           # start with an empty log
    browser.get((site / page.split("?")[0]).as_uri() + page[len(page.split("?")[0]):])
    browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const typeset = window.MathJax && MathJax.startup ? MathJax.startup.promise"
        " : Promise.resolve();"
        "Promise.all([typeset, ...[...document.images].map(img => img.decode().catch(() => 0))])"
        ".then(() => done(true));")
    errors = [entry["message"] for entry in browser.get_log("browser")
              if entry["level"] == "SEVERE"]
    assert not errors, f"{page}: console errors: {errors[:3]}"
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    outside = [url for url in fetched if not url.startswith(("file:", "about:", "data:"))]
    assert not outside, f"{page} fetched {outside}"
    broken = browser.execute_script(
        "return [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.src)")
    assert not broken, f"{page}: images that did not load: {broken[:3]}"
    images = browser.execute_script("return document.images.length")
    assert images >= {"notebooks/01_unrolling.html": 3, "gallery.html": 30}.get(page, 0), (
        f"{page} shows {images} images")
    if page in ("math.html", "notebooks/01_unrolling.html"):
        typeset = browser.execute_script(
            "return [document.querySelectorAll('mjx-container').length,"
            " document.querySelectorAll('mjx-merror').length]")
        assert typeset[0] > 10 and typeset[1] == 0, f"{page}: math typeset {typeset}"
    if page.startswith("search.html"):
        found = WebDriverWait(browser, 10).until(lambda b: b.execute_script(
            "return document.querySelectorAll('#search-results li').length"))
        assert found >= 3, f"searching for 'truncated' found {found} pages"
        assert not [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    if page == "pages.html":
        frame = browser.find_element("css selector", "iframe.standalone-page")
        browser.switch_to.frame(frame)
        try:
            drawn = browser.execute_script("return document.querySelectorAll('svg g.node').length")
        finally:
            browser.switch_to.default_content()
        assert drawn > 5, f"the embedded explorer drew {drawn} nodes"
