"""The standalone HTML pages (the explorer, the lecture deck): written at build time by
the library's own command, served as static files, and embedded in a page.

``standalone_pages`` in conf.py lists them, one line each: (title, how to write the page,
what it shows).  How to write it is either the arguments of the ``bptt`` command, to which
``-o FILE`` is added (``["explore"]`` runs ``bptt explore -o site/pages/explore.html``), or
a function that takes the path.  The page goes to ``pages/<command>.html`` in the site.

The directive ``standalone-pages`` draws one section per page: its title, what it shows,
a link to open it full screen, and the page itself in an iframe.
"""

import html
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_id

FOLDER = "pages"       # in the site: site/pages/<name>.html


def page_file(how):
    """The file name of a page: the command's words (["explore"] -> explore.html,
    ["explore", "--cell", "lstm"] -> explore-cell-lstm.html), or the function's name."""
    if not isinstance(how, list):
        return f"{how.__name__}.html"
    return "-".join(word.lstrip("-") for word in how) + ".html"


def write_page(how, path):
    """Write one page with the ``bptt`` command (or the function); raise if that fails."""
    if not isinstance(how, list):
        how(path)
        return
    from bptt_cli.main import main

    try:
        status = main([*how, "-o", str(path)])
    except SystemExit as exit_:            # argparse refused the arguments
        status = exit_.code
    if status != 0 or not path.is_file():
        raise ExtensionError(f"standalone_pages: `bptt {' '.join(how)} -o {path}` exited with "
                             f"status {status} and wrote {'no' if not path.is_file() else 'a'} "
                             f"file; run it by hand to see why")


def write_pages(app):
    if app.builder.format != "html":
        return
    folder = Path(app.outdir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for title, how, _ in app.config.standalone_pages:
        write_page(how, folder / page_file(how))


class StandalonePages(SphinxDirective):
    """One section per entry of ``standalone_pages``: title, text, link, iframe."""

    def run(self):
        up = "../" * self.env.docname.count("/")
        sections = []
        for title, how, text in self.config.standalone_pages:
            src = f"{up}{FOLDER}/{page_file(how)}"
            section = nodes.section(ids=[make_id(self.env, self.state.document, "", title)])
            section += nodes.title(title, title)
            words = StringList([f"{text[0].upper()}{text[1:]}."], source=self.env.docname)
            self.state.nested_parse(words, self.content_offset, section)
            link = nodes.reference("", "Open it full screen", refuri=src, internal=True)
            section += nodes.paragraph("", "", link)
            section += nodes.raw("", f'<iframe class="standalone-page" src="{html.escape(src)}" '
                                     f'title="{html.escape(title)}" '
                                     f'style="width:100%;height:80vh;min-height:560px;'
                                     f'border:1px solid #ccc"></iframe>', format="html")
            sections.append(section)
        return sections


def setup(app):
    app.add_config_value("standalone_pages", [], "html")
    app.add_directive("standalone-pages", StandalonePages)
    app.connect("builder-inited", write_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
