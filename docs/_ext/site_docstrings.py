"""The docstrings as their source shows them.

The docstrings are read in the source first, and written for it:

* ``|a|``, ``|eigenvalue|`` and ``|autograd - numeric|`` are absolute values and norms.
  reStructuredText reads ``|name|`` as a substitution and fails on one that is not
  defined; each undefined one is put back as the text it was.
* An indented display of formulas, such as an LSTM's equations one per line, aligned with
  spaces, is a block quote to reStructuredText, which joins its lines into one paragraph.
  In a docstring it is shown as the preformatted text it is.
"""

from docutils import nodes
from sphinx.transforms import SphinxTransform


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
                isinstance(p, nodes.paragraph) and all(isinstance(c, nodes.Text) for c in p.children)
                for p in paragraphs)
            if plain and _in_a_docstring(paragraphs[0]):
                text = "\n\n".join(p.astext() for p in paragraphs)
                block = nodes.literal_block(text, text, language="text")
                block.source, block.line = paragraphs[0].source, paragraphs[0].line
                quote.replace_self(block)


def setup(app):
    app.add_transform(BarsAreText)
    app.add_transform(DisplaysArePreformatted)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
