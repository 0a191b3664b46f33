"""Drawing any recorded graph (``draw``), laid out by Graphviz's ``dot``.

Layout conventions:

* Data flows upward: inputs at the bottom, the result at the top.  (Graphviz
  orders nodes left to right only top-down, so each edge is written from
  consumer to producer with ``dir=back``; the arrows still point along the
  data flow.)
* The ops of each ``minigrad.scope`` sit in a box, nested like the scope
  paths; boxes of time steps ``t=<k>`` are in time order.

An unrolled network has its own drawing, :func:`viz.draw_unrolled`, laid out
by ``viz.layout`` rather than by dot.
"""

from __future__ import annotations

import graphviz

from minigrad.graph import Node

from .emit import dot_figure, framed
from .read import as_root, collect, gradient_norms, step_of
from .scene import Content, Link, edge_details, leaf_role, op_role
from .theme import HeatScale, Look, label, norm

__all__ = ["draw", "graph_figure"]


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
        (default: when intermediate gradients were kept and the graph is small:
        150 edges in a notebook, 12 on a slide, where the labels would crowd the text
        under 28 px).
    heat : bool
        Colour nodes and edges by gradient norm, on a log scale, with a legend.
    scopes : bool
        Draw a box around the ops of each ``minigrad.scope``.
    style : "notebook" or "slides"
        ``"slides"``: text of at least 28 px on a 1920 x 1080 frame, to project.
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
    look = Look(style, HeatScale(gradient_norms(graph, "viz.draw")) if heat else None)
    content = Content(values=values, grads=grads, heat=heat, style=style)
    if edge_grads is None:
        edge_grads = (graph.has_intermediate_grads()
                      and len(graph.edges) <= (12 if style == "slides" else 150))
    return graph_figure(graph, content, look, scopes, edge_grads, title)


def _dot_node(attrs):
    """A node that dot sizes itself: the default margin around its text."""
    attrs.pop("margin", None)
    return attrs


def _with(attrs, extra, look):
    """``attrs`` with a frame's ``extra`` on top: its lines become the label (unless it
    brings a label of its own)."""
    extra = dict(extra)
    extra.pop("size_lines", None)
    if "lines" in extra:
        lines = extra.pop("lines")
        extra.setdefault("label", look.text(lines))
    return {**attrs, **extra}


def _scope_order(path):
    """Sort scopes by time step where they have one (t=2 before t=10), else by name."""
    t = step_of(path)
    return (t is None, t or 0, path)


def graph_figure(graph, content, look, scopes, edge_grads, title, node_extra=None,
                 edge_extra=None, title_label=None):
    """The body of ``draw``; ``node_extra(x)`` and ``edge_extra(edge)`` may add attributes
    (a frame of the reverse walk does), and ``title_label`` is a ready HTML-like label
    for the title (a frame's caption, in a cell of fixed width)."""
    node_extra = node_extra or (lambda x: {})
    edge_extra = edge_extra or (lambda e: {})
    leaf_ids = {id(leaf): f"v{k}" for k, leaf in enumerate(graph.leaves)}

    def ident(x):
        return f"n{x.seq}" if type(x) is Node else leaf_ids[id(x)]

    def heat(g):
        return norm(g) if content.heat and g is not None else None

    dot = dot_figure(title, style=look.style, title_label=title_label)
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

    boxes = {}

    def fill(target, path):        # recursion depth = scope nesting depth, a few levels
        for node in by_scope.get(path, []):
            attrs = _dot_node(look.role(op_role(node, node is graph.root),
                                        content.op_lines(node), heat(node.grad)))
            target.node(ident(node), **_with(attrs, node_extra(node), look))
        for child in sorted(children.get(path, ()), key=_scope_order):
            box = graphviz.Digraph(name=f"cluster_{boxes.setdefault(child, len(boxes))}")
            box.attr(label=label([child.rsplit("/", 1)[-1]], math=False), style="rounded",
                     color="#999999")
            fill(box, child)
            target.subgraph(box)

    fill(dot, "")
    for leaf in graph.leaves:
        attrs = _dot_node(look.role(leaf_role(leaf), content.leaf_lines(leaf, graph),
                                    heat(leaf.grad) if leaf.requires_grad else None))
        dot.node(ident(leaf), **_with(attrs, node_extra(leaf), look))
    for edge in graph.edges:
        link = Link(None, None, "flow", **edge_details(edge, content.heat, edge_grads))
        dot.edge(ident(edge.dst), ident(edge.src), dir="back",
                 **{**look.link(link), **edge_extra(edge)})
    if look.heat is not None:
        dot.node("legend", look.heat.legend(), shape="plaintext", fillcolor="white")
    return framed(dot, look.style)
