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
from .graph import enable_grad, recording_for_tangents
from .tensor import Tensor

__all__ = ["jvp", "linearize", "Linearized"]

JVP_TABLES = {**ops.JVP_TABLES, **functional.JVP_TABLES}


def jvp(f, inputs, tangents):
    """The value of ``f(*inputs)`` and its directional derivative along ``tangents``.

    ``inputs`` is a list (or tuple) of arrays or Tensors, one per argument of
    ``f``; ``tangents`` one array (or Tensor) per input with the input's shape
    (``None`` for an input held fixed).  Returns ``(out, tangent)`` as NumPy
    arrays: ``tangent`` is d/dε f(inputs + ε tangents) at ε = 0, the
    Jacobian-vector product J u.  If ``f`` returns a tuple of tensors, both are
    tuples.  As in ``torch.func.jvp``, each input is its own primal (the same
    tensor passed twice is two inputs, each with its own tangent), and
    ``no_grad`` inside ``f`` does not stop the tangents: it switches off
    reverse mode only (see :func:`linearize`).

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
    if tangents is None:
        raise TypeError("mg.jvp: tangents is None. Fix: give one tangent per input, a list "
                        "such as [u] (None inside the list holds that input fixed)")
    lin = linearize(f, inputs, where="mg.jvp")
    return lin.value, lin.push(tangents, where="mg.jvp")


def linearize(f, inputs, *, where="mg.linearize"):
    """Run ``f(*inputs)`` once, recording it, and return a :class:`Linearized`
    that pushes any number of tangents through that one record.

    An input that is a leaf Tensor requiring a gradient (a model's parameter)
    is used as it is, so ``f`` may read it from elsewhere (``model.W``);
    anything else becomes a fresh leaf (integers become float64), and so does
    a tensor passed a second time, so that each input is its own primal.

    ``no_grad`` inside ``f`` is ignored by the tangents, as in PyTorch's
    forward mode (``torch.func.jvp``, ``torch.autograd.forward_ad``): ops run
    under it are recorded for forward mode only (``graph.TangentNode``), and
    reverse mode still sees their results as constants.  ``detach()`` does cut
    the tangent, as in PyTorch.  ``where`` names the caller in error messages.

    >>> import numpy as np, minigrad as mg
    >>> lin = mg.linearize(lambda x: (x * x).sum(), [np.array([1.0, 2.0, 3.0])])
    >>> [float(lin.push([e])) for e in np.eye(3)]          # the gradient 2x, column by column
    [2.0, 4.0, 6.0]
    """
    if callable(inputs) and not callable(f):
        raise TypeError(f"{where}: the function comes first: {where}(f, inputs, ...)")
    if not callable(f):
        raise TypeError(f"{where}: f must be a function of the inputs, got "
                        f"{type(f).__name__}")
    if not isinstance(inputs, (list, tuple)):
        what = _a(inputs) + (f" of shape {inputs.shape}"
                             if isinstance(inputs, (np.ndarray, Tensor)) else "")
        raise TypeError(f"{where}: inputs must be a list (or tuple) with one entry per "
                        f"argument of f, got {what}. Fix: [x] for a function of one input")
    leaves, seen = [], set()
    for i, x in enumerate(inputs):
        if (isinstance(x, Tensor) and x.node is None and x.requires_grad
                and id(x) not in seen):
            leaf = x                                   # a parameter: f may read it elsewhere
        else:
            leaf = Tensor(_real_array(where, f"inputs[{i}]", x), requires_grad=True)
        seen.add(id(leaf))
        leaves.append(leaf)
    with enable_grad(), recording_for_tangents():
        out = f(*leaves)
    outputs = out if isinstance(out, (tuple, list)) else (out,)
    for o in outputs:
        if not isinstance(o, Tensor):
            raise TypeError(
                f"{where}: f returned {_what(out)}, not a minigrad Tensor (or a tuple of "
                f"them), so there is no record of how it was computed. Fix: compute the "
                f"result with minigrad ops on the tensors f receives (x * y, mg.tanh(x), "
                f"...), not with NumPy or .data, and return it")
    return Linearized(leaves, out)


def _a(value):
    """'a Tensor', 'an ndarray': the type of ``value`` with its article."""
    name = type(value).__name__
    return ("an " if name[0] in "aeiou" or name == "ndarray" else "a ") + name


def _what(value):
    """A few words for what f returned."""
    if isinstance(value, (tuple, list)):
        inner = ", ".join(type(v).__name__ for v in value)
        return f"{_a(value)} of ({inner})"
    return "None" if value is None else _a(value)


def _real_array(where, what, x):
    """``x`` (a Tensor, an array, numbers) as an array of real floats, or a clear error."""
    array = np.asarray(x._data if isinstance(x, Tensor) else x)
    if array.dtype.kind in "iu":
        return array.astype(np.float64)
    if array.dtype.kind != "f":
        kind = {"b": "booleans", "c": "complex numbers", "U": "strings", "S": "bytes",
                "O": "Python objects"}.get(array.dtype.kind, f"dtype {array.dtype}")
        raise TypeError(f"{where}: {what} holds {kind} ({_short(x)}); forward mode needs "
                        f"real floating-point numbers. Fix: pass a float array, e.g. "
                        f"np.asarray(values, dtype=float)")
    return array


def _short(x):
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


class Linearized:
    """A recorded run of ``f``: its value, and :meth:`push` for its jvps."""

    def __init__(self, leaves, out):
        self.leaves = leaves
        self.outputs = out if isinstance(out, (tuple, list)) else (out,)
        self.single = not isinstance(out, (tuple, list))
        self.value = _unpack([o._data for o in self.outputs], self.single)
        self.nodes = _nodes_in_forward_order(self.outputs)

    def push(self, tangents, *, where="Linearized.push"):
        """J u: the outputs' tangents for the inputs' ``tangents`` (None: held fixed).

        A tangent is an array (or a Tensor, as ``torch.func.jvp`` takes) of
        real numbers with its input's shape.
        """
        n = len(self.leaves)
        if not isinstance(tangents, (list, tuple)):
            raise TypeError(f"{where}: tangents must be a list (or tuple) with one tangent per "
                            f"input ({n}), got {_a(tangents)}. Fix: [u]"
                            + (", also for a single input" if n == 1 else ""))
        if len(tangents) != n:
            raise ValueError(f"{where}: {n} inputs but {len(tangents)} tangents; "
                             f"give one tangent per input (None to hold one fixed)")
        dot = {}                                      # id(leaf or node) -> its tangent
        for i, (leaf, u) in enumerate(zip(self.leaves, tangents)):
            if u is None:
                continue
            if isinstance(u, (bool, np.bool_)):
                raise TypeError(f"{where}: tangents[{i}] is {u!r}; a tangent is a direction: "
                                f"an array of real numbers with the input's shape "
                                f"{leaf.shape} (None holds the input fixed)")
            u = _real_array(where, f"tangents[{i}]", u)
            if u.shape != leaf.shape:
                raise ShapeError(f"{where}: tangents[{i}]: the tangent has shape {u.shape} but "
                                 f"its input has shape {leaf.shape}; a tangent is a direction "
                                 f"in the input's own space, so the shapes must match")
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
