"""Links from the pages to files outside the site, pointed at the site's own pages.

docs/teaching.md, benchmarks.md and internals.md are read on the code host as well as
on the site, so they link to ``../README.md#sources`` or ``slides/``.  On the site those
files are not pages: each such link is pointed at the page that holds the same thing.  A
link to a file outside the site that this table does not name stays a warning, which
``make site`` turns into an error naming the link, and the fix is a line here.
"""

from pathlib import Path

from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx import addnodes

# the link's target, as a path from the repository's root (and #anchor) -> page#anchor
OUTSIDE_THE_SITE = {
    "README.md": "index",
    "README.md#sources": "math#sources",
    "README.md#bptt-in-less-memory-store-a-few-states-recompute-the-rest":
        "math#checkpointing-bptt-in-less-memory",
    "benchmarks": "internals#a-tour-of-the-code",     # the scripts, listed there
    "docs/slides": "gallery",
}


class LinksOutsideTheSite(SphinxPostTransform):
    """Runs before MyST resolves its links (priority 9), rewriting the ones in the table."""

    default_priority = 8

    def run(self, **kwargs):
        srcdir = Path(self.env.srcdir)
        root = srcdir.parent
        for node in self.document.findall(addnodes.pending_xref):
            if node.get("reftype") != "myst":
                continue
            key = self._outside(node, srcdir, root)
            if key in OUTSIDE_THE_SITE:
                docname, _, anchor = OUTSIDE_THE_SITE[key].partition("#")
                node["refdomain"], node["reftarget"] = "doc", docname
                node["reftargetid"] = anchor or None

    def _outside(self, node, srcdir, root):
        """The link's target as a path from the repository root, with its #anchor; None
        when the target is a page of the site."""
        target = node["reftarget"]
        if node.get("refdomain") == "doc":
            if target in self.env.all_docs:
                return None
            anchor = node.get("reftargetid")
            target = str(Path(target).with_suffix(".md"))
        else:
            target, _, anchor = target.partition("#")
        where = (srcdir / Path(node.get("refdoc", self.env.docname)).parent / target).resolve()
        try:
            path = where.relative_to(root).as_posix()
        except ValueError:
            return None
        return f"{path}#{anchor}" if anchor else path


def setup(app):
    app.add_post_transform(LinksOutsideTheSite)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
