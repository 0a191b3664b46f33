"""Writing drawings to files with Graphviz's ``dot`` program."""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

import graphviz

__all__ = ["save", "FORMATS", "GraphvizNotFoundError", "check_dot", "Figure", "fit_column"]

FORMATS = ("svg", "png", "pdf")

INSTALL_HELP = """\
Install Graphviz's programs (the Python package alone is not enough):
    Debian/Ubuntu:  sudo apt-get install graphviz
    macOS:          brew install graphviz
    Windows:        winget install graphviz   (then add its bin folder to PATH)
    conda:          conda install -c conda-forge graphviz
The drawing itself still works without it: graph.source is the DOT text."""


class Figure(graphviz.Digraph):
    """The ``graphviz.Digraph`` that every ``viz.draw*`` returns.

    It is a Digraph in every way, except that Jupyter shows it scaled down
    to the width of the notebook column (never up), with its proportions
    kept, instead of at its natural size with a scroll bar.  Files written
    by :func:`save` keep the natural size.
    """

    def _repr_image_svg_xml(self):
        return fit_column(super()._repr_image_svg_xml())

    def texts(self):
        """Every line of text the figure shows, label by label, without Graphviz's
        markup; a typeset subscript is written as in text (``a3``, ``U_r``).

        >>> import minigrad as mg, viz
        >>> w = mg.tensor([1.0, -2.0], requires_grad=True, name="w3")
        >>> "w3" in viz.draw((w * w).sum()).texts()
        True
        """
        return [line for m in _LABELS.findall(self.source) for line in _plain(m).split("\n")]


_LABELS = re.compile(r'label=(<(?:[^<>]|<[^<>]*>)*>|"(?:[^"\\]|\\.)*")')


def _subscript(m):
    """A typeset subscript as text: ``a3`` for a number, ``U_r`` otherwise."""
    inner = re.sub(r"<[^<>]*>", "", m.group(1))
    return inner if inner.isdigit() else "_" + inner


def _plain(label):
    """The text of a DOT label: an HTML-like one without its tags, or a quoted one."""
    if label.startswith('"'):
        return label[1:-1].replace('\\"', '"')
    body = re.sub(r"<BR\s*/?>|</TR>", "\n", label[1:-1], flags=re.I)
    body = re.sub(r"</TD>\s*<TD", " <TD", body, flags=re.I)      # a table's cells: spaced
    body = re.sub(r"<SUB>(.*?)</SUB>", _subscript, body)
    body = html.unescape(re.sub(r"<[^<>]*>", "", body)).replace("\\\\", "\\")
    return "\n".join(line.strip() for line in body.strip("\n").split("\n"))


_SVG_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def fit_column(svg):
    """An SVG that shrinks to its container's width: width 100%, at most its own width.

    >>> fit_column('<svg width="800pt" height="100pt" viewBox="0 0 800 100">')
    '<svg width="100%" style="max-width: 800pt; height: auto" viewBox="0 0 800 100">'
    """
    return _SVG_SIZE.sub(lambda m: f'<svg width="100%" style="max-width: {m[1]}pt; height: auto"',
                         svg, count=1)


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed (or not on the PATH)."""


def check_dot(who="viz.save"):
    """Raise a helpful error if the ``dot`` program is missing."""
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(
            f"{who}: Graphviz's 'dot' program was not found on the PATH, so the drawing "
            f"cannot be rendered.\n{INSTALL_HELP}")


def save(graph, path, format=None):
    """Render ``graph`` (from any ``viz.draw*``) into a file: ``.svg``, ``.png`` or ``.pdf``.

    The format comes from the file name unless given.  Missing folders are
    created.  Returns the path written.

    >>> import tempfile, minigrad as mg, viz
    >>> w = mg.tensor([1.0, 2.0], requires_grad=True, name="w")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = viz.save(viz.draw((w * w).sum()), f"{folder}/drawings/w.svg")
    ...     print(path.name, path.read_text().count("</svg>"))
    w.svg 1
    """
    if not isinstance(graph, graphviz.Digraph):
        raise TypeError(f"viz.save: expected the graphviz.Digraph returned by viz.draw*, got "
                        f"{type(graph).__name__}")
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    if path.is_dir():
        raise IsADirectoryError(f"viz.save: {str(path)!r} is a folder; give a file name, "
                                f"e.g. {str(path / 'graph.svg')!r}")
    if fmt not in FORMATS:
        raise ValueError(f"viz.save: unknown format {fmt or '(none)'!r} for {str(path)!r}; "
                         f"use one of {', '.join(FORMATS)} (from the file name or format=)")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise PermissionError(f"viz.save: cannot create the folder {str(folder)!r} for "
                              f"{str(path)!r} ({err.strerror}); choose a folder you can write "
                              f"to") from None
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"viz.save: the folder {str(folder)!r} is not writable; choose "
                              f"another place for {path.name!r}")
    check_dot()
    try:
        data = graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(f"viz.save: Graphviz's 'dot' program could not be run.\n"
                                    f"{INSTALL_HELP}") from None
    try:
        path.write_bytes(data)
    except OSError as err:
        raise PermissionError(f"viz.save: cannot write {str(path)!r} ({err.strerror})") from None
    return path
