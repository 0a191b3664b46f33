"""Reading a recorded graph for drawing: what is in it, and how it unrolls in time.

Every drawing starts here, and nothing here knows about colours or Graphviz:

* :func:`collect` walks the graph behind a tensor without recursion and lists
  its nodes (oldest first), its leaves and its edges;
* :func:`read` groups an unrolled graph by time step (the ``"t=<k>"``
  scopes that ``rnn``'s models record): an :class:`Unrolled`;
* :func:`choose_steps` chooses which steps a drawing shows: an :class:`Elision`.
  The elided steps are drawn as one box, through the nodes of one of them,
  its *representative*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from minigrad import BackwardError, Detached, Tensor
from minigrad.graph import Node, unbroadcast

from .theme import norm

__all__ = ["Edge", "Graph", "collect", "as_root", "gradient_norms", "recorded_value", "step_of", "LOSS_OPS", "Unrolled", "read",
           "Elision", "choose_steps", "ends", "fewer"]

LOSS_OPS = {"mse_loss", "cross_entropy"}
_STEP = re.compile(r"(?:^|/)t=(-?\d+)(?:/|$)")


def step_of(scope):
    """The time step t of a scope path such as ``"t=3"`` or ``"lstm/t=3"`` (None if none)."""
    found = _STEP.findall(scope or "")
    return int(found[-1]) if found else None


# ------------------------------------------------------------------ any graph

@dataclass(frozen=True)
class Edge:
    """Input ``index`` of op ``dst`` comes from ``src`` (a Node, or a leaf Tensor)."""
    src: object
    dst: Node
    index: int

    @property
    def is_cut(self):
        """True if ``src`` was detached: a truncation boundary, no gradient crosses it."""
        return isinstance(self.src, Detached)

    def gradient(self):
        """The gradient that flows back along this edge, if ``dst`` kept its own gradient."""
        if self.dst.grad is None or (type(self.src) is not Node and not self.src.requires_grad):
            return None
        g = self.dst.vjps[self.index](self.dst.grad, *self.dst.saved)
        return unbroadcast(np.asarray(g), tuple(self.src.shape))


@dataclass
class Graph:
    """Everything behind one tensor, in creation order."""
    root: object                                   # the root's Node (or the leaf itself)
    nodes: list = field(default_factory=list)      # Node, oldest first
    leaves: list = field(default_factory=list)     # leaf Tensors: parameters and constants
    edges: list = field(default_factory=list)

    def consumers(self):
        """{id(x): [edges out of x]} for nodes and leaves."""
        out = {}
        for e in self.edges:
            out.setdefault(id(e.src), []).append(e)
        return out

    def has_intermediate_grads(self):
        return any(n.grad is not None for n in self.nodes)


def gradient_norms(graph, who):
    """The norms of every gradient the graph kept (for a heat scale); an error if the
    backward pass kept no intermediate gradients."""
    if not graph.has_intermediate_grads():
        raise BackwardError(
            f"{who}: heat=True colours by gradient, but this graph kept no intermediate "
            f"gradients. Run loss.backward(retain_grads=True) first.")
    norms = [norm(n.grad) for n in graph.nodes if n.grad is not None]
    return norms + [norm(p.grad) for p in graph.leaves if p.requires_grad and p.grad is not None]


def recorded_value(leaf, graph):
    """The values the graph's forward pass read for ``leaf``, and whether they are known:
    ``(array, True)``; or, when the leaf has changed more than once since (an optimizer
    step after another graph held it), ``(its values now, False)``.

    A tensor remembers when its data was replaced and the array a graph held before
    (``Tensor._changed_at``, ``_recorded_data``): a graph whose nodes all read the
    leaf before its last change read that array."""
    seqs = [e.dst.seq for e in graph.edges if e.src is leaf]
    if not seqs:
        return leaf._data, True
    first, last = min(seqs), max(seqs)
    if leaf._data_since is None or leaf._data_since < first:
        return leaf._data, True                   # the present array, read by every node
    since = -1 if leaf._recorded_since is None else leaf._recorded_since
    if leaf._changed_at is not None and since < first and last < leaf._changed_at:
        return leaf._recorded_data, True
    return leaf._data, False


def as_root(tensor, who):
    """Check the argument of a drawing function and return it."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{who}: expected a minigrad Tensor, got {type(tensor).__name__}")
    if tensor.node is None:
        raise ValueError(
            f"{who}: this tensor has no graph: no op made it (it is a leaf"
            f"{' named ' + repr(tensor.name) if tensor.name else ''}, or was computed under "
            f"no_grad() or from tensors without requires_grad). Draw a result computed from "
            f"tensors with requires_grad=True, e.g. the loss.")
    return tensor


def collect(tensor):
    """Walk the graph behind ``tensor`` without recursion and list what is in it."""
    graph = Graph(tensor.node)
    seen, leaves = set(), {}
    stack = [tensor.node]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        graph.nodes.append(node)
        for i, inp in enumerate(node.inputs):
            graph.edges.append(Edge(inp, node, i))
            if type(inp) is Node:
                stack.append(inp)
            else:
                leaves.setdefault(id(inp), inp)
    graph.nodes.sort(key=lambda n: n.seq)
    graph.edges.sort(key=lambda e: (e.dst.seq, e.index))
    graph.leaves = list(leaves.values())
    return graph


# ------------------------------------------------------------------ an unrolled graph

@dataclass
class Unrolled:
    """An unrolled graph, by time step.

    Every step records the same ops in the same order, so the k-th node of
    step t (its *offset*) plays the same part in every step.  A slice
    (``getitem``) is drawn as the node it slices, and the stack of the costs
    E_t with the sum (or mean) over it is one node, L: ``fold`` maps a node to
    the node drawn in its place.
    """
    graph: Graph
    steps: list                                    # every time step t, in order
    step: dict                                     # id(node) -> t, None at the top level
    by_step: dict                                  # t (or None) -> its nodes, oldest first
    offset: dict                                   # id(node) -> its position in its step
    fold: dict                                     # id(node) -> the node drawn in its place
    reduction: str | None                          # how L gathers the E_t: "sum", "mean", None
    params: list                                   # the leaves that need a gradient

    def where(self, node):
        """The time step of an op node (None at the top level)."""
        return self.step.get(id(node))

    def drawn(self, node):
        """The node that stands for ``node`` in the drawing (itself, unless folded)."""
        return self.fold.get(id(node), node)

    def cell(self):
        """What the model is, read off the names its steps give their results."""
        names = {n.name for n in self.graph.nodes if n.name}
        return ("LSTM" if "c_t" in names else "GRU" if "r_t" in names else
                "RNN" if "s_t" in names else "network")

    def state_nodes(self):
        """{t: the nodes of step t that pass its state on to a later step} (s_t; an
        LSTM's h_t and c_t).  The last step passes nothing on; it gets the same
        offsets as the step before, since every step records the same ops."""
        offsets = {}
        for e in self.graph.edges:
            if type(e.src) is Node:
                src = self.drawn(e.src)
                t_src, t_dst = self.where(src), self.where(e.dst)
                if t_src is not None and t_dst is not None and t_src < t_dst:
                    offsets.setdefault(t_src, set()).add(self.offset[id(src)])
        previous, out = None, {}
        for t in self.steps:
            kept = offsets.get(t, previous)
            previous = kept
            nodes = self.by_step.get(t, [])
            out[t] = [nodes[i] for i in sorted(kept or ()) if i < len(nodes)]
        return out

    def state_gradients(self):
        """dL/ds_t per state node {(t, offset): array} and ‖dL/ds_t‖ per step {t: float},
        from the nodes that pass the state on (needs retained gradients)."""
        out = {}
        for t, nodes in self.state_nodes().items():
            grads = [n.grad for n in nodes]
            if grads and all(g is not None for g in grads):
                for n in nodes:
                    out[t, self.offset[id(n)]] = n.grad
                out[t] = float(np.sqrt(sum(norm(g) ** 2 for g in grads)))
        return out


def read(graph, who="viz.draw_unrolled"):
    """Group ``graph`` (from :func:`collect`) by time step.

    >>> import numpy as np, rnn
    >>> result = rnn.bptt(rnn.RNN(1, 2, 1, rng=0), np.ones((3, 1)), np.zeros((3, 1)))
    >>> unrolled = read(collect(result.loss_tensor))
    >>> unrolled.steps, unrolled.cell(), unrolled.reduction
    ([1, 2, 3], 'RNN', 'sum')
    """
    step = {id(n): step_of(n.scope) for n in graph.nodes}
    steps = sorted({t for t in step.values() if t is not None})
    if not steps:
        raise ValueError(
            f"{who}: the graph has no time-step scopes (t=<k>), so there is nothing to unroll. "
            f"Record each step inside minigrad.scope(f't={{t}}') (rnn's model.unroll does), "
            f"or draw any graph with viz.draw().")
    by_step = {}
    for node in graph.nodes:
        by_step.setdefault(step[id(node)], []).append(node)
    offset = {id(n): i for nodes in by_step.values() for i, n in enumerate(nodes)}
    fold, reduction = _folds(graph)
    first_use = {}
    for e in graph.edges:                          # edges are in creation order
        first_use.setdefault(id(e.src), e.dst.seq)
    params = sorted((p for p in graph.leaves if p.requires_grad),
                    key=lambda p: first_use[id(p)])     # in the order the steps use them
    return Unrolled(graph, steps, step, by_step, offset, fold, reduction, params)


def _folds(graph):
    """{id(node): the node drawn in its place}, and the loss's reduction ("sum", "mean"
    or None): a slice is drawn as the node it slices; the stack of the costs E_t and
    the sum (or mean) over it are one node, L; and an unnamed op whose one use is a
    named result of the same step is drawn inside it, since that result's equation
    writes it out (``c3 = f3 ⊙ c2 + i3 ⊙ g3`` holds the two products)."""
    fold = {}
    for node in graph.nodes:
        if node.op == "getitem" and type(node.inputs[0]) is Node:
            fold[id(node)] = fold.get(id(node.inputs[0]), node.inputs[0])
    _fold_plumbing(graph, fold)
    root, reduction = graph.root, None
    if (type(root) is Node and root.op in ("sum", "mean") and type(root.inputs[0]) is Node
            and root.inputs[0].op == "stack"
            and all(type(x) is Node and x.op in LOSS_OPS for x in root.inputs[0].inputs)):
        fold[id(root.inputs[0])] = root
        reduction = root.op
    return fold, reduction


def _fold_plumbing(graph, fold):
    """Fold each unnamed op (not a cost) into its only user when that user is drawn as a
    named result of the same step; users first, so a chain folds into its named end."""
    users = {}
    for e in graph.edges:
        if type(e.src) is Node:
            users.setdefault(id(e.src), set()).add(id(e.dst))
    by_id = {id(n): n for n in graph.nodes}
    for node in reversed(graph.nodes):
        if (node.name or node.op in LOSS_OPS or node is graph.root or id(node) in fold
                or len(users.get(id(node), ())) != 1):
            continue
        user = by_id[next(iter(users[id(node)]))]
        drawn = fold.get(id(user), user)
        if drawn.name and step_of(drawn.scope) == step_of(node.scope) is not None:
            fold[id(node)] = drawn


# ------------------------------------------------------------------ which steps are drawn

@dataclass(frozen=True)
class Elision:
    """Which steps a drawing shows.  The ``elided`` steps are drawn as one box,
    through the nodes of their ``representative``: the fullest of them, since
    steps can differ (in a truncated update only some steps have a loss that counts)."""
    shown: tuple
    elided: frozenset
    representative: int | None = None

    def box_of(self, t):
        """The step whose box draws the nodes of step t."""
        return self.representative if t in self.elided else t

    def boxes(self):
        """The boxes drawn, in time order: the shown steps and the elided box."""
        return sorted(self.shown + ((self.representative,) if self.elided else ()))


def ends(keep):
    """(steps kept at the start, at the end): ``keep`` is a number for both, or a pair."""
    return keep if isinstance(keep, tuple) else (keep, keep)


def fewer(keep):
    """The next smaller elision when a slide figure does not fit: one step fewer at each
    end, down to 2; then the first two steps and the last, so that one hand-over of the
    state s_1 -> s_2 still shows; then one at each end.  None when nothing is left."""
    first, last = ends(keep)
    if first > 2:
        return first - 1
    if (first, last) == (2, 2):
        return (2, 1)
    if (first, last) == (2, 1):
        return 1
    return None


def choose_steps(unrolled, elide=True, max_steps=12, keep=3):
    """The steps drawn: all of them, or with more than ``max_steps`` the first and last
    ``keep`` (a number, or a pair (first, last)) and one box for the rest.

    >>> import numpy as np, rnn
    >>> result = rnn.bptt(rnn.RNN(1, 2, 1, rng=0), np.ones((9, 1)), np.zeros((9, 1)))
    >>> chosen = choose_steps(read(collect(result.loss_tensor)), max_steps=5, keep=2)
    >>> chosen.shown, sorted(chosen.elided)
    ((1, 2, 8, 9), [3, 4, 5, 6, 7])
    """
    steps = unrolled.steps
    first, last = ends(keep)
    shown = steps[:first] + steps[-last:] if elide and len(steps) > max_steps else steps
    hidden = frozenset(steps) - frozenset(shown)
    representative = max(sorted(hidden), key=lambda t: len(unrolled.by_step.get(t, ()))) \
        if hidden else None
    return Elision(tuple(shown), hidden, representative)
