"""What the explorer's chain-rule panel says, in the figure's names.

At each step of the reverse walk the panel shows the gradient arriving at the
node, δ = ∂L/∂(its output), and what the node sends to each input: the
vector-Jacobian product of δ, written with the names the figure uses (s3, z3,
the gate's slice z3[i], c3, h3; V for the matrix of o3 = V s3 + c).  δ, not g:
g is one of the LSTM's gates.  At a_t it is the course notes' δ_t = ∂L/∂a_t.

>>> import minigrad as mg
>>> from viz.read import collect
>>> w = mg.tensor([0.5], requires_grad=True, name="w")
>>> loss = (w * 3.0).tanh().sum()
>>> names = Names(collect(loss), None)
>>> tanh = loss.node.inputs[0]
>>> names.of(tanh), vjp_text(tanh, 0, names)
('tanh(w ⊙ 3)', ('δ ⊙ (1 − tanh(w ⊙ 3)²)', ''))
"""

from __future__ import annotations

import numpy as np

from minigrad.graph import Node

from ..names import node_label
from ..read import LOSS_OPS, step_of

__all__ = ["VJP_TEXT", "Names", "vjp_text", "loss_text", "atom"]

# What each op's vector-Jacobian product computes, per input, in the figure's names:
# {a}, {b} are the op's inputs, {y} its output, δ = ∂L/∂y.  (minigrad/ops.py writes each
# derivative as a differential on the op's docstring, d(a b) = b da + a db; a vjp is its
# transpose for one input, in the figure's names: another text, not a rewrite of it.)
VJP_TEXT = {
    "add": ("δ", "δ"), "sub": ("δ", "−δ"), "mul": ("δ ⊙ {b}", "δ ⊙ {a}"),
    "div": ("δ / {b}", "−δ ⊙ {a} / {b}²"), "neg": ("−δ",),
    "pow": ("δ ⊙ {b} {a}^({b} − 1)", "δ ⊙ {y} log {a}"),
    "matmul": ("δ {b}ᵀ", "{a}ᵀ δ"), "exp": ("δ ⊙ {y}",), "log": ("δ / {a}",),
    "sqrt": ("δ / (2 {y})",), "abs": ("δ ⊙ sign({a})",), "tanh": ("δ ⊙ (1 − {y}²)",),
    "sigmoid": ("δ ⊙ {y} ⊙ (1 − {y})",), "relu": ("δ ⊙ [{a} > 0]",),
    "sum": ("δ, copied to every element of {a}",),
    "mean": ("δ / n, copied to every element of {a}",),
    "max": ("δ at the largest element of {a}, 0 elsewhere",),
    "reshape": ("δ, reshaped back to {a}'s shape",), "transpose": ("δᵀ",),
    "getitem": ("δ in the place of {y} within {a}, 0 elsewhere",),
    "stack": ("slice {i} of δ",), "concat": ("the part of δ that {a} filled",),
    "astype": ("δ",),
    "mse_loss": ("2 ({a} − {b}) δ", "−2 ({a} − {b}) δ"),
    "cross_entropy": ("(softmax({a}) − onehot({b})) δ", "—"),
}


class Names:
    """What the page calls a node or leaf: the figure's names (s3, z3, c3, h3, E3, L),
    a slice of a node by the gate it feeds (z3[i], the rows of z3 that make i3), an
    unnamed op by its short formula (tanh(c3))."""

    def __init__(self, graph, unrolled):
        self.root = graph.root
        self.reduction = unrolled.reduction if unrolled is not None else None
        self.users = {}
        for e in graph.edges:
            self.users.setdefault(id(e.src), []).append(e.dst)

    def of(self, x):
        """The short name: s3, z3[i], tanh(c3), L, W."""
        if type(x) is not Node:
            return x.name or ("param" if x.requires_grad else "const")
        if x is self.root and self.reduction is not None:
            return "L"
        if x.op == "getitem" and type(x.inputs[0]) is Node:
            return f"{atom(self.of(x.inputs[0]))}[{self._gate(x) or _index_text(x)}]"
        label = node_label(x)
        return label.split(" = ")[0] if x.name or x.op in LOSS_OPS else label

    def heading(self, node):
        """The name with its equation, as the figure writes it: s3 = tanh(a3)."""
        if node.op == "getitem" and type(node.inputs[0]) is Node:
            gate = self._gate(node)
            whose = f"{gate}{step_of(node.scope) or ''}" if gate else "a slice"
            return f"{self.of(node)}: the rows of {self.of(node.inputs[0])} that make {whose}"
        if node is self.root and self.reduction is not None:
            return node_label(node, self.reduction)
        return node_label(node)

    def _gate(self, node, depth=4):
        """The letter of the named result a slice feeds (i for i_t), through a few
        unnamed ops that each have one user (a GRU adds before its σ)."""
        x = node
        for _ in range(depth):
            users = self.users.get(id(x), [])
            if len(users) != 1:
                return None
            x = users[0]
            if x.name and x.name.endswith("_t"):
                return x.name[:-2]
        return None


def atom(name):
    """A name inside a formula: in parentheses if it is a formula with a space outside
    any brackets (f3 ⊙ c2, U x1 + b; not tanh(c3) or z3[i])."""
    depth = 0
    for c in name:
        depth += (c in "([") - (c in ")]")
        if c == " " and depth == 0:
            return f"({name})"
    return name


def _index_text(node):
    """A slice's index as text, "…, 3:6", when no gate names it."""
    index = node.saved[1] if len(node.saved) > 1 else None
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for part in parts:
        if part is Ellipsis:
            out.append("…")
        elif isinstance(part, slice):
            out.append(f"{'' if part.start is None else part.start}:"
                       f"{'' if part.stop is None else part.stop}")
        elif isinstance(part, (int, np.integer)):
            out.append(str(int(part)))
        else:
            out.append("·")
    return ", ".join(out)


def vjp_text(node, i, names):
    """(the vjp for input i of ``node``, a hint or ""), in the figure's names."""
    inputs = node.inputs
    if node.op == "linear":      # y = Σ_k W_k x_k + b, as the figure writes it
        n = len(inputs) // 2
        if i < n:
            matrix = names.of(inputs[n + i])
            return (f"{atom(matrix)}ᵀ δ",
                    f"{names.of(node)} is linear in {names.of(inputs[i])}: the matrix is {matrix}")
        if i < 2 * n:
            return f"δ {atom(names.of(inputs[i - n]))}ᵀ", "an outer product, summed over the batch"
        return "δ", "summed over the batch"
    table = VJP_TEXT.get(node.op)
    if table is None:
        return f"vjp[{i}](δ)", ""
    a = atom(names.of(inputs[0]))
    b = atom(names.of(inputs[1])) if len(inputs) > 1 else ""
    text = table[min(i, len(table) - 1)].format(a=a, b=b, y=atom(names.of(node)), i=i + 1)
    if node.op == "mse_loss" and node.saved[1] != 2.0:           # a mean: 2/n
        text = text.replace("2 (", "(2/n) (", 1)
    return text, ""


def loss_text(reduction):
    """What L = Σ_t E_t (or the mean over t) sends to each E_t."""
    return "δ" if reduction == "sum" else "δ / T"
