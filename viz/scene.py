"""What an unrolled drawing shows: its units (the boxes and ellipses) and links (the
arrows), with their text.  Where they go is ``layout``'s business, how they look
``theme``'s, and nothing here knows about Graphviz.

``detail="ops"`` draws every op.  ``detail="cells"`` draws the textbook figure:
each step is one box f_t with inputs x_t and s_{t-1} and outputs s_t and o_t,
followed by its cost E_t.  Every node of the graph maps to a drawn unit: itself
(ops), or its step's cell box f_t or cost box E_t (cells).  Slices map to the
node they slice and the stack under L to L (``Unrolled.fold``), so neither is
drawn.  The nodes of elided steps map onto the units of the elided box's
representative step, which are there (the edges into and out of the box need
them) but not drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from minigrad import BackwardError, Detached, contributions
from minigrad.graph import Node

from .names import display, is_folded_constant, node_label, small_values
from .read import LOSS_OPS, step_of
from .theme import STYLES, norm, norm_text, shape_text, value_text

__all__ = ["UnitId", "Unit", "Link", "Scene", "Content", "build_scene", "op_role",
           "leaf_role", "edge_details"]


@dataclass(frozen=True)
class UnitId:
    """The name of a drawn unit.  ``str()`` gives its DOT and SVG id:

    ======  ==============================  ============
    kind    what                            id
    ======  ==============================  ============
    op      an op node, by its ``seq``      ``n17``
    leaf    a leaf tensor, k-th drawn       ``v2``
    cell    the cell box f_t                ``f3``
    cost    the cost box E_t                ``E3``
    port    state k that f_t passes on      ``s3_0``
    chip    a parameter's label into a use  ``v2_to_n17``
    ======  ==============================  ============
    """
    kind: str
    key: object

    def __str__(self):
        kind, key = self.kind, self.key
        if kind == "op":
            return f"n{key}"
        if kind == "leaf":
            return f"v{key}"
        if kind == "cell":
            return f"f{key}"
        if kind == "cost":
            return f"E{key}"
        if kind == "port":
            return f"s{key[0]}_{key[1]}"
        return f"{key[0]}_to_{key[1]}"


@dataclass
class Unit:
    """One drawn node.

    ``role`` says what it is, for the theme: ``op``, ``root`` (the tensor
    drawn), ``cost`` (a per-step cost E_t), ``state`` (s_t, h_t),
    ``cell_state`` (c_t), ``data`` (an input, target or initial state),
    ``cut`` (a detached state), ``param`` (a shared parameter), ``chip`` (a
    parameter's name and term where it enters a copy), ``cell`` (f_t),
    ``cell_elided`` (the elided box's cell) and ``port`` (a state f_t passes on).
    """
    id: UnitId
    step: object                 # its time step t; None for the top level and the parameters
    role: str
    lines: list                  # its text, line by line
    heat: float | None = None    # the norm of its gradient, which colours it under heat
    invisible: bool = False      # in the elided box: there for the edges, not drawn
    beside: UnitId | None = None     # a unit whose row this one joins (to its right)
    order: int = 0               # creation order, to break ties


@dataclass
class Link:
    """One drawn edge, from producer to consumer.

    ``kind`` is ``flow`` (inside a step, or up to the top level), ``state`` (to
    a later step) or ``param`` (from a shared parameter); ``colour`` names a
    colour of the theme's (``recurrent``, ``cell_state``, ``param``) or None."""
    src: UnitId
    dst: UnitId
    kind: str
    label: str | None = None
    colour: str | None = None
    heat: float | None = None    # the norm of the gradient it carries, under heat
    invisible: bool = False
    cut: bool = False            # from a detached state: no gradient crosses
    track: str | None = None     # a state link: which state it carries (its lane)
    route: list = field(default_factory=list)     # bends, set by the wiring
    label_segment: int = -1                       # which segment of a bent link has its label


@dataclass
class Scene:
    """Units and links of one drawing, and how the graph maps onto them."""
    units: dict = field(default_factory=dict)     # UnitId -> Unit, in creation order
    links: list = field(default_factory=list)
    boxes: list = field(default_factory=list)     # the drawn steps, in time order
    elided_box: int | None = None                 # the step drawn as the elided box
    elided: tuple = ()                            # the steps it stands for
    root: UnitId | None = None
    notes: dict = field(default_factory=dict)     # parameter name -> what its elided uses add
    unit_of_node: dict = field(default_factory=dict)   # id(node or leaf) -> UnitId
    ports: dict = field(default_factory=dict)     # id(state node) -> its port (cells)
    folded: frozenset = frozenset()               # ids of the nodes drawn as another one

    def add(self, unit):
        if unit.id not in self.units:
            unit.order = len(self.units)
            self.units[unit.id] = unit
        return self.units[unit.id]

    def unit_of(self, x):
        """The unit that stands for a node or leaf of the graph, if it is drawn."""
        uid = self.unit_of_node.get(id(x))
        return uid if uid in self.units else None

    def drawn_as_itself(self, node):
        """False for a node folded into another (a slice, the stack under L)."""
        return id(node) not in self.folded

    def links_of(self, edge):
        """The drawn links the gradient along graph edge ``edge`` crosses: the link
        itself, a parameter's two links through its chip, or, in the cells view, a
        state's link from its port.  Empty when the edge is inside one unit."""
        src, dst = self.unit_of_node.get(id(edge.src)), self.unit_of_node.get(id(edge.dst))
        if src is None or dst is None or src == dst:
            return []
        index = self._index()
        if (src, dst) in index:
            return [index[src, dst]]
        chip = UnitId("chip", (str(src), str(dst)))
        if chip in self.units:
            return [index[k] for k in ((src, chip), (chip, dst)) if k in index]
        port = self.ports.get(id(edge.src))
        if port is not None and (port, dst) in index:
            return [index[port, dst]]
        return []

    def _index(self):
        return {(link.src, link.dst): link for link in self.links}

    def kinds(self):
        """{str(id): kind} for every unit: what the explorer's script needs to know."""
        return {str(uid): uid.kind for uid in self.units}


@dataclass
class Content:
    """What the drawing says: which numbers, at which style."""
    detail: str = "ops"
    values: bool = False
    grads: bool = True
    heat: bool = False
    labels: bool = True          # numbers on edges
    contributions: bool = True   # per-copy terms of the parameters' gradients
    style: str = "notebook"

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

    def op_lines(self, node, reduction=None):
        lines = [node_label(node, reduction)]
        if STYLES[self.style]["shapes"]:
            lines.append(shape_text(node.shape))
        return lines + self.value_lines(node.value) + self.grad_lines(node.grad)

    def leaf_lines(self, leaf, total_label="grad"):
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
        return lines


def op_role(node, is_root=False):
    """The role of an op node's unit: what colour it gets."""
    return ("root" if is_root else "cost" if node.op in LOSS_OPS else
            "state" if node.name in ("s_t", "h_t") else
            "cell_state" if node.name == "c_t" else "op")


def leaf_role(leaf):
    return "param" if leaf.requires_grad else "cut" if isinstance(leaf, Detached) else "data"


def _recorded_contributions(param, wanted):
    if not wanted:
        return None
    try:
        return contributions(param)
    except BackwardError:
        return None


def build_scene(unrolled, elision, content):
    """The units and links of an unrolled drawing of ``unrolled`` with ``elision``."""
    return _Builder(unrolled, elision, content).build()


class _Builder:
    """Builds one :class:`Scene`; its helpers say where a node of the graph is drawn."""

    def __init__(self, unrolled, elision, content):
        self.u, self.elision, self.content = unrolled, elision, content
        self.representative = elision.representative
        self.leaf_numbers = {}
        self.scene = Scene(boxes=elision.boxes(), elided_box=elision.representative,
                           elided=tuple(sorted(elision.elided)), folded=frozenset(unrolled.fold))
        self.scene.root = self.unit(unrolled.graph.root)
        self.contrib = {id(p): _recorded_contributions(p, content.contributions and
                                                       content.labels)
                        for p in unrolled.params}
        self.elided_uses = {}                    # parameter -> the elided steps that use it
        for e in unrolled.graph.edges:
            if type(e.src) is not Node and e.src.requires_grad and \
                    unrolled.where(e.dst) in elision.elided:
                self.elided_uses.setdefault(id(e.src), set()).add(unrolled.where(e.dst))
        self.seen_links = set()

    # -- where things go

    def leaf_id(self, leaf):
        """Leaves are numbered in the order they are first drawn."""
        k = self.leaf_numbers.setdefault(id(leaf), len(self.leaf_numbers))
        uid = UnitId("leaf", k)
        self.scene.unit_of_node[id(leaf)] = uid
        return uid

    def unit(self, node):
        """The unit that stands for ``node`` (an op node)."""
        u = self.u
        drawn = u.drawn(node)
        t = u.where(drawn)
        if t in self.elision.elided and t != self.representative:
            twins = u.by_step[self.representative]
            k = u.offset[id(drawn)]
            drawn = u.drawn(twins[k] if k < len(twins) else twins[-1])
            t = self.representative
        if self.content.detail == "ops" or t is None:
            uid = UnitId("op", drawn.seq)
        else:
            uid = UnitId("cost" if drawn.op in LOSS_OPS else "cell", t)
        self.scene.unit_of_node[id(node)] = uid
        return uid

    def in_elided_box(self, t):
        return t is not None and t == self.representative

    def add(self, uid, step, role, lines, heat=None, beside=None):
        invisible = self.in_elided_box(step) and not (self.content.detail == "cells"
                                                      and uid.kind == "cell")
        self.scene.add(Unit(uid, step, role, lines, heat, invisible, beside))

    def link(self, src, dst, kind, **details):
        if (src, dst) not in self.seen_links:
            self.seen_links.add((src, dst))
            self.scene.links.append(Link(src, dst, kind, **details))

    def grad_heat(self, g):
        return norm(g) if self.content.heat and g is not None else None

    # -- building

    def build(self):
        state_grads = self.u.state_gradients() if self.content.detail == "cells" else {}
        self._nodes(state_grads)
        home = self._constants()                           # y_t first, beside E_t
        if self.content.detail == "cells":
            self._ports(state_grads)                       # then the states, to its right
        total = "total grad" if any(v is not None for v in self.contrib.values()) else "grad"
        for p in self.u.params:
            self.add(self.leaf_id(p), None, "param", self.content.leaf_lines(p, total),
                     self.grad_heat(p.grad))
        _Links(self, home).add_all()
        for node in self.u.graph.nodes:                    # where every node is drawn
            self.unit(node)
        return self.scene

    def _nodes(self, state_grads):
        """Op nodes, or cell and cost boxes."""
        u, content = self.u, self.content
        root = u.graph.root
        for node in u.graph.nodes:
            t = u.where(node)
            if t in self.elision.elided and t != self.representative or u.drawn(node) is not node:
                continue
            uid = self.unit(node)
            if uid in self.scene.units:
                continue
            if content.detail == "ops" or t is None:
                lines = content.op_lines(node, u.reduction if node is root else None)
                self.add(uid, t, op_role(node, node is root), lines, self.grad_heat(node.grad))
            elif uid.kind == "cell":
                self._cell(uid, t, state_grads.get(t))
            else:
                self.add(uid, t, "cost", [f"E{t}"] + content.grad_lines(node.grad),
                         self.grad_heat(node.grad))

    def _cell(self, uid, t, g):
        if self.in_elided_box(t):
            self.add(uid, t, "cell_elided", ["…"])
        else:
            self.add(uid, t, "cell", [f"f{t}"], g if self.content.heat else None)

    def _constants(self):
        """Each data leaf goes in the box of the step that uses it (the top level if
        several steps do; only the representative's if its step is elided).  Returns
        {id: step}.  Unnamed constant scalars (the 1 of 1 - z) are not drawn: their
        op's label says them."""
        u = self.u
        steps = {}
        for e in u.graph.edges:
            if type(e.src) is not Node and not e.src.requires_grad:
                steps.setdefault(id(e.src), set()).add(u.where(e.dst))
        home = {}
        for leaf in u.graph.leaves:
            if leaf.requires_grad or is_folded_constant(leaf):
                continue
            used_in = steps[id(leaf)]
            t = home[id(leaf)] = used_in.pop() if len(used_in) == 1 else None
            if t not in self.elision.elided or t == self.representative:
                users = [self.unit(e.dst) for e in u.graph.edges if e.src is leaf]
                beside = UnitId("cost", t) if self.content.detail == "cells" and users and \
                    users[0].kind == "cost" else None        # y_t beside E_t
                self.add(self.leaf_id(leaf), t, leaf_role(leaf), self.content.leaf_lines(leaf),
                         beside=beside)
        return home

    def port(self, node):
        """The unit beside f_t that shows the state ``node`` (cells)."""
        t = self.u.where(node)
        uid = UnitId("port", (self.elision.box_of(t), self.u.offset[id(node)]))
        self.scene.ports[id(node)] = uid
        return uid

    def _ports(self, state_grads):
        """The states that cell f_t passes on (s_t; h_t and c_t), as small nodes beside it."""
        state_nodes = self.u.state_nodes()
        for t in self.scene.boxes:
            for node in state_nodes.get(t, []):
                name = display(node.name, t) if node.name else f"s{t}"
                g = state_grads.get((t, self.u.offset[id(node)]))
                lines = [name] + (self.content.grad_lines(g, norm_only=True)
                                  if g is not None else [])
                uid = self.port(node)
                self.add(uid, t, "port", lines, self.grad_heat(g), beside=UnitId("cost", t))
                self.link(UnitId("cell", t), uid, "flow", colour=_state_colour(self.u, node))

    def chip_label(self, param, t, first_use):
        """A parameter's label where it enters the copy of step t: "W 0.24", its name and
        the norm of this copy's term of the gradient; in the elided box "W ×3 0.5"."""
        parts = self.contrib[id(param)]
        name = param.name or "θ"
        label = name
        if t in self.elision.elided:
            label = f"{name} ×{len(self.elided_uses.get(id(param), ()))}"
            if parts is not None:
                terms = [g for k, g in parts.items() if step_of(k) in self.elision.elided]
                if terms:
                    label += f" {norm_text(sum(terms))}"
            self.scene.notes[name] = label
        elif parts is not None and first_use:
            term = [g for k, g in parts.items() if step_of(k) == t]
            if term:
                label += f" {norm_text(sum(term))}"
        return label


def edge_details(e, heat=False, label=False, invisible=False):
    """The :class:`Link` fields of an ordinary edge: invisible, cut, or carrying its
    gradient's norm (for heat colouring, and as its label with ``label``)."""
    if invisible:
        return {"invisible": True}
    if e.is_cut:
        return {"cut": True}
    details = {}
    if heat or label:
        g = e.gradient()
        if g is not None:
            if heat:
                details["heat"] = norm(g)
            if label:
                details["label"] = norm_text(g)
    return details


def _state_colour(unrolled, node):
    """The recurrence's colour; an LSTM's cell state c_t has its own."""
    name = unrolled.drawn(node).name or ""
    return "cell_state" if name.startswith("c_") else "recurrent"


class _Links:
    """The links of a scene, from the graph's edges."""

    def __init__(self, builder, home):
        self.b, self.home = builder, home
        content, u = builder.content, builder.u
        self.label_grads = (content.detail == "ops" and content.grads and content.labels
                            and u.graph.has_intermediate_grads())
        self.first_use = set()

    def add_all(self):
        b = self.b
        for e in b.u.graph.edges:
            if b.u.drawn(e.dst) is not e.dst and type(e.src) is Node and \
                    b.u.drawn(e.src) is b.u.drawn(e.dst):
                continue                                   # inside a folded node
            if type(e.src) is not Node:
                self.from_leaf(e)
            else:
                self.from_node(e)

    def from_leaf(self, e):
        b = self.b
        if is_folded_constant(e.src):
            return
        t_dst = b.u.where(e.dst)
        if t_dst in b.elision.elided and t_dst != b.representative:
            return                                         # drawn once, in the elided box
        dst = b.unit(e.dst)
        if e.src.requires_grad:
            first = (id(e.src), t_dst) not in self.first_use
            self.first_use.add((id(e.src), t_dst))
            self.param(e.src, dst, t_dst, first)
        elif self.home[id(e.src)] not in b.elision.elided or \
                self.home[id(e.src)] == b.representative:
            b.link(b.leaf_id(e.src), dst, "flow", **self.plain(e, b.in_elided_box(t_dst)))

    def plain(self, e, invisible=False, label=False):
        return edge_details(e, self.b.content.heat, label, invisible)

    def from_node(self, e):
        b, u = self.b, self.b.u
        elided, rep = b.elision.elided, b.representative
        t_src, t_dst = u.where(e.src), u.where(e.dst)
        if t_src in elided and t_dst in elided and not (t_src == t_dst == rep):
            return                                         # inside the elided stretch
        if t_src in elided and t_dst is None and t_src != rep:
            return                                         # the representative's cost stands for all
        src, dst = b.unit(e.src), b.unit(e.dst)
        if src == dst:
            return                                         # inside one cell box
        if t_src is not None and t_dst is not None and t_src != t_dst:
            self.state(e, src, dst, t_src)
        elif b.in_elided_box(t_src) and b.in_elided_box(t_dst):
            b.link(src, dst, "flow", invisible=True)
        elif b.content.detail == "cells" and src.kind == "cell" and dst.kind == "cost":
            out = u.drawn(e.src)
            b.link(src, dst, "flow", label=display(out.name, t_src) if out.name else f"o{t_src}")
        else:
            b.link(src, dst, "flow", **self.plain(e))   # its gradient shows on the node it leaves

    def state(self, e, src, dst, t_src):
        """The state passed from step t to t+1 (in the recurrence's colour)."""
        b, u = self.b, self.b.u
        colour = _state_colour(u, e.src)
        track = u.drawn(e.src).name or "s"
        if b.content.detail == "cells":                    # from the port s_t, not the box
            port = b.port(u.drawn(e.src))
            b.scene.ports[id(e.src)] = port
            b.link(port, dst, "state", colour=colour, track=track)
            return
        across_gap = t_src in b.elision.elided or u.where(e.dst) in b.elision.elided
        details = self.plain(e, label=self.label_grads and not across_gap)
        b.link(src, dst, "state", colour=colour, track=track, **details)

    def param(self, param, consumer, t, first_use):
        """A parameter's edge into the copy of step t (or the elided box), through a
        chip "W 0.24": its name and this copy's term of the gradient."""
        b = self.b
        label = b.chip_label(param, t, first_use)
        pid = b.leaf_id(param)
        if t is None:                                      # a top-level use: one routed edge
            b.link(pid, consumer, "param", colour="param", label=label)
            return
        chip = UnitId("chip", (str(pid), str(consumer)))
        if chip in b.scene.units:
            return
        b.add(chip, b.elision.box_of(t), "chip", [label])
        b.link(chip, consumer, "flow", colour="param", invisible=b.in_elided_box(t))
        b.link(pid, chip, "param", colour="param", invisible=b.in_elided_box(t))
