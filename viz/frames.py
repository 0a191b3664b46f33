"""The reverse walk of ``backward()``, one image per step, for stepping through in class."""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

import numpy as np

from minigrad.graph import Node

from .draw import _draw_graph, _Look
from .graphs import as_root, collect, step_of
from .names import node_label
from .render import FORMATS, check_dot, save
from .style import COLORS, STYLES
from .unrolled import _check_style, _ends, _fewer, _folds, _plan, _unrolled
from .style import norm_text

__all__ = ["backward_frames"]

WHO = "viz.backward_frames"


def backward_frames(loss, out_dir, format="png", max_frames=200, scopes=True, style="notebook",
                    elide=True):
    """Write one numbered image per step of the reverse walk over ``loss``'s graph.

    Frame 0 seeds dL/dL = 1 at the root.  Frame k shows the graph after the
    walk has processed its k-th node, newest first, exactly in the engine's
    order: that node is outlined in red, every node that has received some
    gradient shows it ("so far" while more may still come), and the edges
    the gradient has already crossed are coloured.  All frames of one call
    have the same size, and the nodes stay where they are, so a class can
    flip through them.

    An unrolled graph is drawn as :func:`viz.draw_unrolled` draws it at that
    ``style`` (``"notebook"`` or ``"slides"``), eliding the middle steps the
    same way (``elide=False`` keeps them all), and the walk through the
    elided steps is one frame, as in :func:`viz.backward_animation`.

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
    root = as_root(loss, WHO)
    if format not in FORMATS:
        raise ValueError(f"{WHO}: unknown format {format!r}; use one of {', '.join(FORMATS)}")
    _check_style(style, WHO)
    graph = collect(root)
    unrolled = any(step_of(n.scope) is not None for n in graph.nodes)
    plan = (fitting_plan(graph, style, "ops") if elide else
            _plan(graph, False, STYLES[style]["max_steps"], STYLES[style]["keep"])
            ) if unrolled else None
    folded, reduction = _folds(graph) if unrolled else ({}, None)
    frames = walk_frames(graph, plan, folded)
    if len(frames) > max_frames:
        raise ValueError(f"{WHO}: the walk takes {len(frames)} frames, more than "
                         f"max_frames={max_frames}; draw a smaller graph (fewer time steps), "
                         f"leave elide=True, or raise max_frames")
    check_dot(WHO)
    out = Path(out_dir)
    sent, _ = walk_gradients(root, graph)
    look = _Look(grads=False, style=style, walk=True)
    longest = max(len(what) for _, _, what in frames)
    paths = []
    for k, (done, current, what) in enumerate(frames):
        # unrolled: pinned positions; otherwise dot lays out every frame again, so every
        # label gets a size that does not change from frame to frame (``fixed``)
        node_extra, edge_extra = walk_decoration(graph, look, done, current, sent, reduction,
                                                 folded=folded, fixed=not unrolled)
        if unrolled:
            dot, _ = _unrolled(graph, plan, look, False, "ops", "LR", what,
                               _decorator(graph, node_extra, edge_extra))
        else:
            caption = f"<{_table(_cell_row(what, longest, look.font + 2))}>"
            dot = _draw_graph(graph, look, scopes, False, caption, node_extra, edge_extra)
        paths.append(save(dot, out / f"step_{k:03d}.{format}"))
    return paths


def _table(rows):
    """An HTML-like label's table around ``rows`` (Graphviz's ``<TABLE>``), no borders."""
    return f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">{rows}</TABLE>'


def _cell_row(text, chars, font):
    """A table row whose one cell is wide enough for ``chars`` characters at ``font``
    points, whatever ``text``'s own length: it keeps its size from frame to frame."""
    width, height = round(chars * 0.62 * font), round(font * 1.3)
    return (f'<TR><TD WIDTH="{width}" HEIGHT="{height}" FIXEDSIZE="TRUE">'
            f'{html.escape(text)}</TD></TR>')


def walk_gradients(root, graph):
    """One real backward pass from ``root``, keeping every gradient; the graph's
    gradients and the leaves' ``.grad`` are restored afterwards.  Returns
    ({id(edge): the gradient it carries}, {id(node or leaf): its gradient})."""
    leaves = [p for p in graph.leaves if p.requires_grad]
    saved = [(p._grad, p._contributions) for p in leaves]
    kept = [(n.grad, n.keep_grad) for n in graph.nodes]
    try:
        for p in leaves:                   # this pass's gradients only
            p._grad, p._contributions = None, None
        root.backward(retain_grads=True)
        sent = {id(e): g for e in graph.edges if (g := e.gradient()) is not None}
        grads = {id(n): n.grad for n in graph.nodes}
        grads.update({id(p): p._grad for p in leaves})
    finally:
        for p, (g, c) in zip(leaves, saved):
            p._grad, p._contributions = g, c
        for n, (g, keep) in zip(graph.nodes, kept):
            n.grad, n.keep_grad = g, keep
    return sent, grads


def fitting_plan(graph, style, detail):
    """The steps :func:`viz.draw_unrolled` keeps at this style: fewer until the drawing fits."""
    keep, max_steps = STYLES[style]["keep"], STYLES[style]["max_steps"]
    while True:
        plan = _plan(graph, True, max_steps, keep)
        _, fits = _unrolled(graph, plan, _Look(grads=False, style=style), False, detail, "LR",
                            None, fit=style == "slides")
        if fits or _fewer(keep) is None:
            return plan
        keep = _fewer(keep)
        max_steps = sum(_ends(keep)) + 1


def walk_frames(graph, plan=None, folded=None):
    """(ids of the nodes done, the current node, caption) for each frame of the walk,
    newest node first, the engine's order.  A run of nodes in steps that ``plan``
    elides is one frame, and a node the drawing folds into another (``folded``: the
    stack under L = Σ_t E_t, a gate's slice) is done in the frame before it."""
    order = sorted(graph.nodes, key=lambda n: -n.seq)
    folded = folded or {}
    hidden = sorted(plan.hidden) if plan is not None else []
    root = graph.root
    root_name = "L" if root in folded.values() else node_label(root)
    out = [(set(), None, f"seed: dL/dL = 1 at the root, {root_name}")]
    done = set()
    k = 0
    while k < len(order):
        node = order[k]
        if hidden and plan.where(node) in plan.hidden:
            run = []
            while k < len(order) and plan.where(order[k]) in plan.hidden:
                run.append(order[k])
                k += 1
            done |= {id(n) for n in run}
            out.append((set(done), None, f"steps {k - len(run) + 1}–{k} of {len(order)}: the "
                        f"walk crosses the elided copies t = {hidden[0]} … {hidden[-1]}"))
            continue
        k += 1
        done.add(id(node))
        if id(node) in folded and len(out) > 1:       # not drawn on its own
            out[-1][0].add(id(node))
            continue
        name = root_name if node is root else node_label(node)
        out.append((set(done), node, f"step {k} of {len(order)}: {name} sends its gradient "
                    f"to its inputs"))
    # frame i is file step_<i>; the walk's steps can be more (elided steps, folded nodes)
    return [(d, c, f"frame {i} of {len(out) - 1} · {what}") for i, (d, c, what) in enumerate(out)]


_GRAD_LINE = 22        # characters: "‖grad‖ 9.99e-04 so far", padded with no-break spaces


def walk_decoration(graph, look, done, current, sent, reduction=None, lines=2,
                    widths=("3.5", "2"), edge_fontcolor=False, folded=None, fixed=False):
    """The node and edge attributes of one frame of the reverse walk.

    ``done`` holds the ids of the nodes already processed and ``current`` is
    the one just processed; ``sent[id(edge)]`` is the gradient that edge
    carries.  A node shows the first ``lines`` lines of ``look``'s label and
    the gradient it has received so far (its sum over the edges already
    crossed); the current node is outlined in red, and the edges crossed are
    red (just now) or orange (before), labelled with their gradient's norm.
    ``folded`` ({id(node): the node drawn in its place}) makes the edges into a
    node folded into ``current`` red too: they are drawn as edges into ``current``.
    ``fixed``, for a graph dot lays out again in every frame: the gradient line
    sits in a cell of fixed width, and an edge not crossed yet already carries
    its label, in no colour, so that every frame gets the same layout.
    ``backward_frames`` and ``backward_animation`` draw their frames with it.
    """
    look = replace(look, grads=False)        # a frame shows only what the walk has sent so far,
    consumers = {}                           # never a .grad stored by an earlier backward()
    for e in graph.edges:
        consumers.setdefault(id(e.src), []).append(e.dst)
    received = {id(graph.root): np.ones(graph.root.shape)}     # gradient so far, per target
    for e in graph.edges:
        if id(e.dst) in done and id(e) in sent:
            received[id(e.src)] = received.get(id(e.src), 0) + sent[id(e)]
    node_width, edge_width = widths
    folded = folded or {}

    def sent_now(e):
        return current is not None and (e.dst is current or folded.get(id(e.dst)) is current)

    will_receive = {id(graph.root)} | {id(e.src) for e in graph.edges if id(e) in sent}

    def node_extra(x):
        base = (look.node(x, is_root=x is graph.root,
                          reduction=reduction if x is graph.root else None)
                if type(x) is Node else look.leaf(x))
        label = base["label"].split("\n")[:lines]
        g = received.get(id(x))
        if g is not None:
            complete = x is graph.root or all(id(c) in done for c in consumers.get(id(x), ()))
            line = f"‖grad‖ {norm_text(g)}" + ("" if complete else " so far")
        else:
            line = "‖grad‖ –"                   # none yet
        # the gradient line is there in every frame, as wide, so the frames keep one size
        if id(x) not in will_receive:
            attrs = {"label": "\n".join(label)}
        elif fixed:
            rows = "".join(f"<TR><TD>{html.escape(text)}</TD></TR>" for text in label)
            attrs = {"label": f"<{_table(rows + _cell_row(line, _GRAD_LINE, look.font))}>"}
        else:
            attrs = {"label": "\n".join(label + [line.center(_GRAD_LINE, "\u00a0")])}
        if x is current:
            attrs.update(color=COLORS["walk_now"], penwidth=node_width)
        return attrs

    def edge_extra(e):
        if id(e) not in sent:
            return {"color": COLORS["walk_waiting"]}
        into_root = bool(folded) and (e.dst is graph.root or folded.get(id(e.dst)) is graph.root)
        label = "" if into_root else norm_text(sent[id(e)])   # L's fan-out: E_t shows it
        if id(e.dst) not in done:
            return ({"color": COLORS["walk_waiting"], "label": label, "fontcolor": "transparent"}
                    if fixed else {"color": COLORS["walk_waiting"]})
        now = sent_now(e)
        attrs = {"color": COLORS["walk_now"] if now else COLORS["walk_done"],
                 "penwidth": edge_width, "label": label}
        if edge_fontcolor:
            attrs["fontcolor"] = COLORS["walk_now"] if now else "#b35400"   # darker orange
        return attrs

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
            elif type(e.src) is not Node and e.src.requires_grad:
                # a parameter reaches each copy through its chip ("W 0.24"): colour the
                # chip's edge into the op; the chip already names what crosses it
                chip = links.get((f"{builder.ids(e.src)}_to_{uid(e.dst)}", uid(e.dst)))
                if chip is not None:
                    chip.attrs.update({k: v for k, v in edge_extra(e).items()
                                       if k not in ("label", "fontcolor")})
    return decorate
