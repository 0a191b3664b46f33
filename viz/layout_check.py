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
  under 28 px (a title under 40 px) once the figure is fitted to a 1920 × 1080
  frame (a projector); at notebook style, under 10 px at the figure's own size;
* (a chart's markers, nodes named ``mark_…``, sit on their lines and may meet
  where lines meet: neither counts)
* ``sparse``         at slide style, the drawn content covers less than 55% of
  the 16:9 frame it is fitted to.

Node shapes are compared as the shapes they are (an ellipse as an ellipse),
and text extents come from the same character widths that lay the drawings
out (``viz.metrics``).

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

from .metrics import FRAMES, text_width

__all__ = ["check_layout", "LayoutReport", "read_svg"]

_SVG = "{http://www.w3.org/2000/svg}"
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
    outline: object = None        # its outline, a convex polygon (k, 2), where known


@dataclass
class Figure:
    """What :func:`read_svg` finds: sizes in pt (SVG user units)."""
    width: float
    height: float
    content: tuple = (0.0, 0.0, 0.0, 0.0)           # the box around everything drawn
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
    fill: float = 1.0           # the drawn content's share of the frame (slides)

    @property
    def ok(self):
        return not self.problems

    def __str__(self):
        head = (f"{self.width_pt:.0f} x {self.height_pt:.0f} pt, smallest text "
                f"{self.min_text_px:.1f} px, fill {self.fill:.0%} ({self.style}): ")
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


def _outlines(g):
    """The outlines of a node's shapes, as convex polygons: an ellipse sampled, a polygon
    or a path's points (their convex hull's box stands for a rounded path)."""
    out = []
    for el in g:
        tag = el.tag.replace(_SVG, "")
        if tag == "ellipse":
            cx, cy, rx, ry = (float(el.get(k)) for k in ("cx", "cy", "rx", "ry"))
            a = np.linspace(0, 2 * np.pi, 32, endpoint=False)
            out.append(np.column_stack([cx + rx * np.cos(a), cy + ry * np.sin(a)]))
        elif tag in ("polygon", "path") and el.get("stroke") not in (None, "transparent"):
            xy = np.array(_floats(el.get("points") or el.get("d")))
            if len(xy) >= 4:
                xy = xy[: len(xy) // 2 * 2].reshape(-1, 2)
                x0, y0 = xy.min(axis=0)
                x1, y1 = xy.max(axis=0)
                out.append(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    return out


def _shape(name, g):
    outlines = _outlines(g)
    if not outlines:
        return None
    pts = np.vstack(outlines)
    box = (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())
    return Shape(name, box, outlines[0] if len(outlines) == 1 else None)


def _convex_overlap(p, q, margin=_MARGIN):
    """Whether two convex polygons overlap by more than ``margin`` (separating axes)."""
    for poly in (p, q):
        edges = np.roll(poly, -1, axis=0) - poly
        normals = np.column_stack([-edges[:, 1], edges[:, 0]])
        lengths = np.linalg.norm(normals, axis=1)
        normals = normals[lengths > 1e-9] / lengths[lengths > 1e-9, None]
        a, b = p @ normals.T, q @ normals.T
        if np.any((a.max(axis=0) - b.min(axis=0) <= margin) |
                  (b.max(axis=0) - a.min(axis=0) <= margin)):
            return False
    return True


def _texts(g, owner):
    out = []
    for el in g.iter(_SVG + "text"):
        content = "".join(el.itertext()).strip()
        if not content:
            continue
        size = float(el.get("font-size", "14"))
        x, y = float(el.get("x")), float(el.get("y"))
        width = text_width(content) * size
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
            shape = _shape(name, g)
            if shape is not None:
                fig.nodes[name] = shape
            fig.texts += _texts(g, f"node {name}")
        elif kind == "cluster":
            shape = _shape(name, g)
            if shape is not None:
                fig.clusters[name] = shape
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
    boxes = [s.box for s in list(fig.nodes.values()) + list(fig.clusters.values())]
    boxes += [t.box for t in fig.texts]
    boxes += [(p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max())
              for _, _, p in fig.edges if len(p)]
    if boxes:
        b = np.array(boxes)
        fig.content = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
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
        Which frame and floor apply (``viz.metrics.FRAMES``): at slide style the
        figure is fitted to 1920 × 1080 px, its text must be at least 28 px, its
        titles 40 px, and it must fill 55% of the frame.
    min_px : float, optional
        Override the style's smallest text size, in px.

    Returns a :class:`LayoutReport`; ``report.ok`` is True when nothing was found.

    >>> import minigrad as mg, viz
    >>> x = mg.tensor([0.5], requires_grad=True, name="x")
    >>> loss = (x * 3).tanh().sum()
    >>> viz.check_layout(viz.draw(loss)).ok
    True
    >>> report = viz.check_layout(viz.draw(loss, style="slides"), "slides")
    >>> report.min_text_px >= 28, report.problems       # three ops in a column: too narrow
    (True, ['sparse: the drawing covers 42% of the 16:9 frame, under 55%'])
    """
    if style not in FRAMES:
        raise ValueError(f"check_layout: style must be one of {', '.join(FRAMES)}, got "
                         f"{style!r}")
    svg = graph_or_svg
    if hasattr(svg, "pipe"):
        svg = svg.pipe(format="svg")
    fig = read_svg(svg)
    frame = FRAMES[style]
    px_per_pt = frame.scale(fig.width, fig.height)
    problems = _small_texts(fig, frame, px_per_pt, min_px)
    smallest = min((t.size for t in fig.texts), default=float("inf")) * px_per_pt
    fill = 1.0
    if frame.width is not None:
        left, top, right, bottom = fig.content
        area = (frame.width / px_per_pt) * (frame.height / px_per_pt)
        fill = (right - left) * (bottom - top) / area
        if fill < frame.min_fill - 1e-9:
            problems.append(f"sparse: the drawing covers {fill:.0%} of the 16:9 frame, under "
                            f"{frame.min_fill:.0%}")
    problems += _overlaps(fig)
    return LayoutReport(problems, fig.width, fig.height, smallest, style, fill)


def _is_title(t):
    return t.owner in ("node title", "graph")


def _small_texts(fig, frame, px_per_pt, min_px):
    problems = []
    for t in fig.texts:
        floor = frame.min_title if _is_title(t) else (min_px or frame.min_text)
        if t.size * px_per_pt < floor - 1e-6:
            problems.append(f"small text: {t.text!r} ({t.owner}) is {t.size * px_per_pt:.1f} px,"
                            f" under {floor:g} px")
    return problems


def _own_label(text, tail, head):
    """A link's number, drawn as a node of its own (``label_<k>``), beside a segment of
    that link's chain (``bend_<k>_<b>``): its own line may pass it."""
    k = text.owner.removeprefix("node label_")
    return any(end.startswith(f"bend_{k}_") for end in (tail, head))


def _marker(name):
    """A chart's marker: a point of a line, drawn on it."""
    return name.startswith("mark_")


def _overlaps(fig):
    """Every overlap: texts, nodes, boxes, and edges through nodes or labels."""
    names = list(fig.nodes)
    node_boxes = [fig.nodes[n].box for n in names]
    return (_text_overlaps(fig, names, node_boxes) + _node_overlaps(fig, names, node_boxes) +
            _edge_crossings(fig, names, node_boxes))


def _text_overlaps(fig, names, node_boxes):
    """Two texts of different elements on each other; an edge's or a box's title on a node."""
    problems = []
    texts = fig.texts
    for i, j in _pairs([t.box for t in texts]):
        a, b = texts[i], texts[j]
        if a.owner != b.owner:
            problems.append(f"label overlap: {a.text!r} ({a.owner}) and {b.text!r} ({b.owner})")
    for t in texts:
        if t.owner.startswith(("edge ", "cluster ")):
            for n, box in zip(names, node_boxes):
                if _overlap(t.box, box):
                    problems.append(f"label on node: {t.text!r} ({t.owner}) on node {n}")
    return problems


def _node_overlaps(fig, names, node_boxes):
    """Two node shapes, compared as the shapes they are; two step boxes."""
    problems = []
    for i, j in _pairs(node_boxes):
        a, b = fig.nodes[names[i]], fig.nodes[names[j]]
        if _marker(names[i]) and _marker(names[j]):
            continue
        if a.outline is None or b.outline is None or _convex_overlap(a.outline, b.outline):
            problems.append(f"node overlap: {names[i]} and {names[j]}")
    clusters = list(fig.clusters)
    for i, j in _pairs([fig.clusters[c].box for c in clusters]):
        problems.append(f"box overlap: {clusters[i]} and {clusters[j]}")
    return problems


def _edge_crossings(fig, names, node_boxes):
    """An edge through a node it does not connect, or through a title or another edge's
    label (hiding its words)."""
    problems = []
    for tail, head, k in _edges_through(fig.edges, node_boxes, inset=2.0):   # grazing is fine
        if names[k] not in (tail, head) and not _marker(names[k]):
            problems.append(f"edge through node: {tail}->{head} crosses {names[k]}")
    labels = [t for t in fig.texts if t.owner.startswith(("cluster ", "edge ", "node label_"))]
    for tail, head, k in _edges_through(fig.edges, [t.box for t in labels], inset=1.0):
        if labels[k].owner != f"edge {tail}->{head}" and not _own_label(labels[k], tail, head):
            problems.append(f"edge through label: {tail}->{head} crosses "
                            f"{labels[k].text!r} ({labels[k].owner})")
    return problems
