"""The docstrings as their source shows them.

The docstrings are read in the source first, and written for it:

* ``|a|``, ``|eigenvalue|`` and ``|autograd - numeric|`` are absolute values and norms.
  reStructuredText reads ``|name|`` as a substitution and fails on one that is not
  defined; each undefined one is put back as the text it was.
* An indented display of formulas, such as an LSTM's equations one per line, aligned with
  spaces, is a block quote to reStructuredText, which joins its lines into one paragraph.
  In a docstring it is shown as the preformatted text it is.
* A heading of its own in NumPy style (``In place`` over a line of dashes, in
  ``minigrad.Tensor``) is not one of numpydoc's sections, and numpydoc drops what is under
  it.  It becomes a rubric, so the text stays.
"""

import re

from docutils import nodes
from numpydoc.docscrape import NumpyDocString
from sphinx.transforms import SphinxTransform

NUMPYDOC_SECTIONS = set(NumpyDocString.sections)


def headings_as_rubrics(app, what, name, obj, options, lines):
    """Runs before numpydoc: ``Title`` over ``-----`` (or ``=====``) -> ``.. rubric:: Title``,
    for each title that is not one of numpydoc's sections."""
    for i in range(len(lines) - 1):
        title, underline = lines[i].strip(), lines[i + 1].strip()
        named = " ".join(word.capitalize() for word in title.split())
        if (title and re.fullmatch(r"-{3,}|={3,}", underline) and len(underline) >= len(title)
                and named not in NUMPYDOC_SECTIONS):
            indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
            lines[i], lines[i + 1] = f"{indent}.. rubric:: {title}", ""


class BarsAreText(SphinxTransform):
    default_priority = 219           # docutils' Substitutions transform runs at 220

    def apply(self, **kwargs):
        defined = self.document.substitution_defs
        for ref in list(self.document.findall(nodes.substitution_reference)):
            if ref["refname"] not in defined:
                ref.replace_self(nodes.Text(f"|{ref.astext()}|"))


def _in_a_docstring(node):
    return "docstring of" in (node.source or "")


class DisplaysArePreformatted(SphinxTransform):
    """A block quote of plain paragraphs, in a docstring -> a literal block, lines kept."""

    default_priority = 700

    def apply(self, **kwargs):
        for quote in list(self.document.findall(nodes.block_quote)):
            paragraphs = quote.children
            plain = paragraphs and all(
                isinstance(p, nodes.paragraph)
                and all(isinstance(c, nodes.Text) for c in p.children) for p in paragraphs)
            if plain and _in_a_docstring(paragraphs[0]):
                text = "\n\n".join(p.astext() for p in paragraphs)
                block = nodes.literal_block(text, text, language="text")
                block.source, block.line = paragraphs[0].source, paragraphs[0].line
                quote.replace_self(block)


def setup(app):
    app.connect("autodoc-process-docstring", headings_as_rubrics, priority=400)
    app.add_transform(BarsAreText)
    app.add_transform(DisplaysArePreformatted)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
