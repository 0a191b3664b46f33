"""The time-step view of an unrolled network: one cluster per step "t=k".

``detail="ops"`` draws every op.  ``detail="cells"`` draws the textbook
figure: each step is one box f_t with inputs x_t and s_{t-1} and outputs
s_t and o_t, followed by its cost E_t.

Drawing happens in three stages: ``_Scene`` decides what is drawn (units
and links), ``layout.place`` decides where, and ``_emit`` writes the
Graphviz graph with those positions pinned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import graphviz
import numpy as np

from minigrad import BackwardError, contributions
from minigrad.graph import Node

from .draw import EDGE_STYLE, NODE_STYLE, _heat_scale, _Ids, _Look
from .graphs import LOSS_OPS, as_root, collect, step_of
from .render import Figure
from .layout import Link, Scene, Unit, place
from .names import display, is_folded_constant
from .style import COLORS, STYLES, legend_label, norm, norm_text, pad_to_ratio

__all__ = ["draw_unrolled"]

WHO = "viz.draw_unrolled"


@dataclass
class _Plan:
    """Which step each node belongs to, which steps are drawn, where parameters go."""
    steps: list                    # every time step t in the graph, in order
    shown: list                    # the steps drawn as clusters
    hidden: set                    # the steps folded into "... n steps ..."
    step: dict = field(default_factory=dict)       # id(node) -> t, or None at the top level
    row: dict = field(default_factory=dict)        # id(parameter) -> "top" or "bottom"
    level: dict = field(default_factory=dict)      # id(node) -> distance from the root

    def where(self, node):
        return self.step.get(id(node))


def _plan(graph, elide, max_steps, keep):
    step = {id(n): step_of(n.scope) for n in graph.nodes}
    steps = sorted({t for t in step.values() if t is not None})
    if not steps:
        raise ValueError(
            f"{WHO}: the graph has no time-step scopes (t=<k>), so there is nothing to unroll. "
            f"Record each step inside minigrad.scope(f't={{t}}') (rnn's model.unroll does), "
            f"or draw any graph with viz.draw().")
    first, last = _ends(keep)
    if elide and len(steps) > max_steps:
        shown = steps[:first] + steps[-last:]
    else:
        shown = steps
    plan = _Plan(steps, shown, set(steps) - set(shown), step)

    # How far each node is from the root, along edges inside a step: a parameter
    # whose uses sit in the upper half of their step goes in the top row.
    level = plan.level
    level[id(graph.root)] = 0
    for node in reversed(graph.nodes):
        here = level.get(id(node), 0)
        for inp in node.inputs:
            if type(inp) is Node and (step[id(inp)] == step[id(node)] or step[id(node)] is None):
                level[id(inp)] = max(level.get(id(inp), 0), here + 1)
    span = {}
    for node in graph.nodes:
        t = step[id(node)]
        if t is not None:
            lo, hi = span.get(t, (np.inf, -np.inf))
            span[t] = (min(lo, level.get(id(node), 0)), max(hi, level.get(id(node), 0)))
    for leaf in graph.leaves:
        if leaf.requires_grad:
            heights = []
            for e in graph.edges:
                t = step[id(e.dst)]
                if e.src is leaf and t is not None:
                    lo, hi = span[t]
                    heights.append((level.get(id(e.dst), 0) - lo) / max(hi - lo, 1))
            plan.row[id(leaf)] = "top" if heights and np.mean(heights) < 0.5 else "bottom"
    return plan


def _ends(keep):
    """(steps kept at the start, at the end): ``keep`` is a number for both, or a pair."""
    return keep if isinstance(keep, tuple) else (keep, keep)


def _fewer(keep):
    """The next smaller elision when a slide figure does not fit: one step fewer at each
    end, down to 2; then the first two steps and the last, so that one hand-over of the
    state s_1 -> s_2 still shows; then one at each end.  None when nothing is left."""
    first, last = _ends(keep)
    if first > 2:
        return first - 1
    if (first, last) == (2, 2):
        return (2, 1)
    if (first, last) == (2, 1):
        return 1
    return None


def _check_options(detail, direction, max_steps, keep):
    if detail not in ("ops", "cells"):
        raise ValueError(f"{WHO}: detail must be 'ops' (every op) or 'cells' (one box per "
                         f"step), got {detail!r}")
    if direction not in ("LR", "TB"):
        raise ValueError(f"{WHO}: direction must be 'LR' (time runs left to right) or 'TB' "
                         f"(top to bottom), got {direction!r}")
    if not isinstance(keep, int) or keep < 1:
        raise ValueError(f"{WHO}: keep must be an integer >= 1, got {keep!r}")
    if not isinstance(max_steps, int) or max_steps < 2 * keep + 1:
        raise ValueError(f"{WHO}: max_steps must be an integer >= 2*keep+1 = {2 * keep + 1} "
                         f"(an elided drawing keeps {keep} step(s) at each end and one box for "
                         f"the rest), got {max_steps!r}. Fix: max_steps={2 * keep + 1} or more, "
                         f"a smaller keep (keep=1 allows max_steps=3), or elide=False to draw "
                         f"every step.")


def _recorded_contributions(param, wanted):
    if not wanted:
        return None
    try:
        return contributions(param)
    except BackwardError:
        return None


def draw_unrolled(loss, *, detail="ops", direction="LR", contributions=True, heat=False,
                  elide=True, max_steps=None, keep=None, values=False, grads=True, labels=True,
                  style="notebook", title=None):
    """Draw an unrolled network by time step.

    Every step t recorded under ``minigrad.scope("t=<t>")`` becomes a box
    "t = k", in time order.  Nodes show the math's names: what each model
    step computes (``a3 = U x3 + W s2 + b``, ``s3 = tanh(a3)``, an LSTM's
    gates ``i3 = σ(z3)`` … ``c3 = f3 ⊙ c2 + i3 ⊙ g3``), the per-step costs
    ``E3`` and the loss ``L = Σ_t E_t``; slicing and constants are folded
    away (name your own tensors with ``t.name = "h_t"``).  Each shared
    parameter is drawn once, below the boxes, with one edge into every copy,
    labelled with its name and, after ``backward(contributions=True)``, the
    norm of that copy's term of the gradient (``W 0.24``); the parameter
    shows the norm of the total (the terms' sum).  The state passed from
    step to step is drawn in its own colour (an LSTM's cell state c in a
    second one), detached states (truncation boundaries) as dashed "cut"
    edges, and a legend says which colour is which.

    Parameters
    ----------
    detail : "ops" or "cells"
        Every op, or one box f_t per step (the textbook figure).
    direction : "LR" or "TB"
        Time runs left to right, or top to bottom.
    contributions : bool
        Label parameter edges with per-copy gradient norms, when recorded.
    heat : bool
        Colour by gradient norm on a log scale, with a legend (needs
        ``backward(retain_grads=True)``): vanishing gradients fade to pale yellow.
    elide, max_steps, keep :
        With more than ``max_steps`` steps, draw the first and last ``keep``
        steps and one "... n steps ..." box for the rest (defaults: 12 and 3
        for a notebook; at slide style, as many as fit on a slide).
    values : bool
        Show values (recorded inside ``minigrad.keep_values()``) and gradients:
        signed numbers for tensors of up to 4 elements, else a summary / norm.
    grads : bool
        Show gradients at all (off: a structural figure).
    labels : bool
        Label edges with numbers (off: only the parameters' names).
    style : "notebook" or "slides"
        ``"slides"``: a 16:9 figure whose every text stays at least 14 px high
        when projected 1920 px wide (steps are elided to fit, and the title
        says so).  ``"notebook"``: compact, for reading on a screen.

    Positions are computed here and pinned, so the graph is laid out by
    Graphviz's ``neato`` engine (set on the returned graph).

    >>> import rnn, viz
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> result = rnn.bptt(model, np.ones((20, 2)), np.zeros((20, 1)), contributions=True)
    >>> graph = viz.draw_unrolled(result.loss_tensor)
    >>> graph.source.count("subgraph cluster_t")      # 3 + 3 of the 20 steps
    6
    >>> "s20 = tanh(a20)" in graph.source
    True
    """
    look_style = _check_style(style)
    graph = collect(as_root(loss, WHO))
    user_limits = max_steps is not None or keep is not None
    max_steps = look_style["max_steps"] if max_steps is None else max_steps
    keep = look_style["keep"] if keep is None else keep
    _check_options(detail, direction, max_steps, keep)
    look = _Look(values, grads, _heat_scale(graph, WHO) if heat else None, style=style)
    dropped = False
    while True:
        plan = _plan(graph, elide, max_steps, keep)
        dot, fits = _unrolled(graph, plan, look, contributions and labels, detail, direction,
                              title, labels=labels, fit=not user_limits)
        if fits or not elide or (_fewer(keep) is None and not labels):
            if dropped:
                dot.graph_attr["label"] += "\n(per-copy terms left out to fit a slide)"
            if not fits:                      # say so, rather than shrink the text
                dot.graph_attr["label"] += _too_wide_hint(detail, direction, elide)
            return dot
        if _fewer(keep) is not None:
            keep = _fewer(keep)           # too wide for a slide: fewer steps, same text size
            max_steps = sum(_ends(keep)) + 1
        else:                             # then without the per-copy numbers
            labels, dropped = False, True


def _too_wide_hint(detail, direction, elide):
    """The title's note on a slide figure that does not fit: what else to try."""
    tries = [option for option, used in (("detail='cells'", detail == "cells"),
                                         ("direction='LR'", direction == "LR")) if not used]
    done = "even with steps elided" if elide else "with every step drawn (elide=False)"
    if tries:
        return f"\n(too wide for a slide {done}: try {' or '.join(tries)})"
    return (f"\n(too wide for a slide {done}: draw fewer steps, or use style='notebook')")


def _check_style(style, who=WHO):
    if style not in STYLES:
        raise ValueError(f"{who}: style must be one of {', '.join(map(repr, STYLES))}, got "
                         f"{style!r}")
    return STYLES[style]


def _describe(graph, plan, look, detail):
    """The default title: the cell, T and the settings that matter."""
    names = {n.name for n in graph.nodes if n.name}
    cell = ("LSTM" if "c_t" in names else "GRU" if "r_t" in names else
            "RNN" if "s_t" in names else "network")
    steps = plan.steps
    title = f"{cell} unrolled over {len(steps)} step{'s' * (len(steps) != 1)}"
    if steps[0] != 1:
        title += f" (t = {steps[0]} … {steps[-1]})"
    done = any(p.grad is not None for p in graph.leaves if p.requires_grad)
    title += ", after backward()" if done else ", before backward()"
    extras = ["one box per step" if detail == "cells" else "every op"]
    if look.heat is not None:
        extras.append("coloured by gradient norm")
    if plan.hidden:
        hidden = sorted(plan.hidden)
        extras.append(f"steps {hidden[0]}–{hidden[-1]} not drawn"
                      + (" (to fit a slide)" if look.style == "slides" else ""))
    return title + "\n" + ", ".join(extras)


def _unrolled(graph, plan, look, contributions, detail, direction, title, decorate=None,
              labels=True, fit=False):
    """Build, optionally decorate (``decorate(scene_builder, scene)``), lay out and emit.

    Returns the graph, and whether it fits its style's width (always True
    unless ``fit``)."""
    builder = _Scene(graph, plan, look, contributions, detail, labels)
    scene = builder.build()
    if decorate is not None:
        decorate(builder, scene)
    if title is None:
        title = _describe(graph, plan, look, detail)
    return _emit(scene, plan, look, direction, title, fit)


class _Scene:
    """Decides what an unrolled drawing shows: its units and links.

    Every node of the graph maps to a drawn unit: itself (``ops``), or its
    step's cell box f_t or cost box E_t (``cells``).  Slices (``getitem``)
    map to the node they slice and the stack that gathers the costs to the
    loss, so neither is drawn.  Elided steps map onto the units of the first
    elided step, drawn faint in one narrow box; the links leaving the last
    elided step leave from the matching unit there.
    """

    def __init__(self, graph, plan, look, want_contributions, detail, labels=True):
        self.graph, self.plan, self.look, self.detail = graph, plan, look, detail
        self.labels = labels
        self.ids = _Ids()
        hidden = sorted(plan.hidden)
        self.by_step = {}                        # each node's position in its step
        for node in graph.nodes:
            self.by_step.setdefault(plan.where(node), []).append(node)
        # The elided box routes its edges through one hidden step's nodes, the skeleton:
        # the fullest one, since steps differ (in a truncated update only some steps
        # have a loss that counts).
        self.skeleton = max(hidden, key=lambda t: len(self.by_step.get(t, ()))) \
            if hidden else None
        self.boxes = sorted(plan.shown + ([self.skeleton] if hidden else []))
        self.params = [p for p in graph.leaves if p.requires_grad]
        self.contrib = {id(p): _recorded_contributions(p, want_contributions)
                        for p in self.params}
        self.hidden_uses = {}                    # parameter -> the elided steps that use it
        for e in graph.edges:
            if type(e.src) is not Node and e.src.requires_grad and \
                    plan.where(e.dst) in plan.hidden:
                self.hidden_uses.setdefault(id(e.src), set()).add(plan.where(e.dst))
        self.fold, self.reduction = _folds(graph)
        self.offset = {id(n): i for nodes in self.by_step.values() for i, n in enumerate(nodes)}
        self.scene = Scene(boxes=self.boxes, squeezed=self.skeleton,
                           root=self.ids(graph.root))
        self.seen_links = set()

    # -- where things go

    def box_of(self, t):
        """The step whose box draws the nodes of step t (the skeleton for elided steps)."""
        return self.skeleton if t in self.plan.hidden else t

    def drawn(self, node):
        """The node that stands for ``node`` in the drawing (itself, unless folded)."""
        return self.fold.get(id(node), node)

    def unit(self, node):
        """The id of the drawn unit that stands for ``node`` (an op node)."""
        node = self.drawn(node)
        t = self.plan.where(node)
        if t in self.plan.hidden and t != self.skeleton:
            twins = self.by_step[self.skeleton]
            k = self.offset[id(node)]
            node = self.drawn(twins[k] if k < len(twins) else twins[-1])
            t = self.skeleton
        if self.detail == "ops" or t is None:
            return self.ids(node)
        return f"E{t}" if node.op in LOSS_OPS else f"f{t}"

    def faint(self, t):
        return t is not None and t == self.skeleton

    def add(self, uid, step, attrs, beside=""):
        if self.faint(step) and not (self.detail == "cells" and uid.startswith("f")):
            attrs = {**attrs, "label": "", "style": "invis"}
        self.scene.add(Unit(uid, step, attrs, beside=beside))

    def link(self, src, dst, kind, **attrs):
        if (src, dst) not in self.seen_links:
            self.seen_links.add((src, dst))
            self.scene.links.append(Link(src, dst, kind, attrs))

    # -- building

    def build(self):
        plan, look = self.plan, self.look
        state_grad = self._state_gradient_norms() if self.detail == "cells" else {}
        for node in self.graph.nodes:                      # op nodes, or cell boxes
            t = plan.where(node)
            if t in plan.hidden and t != self.skeleton or self.drawn(node) is not node:
                continue
            uid = self.unit(node)
            if uid in self.scene.units:
                continue
            if self.detail == "ops" or t is None:
                attrs = look.node(node, is_root=node is self.graph.root,
                                  reduction=self.reduction if node is self.graph.root else None)
            elif uid.startswith("f"):
                attrs = self._cell_attrs(t, state_grad.get(t))
            else:
                attrs = look.node(node)
                attrs["label"] = "\n".join([f"E{t}"] + look.grad_lines(node.grad))
            self.add(uid, t, attrs)
        home = self._constants()                           # y_t first, beside E_t
        if self.detail == "cells":
            self._state_ports(state_grad)                  # then the states, to its right
        total = "total grad" if any(v is not None for v in self.contrib.values()) else "grad"
        for p in self.params:
            self.scene.add(Unit(self.ids(p), "bottom", look.leaf(p, total_label=total)))
        self._links(home)
        return self.scene

    def _cell_attrs(self, t, g):
        if self.faint(t):
            return {"label": "…", "shape": "box", "style": "filled,dashed",
                    "fillcolor": "white", "color": "#999999", "width": "0.8", "height": "0.5"}
        heat = self.look.heat is not None and g is not None
        fill = self.look.heat.color(g) if heat else "white"
        return {"label": f"f{t}", "shape": "box", "style": "filled,bold", "fillcolor": fill,
                "fontcolor": self.look.heat.text_color(g) if heat else "black",
                "fontsize": str(self.look.font + 3), "width": "0.8", "height": "0.5"}

    def _state_nodes(self, t):
        """The nodes of step t that pass its state on (for the last step: the same
        positions as in the step before, since every step records the same ops)."""
        return self._state_positions().get(t, [])

    def _state_positions(self):
        if not hasattr(self, "_positions"):
            positions = {}
            for e in self.graph.edges:
                if type(e.src) is Node:
                    src = self.drawn(e.src)
                    t_src, t_dst = self.plan.where(src), self.plan.where(e.dst)
                    if t_src is not None and t_dst is not None and t_src < t_dst:
                        positions.setdefault(t_src, set()).add(self.offset[id(src)])
            previous, out = None, {}
            for t in self.plan.steps:
                offsets = positions.get(t, previous)
                previous = offsets
                nodes = self.by_step.get(t, [])
                out[t] = [nodes[i] for i in sorted(offsets or ()) if i < len(nodes)]
            self._positions = out
        return self._positions

    def port(self, node):
        """The id of the small node beside f_t that shows the state ``node`` (cells)."""
        t = self.plan.where(node)
        k = self.offset[id(node)]
        return f"s{self.box_of(t)}_{k}" if t not in self.plan.hidden else \
            f"s{self.skeleton}_{k}"

    def _state_ports(self, state_grad):
        """The states that cell f_t passes on (s_t; h_t and c_t), as small nodes beside it."""
        for t in self.boxes:
            for node in self._state_nodes(t):
                name = display(node.name, t) if node.name else f"s{t}"
                g = state_grad.get((t, self.offset[id(node)]))
                label = "\n".join([name] + (self.look.grad_lines(g, norm_only=True)
                                             if g is not None else []))
                fill = self.look.heat.color(norm(g)) if self.look.heat is not None and \
                    g is not None else COLORS["state"]
                uid = f"s{t}_{self.offset[id(node)]}"
                dark = self.look.heat is not None and g is not None
                self.add(uid, t, {"label": label, "shape": "ellipse", "style": "filled",
                                  "fillcolor": fill, "margin": "0.02",
                                  "fontcolor": self.look.heat.text_color(norm(g)) if dark
                                  else "black"}, beside=f"E{t}")
                self.link(f"f{t}", uid, "flow", color=self._state_colour(node))  # f_t's output

    def _constants(self):
        """Each data leaf goes in the box of the step that uses it (the top level if
        several steps do; only the skeleton's if its step is elided).  Returns {id: step}.
        Unnamed constant scalars (the 1 of 1 - z) are not drawn: their op's label says them."""
        steps = {}
        for e in self.graph.edges:
            if type(e.src) is not Node and not e.src.requires_grad:
                steps.setdefault(id(e.src), set()).add(self.plan.where(e.dst))
        home = {}
        for leaf in self.graph.leaves:
            if leaf.requires_grad or is_folded_constant(leaf):
                continue
            used_in = steps[id(leaf)]
            t = home[id(leaf)] = used_in.pop() if len(used_in) == 1 else None
            if t not in self.plan.hidden or t == self.skeleton:
                users = [self.unit(e.dst) for e in self.graph.edges if e.src is leaf]
                beside = f"E{t}" if self.detail == "cells" and users and \
                    users[0].startswith("E") else ""        # y_t beside E_t
                self.add(self.ids(leaf), t, self.look.leaf(leaf), beside=beside)
        return home

    def _links(self, home):
        plan, look, ids = self.plan, self.look, self.ids
        hidden, skeleton = plan.hidden, self.skeleton
        label_grads = (self.detail == "ops" and look.grads and self.labels
                       and self.graph.has_intermediate_grads())
        first_use = set()
        for e in self.graph.edges:
            t_dst = plan.where(e.dst)
            if self.drawn(e.dst) is not e.dst and type(e.src) is Node and \
                    self.drawn(e.src) is self.drawn(e.dst):
                continue                                   # inside a folded node
            if type(e.src) is not Node:
                if is_folded_constant(e.src):
                    continue
                if t_dst in hidden and t_dst != skeleton:
                    continue                               # drawn once, on the skeleton
                dst = self.unit(e.dst)
                if e.src.requires_grad:
                    first = (id(e.src), t_dst) not in first_use
                    first_use.add((id(e.src), t_dst))
                    self._param_link(e.src, dst, t_dst, first)
                elif home[id(e.src)] not in hidden or home[id(e.src)] == skeleton:
                    self.link(ids(e.src), dst, "flow",
                              **({"style": "invis"} if self.faint(t_dst) else look.edge(e)))
                continue
            t_src = plan.where(e.src)
            if t_src in hidden and t_dst in hidden and not (t_src == t_dst == skeleton):
                continue                                   # inside the elided stretch
            if t_src in hidden and t_dst is None and t_src != skeleton:
                continue                                   # the skeleton's cost stands for all
            src, dst = self.unit(e.src), self.unit(e.dst)
            if src == dst:
                continue                                   # inside one cell box
            if t_src is not None and t_dst is not None and t_src != t_dst:
                self._state_link(e, src, dst, t_src, label_grads)
            elif self.faint(t_src) and self.faint(t_dst):
                self.link(src, dst, "flow", style="invis")
            elif self.detail == "cells" and src.startswith("f") and dst.startswith("E"):
                out = self.drawn(e.src)
                self.link(src, dst, "flow",
                          label=display(out.name, t_src) if out.name else f"o{t_src}")
            else:
                attrs = look.edge(e)          # its gradient shows on the node it leaves
                self.link(src, dst, "flow", **attrs)

    def _state_colour(self, node):
        """The recurrence's colour; an LSTM's cell state c_t has its own."""
        name = self.drawn(node).name or ""
        return COLORS["cell_state"] if name.startswith("c_") else COLORS["recurrent"]

    def _state_link(self, e, src, dst, t_src, label_grads):
        """The state passed from step t to t+1 (in the recurrence's colour)."""
        colour = self._state_colour(e.src)
        if self.detail == "cells":                         # from the port s_t, not the box
            self.link(self.port(self.drawn(e.src)), dst, "state", color=colour,
                      penwidth="1.8", _track=self.drawn(e.src).name or "s")
            return
        across_gap = t_src in self.plan.hidden or self.plan.where(e.dst) in self.plan.hidden
        attrs = self.look.edge(e, label_grad=label_grads and not across_gap)
        if "label" in attrs:
            attrs["fontcolor"] = colour
        attrs.setdefault("color", colour)
        attrs.setdefault("penwidth", "1.8")
        self.link(src, dst, "state", _track=self.drawn(e.src).name or "s", **attrs)

    def _param_link(self, param, consumer, t, first_use):
        """A parameter's edge into the copy of step t (or the skeleton), through a
        label "W 0.24": its name and this copy's term of the gradient."""
        parts = self.contrib[id(param)]
        name = param.name or "θ"
        label = name
        if t in self.plan.hidden:
            label = f"{name} ×{len(self.hidden_uses.get(id(param), ()))}"
            if parts is not None:
                terms = [g for k, g in parts.items() if step_of(k) in self.plan.hidden]
                if terms:
                    label += f" {norm_text(sum(terms))}"
        elif parts is not None and first_use:
            term = [g for k, g in parts.items() if step_of(k) == t]
            if term:
                label += f" {norm_text(sum(term))}"
        colour = COLORS["param_edge"]
        if t in self.plan.hidden:
            self.scene.notes[name] = label
        if t is None:                                      # a top-level use: one routed edge
            self.link(self.ids(param), consumer, "param", color=colour, label=label,
                      fontcolor=colour)
            return
        chip = f"{self.ids(param)}_to_{consumer}"
        if chip in self.scene.units:
            return
        self.add(chip, self.box_of(t) if t is not None else None,
                 {"label": label, "shape": "plaintext", "fontcolor": colour,
                  "style": "", "fillcolor": "none", "width": "0", "height": "0",
                  "margin": "0.01"})
        self.link(chip, consumer, "flow", color=colour,
                  **({"style": "invis"} if self.faint(t) else {}))
        self.link(self.ids(param), chip, "param", color=colour,
                  **({"style": "invis"} if self.faint(t) else {}))

    def _state_gradient_norms(self):
        """dL/ds_t per state node {(t, offset): array} and ‖dL/ds_t‖ per step {t: float},
        from the nodes that pass the state on (needs retained grads)."""
        out = {}
        for t, nodes in self._state_positions().items():
            grads = [n.grad for n in nodes]
            if grads and all(g is not None for g in grads):
                for n in nodes:
                    out[t, self.offset[id(n)]] = n.grad
                out[t] = float(np.sqrt(sum(norm(g) ** 2 for g in grads)))
        return out


def _folds(graph):
    """{id(node): the node drawn in its place}, and the loss's reduction ("sum", "mean"
    or None): a slice is drawn as the node it slices; the stack of the costs E_t and
    the sum (or mean) over it are one node, L."""
    fold = {}
    for node in graph.nodes:
        if node.op == "getitem" and type(node.inputs[0]) is Node:
            fold[id(node)] = fold.get(id(node.inputs[0]), node.inputs[0])
    root, reduction = graph.root, None
    if (type(root) is Node and root.op in ("sum", "mean") and type(root.inputs[0]) is Node
            and root.inputs[0].op == "stack"
            and all(type(x) is Node and x.op in LOSS_OPS for x in root.inputs[0].inputs)):
        fold[id(root.inputs[0])] = root
        reduction = root.op
    elif type(root) is Node and root.op in LOSS_OPS and not root.name:
        reduction = None
    return fold, reduction


def _emit(scene, plan, look, direction, title, fit=False):
    """The Graphviz graph: units at their computed positions, boxes, links, legend.

    Returns (graph, fits): whether the figure's text stays above its style's
    size limit when the figure is scaled to the style's width."""
    pos, label_at = place(scene, direction)
    style = STYLES[look.style]
    dot = Figure(engine="neato", node_attr={**NODE_STYLE, "fontsize": str(look.font)},
                           edge_attr={**EDGE_STYLE, "fontsize": str(look.font)},
                           graph_attr={"splines": "line", "overlap": "true", "labelloc": "t",
                                       "outputorder": "edgesfirst", "fontname": "Helvetica",
                                       "fontsize": str(look.font + 2), "label": title})

    def at(uid):
        x, y = pos[uid]
        return f"{x:.3f},{y:.3f}!"

    hidden = sorted(plan.hidden)
    bends = {}                                    # route points inside a box, per box
    for k, link in enumerate(scene.links):
        t = scene.units[link.dst].step
        if link.route and link.kind == "param" and t in scene.boxes:
            bends.setdefault(t, []).extend([(k, 2), (k, 3)])     # the column and the turn
    for t in scene.boxes:
        box = graphviz.Digraph(name="cluster_elided" if t == scene.squeezed else f"cluster_t{t}")
        if t == scene.squeezed:
            box.attr(label=f"… {len(hidden)} steps\nnot drawn\n(t = {hidden[0]} … {hidden[-1]})",
                     style="dashed,filled", fillcolor=COLORS["elided"], color="#999999",
                     fontsize=str(look.font))
        else:
            box.attr(label=f"t = {t}", style="rounded", color="#666666",
                     fontsize=str(look.font + 2))
        x, y = label_at[t]
        if t == scene.squeezed:                   # room for its three lines
            y += 2 * (look.font + 2) * 1.2 / 72
            elided_top = y                        # the box's top edge, above its title
        box.node(f"label_room_{t}", "", shape="point", style="invis", width="0", height="0",
                 pos=f"{x:.3f},{y:.3f}!")
        for u in scene.units.values():
            if u.step == t:
                box.node(u.id, **u.attrs, pos=at(u.id))
        for k, b in bends.get(t, ()):
            _bend(box, k, b, scene.links[k].route[b])
        dot.subgraph(box)
    for u in scene.units.values():
        if u.step not in scene.boxes:
            dot.node(u.id, **u.attrs, pos=at(u.id))
    for k, link in enumerate(scene.links):
        if not link.route:
            dot.edge(link.src, link.dst, **link.attrs)
            continue
        inside = bends.get(scene.units[link.dst].step, ())
        src = link.src
        if (scene.squeezed is not None and scene.units[link.src].step == scene.squeezed
                and scene.units[link.dst].step != scene.squeezed
                and link.route[0][1] > elided_top):
            # leaving the elided box upwards: start at its top, not across its title
            src = f"elided_out_{k}"
            dot.node(src, "", shape="point", style="invis", width="0", height="0",
                     pos=f"{link.route[0][0]:.3f},{elided_top:.3f}!")
        for b, point in enumerate(link.route):    # the bends outside the boxes
            if (k, b) not in inside:
                _bend(dot, k, b, point)
        chain = [src] + [f"bend_{k}_{b}" for b in range(len(link.route))] + [link.dst]
        quiet = {"color": link.attrs.get("color", "black"), "dir": "none",
                 "penwidth": link.attrs.get("penwidth", "1")}
        if link.attrs.get("style") == "invis":
            quiet["style"] = "invis"
        label_at = link.label_segment % (len(chain) - 1)
        text = {k_: link.attrs[k_] for k_ in ("label", "fontcolor") if k_ in link.attrs}
        last = {k_: v for k_, v in link.attrs.items() if k_ not in text or label_at ==
                len(chain) - 2}
        for i, (a, b) in enumerate(zip(chain[:-2], chain[1:-1])):
            dot.edge(a, b, **quiet, **(text if i == label_at else {}))
        dot.edge(chain[-2], link.dst, **last)

    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    top, bottom = max(ys), min(ys)
    # the right edge of the drawing: the widest-reaching label, plus a box's margin
    right = max(x + _half_width(scene.units.get(uid), look) for uid, (x, _) in pos.items()) + 0.2
    legend = legend_label(look, kinds={link.kind for link in scene.links},
                          cell_state=any(link.attrs.get("color") == COLORS["cell_state"]
                                         for link in scene.links),
                          cut=any(link.attrs.get("label") == "cut" for link in scene.links),
                          terms=any(" " in str(u.attrs.get("label", "")) and
                                    u.attrs.get("shape") == "plaintext"
                                    for u in scene.units.values()),
                          hidden=(f"steps {hidden[0]}–{hidden[-1]}", list(scene.notes.values()))
                          if hidden else None)
    if legend:
        texts = re.findall(r">([^<>]+)<", legend)
        half = (max(map(len, texts)) * 0.56 * look.font / 72 + 0.8) / 2
        tall = legend.count("<TR>") * (look.font + 6) / 72 + 0.3
        x_under = min(xs) + half
        # On a slide, put it where the 16:9 frame stays narrower, so more steps fit:
        # under a wide, flat figure (the frame has height to spare), beside a tall one.
        under = _slide_width(max(right, x_under + half) - min(xs), top - bottom + 0.8 + tall)
        beside = _slide_width(right + 0.6 + 2 * half - min(xs), top - bottom)
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
    fits = True
    if look.style == "slides":
        # The whole figure is scaled to the slide's width; keep it 16:9 by padding.
        width, height = right - left + 0.4, top - bottom + 1.2
        width, height = pad_to_ratio(width, height, 16 / 9)
        cx, cy = (left + right) / 2, (top + bottom) / 2
        fits = True
        for name, (x, y) in {"corner_a": (cx - width / 2, cy - height / 2),
                             "corner_b": (cx + width / 2, cy + height / 2)}.items():
            dot.node(name, "", shape="point", style="invis", width="0", height="0",
                     pos=f"{x:.3f},{y:.3f}!")
        fits = not fit or _svg_width(dot) <= style["max_width_pt"]
    return dot, fits


def _half_width(unit, look):
    """Half a unit's width, in inches, estimated from its label's longest line."""
    label = str(unit.attrs.get("label", "")) if unit is not None else ""
    if not label or label.startswith("<"):
        return 0.0
    return max(map(len, label.split("\n"))) * 0.56 * look.font / 72 / 2 + 0.05


def _slide_width(width, height):
    """The width of a figure once padded to 16:9, as a slide frame pads it (inches)."""
    return pad_to_ratio(width + 0.9, height + 1.2, 16 / 9)[0]


def _svg_width(dot):
    """The width of the drawing in pt, as Graphviz lays it out (rendered here)."""
    try:
        head = dot.pipe(format="svg")[:2000].decode("utf-8", "replace")
    except Exception:                     # no Graphviz: trust the estimate
        return 0.0
    found = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+)', head)
    return float(found.group(1)) if found else 0.0


def _bend(target, k, b, point):
    target.node(f"bend_{k}_{b}", "", shape="point", style="invis", width="0", height="0",
                pos=f"{point[0]:.3f},{point[1]:.3f}!")
