"""Drawing recorded graphs: any graph (``draw``) and unrolled networks (``draw_unrolled``).

Layout conventions, shared by every drawing:

* Data flows upward: inputs at the bottom, the loss at the top.  (Graphviz
  orders nodes left to right only top-down, so each edge is written from
  consumer to producer with ``dir=back``; the arrows still point along the
  data flow.)
* In an unrolled drawing, each time step t is a cluster "t = k", in time
  order.  Every step has the same shape, so the edges that carry the state
  from step t to t+1 (red) are written forward: they never stretch the
  layout into a staircase.
* Shared parameters are drawn once, outside the clusters, with one edge into
  every copy of the cell.  A parameter used near the loss (V, c) sits above
  the copies, one used near the inputs (U, W, b) below them.
"""

from __future__ import annotations

from dataclasses import dataclass

import re

import graphviz

from minigrad import BackwardError, Detached
from minigrad.graph import Node

from .graphs import LOSS_OPS, as_root, collect, step_of
from .render import Figure
from .names import node_label, small_values
from .style import (COLORS, STYLES, HeatScale, norm, norm_text, pad_to_ratio, shape_text,
                    value_text)

__all__ = ["draw"]

# Layout settings for dot: compact, with a bounded crossing minimisation so
# that graphs of thousands of ops still lay out in seconds.
LAYOUT = {"ranksep": "0.3", "nodesep": "0.15", "mclimit": "0.3", "nslimit": "4",
          "fontname": "Helvetica", "fontsize": "12", "labelloc": "t"}
NODE_STYLE = {"shape": "box", "style": "filled", "fillcolor": COLORS["op"], "fontsize": "10",
              "height": "0.3", "margin": "0.06,0.03", "fontname": "Helvetica"}
EDGE_STYLE = {"arrowsize": "0.6", "fontsize": "8", "fontname": "Helvetica"}


def _new_digraph(title, rankdir="TB", style="notebook"):
    """A graph laid out by dot.  At slide style every text is 14 pt; ``_frame`` then
    pads the finished drawing to 16:9."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(map(repr, STYLES))}, got {style!r}")
    font = STYLES[style]["font"]
    graph_attr = {**LAYOUT, "rankdir": rankdir, "fontsize": str(font + 2)}
    dot = Figure(graph_attr=graph_attr,
                 node_attr={**NODE_STYLE, "fontsize": str(font)},
                 edge_attr={**EDGE_STYLE, "fontsize": str(max(font - 2, 8)
                                                           if style == "notebook" else font)})
    if title:
        dot.attr(label=title)
    return dot


class _Ids:
    """Stable DOT identifiers: n<seq> for op nodes, v<k> for leaves."""

    def __init__(self):
        self.leaf = {}

    def __call__(self, x):
        if type(x) is Node:
            return f"n{x.seq}"
        return self.leaf.setdefault(id(x), f"v{len(self.leaf)}")


@dataclass
class _Look:
    """What to show on nodes and edges, and at which style."""
    values: bool = False
    grads: bool = True
    heat: HeatScale | None = None
    style: str = "notebook"
    walk: bool = False        # a frame of the reverse walk: its legend explains the walk's colours

    @property
    def font(self):
        return STYLES[self.style]["font"]

    def grad_lines(self, g, norm_only=False):
        """The gradient line of a label: signed values for up to 4 elements when
        ``values`` is on, else the norm; nothing without a gradient or with grads off."""
        if not self.grads or g is None:
            return []
        if self.values and not norm_only and small_values(g) is not None:
            return [f"grad {small_values(g)}"]
        return [f"‖grad‖ {norm_text(g)}"]

    def value_lines(self, v):
        if not self.values or v is None:
            return []
        return [f"= {small_values(v) or value_text(v)}"]

    def node(self, node, is_root=False, reduction=None):
        lines = [node_label(node, reduction)]
        if STYLES[self.style]["shapes"]:
            lines.append(shape_text(node.shape))
        lines += self.value_lines(node.value) + self.grad_lines(node.grad)
        fill = COLORS["root"] if is_root else COLORS["loss"] if node.op in LOSS_OPS else \
            COLORS["state"] if node.name in ("s_t", "h_t") else \
            COLORS["cell_state_fill"] if node.name == "c_t" else COLORS["op"]
        attrs = {"label": "\n".join(lines), "penwidth": "2" if is_root else "1"}
        if self.heat is not None and node.grad is not None:
            fill = self.heat.color(norm(node.grad))
            attrs["fontcolor"] = self.heat.text_color(norm(node.grad))
        attrs["fillcolor"] = fill
        return attrs

    def leaf(self, leaf, total_label="grad"):
        name = leaf.name or ("param" if leaf.requires_grad else "const")
        lines = [name]
        if STYLES[self.style]["shapes"]:
            lines.append(shape_text(leaf.shape))
        if isinstance(leaf, Detached):
            lines[0] = f"{name} (cut)"
        elif self.values or (not leaf.requires_grad and leaf.size <= 3
                             and STYLES[self.style]["shapes"]):
            lines += self.value_lines(leaf._data) if self.values else \
                [value_text(leaf._data)]             # read only: .data would copy a held array
        if leaf.requires_grad and leaf.grad is not None:
            g = self.grad_lines(leaf.grad)
            if g and g[0].startswith("‖"):
                g = [f"‖{total_label}‖ {norm_text(leaf.grad)}"]
            elif g:
                g = [g[0].replace("grad", total_label, 1)]
            lines += g
        attrs = {"label": "\n".join(lines), "shape": "ellipse"}
        if leaf.requires_grad:
            attrs.update(fillcolor=COLORS["param"], penwidth="2")
            if self.heat is not None and leaf.grad is not None:
                attrs["fillcolor"] = self.heat.color(norm(leaf.grad))
                attrs["fontcolor"] = self.heat.text_color(norm(leaf.grad))
        elif isinstance(leaf, Detached):
            attrs.update(fillcolor="white", style="dashed", color=COLORS["cut"])
        else:
            attrs.update(fillcolor=COLORS["const"])
        return attrs

    def edge(self, edge, label_grad=False):
        """Attributes of an ordinary edge: its gradient as colour and label."""
        if edge.is_cut:
            return {"style": "dashed", "color": COLORS["cut"], "label": "cut",
                    "fontcolor": COLORS["cut"]}
        attrs = {}
        if self.heat is not None or label_grad:
            g = edge.gradient()
            if g is not None:
                if self.heat is not None:
                    attrs.update(color=self.heat.color(norm(g)), penwidth="2")
                if label_grad:
                    attrs["label"] = norm_text(g)
        return attrs


def _frame(dot, style):
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


def _scope_order(path):
    """Sort scopes by time step where they have one (t=2 before t=10), else by name."""
    t = step_of(path)
    return (t is None, t or 0, path)


def _heat_scale(graph, who):
    if not graph.has_intermediate_grads():
        raise BackwardError(
            f"{who}: heat=True colours by gradient, but this graph kept no intermediate "
            f"gradients. Run loss.backward(retain_grads=True) first.")
    norms = [norm(n.grad) for n in graph.nodes if n.grad is not None]
    norms += [norm(p.grad) for p in graph.leaves if p.requires_grad and p.grad is not None]
    return HeatScale(norms)


def _add_legend(dot, heat):
    if heat is not None:
        dot.node("legend", heat.legend(), shape="plaintext", fillcolor="white")


# ------------------------------------------------------------------ draw()

def draw(tensor, *, values=False, grads=True, edge_grads=None, heat=False, scopes=True,
         style="notebook", title=None):
    """Draw the whole graph behind ``tensor`` as a ``graphviz.Digraph``.

    Op nodes show the op as a formula over its inputs (``Σ (w ⊙ w)``), named
    results as an equation (``h3 = tanh(a3)``: see ``Tensor.name``), and the
    output's shape; leaves show their name,
    parameters in blue.  After ``backward()`` nodes show their gradient's
    norm (intermediate results only with ``backward(retain_grads=True)``).

    Parameters
    ----------
    values : bool
        Show a value summary on nodes recorded inside ``minigrad.keep_values()``.
    grads : bool
        Show gradient norms on nodes.
    edge_grads : bool, optional
        Label every edge with the norm of the gradient flowing back along it
        (default: when intermediate gradients were kept and the graph is small).
    heat : bool
        Colour nodes and edges by gradient norm, on a log scale, with a legend.
    scopes : bool
        Draw a box around the ops of each ``minigrad.scope``.
    style : "notebook" or "slides"
        ``"slides"``: 14 pt text in a 16:9 frame, to project.
    title : str, optional

    The result shows itself inline in Jupyter; ``viz.save(graph, "g.svg")``
    writes a file.

    >>> import minigrad as mg, viz
    >>> w = mg.tensor([1.0, -2.0], requires_grad=True, name="w")
    >>> graph = viz.draw((w * w).sum())
    >>> "Σ (w ⊙ w)" in graph.source         # each op reads like its formula
    True
    """
    graph = collect(as_root(tensor, "viz.draw"))
    look = _Look(values, grads, _heat_scale(graph, "viz.draw") if heat else None, style=style)
    if edge_grads is None:
        edge_grads = graph.has_intermediate_grads() and len(graph.edges) <= 150
    return _draw_graph(graph, look, scopes, edge_grads, title)


def _draw_graph(graph, look, scopes, edge_grads, title, node_extra=None, edge_extra=None):
    """The body of ``draw``; ``node_extra(x)`` and ``edge_extra(edge)`` may add attributes."""
    node_extra = node_extra or (lambda x: {})
    edge_extra = edge_extra or (lambda e: {})
    ids = _Ids()
    dot = _new_digraph(title, style=look.style)

    # Op nodes, inside a box per scope (boxes nest like the scope paths).
    by_scope = {}
    for node in graph.nodes:
        by_scope.setdefault(node.scope if scopes else "", []).append(node)
    children = {}
    for path in by_scope:
        while path:
            parent = path.rsplit("/", 1)[0] if "/" in path else ""
            children.setdefault(parent, set()).add(path)
            path = parent

    def fill(target, path):        # recursion depth = scope nesting depth, a few levels
        for node in by_scope.get(path, []):
            target.node(ids(node), **{**look.node(node, is_root=node is graph.root),
                                      **node_extra(node)})
        for child in sorted(children.get(path, ()), key=_scope_order):
            box = graphviz.Digraph(name=f"cluster {child}")
            box.attr(label=child.rsplit("/", 1)[-1], style="rounded", color="#999999")
            fill(box, child)
            target.subgraph(box)

    fill(dot, "")
    for leaf in graph.leaves:
        dot.node(ids(leaf), **{**look.leaf(leaf), **node_extra(leaf)})
    for edge in graph.edges:
        dot.edge(ids(edge.dst), ids(edge.src), dir="back",
                 **{**look.edge(edge, edge_grads), **edge_extra(edge)})
    _add_legend(dot, look.heat)
    return _frame(dot, look.style)
