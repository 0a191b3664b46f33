"""Writing the Graphviz figure.

* :func:`unrolled_figure`: a laid-out scene as a figure whose every node has
  the size and the position computed here (Graphviz's ``neato`` only draws the
  boxes and the edges): the title, the step boxes, the units, the links
  through their bends with their numbers beside them, the legend and, at
  slide style, the 16:9 frame.  :func:`measure` says how big it is, so that
  whether it fits a slide is known before Graphviz runs;
* :func:`dot_figure` and :func:`framed`: a figure that Graphviz's ``dot``
  lays out itself (``viz.draw``, the diagrams), padded to 16:9 at slide style.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import graphviz

from .wiring import title_side

from .metrics import FRAMES, SLIDE, text_width
from .render import Figure
from .theme import (COLORS, EDGE_STYLE, INCH, NODE_STYLE, STYLES, escape, label, legend_label,
                    legend_rows, legend_size, pad_to_ratio)

__all__ = ["unit_sizes", "label_sizes", "legend_of", "title_extent", "Extent", "measure", "unrolled_figure", "dot_figure",
           "framed", "CLUSTER_MARGIN"]

CLUSTER_MARGIN = 8.0        # pt: Graphviz draws a cluster this far around its nodes
# Layout settings for dot: compact, with a bounded crossing minimisation so
# that graphs of thousands of ops still lay out in seconds.
DOT_LAYOUT = {"ranksep": "0.3", "nodesep": "0.15", "mclimit": "0.3", "nslimit": "4",
              "fontname": "Arial", "fontsize": "12", "labelloc": "t"}


def unit_sizes(scene, look, overlay=None):
    """{unit id: (width, height)} in pt, from each unit's text (an overlay's label, a
    frame of the walk, counts instead of the unit's own)."""
    extra = (overlay or {}).get("size_lines", {})
    return {uid: look.size(u.role, extra.get(uid, u.lines)) for uid, u in scene.units.items()}


def label_sizes(scene, look):
    """{id(link): (width, height)} in pt of every link's label."""
    return {id(link): look.size("term", [link.label]) for link in scene.links
            if link.label is not None and not link.invisible}


def _pin(point):
    return f"{point[0] / INCH:.3f},{point[1] / INCH:.3f}!"


def _point(target, name, point):
    """An invisible node pinned at ``point`` (pt): a bend, a spacer or a corner."""
    target.node(name, "", shape="point", style="invis", width="0", height="0", pos=_pin(point))


@dataclass
class Extent:
    """Where the parts of a figure go, and how big it is (pt)."""
    boxes: dict                   # step -> (left, bottom, right, top) of its box
    legend: tuple | None          # (x, y) of the legend's middle
    legend_size: tuple
    legend_rows: list
    title: tuple                  # (x, y) of the title's middle
    title_size: tuple
    title_lines: list
    bounds: tuple                 # (left, bottom, right, top) of everything drawn
    frame: tuple | None           # (left, bottom, right, top) of the 16:9 frame, at slides

    @property
    def size(self):
        left, bottom, right, top = self.frame or self.bounds
        return right - left, top - bottom

    def text_scale(self, frame=SLIDE):
        """px per pt when the figure is shown in ``frame``."""
        return frame.scale(*self.size)

    def fill(self):
        """The drawn content's share of the frame's area (1 without a frame)."""
        if self.frame is None:
            return 1.0
        left, bottom, right, top = self.bounds
        return (right - left) * (top - bottom) / (self.size[0] * self.size[1])


def legend_of(scene, look):
    """The legend's rows and size (pt) for ``scene``."""
    rows = legend_rows(look, **_legend_facts(scene))
    size = legend_size(look, rows) if rows or look.heat is not None else (0.0, 0.0)
    return rows, size


def measure(scene, layout, titles, look, title, title_room=None, one_line=None):
    """The :class:`Extent` of the figure :func:`unrolled_figure` draws.  ``title_room``
    (lines of text) sizes the title's place, when it must not depend on the title
    (the frames of a walk keep one size).  ``one_line`` is the title on one line, used
    when it is no wider than the drawing (a line of height saved, on a slide)."""
    em = look.font
    boxes = _box_rects(scene, layout, titles, em)
    parts = [_rect(layout.pos[u], layout.sizes[u]) for u in layout.sizes if u in layout.pos]
    parts += list(boxes.values())
    parts += [_rect(link.label_at, look.size("term", [link.label])) for link in scene.links
              if link.label_at is not None]
    drawing = _union(parts)
    lines = title.split("\n")
    if one_line and title_room is None and \
            title_extent([one_line], look)[0] <= drawing[2] - drawing[0]:
        lines = [one_line]
    title_size = title_extent(title_room or lines, look)
    rows, size = legend_of(scene, look)
    others = [_rect(layout.pos[u.id], layout.sizes[u.id]) for u in scene.units.values()
              if u.id in layout.pos] + list(boxes.values())
    legend = _legend_place(drawing, size, look, layout, others) if size[0] else None
    title_at = _title_place(drawing, title_size, look, layout, others +
                            ([_rect(legend, size)] if legend else []))
    if legend is not None:
        drawing = _union([drawing, _rect(legend, size)])
    if title_at is None:                          # above everything, in the middle
        left, bottom, right, top = drawing
        title_at = ((left + right) / 2, top + 0.6 * em + title_size[1] / 2)
    bounds = _union([drawing, _rect(title_at, title_size)])
    frame = _frame(bounds, em) if look.style == "slides" else None
    return Extent(boxes, legend, size, rows, title_at, title_size, lines, bounds, frame)


def _box_rects(scene, layout, titles, em):
    """{step: (left, bottom, right, top)} of each step's box: its units and its title."""
    boxes = {}
    for t in scene.boxes:
        members = [u.id for u in scene.units.values() if u.step == t and u.id in layout.pos]
        left, bottom, right, top = _union([_rect(layout.pos[m], layout.sizes[m])
                                           for m in members] +
                                          [_rect(titles[t], (0, 1.2 * em))])
        boxes[t] = (left - CLUSTER_MARGIN, bottom - CLUSTER_MARGIN, right + CLUSTER_MARGIN,
                    top + CLUSTER_MARGIN)
    return boxes


def _rect(centre, size):
    (x, y), (w, h) = centre, size
    return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def _union(rects):
    return (min(r[0] for r in rects), min(r[1] for r in rects), max(r[2] for r in rects),
            max(r[3] for r in rects))


def _legend_facts(scene):
    links = [link for link in scene.links if not link.invisible]
    cell_state = any(link.colour == "cell_state" for link in links)
    return {"kinds": {link.kind for link in links}, "cell_state": cell_state,
            "cut": any(link.cut for link in links),
            "ledger": any(terms for _, terms, _ in scene.ledger),
            "norms": scene.norms,
            "edge_numbers": any(link.label and link.label_colour is None and not link.cut
                                and link.kind != "flow" or (link.label and link.kind == "flow"
                                                            and link.label_colour is None
                                                            and link.src.kind == "op")
                                for link in links),
            "elided": f"t = {scene.elided[0]} … {scene.elided[-1]}" if scene.elided else None,
            "notes": scene.notes}


def title_extent(lines, look):
    """(width, height) in pt of a figure's title (with a little room to spare)."""
    return (max(text_width(line) for line in lines) * look.title_font * 1.04,
            len(lines) * 1.25 * look.title_font)


def _free(rect, others):
    return not any(_overlaps(rect, r) for r in others)


def _title_place(drawing, size, look, layout, others):
    """The title's middle in the top left corner, beside the top level, where the
    layout kept room for it (None if it does not fit there)."""
    left, _, _, top = drawing
    at = (left + size[0] / 2, top - size[1] / 2)
    gap = 1.2 * look.font
    if layout.direction == "LR" and _free(_rect(at, (size[0] + 2 * gap, size[1])), others):
        return at
    return None


def _legend_place(drawing, size, look, layout, others):
    """The legend's middle: in the top right corner, beside the top level, where the
    layout kept room for it; else beside the drawing at its top, or under it at its
    left, whichever leaves the larger text once the figure is fitted to a slide."""
    left, bottom, right, top = drawing
    gap = 1.2 * look.font
    corner = (right - size[0] / 2, top - size[1] / 2)
    if layout.direction == "LR" and _free(_rect(corner, (size[0] + 2 * gap, size[1])), others):
        return corner
    beside = (right + gap + size[0] / 2, top - size[1] / 2)
    under = (left + size[0] / 2, bottom - gap - size[1] / 2)
    if look.style != "slides":
        return beside

    def frame_width(at):
        box = _union([drawing, _rect(at, size)])
        return pad_to_ratio(box[2] - box[0], box[3] - box[1], 16 / 9)[0]
    return min((beside, under), key=frame_width)


def _overlaps(a, b):
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def _frame(bounds, em):
    """The 16:9 frame around ``bounds``, with a margin of half an em."""
    left, bottom, right, top = bounds
    width, height = pad_to_ratio(right - left + em, top - bottom + em, 16 / 9)
    cx, cy = (left + right) / 2, (top + bottom) / 2
    return (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)


def fits(extent, style):
    """Whether every text of a figure stays at its style's floor in its frame."""
    frame = FRAMES[style]
    return frame.width is None or extent.text_scale(frame) * STYLES[style]["font"] \
        >= frame.min_text - 1e-9


def unrolled_figure(scene, layout, titles, look, extent, overlay=None):
    """The pinned Graphviz figure of a laid-out scene.  ``overlay`` ({"units": {id:
    attrs}, "links": {(src, dst): attrs}}) adds attributes on top of the look's: the
    reverse walk's colours."""
    overlay = overlay or {}
    dot = Figure(engine="neato", node_attr={**NODE_STYLE, "fontsize": str(look.font)},
                 edge_attr={**EDGE_STYLE, "fontsize": str(look.font),
                            "arrowsize": f"{0.6 * max(1.0, look.font / 14):.2f}"},
                 graph_attr={"splines": "line", "overlap": "true", "outputorder": "edgesfirst",
                             "fontname": "Arial", "pad": "0"})
    lines = overlay.get("lines", {})
    attrs = {uid: {**look.unit(u, layout.sizes[uid], lines.get(uid)),
                   **overlay.get("units", {}).get(uid, {})}
             for uid, u in scene.units.items()}
    dot.node("title", label(extent.title_lines, math=False), shape="plaintext",
             fontsize=str(look.title_font), width=f"{extent.title_size[0] / INCH:.3f}",
             height=f"{extent.title_size[1] / INCH:.3f}", fixedsize="true", margin="0",
             pos=_pin(extent.title))
    _boxes(dot, scene, layout, titles, look, attrs)
    for uid, u in scene.units.items():
        if u.step not in scene.boxes:
            dot.node(str(uid), **attrs[uid], pos=_pin(layout.pos[uid]))
    for k, link in enumerate(scene.links):
        la = {**look.link(link), **overlay.get("links", {}).get((link.src, link.dst), {})}
        _link(dot, k, link, la, look)
    if extent.legend is not None:
        dot.node("legend", legend_label(look, extent.legend_rows), shape="plaintext",
                 fillcolor="white", style="", margin="0", pos=_pin(extent.legend))
    # the corners of the frame (at slide style) or of the drawing and a margin, so that
    # the figure's size is what was measured, whatever Graphviz adds (an edge's label)
    left, bottom, right, top = extent.frame or _grow(extent.bounds, look.font / 2)
    _point(dot, "corner_a", (left, bottom))
    _point(dot, "corner_b", (right, top))
    return dot


def _grow(rect, by):
    return (rect[0] - by, rect[1] - by, rect[2] + by, rect[3] + by)


def _box_title_place(scene, layout):
    side = title_side(scene, layout)
    return {"labelloc": "b", "labeljust": "l"} if side == "b" else \
        {"labelloc": "t", "labeljust": side}


def box_title(scene, t):
    """The title of the box of step t: "t = 3", or the steps the elided box stands for."""
    if t == scene.elided_box:
        return f"t = {scene.elided[0]} … {scene.elided[-1]}"
    return f"t = {t}"


def _boxes(dot, scene, layout, titles, look, attrs):
    """One cluster per drawn step, with its units and a spacer that keeps room for its
    title (at the box's top left, out of the way of the edges up to the top level)."""
    for t in scene.boxes:
        box = graphviz.Digraph(name="cluster_elided" if t == scene.elided_box
                               else f"cluster_t{t}")
        title = f'<<TABLE BORDER="0" CELLPADDING="{round(look.font / 5)}"><TR><TD>' \
                f'{escape(box_title(scene, t))}</TD></TR></TABLE>>'
        if t == scene.elided_box:
            box.attr(label=title,
                     style="dashed,filled", fillcolor=COLORS["elided"], color="#999999",
                     fontsize=str(look.font), **_box_title_place(scene, layout))
        else:
            box.attr(label=title, style="rounded",
                     color="#666666", fontsize=str(look.font), **_box_title_place(scene, layout))
        _point(box, f"label_room_{t}", titles[t])
        for uid, u in scene.units.items():
            if u.step == t:
                box.node(str(uid), **attrs[uid], pos=_pin(layout.pos[uid]))
        dot.subgraph(box)


def _link(dot, k, link, attrs, look):
    """A link: one edge, or a chain of segments through its bends; its label, if it has
    a place of its own, as a node there."""
    src, dst = str(link.src), str(link.dst)
    text = {key: attrs.pop(key) for key in ("label", "fontcolor") if key in attrs}
    if link.label_at is not None and "label" in text:
        dot.node(f"label_{k}", text["label"], shape="plaintext", style="", fillcolor="none",
                 fontcolor=text.get("fontcolor", "black"), margin="0",
                 pos=_pin(link.label_at))
        text = {}
    if not link.route:
        dot.edge(src, dst, **attrs, **text)
        return
    for b, point in enumerate(link.route):
        _point(dot, f"bend_{k}_{b}", point)
    chain = [src] + [f"bend_{k}_{b}" for b in range(len(link.route))] + [dst]
    quiet = {"color": attrs.get("color", "black"), "dir": "none",
             "penwidth": attrs.get("penwidth", "1")}
    if attrs.get("style") in ("invis", "dashed"):
        quiet["style"] = attrs["style"]
    labelled = link.label_segment % (len(chain) - 1)
    for i, (a, b) in enumerate(zip(chain[:-2], chain[1:-1])):
        dot.edge(a, b, **quiet, **(text if i == labelled else {}))
    dot.edge(chain[-2], dst, **attrs, **(text if labelled == len(chain) - 2 else {}))


# ------------------------------------------------------------------ figures dot lays out

def dot_figure(title, rankdir="TB", style="notebook", title_label=None):
    """A graph laid out by dot, its text at the style's size; :func:`framed` then pads
    the finished drawing to 16:9 at slide style.  ``title`` is text (escaped here);
    ``title_label``, if given, a label already made."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(map(repr, STYLES))}, got {style!r}")
    font = STYLES[style]["font"]
    graph_attr = {**DOT_LAYOUT, "rankdir": rankdir, "fontsize": str(STYLES[style]["title"])}
    dot = Figure(graph_attr=graph_attr,
                 node_attr={**NODE_STYLE, "fontsize": str(font)},
                 edge_attr={**EDGE_STYLE, "fontsize": str(max(font - 2, 8)
                                                           if style == "notebook" else font)})
    if title_label is not None:
        dot.attr(label=title_label)
    elif title:
        dot.attr(label=label(title.split("\n"), math=False))
    return dot


def framed(dot, style):
    """At slide style, pad a finished dot drawing to a 16:9 frame (it is laid out once
    here to measure it); a drawing too big for a slide says so in its title."""
    if style != "slides":
        return dot
    try:
        head = dot.pipe(format="svg", quiet=True)[:3000].decode("utf-8", "replace")
    except Exception:                          # no Graphviz: nothing to measure
        return dot
    found = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)', head)
    if not found:
        return dot
    width, height = float(found.group(1)), float(found.group(2))
    framed_w, framed_h = pad_to_ratio(width, height, 16 / 9)
    dot.graph_attr["pad"] = f"{(framed_w - width) / 144 + 0.1:.3f},{(framed_h - height) / 144 + 0.1:.3f}"
    if framed_w > SLIDE.width:
        title = dot.graph_attr.get("label", "<>")
        dot.graph_attr["label"] = title[:-1] + "<BR/>(too big for a slide: its text is " \
                                               "under 28 px at 1920 px wide)>"
    return dot
