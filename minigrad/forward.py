"""Forward mode: push a tangent through the recorded graph, inputs to outputs.

``backward()`` walks the record newest first and asks each op's vjp table
"given dL/d(output), what is dL/d(input)?".  Forward mode walks the same
record oldest first and asks each op's jvp table (written beside its vjp in
``ops.py`` and ``functional.py``) "given how the inputs move, how does the
output move?"::

    d(output) = Σ_i  (∂ output / ∂ input_i) d(input_i)        (a Jacobian-vector product)

One walk gives the derivative of *every* output along *one* direction u of
the inputs, J u; one backward walk gives the derivative of *one* scalar
along *every* input, vᵀ J.  The two agree through the dot-product identity
⟨v, J u⟩ = ⟨Jᵀ v, u⟩, which the tests check for every op.

RTRL is forward mode over an RNN's unrolled graph, BPTT is reverse mode over
it: ``rnn.rtrl.rtrl_jvp`` carries ds_t/dθ forward with :func:`linearize`.

Broadcasting: a tangent of an input that an op broadcast is broadcast along
with it (one ``np.broadcast_to`` here), as gradients are summed back in
``graph.unbroadcast``.
"""

from __future__ import annotations

import numpy as np

from . import functional, ops
from .errors import ShapeError
from .graph import enable_grad
from .tensor import Tensor

__all__ = ["jvp", "linearize", "Linearized"]

JVP_TABLES = {**ops.JVP_TABLES, **functional.JVP_TABLES}


def jvp(f, inputs, tangents):
    """The value of ``f(*inputs)`` and its directional derivative along ``tangents``.

    ``inputs`` is a sequence of arrays or Tensors, ``tangents`` one array per
    input with the input's shape (``None`` for an input held fixed).
    Returns ``(out, tangent)`` as NumPy arrays: ``tangent`` is
    d/dε f(inputs + ε tangents) at ε = 0, the Jacobian-vector product J u.
    If ``f`` returns a tuple of tensors, both are tuples.

    >>> import numpy as np, minigrad as mg
    >>> out, dout = mg.jvp(lambda x, y: x * y,
    ...                    [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
    ...                    [np.array([1.0, 0.0]), None])       # d/dx_0 of x * y
    >>> out.tolist(), dout.tolist()
    ([3.0, 8.0], [3.0, 0.0])
    >>> mg.jvp(lambda W, x: mg.tanh(W @ x), [np.eye(2), np.ones(2)],
    ...        [None, np.array([1.0, 0.0])])[1].round(4).tolist()   # (1 - tanh²(1)) e_0
    [0.42, 0.0]
    """
    lin = linearize(f, inputs)
    return lin.value, lin.push(tangents)


def linearize(f, inputs):
    """Run ``f(*inputs)`` once, recording it, and return a :class:`Linearized`
    that pushes any number of tangents through that one record.

    An input that is a leaf Tensor requiring a gradient (a model's parameter)
    is used as it is, so ``f`` may read it from elsewhere (``model.W``);
    anything else becomes a fresh leaf.

    >>> import numpy as np, minigrad as mg
    >>> lin = mg.linearize(lambda x: (x * x).sum(), [np.array([1.0, 2.0, 3.0])])
    >>> [float(lin.push([e])) for e in np.eye(3)]          # the gradient 2x, column by column
    [2.0, 4.0, 6.0]
    """
    leaves = [x if isinstance(x, Tensor) and x.node is None and x.requires_grad
              else Tensor(x._data if isinstance(x, Tensor) else np.asarray(x),
                          requires_grad=True)
              for x in inputs]
    with enable_grad():
        out = f(*leaves)
    return Linearized(leaves, out)


class Linearized:
    """A recorded run of ``f``: its value, and :meth:`push` for its jvps."""

    def __init__(self, leaves, out):
        self.leaves = leaves
        self.outputs = out if isinstance(out, (tuple, list)) else (out,)
        self.single = not isinstance(out, (tuple, list))
        self.value = _unpack([o._data for o in self.outputs], self.single)
        self.nodes = _nodes_in_forward_order(self.outputs)

    def push(self, tangents):
        """J u: the outputs' tangents for the inputs' ``tangents`` (None: held fixed)."""
        if len(tangents) != len(self.leaves):
            raise ValueError(f"jvp: {len(self.leaves)} inputs but {len(tangents)} tangents; "
                             f"give one tangent per input (None to hold one fixed)")
        dot = {}                                      # id(leaf or node) -> its tangent
        for leaf, u in zip(self.leaves, tangents):
            if u is None:
                continue
            u = np.asarray(u)
            if u.shape != leaf.shape:
                raise ShapeError(f"jvp: a tangent has shape {u.shape} but its input has "
                                 f"shape {leaf.shape}; a tangent is a direction in the "
                                 f"input's own space, so the shapes must match")
            dot[id(leaf)] = u
        for node in self.nodes:
            table = JVP_TABLES[node.op]
            if callable(table):                      # n-ary ops: the table for n inputs
                table = table(len(node.inputs))
            total = None
            for i, source in enumerate(node.inputs):
                du = dot.get(id(source))
                if du is not None:                   # d(output) += (∂ output/∂ input_i) du
                    share = table[i](du, *node.saved)
                    total = share if total is None else total + share
            if total is not None:
                dot[id(node)] = np.broadcast_to(total, node.shape)   # tangents broadcast forward
        result = []
        for o in self.outputs:
            d = dot.get(id(o.node if o.node is not None else o))
            result.append(np.zeros(o.shape) if d is None else np.array(d))
        return _unpack(result, self.single)


def _unpack(arrays, single):
    return arrays[0] if single else tuple(arrays)


def _nodes_in_forward_order(outputs):
    """Every node the outputs depend on, oldest first (creation order is topological)."""
    seen, stack = {}, [o.node for o in outputs if o.node is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen[id(node)] = node
        stack.extend(s for s in node.inputs if not isinstance(s, Tensor))
    return sorted(seen.values(), key=lambda n: n.seq)
