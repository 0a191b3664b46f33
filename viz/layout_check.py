"""Clutter, measured: read the SVG that Graphviz draws and list what a reader would trip over.

Graphviz's SVG output keeps every node (its shape and its text lines), every
edge (its path, arrowhead and label) and every cluster box, each in a ``<g>``
with a ``<title>`` naming it.  :func:`check_layout` reads them back and
reports:

* ``label overlap``  two texts of different elements overlap (a node's lines,
  an edge's label, a box's title);
* ``label on node``  an edge's label sits on a node's shape;
* ``node overlap``   two node shapes overlap;
* ``box overlap``    two time-step boxes (clusters) overlap;
* ``edge through node``  an edge's path crosses a node it does not connect;
* ``edge through label``  an edge's path crosses a box's title or another
  edge's label, hiding its words;
* ``small text``     a text is smaller than the style allows: at slide style,
  under 14 px once the figure is scaled to 1920 px wide (a projector); at
  notebook style, under 10 px at the figure's own size.

Text extents are estimated from the font size (Helvetica: about 0.55 em per
character), which is what Graphviz itself does.

>>> import minigrad as mg, viz
>>> w = mg.tensor([1.0, -2.0], requires_grad=True, name="w")
>>> report = viz.check_layout(viz.draw((w * w).sum()))
>>> report.problems, report.ok
([], True)
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np

__all__ = ["check_layout", "LayoutReport", "read_svg", "MIN_TEXT_PX"]

# The smallest text each style allows, in px: (px, width the figure is scaled to or None).
MIN_TEXT_PX = {"notebook": (10.0, None), "slides": (14.0, 1920.0)}

_SVG = "{http://www.w3.org/2000/svg}"
_CHAR_EM = 0.55          # Helvetica's mean character width, in em
_MARGIN = 1.0            # pt: shapes touching by less than this do not count as overlapping


@dataclass
class Text:
    owner: str           # "node n3", "edge a->b", "cluster cluster_t1", "graph"
    text: str
    box: tuple           # (x0, y0, x1, y1) in SVG user units (pt)
    size: float          # font size, pt


@dataclass
class Shape:
    name: str
    box: tuple


@dataclass
class Figure:
    """What :func:`read_svg` finds: sizes in pt (SVG user units)."""
    width: float
    height: float
    texts: list = field(default_factory=list)
    nodes: dict = field(default_factory=dict)       # title -> Shape
    clusters: dict = field(default_factory=dict)    # title -> Shape
    edges: list = field(default_factory=list)       # (tail, head, points (k, 2))


@dataclass
class LayoutReport:
    """The problems found, one line each, and the numbers behind the size check."""
    problems: list
    width_pt: float
    height_pt: float
    min_text_px: float          # the smallest text, in px at the style's scale
    style: str

    @property
    def ok(self):
        return not self.problems

    def __str__(self):
        head = (f"{self.width_pt:.0f} x {self.height_pt:.0f} pt, smallest text "
                f"{self.min_text_px:.1f} px ({self.style}): ")
        return head + ("no problems" if self.ok else
                       f"{len(self.problems)} problems\n  " + "\n  ".join(self.problems))


def _floats(text):
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


def _bezier_points(d, samples=12):
    """The points along an SVG path of cubic Béziers (``M x,y C ...``), sampled."""
    nums = _floats(d)
    pts = np.array(nums[: len(nums) // 2 * 2]).reshape(-1, 2)
    if len(pts) < 4:
        return pts
    out = [pts[0]]
    s = np.linspace(0, 1, samples)[1:, None]
    for k in range(0, len(pts) - 3, 3):
        p0, p1, p2, p3 = pts[k:k + 4]
        out.extend((1 - s) ** 3 * p0 + 3 * (1 - s) ** 2 * s * p1 + 3 * (1 - s) * s ** 2 * p2
                   + s ** 3 * p3)
    return np.array(out)


def _shape_box(g):
    boxes = []
    for el in g:
        tag = el.tag.replace(_SVG, "")
        if tag == "ellipse":
            cx, cy, rx, ry = (float(el.get(k)) for k in ("cx", "cy", "rx", "ry"))
            boxes.append((cx - rx * 0.85, cy - ry * 0.85, cx + rx * 0.85, cy + ry * 0.85))
        elif tag in ("polygon", "path") and el.get("stroke") not in (None, "transparent"):
            xy = np.array(_floats(el.get("points") or el.get("d")))
            if len(xy) >= 4:
                xy = xy[: len(xy) // 2 * 2].reshape(-1, 2)
                boxes.append((xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max()))
    if not boxes:
        return None
    b = np.array(boxes)
    return (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())


_NARROW = set("iljtfr.,:;!|'()[] ·")
_WIDE = set("mwMWOQGDH‖⊙—")


def _text_width(text):
    """The width of ``text`` in em, in Helvetica: narrow, ordinary and wide letters."""
    return sum(0.3 if c in _NARROW else 0.85 if c in _WIDE else 0.56 for c in text)


def _texts(g, owner):
    out = []
    for el in g.iter(_SVG + "text"):
        content = "".join(el.itertext()).strip()
        if not content:
            continue
        size = float(el.get("font-size", "14"))
        x, y = float(el.get("x")), float(el.get("y"))
        width = _text_width(content) * size
        anchor = el.get("text-anchor", "start")
        x0 = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
        out.append(Text(owner, content, (x0, y - 0.75 * size, x0 + width, y + 0.2 * size), size))
    return out


def read_svg(svg):
    """A :class:`Figure` from SVG text (or bytes) written by Graphviz."""
    root = ET.fromstring(svg)
    view = _floats(root.get("viewBox", "0 0 0 0"))
    fig = Figure(width=view[2], height=view[3])
    top = root.find(_SVG + "g")
    for g in top.iter(_SVG + "g"):
        kind = g.get("class")
        title = g.find(_SVG + "title")
        name = title.text if title is not None else ""
        if kind == "node":
            box = _shape_box(g)
            if box is not None:
                fig.nodes[name] = Shape(name, box)
            fig.texts += _texts(g, f"node {name}")
        elif kind == "cluster":
            box = _shape_box(g)
            if box is not None:
                fig.clusters[name] = Shape(name, box)
            fig.texts += _texts(g, f"cluster {name}")
        elif kind == "edge":
            tail, _, head = name.replace("&#45;", "-").partition("->")
            path = g.find(_SVG + "path")
            pts = _bezier_points(path.get("d")) if path is not None else np.zeros((0, 2))
            fig.edges.append((tail.split(":")[0], head.split(":")[0], pts))
            fig.texts += _texts(g, f"edge {name}")
        elif kind == "graph":
            for el in g:
                if el.tag == _SVG + "text":
                    wrapper = ET.Element("g")
                    wrapper.append(el)
                    fig.texts += _texts(wrapper, "graph")
    return fig


def _overlap(a, b, margin=_MARGIN):
    return (min(a[2], b[2]) - max(a[0], b[0]) > margin
            and min(a[3], b[3]) - max(a[1], b[1]) > margin)


def _pairs(boxes, margin=_MARGIN):
    """Index pairs (i, j), i < j, of overlapping boxes, computed with NumPy."""
    if len(boxes) < 2:
        return []
    b = np.asarray(boxes, dtype=float)
    w = np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0])
    h = np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1])
    hit = np.triu((w > margin) & (h > margin), 1)
    return list(zip(*np.nonzero(hit)))


def _edges_through(edges, boxes, inset):
    """(tail, head, k) for every edge with a point of its path inside box k, each box
    shrunk by ``inset`` pt on every side."""
    if not boxes:
        return []
    b = np.asarray(boxes, dtype=float) + np.array([inset, inset, -inset, -inset])
    found = []
    for tail, head, pts in edges:
        if len(pts) == 0:
            continue
        inside = ((pts[:, None, 0] > b[None, :, 0]) & (pts[:, None, 0] < b[None, :, 2])
                  & (pts[:, None, 1] > b[None, :, 1]) & (pts[:, None, 1] < b[None, :, 3]))
        found += [(tail, head, k) for k in np.nonzero(inside.any(axis=0))[0]]
    return found


def check_layout(graph_or_svg, style="notebook", min_px=None):
    """Render a drawing (or take SVG text) and list its layout problems.

    Parameters
    ----------
    graph_or_svg : graphviz.Digraph, str or bytes
        What a ``viz.draw*`` returned (rendered here with its engine), or SVG.
    style : "notebook" or "slides"
        Which text-size rule applies (see ``MIN_TEXT_PX``).
    min_px : float, optional
        Override the style's smallest text size, in px.

    Returns a :class:`LayoutReport`; ``report.ok`` is True when nothing was found.

    >>> import minigrad as mg, viz
    >>> x = mg.tensor([0.5], requires_grad=True, name="x")
    >>> report = viz.check_layout(viz.draw((x * 3).tanh().sum(), style="slides"), "slides")
    >>> report.ok, report.min_text_px >= 14
    (True, True)
    """
    if style not in MIN_TEXT_PX:
        raise ValueError(f"check_layout: style must be one of {', '.join(MIN_TEXT_PX)}, got "
                         f"{style!r}")
    svg = graph_or_svg
    if hasattr(svg, "pipe"):
        svg = svg.pipe(format="svg")
    fig = read_svg(svg)
    problems = []

    limit, scaled_width = MIN_TEXT_PX[style]
    if min_px is not None:
        limit = min_px
    # 1 pt is 4/3 px at the figure's own size; scaled to a width, width / fig.width px per pt.
    px_per_pt = scaled_width / fig.width if scaled_width else 4 / 3
    smallest = min((t.size for t in fig.texts), default=float("inf")) * px_per_pt
    for t in fig.texts:
        if t.size * px_per_pt < limit - 1e-6:
            problems.append(f"small text: {t.text!r} ({t.owner}) is {t.size * px_per_pt:.1f} px,"
                            f" under {limit:g} px")

    texts = fig.texts
    for i, j in _pairs([t.box for t in texts]):
        a, b = texts[i], texts[j]
        if a.owner != b.owner:
            problems.append(f"label overlap: {a.text!r} ({a.owner}) and {b.text!r} ({b.owner})")

    names = list(fig.nodes)
    node_boxes = [fig.nodes[n].box for n in names]
    for i, j in _pairs(node_boxes):
        problems.append(f"node overlap: {names[i]} and {names[j]}")

    for t in texts:
        if t.owner.startswith("edge "):
            for n, box in zip(names, node_boxes):
                if _overlap(t.box, box):
                    problems.append(f"label on node: {t.text!r} ({t.owner}) on node {n}")

    clusters = list(fig.clusters)
    for i, j in _pairs([fig.clusters[c].box for c in clusters]):
        problems.append(f"box overlap: {clusters[i]} and {clusters[j]}")

    for tail, head, k in _edges_through(fig.edges, node_boxes, inset=2.0):   # grazing is fine
        if names[k] not in (tail, head):
            problems.append(f"edge through node: {tail}->{head} crosses {names[k]}")

    # an edge drawn through a box's title or another edge's label hides its words
    labels = [t for t in texts if t.owner.startswith(("cluster ", "edge "))]
    for tail, head, k in _edges_through(fig.edges, [t.box for t in labels], inset=1.0):
        if labels[k].owner != f"edge {tail}->{head}":
            problems.append(f"edge through label: {tail}->{head} crosses "
                            f"{labels[k].text!r} ({labels[k].owner})")
    return LayoutReport(problems, fig.width, fig.height, smallest, style)
