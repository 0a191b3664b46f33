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

The shared parameters are drawn once each, as the heads of a *ledger*: one
row per parameter, one cell per copy of the cell (under its step's box),
holding that copy's term of the gradient, and a last cell with their sum,
the parameter's ``.grad``.  The row reads as the sum it is::

    W   0   +0.545   +0.0724   +0.354   = 0.971

Scalar terms are signed; a matrix's terms show their norms ``‖·‖``, which
do not add up (the legend says so), and the last cell the norm of the sum.
Inside the steps a parameter is named where it is used: in the equations
(``a3 = U x3 + W s2 + b``) and, in the cells view, on the edges (U, W, V).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from minigrad import BackwardError, Detached, contributions
from minigrad.graph import Node

from .names import display, is_folded_constant, node_label, small_values
from .read import LOSS_OPS, recorded_value, step_of
from .theme import STYLES, norm, norm_text, number_text, shape_text, value_text

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
    term    parameter v2's term from copy 3 ``v2_t3``
    total   parameter v2's gradient, Σ      ``v2_sum``
    ======  ==============================  ============
    """
    kind: str
    key: object

    def __str__(self):
        if self.kind not in _ID_TEXT:
            raise ValueError(f"viz: no unit of kind {self.kind!r}")
        return _ID_TEXT[self.kind](self.key)


# Each kind of unit's id in Graphviz's source (and the explorer's page): n12, v3, f4, ...
_ID_TEXT = {
    "op": lambda key: f"n{key}",
    "leaf": lambda key: f"v{key}",
    "cell": lambda key: f"f{key}",
    "cost": lambda key: f"E{key}",
    "port": lambda key: f"s{key[0]}_{key[1]}",
    "term": lambda key: f"v{key[0]}_t{'top' if key[1] is None else key[1]}",
    "total": lambda key: f"v{key}_sum",
}


@dataclass
class Unit:
    """One drawn node.

    ``role`` says what it is, for the theme: ``op``, ``root`` (the tensor
    drawn), ``cost`` (a per-step cost E_t), ``state`` (s_t, h_t),
    ``cell_state`` (c_t), ``data`` (an input, target or initial state),
    ``cut`` (a detached state), ``param`` (a shared parameter: the head of its
    ledger row), ``term`` (one copy's term of its gradient), ``total`` (their
    sum), ``cell`` (f_t), ``cell_elided`` (the elided box's cell) and ``port`` (a
    state f_t passes on).
    """
    id: UnitId
    step: object                 # its time step t; None for the top level and the parameters
    role: str
    lines: list                  # its text, line by line
    heat: float | None = None    # the norm of its gradient, which colours it under heat
    invisible: bool = False      # in the elided box: there for the edges, not drawn
    beside: UnitId | None = None     # a unit whose row this one joins (to its right)
    order: int = 0               # creation order, to break ties
    before: bool = False         # first in its row (an initial state, left of its step)


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
    label_colour: str | None = None   # a parameter's name on the edge: in its colour
    heat: float | None = None    # the norm of the gradient it carries, under heat
    invisible: bool = False
    cut: bool = False            # from a detached state: no gradient crosses
    track: str | None = None     # a state link: which state it carries (its lane)
    route: list = field(default_factory=list)     # bends, set by the wiring
    label_segment: int = -1                       # which segment of a bent link has its label
    label_at: tuple | None = None                 # where its label goes (x, y), pt
    make_room: bool = False      # no clear place for its label: the rows move apart for it


@dataclass
class Scene:
    """Units and links of one drawing, and how the graph maps onto them."""
    units: dict = field(default_factory=dict)     # UnitId -> Unit, in creation order
    links: list = field(default_factory=list)
    boxes: list = field(default_factory=list)     # the drawn steps, in time order
    elided_box: int | None = None                 # the step drawn as the elided box
    elided: tuple = ()                            # the steps it stands for
    root: UnitId | None = None
    ledger: list = field(default_factory=list)    # the parameters' rows: (head, terms, total)
    notes: list = field(default_factory=list)     # for the legend: what was left out
    norms: bool = False                           # some ledger cells are norms, not values
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
        itself or, in the cells view, a state's link from its port.  Empty when the
        edge is inside one unit, or is a parameter's (its terms are in the ledger)."""
        src, dst = self.unit_of_node.get(id(edge.src)), self.unit_of_node.get(id(edge.dst))
        if src is None or dst is None or src == dst:
            return []
        index = self._index()
        if (src, dst) in index:
            return [index[src, dst]]
        port = self.ports.get(id(edge.src))
        if port is not None and (port, dst) in index:
            return [index[port, dst]]
        return []

    def _index(self):
        return {(link.src, link.dst): link for link in self.links}

    def has_terms(self):
        """Whether the ledger shows per-copy terms (a table under the boxes); else it is
        one row of the parameters, each with its sum if it has one."""
        return any(terms for _, terms, _ in self.ledger)

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
    labels: bool = True          # numbers on nodes and edges (the ledger's stay)
    contributions: bool = True   # per-copy terms of the parameters' gradients
    style: str = "notebook"
    notes: tuple = ()            # what the legend must also say (what was left out)

    def grad_lines(self, g, norm_only=False):
        """The gradient line of a label: signed values for up to 4 elements when
        ``values`` is on, else the norm; nothing without a gradient, with grads off or
        with labels off."""
        if not self.grads or not self.labels or g is None:
            return []
        if self.values and not norm_only and small_values(g) is not None:
            return [f"grad {small_values(g)}"]
        return [f"‖grad‖ {norm_text(g)}"]

    def with_value(self, line, v):
        """``line`` and the value: on the same line when that stays short
        (``s1 = tanh(a1) = −0.725``), else on a line of its own."""
        if not self.values or v is None:
            return [line]
        few = small_values(v)
        if few is not None and len(line) + len(few) <= 12:
            return [f"{line} = {few}"]
        return [line, f"= {few if few is not None else value_text(v)}"]

    def op_lines(self, node, reduction=None):
        lines = self.with_value(node_label(node, reduction), node.value)
        if STYLES[self.style]["shapes"]:
            lines.insert(1, shape_text(node.shape))
        return lines + self.grad_lines(node.grad)

    def leaf_lines(self, leaf, graph=None):
        """A leaf's name, its values (those the forward pass read) with ``values`` or
        when it is a small constant in a notebook, and its gradient."""
        name = leaf.name or ("param" if leaf.requires_grad else "const")
        value, known = recorded_value(leaf, graph) if graph is not None else (leaf._data, True)
        if isinstance(leaf, Detached):
            lines = [f"{name} (cut)"]
        elif self.values or (not leaf.requires_grad and leaf.size <= 3
                             and STYLES[self.style]["shapes"]):
            lines = self.with_value(name, value) if self.values else [name, value_text(value)]
            if not known:                         # two changes since: the forward's is lost
                lines.append("(changed since the forward pass)")
        else:
            lines = [name]
        if STYLES[self.style]["shapes"]:
            lines.insert(1, shape_text(leaf.shape))
        return lines + self.grad_lines(leaf.grad if leaf.requires_grad else None)


def op_role(node, is_root=False):
    """The role of an op node's unit: what colour it gets."""
    return ("root" if is_root else "cost" if node.op in LOSS_OPS else
            "state" if node.name in ("s_t", "h_t") else
            "cell_state" if node.name == "c_t" else "op")


def _is_state(leaf):
    """An initial state (s0, h0, c0, or a cut state): the models name them so."""
    return isinstance(leaf, Detached) or bool(re.fullmatch(r"[shc]\d+", leaf.name or ""))


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
                           elided=tuple(sorted(elision.elided)), folded=frozenset(unrolled.fold),
                           notes=list(content.notes))
        self.scene.root = self.unit(unrolled.graph.root)
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

    def add(self, uid, step, role, lines, heat=None, beside=None, before=False):
        invisible = self.in_elided_box(step) and role not in ("cell_elided", "term")
        self.scene.add(Unit(uid, step, role, lines, heat, invisible, beside, before=before))

    def link(self, src, dst, kind, **details):
        """Add a link (once per pair of units); returns it, or None if there was one."""
        if (src, dst) in self.seen_links:
            return None
        self.seen_links.add((src, dst))
        self.scene.links.append(Link(src, dst, kind, **details))
        return self.scene.links[-1]

    def grad_heat(self, g):
        return norm(g) if self.content.heat and g is not None else None

    # -- building

    def build(self):
        state_grads = self.u.state_gradients() if self.content.detail == "cells" else {}
        self._nodes(state_grads)
        home = self._constants()                           # y_t first, beside E_t
        if self.content.detail == "cells":
            self._ports(state_grads)                       # then the states, to its right
        _Links(self, home).add_all()
        self._elided_ends()
        _ledger(self)
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
                self.add(self.leaf_id(leaf), t, leaf_role(leaf),
                         self.content.leaf_lines(leaf, u.graph),
                         beside=self._beside(leaf, t), before=_is_state(leaf))
        return home

    def _elided_ends(self):
        """In the elided box the units are there but not drawn; the states passed into
        and out of it end at a "…" instead, so that no arrow points at nothing."""
        for link in self.scene.links:
            if link.kind != "state" or link.invisible:
                continue
            for uid in (link.src, link.dst):
                unit = self.scene.units[uid]
                if unit.invisible and unit.step == self.representative and unit.role != "port":
                    unit.invisible, unit.role, unit.lines = False, "cell_elided", ["…"]

    def _beside(self, leaf, t):
        """In the cells view, a target y_t sits beside E_t, and an initial state left of
        where its step's state is drawn: s_0 (h_0) beside f_1, an LSTM's c_0 beside E_1."""
        if self.content.detail != "cells" or t is None:
            return None
        users = [self.unit(e.dst) for e in self.u.graph.edges if e.src is leaf]
        if users and users[0].kind == "cost":
            return UnitId("cost", t)
        if _is_state(leaf):
            cell_state = (leaf.name or "").startswith("c")
            return UnitId("cost" if cell_state else "cell", t)
        return None

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
                colour = _state_colour(self.u, node)
                # the state beside its cell; an LSTM's cell state c_t a row up, beside E_t,
                # so that the two paths to the next step do not cross
                beside = UnitId("cost" if colour == "cell_state" else "cell", t)
                self.add(uid, t, "port", lines, self.grad_heat(g), beside=beside)
                self.link(UnitId("cell", t), uid, "flow", colour=colour,
                          invisible=self.in_elided_box(t))


def _ledger(b):
    """The parameters' rows: each parameter once, as the row's head; one cell per box
    with the term of its gradient from that copy (the elided box: the sum over the
    steps it stands for; a last column for uses outside the steps); their sum."""
    content, scene = b.content, b.scene
    for p in b.u.params:
        head = b.leaf_id(p)
        value, _ = recorded_value(p, b.u.graph)
        b.add(head, None, "param", content.with_value(p.name or "θ", value)[:1],
              b.grad_heat(p.grad))
        parts = _recorded_contributions(p, content.contributions and content.grads)
        columns = {}
        for key, g in (parts or {}).items():
            t = step_of(key)
            column = None if t is None else b.elision.box_of(t)
            columns[column] = columns.get(column, 0) + g
        terms = []
        for column in [t for t in scene.boxes if t in columns] + ([None] if None in columns
                                                                  else []):
            uid = UnitId("term", (head.key, column))
            b.add(uid, column, "term", [term_text(columns[column])])
            terms.append(uid)
        total = None
        if content.grads and p.grad is not None:
            total = UnitId("total", head.key)
            b.add(total, None, "total", ["= " + total_text(p.grad)])
        scene.ledger.append((head, terms, total))
        scene.norms |= p.size > 1 and (bool(terms) or total is not None)


def term_text(g):
    """One copy's term of a gradient: signed if it is a number (``+0.545``, ``−1.1``),
    else its norm between bars (``‖0.545‖``)."""
    g = np.asarray(g)
    if g.size == 1:
        value = float(g.ravel()[0])
        return ("+" if value > 0 else "") + number_text(value)
    return f"‖{norm_text(g)}‖"


def total_text(g):
    """A gradient: its value if it is a number, else its norm between bars."""
    g = np.asarray(g)
    return number_text(float(g.ravel()[0])) if g.size == 1 else f"‖{norm_text(g)}‖"


def edge_details(e, heat=False, label=False, invisible=False):
    """The :class:`Link` fields of an ordinary edge: invisible, cut, or carrying its
    gradient (for heat colouring, and as its label with ``label``)."""
    if invisible:
        return {"invisible": True}
    if e.is_cut:
        return {"cut": True, "label": "cut"}
    details = {}
    if heat or label:
        g = e.gradient()
        if g is not None:
            if heat:
                details["heat"] = norm(g)
            if label:
                details["label"] = total_text(g)
    return details


def _weights(node):
    """The parameters that multiply the inputs of a ``linear`` node (W in W s + b)."""
    if type(node) is not Node or node.op != "linear":
        return []
    k = len(node.inputs) // 2
    return [w for w in node.inputs[k:2 * k] if type(w) is not Node and w.requires_grad]


def _name(leaf):
    return leaf.name or "θ"


def _weight_label(e):
    """In the cells view, the textbook's name on an arrow into a copy of the cell: the
    parameter that multiplies what it carries (U on x_t, W on s_{t-1}); none if nothing
    does (an LSTM's cell state c_t)."""
    if e.dst.op == "linear" and e.index < len(e.dst.inputs) // 2:
        w = e.dst.inputs[len(e.dst.inputs) // 2 + e.index]
        if type(w) is not Node and w.requires_grad:
            return {"label": _name(w), "label_colour": "param"}
    return {}


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
        self.sent = []                       # (link, the edge whose gradient it carries)

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
        self.label_parts()

    def from_leaf(self, e):
        b = self.b
        if is_folded_constant(e.src) or e.src.requires_grad:
            return                                         # a parameter is in the ledger
        t_dst = b.u.where(e.dst)
        if t_dst in b.elision.elided and t_dst != b.representative:
            return                                         # drawn once, in the elided box
        dst = b.unit(e.dst)
        if self.home[id(e.src)] not in b.elision.elided or \
                self.home[id(e.src)] == b.representative:
            details = self.plain(e, b.in_elided_box(t_dst))
            if dst.kind == "cell" and not details.get("invisible"):
                details.update(_weight_label(e))
            b.link(b.leaf_id(e.src), dst, "flow", **details)

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
            out = u.drawn(e.src)          # o_t = V s_t + c: the arrow into E_t is V's
            weights = [_name(w) for w in _weights(out)]
            label = ", ".join(weights) or (display(out.name, t_src) if out.name else f"o{t_src}")
            b.link(src, dst, "flow", label=label, label_colour="param" if weights else None)
        else:
            self.add(e, src, dst, "flow")              # its gradient shows on the node it leaves

    def add(self, e, src, dst, kind, **details):
        """A link that carries edge ``e``'s gradient back (kept, to label it if its source
        sends along more than one link)."""
        link = self.b.link(src, dst, kind, **details, **self.plain(e))
        if self.label_grads and link is not None and not (link.invisible or link.cut):
            self.sent.append((link, e))

    def state(self, e, src, dst, t_src):
        """The state passed from step t to t+1 (in the recurrence's colour)."""
        b, u = self.b, self.b.u
        colour = _state_colour(u, e.src)
        track = u.drawn(e.src).name or "s"
        if b.content.detail == "cells":                    # from the port s_t, not the box
            port = b.port(u.drawn(e.src))
            b.scene.ports[id(e.src)] = port
            if b.in_elided_box(b.elision.box_of(t_src)):      # the elided box: from its "…"
                port = src
            b.link(port, dst, "state", colour=colour, track=track, **_weight_label(e))
            return
        link = b.link(src, dst, "state", colour=colour, track=track, **self.plain(e))
        across_gap = t_src in b.elision.elided or u.where(e.dst) in b.elision.elided
        if self.label_grads and link is not None and not across_gap:
            self.sent.append((link, e))

    def label_parts(self):
        """Where a state's gradient is the sum of what several links bring back (s_t from
        o_t and from a_{t+1}: the two paths into dL/ds_t), each of those links shows its
        part, so the parts visibly add up to the state's gradient."""
        states = {self.b.unit(n) for nodes in self.b.u.state_nodes().values() for n in nodes}
        leaving = {}
        for link, _ in self.sent:
            leaving[link.src] = leaving.get(link.src, 0) + 1
        for link, e in self.sent:
            if link.src in states and (link.kind == "state" or leaving[link.src] > 1):
                g = e.gradient()
                if g is not None:
                    link.label = total_text(g)
