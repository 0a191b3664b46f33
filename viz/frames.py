"""The reverse walk of ``backward()``, one image per step, for stepping through in class."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from minigrad.graph import Node

from .draw import _draw_graph, _Look
from .graphs import as_root, collect, step_of
from .unrolled import _plan, _unrolled
from .render import FORMATS, check_dot, save
from .style import norm_text

__all__ = ["backward_frames"]


def backward_frames(loss, out_dir, format="png", max_frames=200, scopes=True):
    """Write one numbered image per step of the reverse walk over ``loss``'s graph.

    Frame 0 seeds dL/dL = 1 at the root.  Frame k shows the graph after the
    walk has processed its k-th node, newest first, exactly in the engine's
    order: that node is outlined in red, every node that has received some
    gradient shows it ("so far" while more may still come), and the edges
    the gradient has already crossed are coloured.

    ``backward()`` is run here (with every intermediate gradient kept); the
    leaves' ``.grad`` are left as they were.  Returns the list of files.

    >>> import tempfile, minigrad as mg, viz
    >>> w = mg.tensor([1.0, 2.0], requires_grad=True, name="w")
    >>> with tempfile.TemporaryDirectory() as folder:     # the seed, then mul and sum
    ...     files = viz.backward_frames((w * w).sum(), folder)
    ...     print([f.name for f in files], all(f.stat().st_size > 0 for f in files))
    ['step_000.png', 'step_001.png', 'step_002.png'] True
    >>> w.grad is None                  # the leaves' .grad are left as they were
    True
    """
    root = as_root(loss, "viz.backward_frames")
    if format not in FORMATS:
        raise ValueError(f"viz.backward_frames: unknown format {format!r}; use one of "
                         f"{', '.join(FORMATS)}")
    graph = collect(root)
    order = sorted(graph.nodes, key=lambda n: -n.seq)          # the engine's visiting order
    if len(order) + 1 > max_frames:
        raise ValueError(f"viz.backward_frames: the walk has {len(order)} steps, more than "
                         f"max_frames={max_frames}; draw a smaller graph (fewer time steps) or "
                         f"raise max_frames")
    check_dot("viz.backward_frames")
    out = Path(out_dir)

    # One real backward pass, keeping every node's gradient; leaves keep their .grad.
    leaves = [p for p in graph.leaves if p.requires_grad]
    saved = [(p._grad, p._contributions) for p in leaves]
    kept = [(n.grad, n.keep_grad) for n in graph.nodes]
    try:
        root.backward(retain_grads=True)
        sent = {id(e): g for e in graph.edges if (g := e.gradient()) is not None}
    finally:
        for p, (g, c) in zip(leaves, saved):
            p._grad, p._contributions = g, c
        for n, (g, keep) in zip(graph.nodes, kept):
            n.grad, n.keep_grad = g, keep
    unrolled = any(step_of(n.scope) is not None for n in graph.nodes)

    paths = []
    for k in range(len(order) + 1):
        done = {id(n) for n in order[:k]}
        current = order[k - 1] if k else None
        node_extra, edge_extra = walk_decoration(graph, _Look(), done, current, sent)
        what = ("seed: dL/dL = 1 at the root" if current is None else
                f"step {k} of {len(order)}: {current.op}"
                + (f" in {current.scope}" if current.scope else "")
                + " sends its gradient to its inputs")
        if unrolled:       # pinned positions: every frame has exactly the same layout
            dot, _ = _unrolled(graph, _plan(graph, False, 12, 3), _Look(grads=False), False,
                               "ops", "LR", what, _decorator(graph, node_extra, edge_extra))
        else:
            dot = _draw_graph(graph, _Look(grads=False), scopes, False, what, node_extra,
                              edge_extra)
        paths.append(save(dot, out / f"step_{k:03d}.{format}"))
    return paths


def walk_decoration(graph, look, done, current, sent, reduction=None, lines=2,
                    widths=("3.5", "2"), edge_fontcolor=False):
    """The node and edge attributes of one frame of the reverse walk.

    ``done`` holds the ids of the nodes already processed and ``current`` is
    the one just processed; ``sent[id(edge)]`` is the gradient that edge
    carries.  A node shows the first ``lines`` lines of ``look``'s label and
    the gradient it has received so far (its sum over the edges already
    crossed); the current node is outlined in red, and the edges crossed are
    red (just now) or orange (before), labelled with their gradient's norm.
    ``backward_frames`` and ``backward_animation`` draw their frames with it.
    """
    consumers = {}
    for e in graph.edges:
        consumers.setdefault(id(e.src), []).append(e.dst)
    received = {id(graph.root): np.ones(graph.root.shape)}     # gradient so far, per target
    for e in graph.edges:
        if id(e.dst) in done and id(e) in sent:
            received[id(e.src)] = received.get(id(e.src), 0) + sent[id(e)]
    node_width, edge_width = widths

    def node_extra(x):
        base = (look.node(x, is_root=x is graph.root,
                          reduction=reduction if x is graph.root else None)
                if type(x) is Node else look.leaf(x))
        label = base["label"].split("\n")[:lines]
        g = received.get(id(x))
        if g is not None:
            complete = x is graph.root or all(id(c) in done for c in consumers.get(id(x), ()))
            label.append(f"‖grad‖ {norm_text(g)}" + ("" if complete else " so far"))
        attrs = {"label": "\n".join(label)}
        if x is current:
            attrs.update(color="#d62728", penwidth=node_width)
        return attrs

    def edge_extra(e):
        if id(e.dst) in done and id(e) in sent:
            attrs = {"color": "#d62728" if e.dst is current else "#e67e22",
                     "penwidth": edge_width, "label": norm_text(sent[id(e)])}
            if edge_fontcolor:
                attrs["fontcolor"] = "#d62728" if e.dst is current else "#b35400"
            return attrs
        return {"color": "#bbbbbb"}

    return node_extra, edge_extra


def _decorator(graph, node_extra, edge_extra):
    """Apply the frame's node and edge attributes to an unrolled scene."""
    def decorate(builder, scene):
        def uid(x):
            return builder.unit(x) if type(x) is Node else builder.ids(x)

        for x in graph.nodes + graph.leaves:
            if uid(x) in scene.units and (type(x) is not Node or builder.drawn(x) is x):
                scene.units[uid(x)].attrs.update(node_extra(x))
        links = {(link.src, link.dst): link for link in scene.links}
        for e in graph.edges:
            link = links.get((uid(e.src), uid(e.dst)))
            if link is not None:
                link.attrs.update(edge_extra(e))
    return decorate
