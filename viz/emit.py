"""Writing the Graphviz figure.

* :func:`unrolled_figure`: a laid-out scene as a figure whose positions are
  pinned (Graphviz's ``neato`` only draws the boxes and the edges): the step
  boxes, the units, the links through their bends, the legend and, at slide
  style, the 16:9 frame;
* :func:`dot_figure` and :func:`framed`: a figure that Graphviz's ``dot``
  lays out itself (``viz.draw``, the diagrams), padded to 16:9 at slide style.
"""

from __future__ import annotations

import re

import graphviz

from .metrics import label_half_width, legend_size, node_size, slide_width
from .render import Figure
from .theme import COLORS, EDGE_STYLE, NODE_STYLE, STYLES, legend_label, pad_to_ratio

__all__ = ["unit_sizes", "unrolled_figure", "svg_width", "dot_figure", "framed"]

# Layout settings for dot: compact, with a bounded crossing minimisation so
# that graphs of thousands of ops still lay out in seconds.
DOT_LAYOUT = {"ranksep": "0.3", "nodesep": "0.15", "mclimit": "0.3", "nslimit": "4",
              "fontname": "Helvetica", "fontsize": "12", "labelloc": "t"}


def unit_sizes(scene, look, overlay=None):
    """{unit id: (width, height)} in inches, as Graphviz will size them."""
    extra = (overlay or {}).get("units", {})
    return {uid: node_size({**look.unit(u), **extra.get(uid, {})})
            for uid, u in scene.units.items()}


def unrolled_figure(scene, layout, titles, look, title, overlay=None):
    """The pinned Graphviz figure of a laid-out scene.  ``overlay`` ({"units": {id:
    attrs}, "links": {(src, dst): attrs}}) adds attributes on top of the look's: the
    reverse walk's colours."""
    overlay = overlay or {}
    dot = Figure(engine="neato", node_attr={**NODE_STYLE, "fontsize": str(look.font)},
                 edge_attr={**EDGE_STYLE, "fontsize": str(look.font)},
                 graph_attr={"splines": "line", "overlap": "true", "labelloc": "t",
                             "outputorder": "edgesfirst", "fontname": "Helvetica",
                             "fontsize": str(look.font + 2), "label": title})
    attrs = {uid: {**look.unit(u), **overlay.get("units", {}).get(uid, {})}
             for uid, u in scene.units.items()}
    link_attrs = [{**look.link(link), **overlay.get("links", {}).get((link.src, link.dst), {})}
                  for link in scene.links]
    bends = {}                                    # route points inside a box, per box
    for k, link in enumerate(scene.links):
        t = scene.units[link.dst].step
        if link.route and link.kind == "param" and t in scene.boxes:
            bends.setdefault(t, []).extend([(k, 2), (k, 3)])     # the column and the turn
    elided_top = _boxes(dot, scene, layout, titles, look, attrs, bends)
    for uid, u in scene.units.items():
        if u.step not in scene.boxes:
            dot.node(str(uid), **attrs[uid], pos=_at(layout.pos[uid]))
    for k, (link, la) in enumerate(zip(scene.links, link_attrs)):
        _link(dot, scene, k, link, la, bends.get(scene.units[link.dst].step, ()), elided_top)
    _legend_and_frame(dot, scene, layout, look, attrs, link_attrs)
    return dot


def _at(point):
    return f"{point[0]:.3f},{point[1]:.3f}!"


def _point(target, name, x, y):
    """An invisible node pinned at (x, y): a bend, a spacer or a corner of the frame."""
    target.node(name, "", shape="point", style="invis", width="0", height="0",
                pos=f"{x:.3f},{y:.3f}!")


def _boxes(dot, scene, layout, titles, look, attrs, bends):
    """One cluster per drawn step, with its units and the bends inside it; returns the
    top edge of the elided box (None without one)."""
    elided, elided_top = scene.elided, None
    for t in scene.boxes:
        box = graphviz.Digraph(name="cluster_elided" if t == scene.elided_box
                               else f"cluster_t{t}")
        if t == scene.elided_box:
            box.attr(label=f"… {len(elided)} steps\nnot drawn\n(t = {elided[0]} … "
                           f"{elided[-1]})",
                     style="dashed,filled", fillcolor=COLORS["elided"], color="#999999",
                     fontsize=str(look.font))
        else:
            box.attr(label=f"t = {t}", style="rounded", color="#666666",
                     fontsize=str(look.font + 2))
        x, y = titles[t]
        if t == scene.elided_box:                 # room for its three lines
            y += 2 * (look.font + 2) * 1.2 / 72
            elided_top = y                        # the box's top edge, above its title
        _point(box, f"label_room_{t}", x, y)
        for uid, u in scene.units.items():
            if u.step == t:
                box.node(str(uid), **attrs[uid], pos=_at(layout.pos[uid]))
        for k, b in bends.get(t, ()):
            _point(box, f"bend_{k}_{b}", *scene.links[k].route[b])
        dot.subgraph(box)
    return elided_top


def _link(dot, scene, k, link, attrs, inside, elided_top):
    """A link: one edge, or a chain of segments through its bends (the label on one)."""
    src, dst = str(link.src), str(link.dst)
    if not link.route:
        dot.edge(src, dst, **attrs)
        return
    if (scene.elided_box is not None and scene.units[link.src].step == scene.elided_box
            and scene.units[link.dst].step != scene.elided_box
            and link.route[0][1] > elided_top):
        # leaving the elided box upwards: start at its top, not across its title
        src = f"elided_out_{k}"
        _point(dot, src, link.route[0][0], elided_top)
    for b, point in enumerate(link.route):        # the bends outside the boxes
        if (k, b) not in inside:
            _point(dot, f"bend_{k}_{b}", *point)
    chain = [src] + [f"bend_{k}_{b}" for b in range(len(link.route))] + [dst]
    quiet = {"color": attrs.get("color", "black"), "dir": "none",
             "penwidth": attrs.get("penwidth", "1")}
    if attrs.get("style") == "invis":
        quiet["style"] = "invis"
    labelled = link.label_segment % (len(chain) - 1)
    text = {key: attrs[key] for key in ("label", "fontcolor") if key in attrs}
    last = {key: v for key, v in attrs.items() if key not in text or labelled == len(chain) - 2}
    for i, (a, b) in enumerate(zip(chain[:-2], chain[1:-1])):
        dot.edge(a, b, **quiet, **(text if i == labelled else {}))
    dot.edge(chain[-2], dst, **last)


def _legend_and_frame(dot, scene, layout, look, attrs, link_attrs):
    """The legend, beside the drawing or under it, and at slide style the corners of
    the 16:9 frame."""
    pos = layout.pos
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    top, bottom = max(ys), min(ys)
    # the right edge of the drawing: the widest-reaching label, plus a box's margin
    right = max(x + label_half_width(str(attrs[uid].get("label", "")), look.font)
                for uid, (x, _) in pos.items()) + 0.2
    elided = scene.elided
    legend = legend_label(look, kinds={link.kind for link in scene.links},
                          cell_state=any(a.get("color") == COLORS["cell_state"]
                                         for a in link_attrs),
                          cut=any(a.get("label") == "cut" for a in link_attrs),
                          terms=any(u.role == "chip" and not u.invisible and " " in u.lines[0]
                                    for u in scene.units.values()),
                          elided=(f"steps {elided[0]}–{elided[-1]}", list(scene.notes.values()))
                          if elided else None)
    if legend:
        half, tall = legend_size(legend, look.font)
        x_under = min(xs) + half
        # On a slide, put it where the 16:9 frame stays narrower, so more steps fit:
        # under a wide, flat figure (the frame has height to spare), beside a tall one.
        under = slide_width(max(right, x_under + half) - min(xs), top - bottom + 0.8 + tall)
        beside = slide_width(right + 0.6 + 2 * half - min(xs), top - bottom)
        if look.style == "slides" and under < beside:
            dot.node("legend", legend, shape="plaintext", fillcolor="white",
                     pos=f"{x_under:.3f},{bottom - 0.8 - tall / 2:.3f}!")
            bottom -= 0.8 + tall
            right = max(right, x_under + half)
        else:                           # beside it, at the top
            dot.node("legend", legend, shape="plaintext", fillcolor="white",
                     pos=f"{right + 0.6 + half:.3f},{top:.3f}!")
            right += 0.6 + 2 * half
    left = min(xs) - 0.5
    if look.style == "slides":
        # The whole figure is scaled to the slide's width; keep it 16:9 by padding.
        width, height = right - left + 0.4, top - bottom + 1.2
        width, height = pad_to_ratio(width, height, 16 / 9)
        cx, cy = (left + right) / 2, (top + bottom) / 2
        _point(dot, "corner_a", cx - width / 2, cy - height / 2)
        _point(dot, "corner_b", cx + width / 2, cy + height / 2)


def svg_width(dot):
    """The width of the drawing in pt, as Graphviz lays it out (rendered here)."""
    try:
        head = dot.pipe(format="svg")[:2000].decode("utf-8", "replace")
    except Exception:                     # no Graphviz: trust the estimate
        return 0.0
    found = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+)', head)
    return float(found.group(1)) if found else 0.0


def fits(dot, style):
    """Whether the figure's text stays above its style's size limit when the figure is
    scaled to the style's width."""
    return style != "slides" or svg_width(dot) <= STYLES["slides"]["max_width_pt"]


# ------------------------------------------------------------------ figures dot lays out

def dot_figure(title, rankdir="TB", style="notebook"):
    """A graph laid out by dot.  At slide style every text is 14 pt; :func:`framed`
    then pads the finished drawing to 16:9."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(map(repr, STYLES))}, got {style!r}")
    font = STYLES[style]["font"]
    graph_attr = {**DOT_LAYOUT, "rankdir": rankdir, "fontsize": str(font + 2)}
    dot = Figure(graph_attr=graph_attr,
                 node_attr={**NODE_STYLE, "fontsize": str(font)},
                 edge_attr={**EDGE_STYLE, "fontsize": str(max(font - 2, 8)
                                                           if style == "notebook" else font)})
    if title:
        dot.attr(label=title)
    return dot


def framed(dot, style):
    """At slide style, pad a finished dot drawing to a 16:9 frame (it is laid out once
    here to measure it).  Text of 14 pt stays >= 14 px projected 1920 px wide while the
    frame is at most 1920 pt wide; a wider drawing says so in its title."""
    if style != "slides":
        return dot
    try:
        head = dot.pipe(format="svg")[:3000].decode("utf-8", "replace")
    except Exception:                          # no Graphviz: nothing to measure
        return dot
    found = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)', head)
    if not found:
        return dot
    width, height = float(found.group(1)), float(found.group(2))
    framed_w, framed_h = pad_to_ratio(width, height, 16 / 9)
    dot.graph_attr["pad"] = f"{(framed_w - width) / 144 + 0.1:.3f},{(framed_h - height) / 144 + 0.1:.3f}"
    if framed_w > STYLES["slides"]["max_width_pt"]:
        label = dot.graph_attr.get("label", "")
        dot.graph_attr["label"] = label + "\n(too big for a slide: its text is under 14 px " \
                                          "at 1920 px wide)"
    return dot
