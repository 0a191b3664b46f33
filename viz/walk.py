"""The reverse walk of ``backward()``, replayed for drawing.

:func:`replay` asks the engine to walk the graph once more
(``minigrad.graph.reverse_walk``: the same walk, storing nothing) and keeps
what a picture of the walk needs: the order the nodes are visited in, the
gradient each edge carries, and each node's complete gradient.
:func:`time_order` lists the same nodes in the order a textbook goes back in
time (the latest step first), and :meth:`Walk.reordered` takes that order.
:func:`frames` cuts the walk into the frames a class steps through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from heapq import heappop, heappush

import numpy as np

from minigrad.graph import Node, reverse_walk

from .names import node_label
from .read import step_of

__all__ = ["Walk", "replay", "time_order", "Frame", "frames"]


@dataclass
class Walk:
    """One replayed walk over a graph (see :func:`replay`)."""
    order: list = field(default_factory=list)     # the nodes, in the order visited
    sent: dict = field(default_factory=dict)      # id(edge) -> the gradient it carries
    grads: dict = field(default_factory=dict)     # id(node or leaf) -> its gradient

    def step_of(self, node):
        """The walk step (1, 2, …) that visits ``node``."""
        if not hasattr(self, "_steps"):
            self._steps = {id(n): k for k, n in enumerate(self.order, start=1)}
        return self._steps[id(node)]

    def reordered(self, order):
        """The same walk visiting the nodes in ``order`` (e.g. :func:`time_order`): every
        edge carries the same gradient, every node ends with the same one.  That holds
        for any order in which each node comes after all the nodes that use it, since a
        node's gradient is then complete when it is visited."""
        if sorted(map(id, order)) != sorted(map(id, self.order)):
            raise ValueError("Walk.reordered: the order must list the walk's nodes, each once")
        return Walk(list(order), self.sent, self.grads)

    def received(self, graph, done):
        """{id(x): the gradient x has received so far}, once the nodes whose ids are in
        ``done`` have been processed (the root has its seed, dL/dL = 1)."""
        got = {id(graph.root): np.ones(graph.root.shape)}
        for e in graph.edges:
            if id(e.dst) in done and id(e) in self.sent:
                got[id(e.src)] = got.get(id(e.src), 0) + self.sent[id(e)]
        return got


def replay(root, graph):
    """The walk of ``backward()`` from ``root`` over ``graph`` (from ``viz.read.collect``),
    computed afresh: no ``.grad`` anywhere changes.

    >>> import minigrad as mg
    >>> from viz.read import collect
    >>> w = mg.tensor([1.0, 2.0], requires_grad=True, name="w")
    >>> loss = (w * w).sum()
    >>> walk = replay(loss, collect(loss))
    >>> [n.op for n in walk.order], walk.grads[id(w)].tolist(), w.grad
    (['sum', 'mul'], [2.0, 4.0], None)
    """
    into = {}
    for e in graph.edges:
        into.setdefault(id(e.dst), []).append(e)
    walk = Walk()

    def visit(node, g, sent):
        walk.order.append(node)
        walk.grads[id(node)] = g
        wanting = [e for e in into.get(id(node), ())
                   if type(e.src) is Node or e.src.requires_grad]
        for e, (_, g_in) in zip(wanting, sent):
            walk.sent[id(e)] = g_in
            if type(e.src) is not Node:
                walk.grads[id(e.src)] = walk.grads.get(id(e.src), 0) + g_in

    reverse_walk(root, visit)
    return walk


def time_order(graph):
    """The nodes of ``graph`` in the order a textbook goes back through an unrolled
    network: the loss L, then step T (E_T, o_T, s_T, a_T), then step T-1, and so on.

    It is a reverse topological order, like the engine's (decreasing ``seq``): a
    node comes only after every node that uses it.  Of the nodes whose users are all
    done, the next is the one of the latest time step (``t=<k>`` scopes; nodes outside
    any step first), and within a step the newest, as in the engine's walk.  That is
    Kahn's algorithm with a priority: a node is released when its last user is visited.

    >>> import minigrad as mg
    >>> w = mg.tensor([1.0], requires_grad=True, name="w")
    >>> costs = []
    >>> for t in (1, 2):
    ...     with mg.scope(f"t={t}"):
    ...         w = (w * 2).tanh()
    ...         costs.append(w.sum())
    >>> loss = mg.stack(costs).sum()
    >>> from viz.read import collect
    >>> [(n.op, n.scope) for n in time_order(collect(loss))][:5]
    [('sum', ''), ('stack', ''), ('sum', 't=2'), ('tanh', 't=2'), ('mul', 't=2')]
    """
    users = {id(n): 0 for n in graph.nodes}          # users not yet visited, per node
    for e in graph.edges:
        if type(e.src) is Node:
            users[id(e.src)] += 1

    def priority(node):                               # smallest first: latest step, newest
        t = step_of(node.scope)
        return (-math.inf if t is None else -t, -node.seq)

    root = graph.root
    ready = [(priority(root), root)] if type(root) is Node else []
    order = []
    while ready:
        node = heappop(ready)[1]
        order.append(node)
        for inp in node.inputs:                       # one count per edge, so a + a is fine
            if type(inp) is Node:
                users[id(inp)] -= 1
                if users[id(inp)] == 0:
                    heappush(ready, (priority(inp), inp))
    return order


@dataclass
class Frame:
    """One frame of the walk: the ids of the nodes processed so far, the node drawn as
    the one just processed (None for the seed and for a run through elided steps), a
    caption, the walk's nodes processed in this frame and their walk steps (1, 2, …)."""
    done: set
    current: object
    caption: str
    nodes: list = field(default_factory=list)
    steps: tuple = ()                   # (first, last) walk step of ``nodes``; () for the seed


def frames(walk, graph, elided=(), where=None, folded=None, unit_of=None):
    """The frames of the walk, in its order.  A run of nodes in ``elided`` steps
    (``where(node)`` gives a node's step) is one frame; a node the drawing folds into
    another (``folded``: the stack under L = Σ_t E_t, a gate's slice) is done in the
    frame before it; and with ``unit_of`` (node -> the drawn unit that stands for it,
    e.g. the cell box f_t) a run of nodes drawn as one unit is one frame.  Captions
    count the frames there are: "frame 1 of N" (the seed) to "frame N of N".

    >>> import minigrad as mg
    >>> from viz.read import collect
    >>> w = mg.tensor([1.0, 2.0], requires_grad=True, name="w")
    >>> loss = (w * w).sum()
    >>> graph = collect(loss)
    >>> [f.caption for f in frames(replay(loss, graph), graph)]  # doctest: +NORMALIZE_WHITESPACE
    ['frame 1 of 3 · seed: dL/dL = 1 at the root, Σ (w ⊙ w)',
     'frame 2 of 3 · step 1 of 2: Σ (w ⊙ w) sends its gradient to its inputs',
     'frame 3 of 3 · step 2 of 2: w ⊙ w sends its gradient to its inputs']
    """
    order, folded = walk.order, folded or {}
    hidden = sorted(elided)
    root = graph.root
    root_name = "L" if root in folded.values() else node_label(root)
    out = [Frame(set(), None, f"seed: dL/dL = 1 at the root, {root_name}")]
    done = set()
    k = 0
    while k < len(order):
        node = order[k]
        if hidden and where(node) in elided:
            run = []
            while k < len(order) and where(order[k]) in elided:
                run.append(order[k])
                k += 1
            done |= {id(n) for n in run}
            out.append(Frame(set(done), None, f"steps {k - len(run) + 1}–{k} of {len(order)}: "
                             f"the walk crosses the elided copies t = {hidden[0]} … "
                             f"{hidden[-1]}", run, (k - len(run) + 1, k)))
            continue
        k += 1
        done.add(id(node))
        last = out[-1]
        unit = unit_of(node) if unit_of is not None else None
        joins = len(out) > 1 and (id(node) in folded or unit is not None and
                                  last.current is not None and unit == unit_of(last.current))
        if joins:                                    # not drawn on its own
            last.done.add(id(node))
            last.nodes.append(node)
            last.steps = (last.steps[0], k)
            if unit is not None and id(node) not in folded:
                last.caption = (f"steps {last.steps[0]}–{k} of {len(order)}: "
                                f"{_unit_name(last.current, root, root_name)} sends its "
                                f"gradient to its inputs")
            continue
        name = _unit_name(node, root, root_name)
        out.append(Frame(set(done), node, f"step {k} of {len(order)}: {name} sends its "
                         f"gradient to its inputs", [node], (k, k)))
    for i, frame in enumerate(out, start=1):
        frame.caption = f"frame {i} of {len(out)} · {frame.caption}"
    return out


def _unit_name(node, root, root_name):
    return root_name if node is root else node_label(node)
