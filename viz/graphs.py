"""Reading a minigrad graph for drawing: its nodes, leaves, edges and time steps."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from minigrad import Detached, Tensor
from minigrad.graph import Node, unbroadcast

__all__ = ["Edge", "Graph", "collect", "step_of", "LOSS_OPS"]

LOSS_OPS = {"mse_loss", "cross_entropy"}
_STEP = re.compile(r"(?:^|/)t=(-?\d+)(?:/|$)")


def step_of(scope):
    """The time step t of a scope path such as ``"t=3"`` or ``"lstm/t=3"`` (None if none)."""
    found = _STEP.findall(scope or "")
    return int(found[-1]) if found else None


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
