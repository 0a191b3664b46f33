"""The time-step view of an unrolled network: one cluster per step "t=k".

``detail="ops"`` draws every op.  ``detail="cells"`` draws the textbook
figure: each step is one box f_t with inputs x_t and s_{t-1} and outputs
s_t and o_t, followed by its cost E_t.

Drawing happens in three stages: ``_Scene`` decides what is drawn (units
and links), ``layout.place`` decides where, and ``_emit`` writes the
Graphviz graph with those positions pinned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import graphviz
import numpy as np

from minigrad import BackwardError, contributions
from minigrad.graph import Node

from .draw import EDGE_STYLE, NODE_STYLE, _heat_scale, _Ids, _Look
from .graphs import LOSS_OPS, as_root, collect, step_of
from .layout import Link, Scene, Unit, place
from .style import COLORS, norm, norm_text, number_text

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
    if elide and len(steps) > max_steps:
        shown = steps[:keep] + steps[-keep:]
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
        raise ValueError(f"{WHO}: max_steps must be an integer >= 2*keep+1 = {2 * keep + 1}, "
                         f"got {max_steps!r}")


def _recorded_contributions(param, wanted):
    if not wanted:
        return None
    try:
        return contributions(param)
    except BackwardError:
        return None


def draw_unrolled(loss, *, detail="ops", direction="LR", contributions=True, heat=False,
                  elide=True, max_steps=12, keep=3, values=False, grads=True, title=None):
    """Draw an unrolled network by time step.

    Every step t recorded under ``minigrad.scope("t=<t>")`` becomes a
    cluster "t = k", in time order.  Each shared parameter is drawn once,
    outside the clusters, with one edge into every copy; after
    ``backward(contributions=True)`` the edge into copy t is labelled with
    the norm of copy t's term of the gradient, and the parameter shows the
    norm of the total (the terms' sum).  Detached states (truncation
    boundaries) are drawn as dashed "cut" edges.

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
        steps and one "... n steps ..." box for the rest.
    values, grads : bool
        Show value summaries (see ``minigrad.keep_values``) and gradient norms.

    Positions are computed here and pinned, so the graph is laid out by
    Graphviz's ``neato`` engine (set on the returned graph).

    >>> import rnn, viz
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> result = rnn.bptt(model, np.ones((20, 2)), np.zeros((20, 1)), contributions=True)
    >>> graph = viz.draw_unrolled(result.loss_tensor)
    >>> graph.source.count("subgraph cluster_t")      # 3 + 3 of the 20 steps
    6
    """
    _check_options(detail, direction, max_steps, keep)
    graph = collect(as_root(loss, WHO))
    plan = _plan(graph, elide, max_steps, keep)
    look = _Look(values, grads, _heat_scale(graph, WHO) if heat else None)
    steps = plan.steps
    if title is None:
        title = (f"unrolled over {len(steps)} steps (t = {steps[0]} … {steps[-1]})"
                 + (f", {len(plan.hidden)} not drawn" if plan.hidden else ""))
    return _unrolled(graph, plan, look, contributions, detail, direction, title)


def _unrolled(graph, plan, look, contributions, detail, direction, title, decorate=None):
    """Build, optionally decorate (``decorate(scene_builder, scene)``), lay out and emit."""
    builder = _Scene(graph, plan, look, contributions, detail)
    scene = builder.build()
    if decorate is not None:
        decorate(builder, scene)
    return _emit(scene, plan, look, direction, title)


class _Scene:
    """Decides what an unrolled drawing shows: its units and links.

    Every node of the graph maps to a drawn unit: itself (``ops``), or its
    step's cell box f_t or cost box E_t (``cells``).  Elided steps map onto
    the units of the first elided step, drawn faint in one narrow box; the
    links leaving the last elided step leave from the matching unit there.
    """

    def __init__(self, graph, plan, look, want_contributions, detail):
        self.graph, self.plan, self.look, self.detail = graph, plan, look, detail
        self.ids = _Ids()
        hidden = sorted(plan.hidden)
        self.skeleton = hidden[0] if hidden else None
        self.boxes = sorted(plan.shown + ([self.skeleton] if hidden else []))
        self.params = [p for p in graph.leaves if p.requires_grad]
        self.contrib = {id(p): _recorded_contributions(p, want_contributions)
                        for p in self.params}
        self.by_step = {}                        # each node's position in its step
        for node in graph.nodes:
            self.by_step.setdefault(plan.where(node), []).append(node)
        self.offset = {id(n): i for nodes in self.by_step.values() for i, n in enumerate(nodes)}
        self.scene = Scene(boxes=self.boxes, squeezed=self.skeleton,
                           root=self.ids(graph.root))
        self.seen_links = set()

    # -- where things go

    def box_of(self, t):
        """The step whose box draws the nodes of step t (the skeleton for elided steps)."""
        return self.skeleton if t in self.plan.hidden else t

    def unit(self, node):
        """The id of the drawn unit that stands for ``node`` (an op node)."""
        t = self.plan.where(node)
        if t in self.plan.hidden and t != self.skeleton:
            twins = self.by_step[self.skeleton]
            k = self.offset[id(node)]
            node = twins[k] if k < len(twins) else twins[-1]
            t = self.skeleton
        if self.detail == "ops" or t is None:
            return self.ids(node)
        return f"E{t}" if node.op in LOSS_OPS else f"f{t}"

    def faint(self, t):
        return t is not None and t == self.skeleton

    def add(self, uid, step, attrs):
        if self.faint(step) and not (self.detail == "cells" and uid.startswith("f")):
            attrs = {**attrs, "label": "", "style": "invis"}
        self.scene.add(Unit(uid, step, attrs))

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
            if t in plan.hidden and t != self.skeleton:
                continue
            uid = self.unit(node)
            if uid in self.scene.units:
                continue
            if self.detail == "ops" or t is None:
                attrs = look.node(node, is_root=node is self.graph.root)
            elif uid.startswith("f"):
                attrs = self._cell_attrs(t, state_grad.get(t))
            else:
                attrs = look.node(node)
                attrs["label"] = f"E{t}" + (f"\n‖grad‖ {norm_text(node.grad)}"
                                            if look.grads and node.grad is not None else "")
            self.add(uid, t, attrs)
        if self.detail == "cells":
            self._state_ports(state_grad)
        home = self._constants()
        total = "total grad" if any(v is not None for v in self.contrib.values()) else "grad"
        for p in self.params:
            self.scene.add(Unit(self.ids(p), plan.row[id(p)],
                                look.leaf(p, total_label=total)))
        self._links(home)
        return self.scene

    def _cell_attrs(self, t, g):
        if self.faint(t):
            return {"label": "…", "shape": "box", "style": "filled,dashed",
                    "fillcolor": "white", "color": "#999999", "width": "0.8", "height": "0.5"}
        fill = self.look.heat.color(g) if self.look.heat is not None and g is not None else "white"
        return {"label": f"f{t}", "shape": "box", "style": "filled,bold", "fillcolor": fill,
                "fontsize": "13", "width": "0.8", "height": "0.5"}

    def _state_ports(self, state_grad):
        """s_t, the state cell f_t passes on, as a small node beside E_t."""
        for t in self.boxes:
            g = state_grad.get(t)
            label = f"s{t}" + (f"\n‖grad‖ {number_text(g)}" if self.look.grads and g is not None
                               else "")
            fill = self.look.heat.color(g) if self.look.heat is not None and g is not None \
                else COLORS["state"]
            self.add(f"s{t}", t, {"label": label, "shape": "ellipse", "style": "filled",
                                  "fillcolor": fill, "fontsize": "9", "margin": "0.02"})
            self.link(f"f{t}", f"s{t}", "flow", **({"style": "invis"} if self.faint(t) else {}))

    def _constants(self):
        """Each data leaf goes in the box of the step that uses it (the top level if
        several steps do; only the skeleton's if its step is elided).  Returns {id: step}."""
        steps = {}
        for e in self.graph.edges:
            if type(e.src) is not Node and not e.src.requires_grad:
                steps.setdefault(id(e.src), set()).add(self.plan.where(e.dst))
        home = {}
        for leaf in self.graph.leaves:
            if leaf.requires_grad:
                continue
            used_in = steps[id(leaf)]
            t = home[id(leaf)] = used_in.pop() if len(used_in) == 1 else None
            if t not in self.plan.hidden or t == self.skeleton:
                self.add(self.ids(leaf), t, self.look.leaf(leaf))
        return home

    def _links(self, home):
        plan, look, ids = self.plan, self.look, self.ids
        hidden, skeleton = plan.hidden, self.skeleton
        label_grads = self.detail == "ops" and look.grads and self.graph.has_intermediate_grads()
        first_use = set()
        for e in self.graph.edges:
            t_dst = plan.where(e.dst)
            if type(e.src) is not Node:
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
                self.link(src, dst, "flow", label=f"o{t_src}")
            else:
                attrs = look.edge(e)
                if self.faint(t_src) and t_dst is None:
                    attrs["label"] = f"×{len(hidden)}"
                self.link(src, dst, "flow", **attrs)

    def _state_link(self, e, src, dst, t_src, label_grads):
        """The state passed from step t to t+1 (red; its gradient's norm when known)."""
        if self.detail == "cells":                         # from the port s_t, not the box
            self.link(f"s{self.box_of(t_src)}", dst, "state", color=COLORS["recurrent"],
                      penwidth="1.6")
            return
        across_gap = t_src in self.plan.hidden or self.plan.where(e.dst) in self.plan.hidden
        attrs = self.look.edge(e, label_grad=label_grads and not across_gap)
        if "label" in attrs:
            attrs["fontcolor"] = COLORS["recurrent"]
        attrs.setdefault("color", COLORS["recurrent"])
        attrs.setdefault("penwidth", "1.4")
        self.link(src, dst, "state", **attrs)

    def _param_link(self, param, consumer, t, first_use):
        """An edge from a shared parameter into the copy of step t (or the skeleton)."""
        attrs = {"color": COLORS["param_edge"] + "99"}
        parts = self.contrib[id(param)]
        label = None
        if t in self.plan.hidden:
            label = f"×{len(self.plan.hidden)}"
            if parts is not None:
                terms = [g for k, g in parts.items() if step_of(k) in self.plan.hidden]
                if terms:
                    label += f" {norm_text(sum(terms))}"
        elif parts is not None and first_use:
            term = [g for k, g in parts.items() if step_of(k) == t]
            if term:
                label = norm_text(sum(term))
        if label:
            attrs.update(headlabel=label, labelfontcolor=COLORS["param_edge"],
                         labelfontsize="8", labeldistance="1.6")
        self.link(self.ids(param), consumer, "param", **attrs)

    def _state_gradient_norms(self):
        """‖dL/ds_t‖ per step, from the nodes that pass the state on (needs retained grads).

        The last step passes nothing on; its state is the node at the same
        position in the step before it (every step records the same ops).
        """
        positions = {}                                   # t -> offsets of its state nodes
        for e in self.graph.edges:
            if type(e.src) is Node:
                t_src, t_dst = self.plan.where(e.src), self.plan.where(e.dst)
                if t_src is not None and t_dst is not None and t_src < t_dst:
                    positions.setdefault(t_src, set()).add(self.offset[id(e.src)])
        norms = {}
        previous = None
        for t in self.plan.steps:
            offsets = positions.get(t, previous)
            previous = offsets
            if offsets is None:
                continue
            nodes = self.by_step[t]
            grads = [nodes[i].grad for i in offsets if i < len(nodes)]
            if grads and all(g is not None for g in grads):
                norms[t] = float(np.sqrt(sum(norm(g) ** 2 for g in grads)))
        return norms


def _emit(scene, plan, look, direction, title):
    """The Graphviz graph: units at their computed positions, boxes, links."""
    pos, label_at = place(scene, direction)
    dot = graphviz.Digraph(engine="neato", node_attr=NODE_STYLE, edge_attr=EDGE_STYLE,
                           graph_attr={"splines": "line", "overlap": "true", "labelloc": "t",
                                       "outputorder": "edgesfirst", "fontname": "Helvetica",
                                       "fontsize": "12", "label": title})

    def at(uid):
        x, y = pos[uid]
        return f"{x:.3f},{y:.3f}!"

    hidden = sorted(plan.hidden)
    for t in scene.boxes:
        box = graphviz.Digraph(name="cluster_elided" if t == scene.squeezed else f"cluster_t{t}")
        if t == scene.squeezed:
            box.attr(label=f"… {len(hidden)} steps\nnot drawn\n(t = {hidden[0]} … {hidden[-1]})",
                     style="dashed,filled", fillcolor=COLORS["elided"], color="#999999",
                     fontsize="11")
        else:
            box.attr(label=f"t = {t}", style="rounded", color="#666666", fontsize="12")
        x, y = label_at[t]
        box.node(f"label_room_{t}", "", shape="point", style="invis", width="0", height="0",
                 pos=f"{x:.3f},{y:.3f}!")
        for u in scene.units.values():
            if u.step == t:
                box.node(u.id, **u.attrs, pos=at(u.id))
        dot.subgraph(box)
    for u in scene.units.values():
        if u.step not in scene.boxes:
            dot.node(u.id, **u.attrs, pos=at(u.id))
    for link in scene.links:
        dot.edge(link.src, link.dst, **link.attrs)
    if look.heat is not None:
        xs = [p[0] for p in pos.values()]
        ys = [p[1] for p in pos.values()]
        dot.node("legend", look.heat.legend(), shape="plaintext", fillcolor="white",
                 pos=f"{max(xs) + 1.5:.3f},{max(ys):.3f}!")
    return dot
