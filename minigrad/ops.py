"""The primitive ops.  Each one computes its result and, right under it,
says how the gradient of the result flows back into each input.

Every op ends with ``record(name, result, inputs, VJPS, saved)``.  ``VJPS``
is the op's table, written once under the op: ``VJPS[i](g, *saved)`` takes
``g = dL/d(result)`` and returns ``dL/d(inputs[i])`` (a vector-Jacobian
product); ``saved`` holds the arrays it needs from the forward pass.  Three
rules keep the tables short:

* A vjp may return a gradient with the *broadcast* shape; ``backward``
  sums it down to the input's shape in one place (``graph.unbroadcast``).
* A vjp is only called if its input needs a gradient, so a vjp that would
  be costly (the ``x`` side of ``W @ x`` for data ``x``) costs nothing.
* A node stores the shared table and the few saved arrays, nothing else:
  no closure per op, so a graph of a million ops stays small.

Beside each vjp table sits the op's *forward-mode* table, ``NAME_JVP``:
``NAME_JVP[i](dx, *saved)`` takes a tangent ``dx`` of ``inputs[i]`` (same
shape as that input) and returns its share of the result's tangent, the
Jacobian-vector product ``(d result / d inputs[i]) dx``.  The result's
tangent is the sum of the shares (the derivative is linear), broadcast to
the result's shape once, in ``forward.py``: tangents broadcast forward as
gradients sum back.  ``JVP_TABLES`` finds an op's table by its name.

Python numbers and ndarrays mix with tensors on either side of an
operator.  A Python number takes the float dtype of the tensor it meets,
so float32 stays float32.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .errors import ShapeError
from .graph import hold, record, records
from .tensor import Tensor

__all__ = [
    "add", "sub", "mul", "div", "pow", "neg", "matmul",
    "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu",
    "sum", "mean", "max", "reshape", "transpose", "getitem", "concat", "stack", "unbind", "astype",
]


# ------------------------------------------------------------------ helpers

def _lift(x, like):
    """``x`` as a Tensor; a Python number takes ``like``'s float dtype."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (int, float)) and like._data.dtype.kind == "f":
        number = Tensor._wrap(np.asarray(x, dtype=like._data.dtype))
        number._held = True        # a fresh array with no other name: nothing to freeze
        return number
    return as_tensor(x)


def as_tensor(x):
    """``x`` as a Tensor.  Tensors pass through; anything else is converted.

    An ndarray is copied, unless nobody can write into its memory (then it is
    wrapped as it is): a graph recorded from it must not change when you fill
    your array again for the next step.  Nobody can write into an array that
    is read-only and owns its memory, or is a read-only view of such arrays
    only.  A read-only view of memory that is not an ndarray's (NumPy's
    ``sliding_window_view`` and ``as_strided`` of your array, ``np.frombuffer``)
    may still be written through its owner, so it is copied.

    >>> import minigrad as mg
    >>> buffer = np.ones(3)
    >>> mg.as_tensor(buffer)._data is buffer            # a copy: your buffer stays yours
    False
    >>> frozen = np.ones(3); frozen.flags.writeable = False
    >>> mg.as_tensor(frozen)._data is frozen            # nobody can change it: no copy
    True
    >>> windows = np.lib.stride_tricks.sliding_window_view(buffer, 2)   # read-only view
    >>> mg.as_tensor(windows)._data is windows          # of `buffer`, which is writable
    False
    """
    if isinstance(x, Tensor):
        return x
    if type(x) is np.ndarray and x.dtype.kind in "fiub":
        if _read_only(x):
            return Tensor._wrap(x)
        t = Tensor._wrap(x.copy())
        t._held = True             # the copy has no other name: nothing to freeze (graph.py)
        return t
    return Tensor(x)


def _read_only(array):
    """True if nobody can write into ``array``'s memory: it and the arrays it views are
    read-only, and the last of them owns its memory (its base is None, not a buffer
    or another object that may be written through)."""
    while True:
        if array.flags.writeable:
            return False
        base = array.base
        if base is None:
            return True
        if not isinstance(base, np.ndarray):      # memory owned by something else
            return False
        array = base


def _pair(a, b):
    """Both operands of a binary op as Tensors."""
    if isinstance(a, Tensor):
        return a, _lift(b, a)
    return _lift(a, b), b


def _broadcast(op, fn, a, b):
    """``fn(a, b)`` on the data, with a clear error if the shapes don't broadcast."""
    try:
        return fn(a._data, b._data)
    except ValueError:
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ShapeError(
                f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together. "
                f"NumPy compares shapes from the right; each pair of sizes must be equal "
                f"or one of them 1. Fix: reshape one side, e.g. x.reshape(-1, 1).") from None
        raise


def _mT(m):
    """Transpose of the last two axes (of every matrix in a stack)."""
    return m.T if m.ndim == 2 else m.swapaxes(-1, -2)


def _axes(op, axis, ndim):
    """``axis`` as a tuple of non-negative ints (all axes for None)."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for ax in axes:
        if not isinstance(ax, (int, np.integer)) or not -ndim <= ax < ndim:
            if ndim == 0:
                raise ShapeError(f"{op}: axis {ax!r} is out of range: the tensor is 0-d (a "
                                 f"single number) and has no axes; use axis=None.")
            raise ShapeError(f"{op}: axis {ax!r} is out of range for a tensor with "
                             f"{ndim} dimension(s); use 0..{ndim - 1} or negative from the end.")
        out.append(int(ax) % ndim)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: repeated axis in {axis!r}")
    return tuple(out)


def _expand_back(g, shape, axes, keepdims):
    """Broadcast the gradient of a reduction back over the reduced axes."""
    if g.ndim == 0:                # a reduction to one number: every element gets it
        return np.full(shape, g)
    if not keepdims:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


# ------------------------------------------------------- elementwise binary

def add(a, b):
    """a + b.    d(a + b) = da + db"""
    a, b = _pair(a, b)
    return record("add", _broadcast("add", np.add, a, b), (a, b), ADD)


ADD = (lambda g: g,                       # dL/da = g
       lambda g: g)                       # dL/db = g
ADD_JVP = (lambda da: da,                 # d(a + b) = da + db
           lambda db: db)


def sub(a, b):
    """a - b.    d(a - b) = da - db"""
    a, b = _pair(a, b)
    return record("sub", _broadcast("sub", np.subtract, a, b), (a, b), SUB)


SUB = (lambda g: g,
       lambda g: -g)
SUB_JVP = (lambda da: da,                 # d(a - b) = da - db
           lambda db: -db)


def mul(a, b):
    """a * b (elementwise).    d(a b) = b da + a db"""
    a, b = _pair(a, b)
    x, y = a._data, b._data
    return record("mul", _broadcast("mul", np.multiply, a, b), (a, b), MUL, (x, y))


MUL = (lambda g, x, y: g * y,
       lambda g, x, y: g * x)
MUL_JVP = (lambda da, x, y: da * y,       # d(a b) = b da + a db
           lambda db, x, y: x * db)


def div(a, b):
    """a / b.    d(a / b) = da / b - (a / b^2) db"""
    a, b = _pair(a, b)
    out = _broadcast("div", np.true_divide, a, b)
    return record("div", out, (a, b), DIV, (b._data, out))


DIV = (lambda g, y, out: g / y,
       lambda g, y, out: -g * out / y)    # -g a / b^2 = -g (a / b) / b
DIV_JVP = (lambda da, y, out: da / y,     # d(a / b) = da / b - (a / b) db / b
           lambda db, y, out: -db * out / y)


def pow(a, b):
    """a ** b.    d(a^b) = b a^(b-1) da + a^b log(a) db

    At the kinks the gradients are PyTorch's:

    * where b == 0, a^0 = 1 is flat in a, so dL/da = 0 there, also at a = 0
      (the formula would give 0 · 0^-1 = NaN);
    * where a == 0 and b >= 0, dL/db = 0 (0^b is flat in b there); where
      a == 0 and b < 0 it is -inf, where a < 0 it is NaN (no real log(a)).

    One difference, at a = -0.0: IEEE's pow, which NumPy computes, gives
    (-0)^-0.5 = +inf, so ``a ** -0.5`` is +inf and ``a ** 0.5`` has
    dL/da = 0.5 (-0)^-0.5 = +inf; PyTorch takes the shortcut rsqrt(-0) =
    1 / -0 = -inf for both.  minigrad keeps NumPy's value, one pow for all b.

    An integer tensor to a negative integer power is refused, as NumPy and
    PyTorch refuse it (the result is not an integer).

    >>> import minigrad as mg
    >>> x = mg.tensor([0.0, 3.0], requires_grad=True)
    >>> (x ** 0).sum().backward()
    >>> x.grad
    array([0., 0.])
    """
    a, b = _pair(a, b)
    if a._data.dtype.kind in "iub" and b._data.dtype.kind in "iub" and (b._data < 0).any():
        raise ValueError(
            f"pow: an integer tensor (dtype {a._data.dtype}) to a negative integer power "
            f"({b._data.min()}) is not an integer, so NumPy refuses it (\"Integers to "
            f"negative integer powers are not allowed\"). Fix: use floats, e.g. "
            f"x.astype('float64') ** {b._data.min()}, or write 1 / x ** n.")
    out = _broadcast("pow", np.power, a, b)
    if b._data.ndim == 0 and b._data == 2 and not b._requires_grad:
        return record("pow", out, (a, b), SQUARE, (a._data, b._data, out))   # x ** 2
    return record("pow", out, (a, b), POW, (a._data, b._data, out))


def _pow_d_base(g, x, y, out):            # dL/da = g b a^(b-1), but 0 where b == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y == 0, 0.0, g * y * x ** (y - 1))


def _pow_d_exponent(g, x, y, out):        # dL/db = g a^b log(a), but 0 where a == 0 <= b
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((x == 0) & (y >= 0), 0.0, g * out * np.log(x))


POW = (_pow_d_base,
       _pow_d_exponent)
POW_JVP = (lambda da, x, y, out: _pow_d_base(da, x, y, out),        # b a^(b-1) da
           lambda db, x, y, out: _pow_d_exponent(db, x, y, out))    # a^b log(a) db

# The square of every squared loss, x ** 2 with a constant 2: dL/da = g 2 a, the
# same numbers as _pow_d_base (there a ** (2 - 1) is a itself) without its checks
# (its forward table is POW_JVP: forward.py finds tables by the op's name).
SQUARE = (lambda g, x, y, out: g * y * x,
          _pow_d_exponent)


def neg(a):
    """-a.    d(-a) = -da"""
    a = as_tensor(a)
    return record("neg", -a._data, (a,), NEG)


NEG = (lambda g: -g,)
NEG_JVP = (lambda da: -da,)


# ----------------------------------------------------------------- matmul

def matmul(a, b):
    """a @ b, with NumPy's rules: 1-D operands are vectors, leading axes are batches.

    For matrices, d(a b) = da b + a db, so dL/da = g bᵀ and dL/db = aᵀ g.
    A 1-D left operand acts as a row (1, k) and a 1-D right operand as a
    column (k, 1); the same formulas then apply and the extra axis is dropped.
    """
    a, b = _pair(a, b)
    x, y = a._data, b._data
    if x.ndim == 0 or y.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least one dimension, got shapes "
                         f"{x.shape} and {y.shape}; use * to multiply by a scalar.")
    try:
        out = np.matmul(x, y)
    except ValueError:
        k_left = x.shape[-1]
        k_right = y.shape[-2] if y.ndim > 1 else y.shape[0]
        raise ShapeError(
            f"matmul: shapes {x.shape} and {y.shape} don't line up: the last axis of the "
            f"left ({k_left}) must equal the {'second-to-last' if y.ndim > 1 else 'only'} "
            f"axis of the right ({k_right})"
            + ("" if k_left != k_right else ", and the batch axes must broadcast")
            + ". Fix: transpose one side (x.T) or reshape it.") from None
    if x.ndim > 1 and y.ndim > 1:           # the common case: (stacks of) matrices
        return record("matmul", out, (a, b), MATMUL, (x, y))
    return record("matmul", out, (a, b), MATMUL_VECTORS, (x, y))


MATMUL = (lambda g, x, y: g @ _mT(y),     # dL/da = g bᵀ
          lambda g, x, y: _mT(x) @ g)     # dL/db = aᵀ g


def _as_matrix(g, x, y):
    """The gradient with the axes the vector operands dropped put back."""
    if y.ndim == 1:
        g = g[..., None]
    if x.ndim == 1:
        g = g[..., None, :]
    return g


def _vector_d_right(g, x, y):
    gy = _mT(x[None, :] if x.ndim == 1 else x) @ _as_matrix(g, x, y)
    return gy[..., 0] if y.ndim == 1 else gy


MATMUL_VECTORS = (   # x as a row (1, k), y as a column (k, 1); (..., 1, k) sums down to (k,)
    lambda g, x, y: _as_matrix(g, x, y) @ _mT(y[:, None] if y.ndim == 1 else y),
    _vector_d_right)

# Forward, one table serves matrices and vectors alike: d(a b) = da b + a db,
# and np.matmul applies the same 1-D rules to da b and a db as to a b.
MATMUL_JVP = (lambda da, x, y: np.matmul(da, y),
              lambda db, x, y: np.matmul(x, db))


# -------------------------------------------------------- elementwise unary

def exp(a):
    """e^a.    d(e^a) = e^a da"""
    a = as_tensor(a)
    out = np.exp(a._data)
    return record("exp", out, (a,), EXP, (out,))


EXP = (lambda g, out: g * out,)
EXP_JVP = (lambda da, out: out * da,)


def log(a):
    """Natural log.    d(log a) = da / a"""
    a = as_tensor(a)
    return record("log", np.log(a._data), (a,), LOG, (a._data,))


LOG = (lambda g, x: g / x,)
LOG_JVP = (lambda da, x: da / x,)


def sqrt(a):
    """Square root.    d(sqrt a) = da / (2 sqrt a)

    At a = 0 the gradient is inf (the curve stands vertical there), as in
    PyTorch; below 0 the result and its gradient are NaN.
    """
    a = as_tensor(a)
    out = np.sqrt(a._data)
    return record("sqrt", out, (a,), SQRT, (out,))


SQRT = (lambda g, out: g / (2 * out),)
SQRT_JVP = (lambda da, out: da / (2 * out),)


def abs(a):
    """|a|.    d|a| = sign(a) da, with sign(0) = 0 and, as in PyTorch, sign(NaN) = 0

    So a NaN that the loss does not use leaves the other gradients alone:
    with NumPy's sign(NaN) = NaN, ``abs(x)[0]`` would give x.grad = NaN at
    the unused NaN entry (0 · NaN).

    >>> import minigrad as mg
    >>> x = mg.tensor([-2.0, 0.0, float("nan")], requires_grad=True)
    >>> x.abs()[0].backward()
    >>> x.grad
    array([-1.,  0.,  0.])
    """
    a = as_tensor(a)
    return record("abs", np.abs(a._data), (a,), ABS, (a._data,))


ABS = (lambda g, x: g * np.nan_to_num(np.sign(x), nan=0.0),)   # sign(NaN) = 0
ABS_JVP = (lambda da, x: np.nan_to_num(np.sign(x), nan=0.0) * da,)


def tanh(a):
    """tanh(a).    d tanh(a) = (1 - tanh(a)^2) da"""
    a = as_tensor(a)
    out = np.tanh(a._data)
    return record("tanh", out, (a,), TANH, (out,))


TANH = (lambda g, out: g * (1 - out * out),)
TANH_JVP = (lambda da, out: (1 - out * out) * da,)


def sigmoid(a):
    """σ(a) = 1 / (1 + e^-a).    dσ = σ (1 - σ) da

    Computed without overflow: e^-|a| is at most 1.
    """
    a = as_tensor(a)
    x = a._data
    e = np.exp(-np.abs(x))
    r = 1 / (1 + e)
    out = np.where(x >= 0, r, e * r)
    return record("sigmoid", out, (a,), SIGMOID, (out,))


SIGMOID = (lambda g, out: g * out * (1 - out),)
SIGMOID_JVP = (lambda da, out: out * (1 - out) * da,)


def relu(a):
    """max(a, 0).    d relu(a) = [a > 0] da

    As in PyTorch: the gradient at a = 0 is 0, a NaN input gives a NaN
    output and passes its gradient through (the test is "not a <= 0"), and
    where a <= 0 the gradient is exactly 0, even if g is NaN or inf there.

    >>> import minigrad as mg
    >>> x = mg.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    >>> x.relu().sum().backward()
    >>> x.grad
    array([0., 0., 1.])
    """
    a = as_tensor(a)
    out = np.maximum(a._data, 0)
    return record("relu", out, (a,), RELU, (out,))


RELU = (lambda g, out: np.where(out <= 0, 0.0, g),)    # g where a > 0 (or NaN), else 0
RELU_JVP = (lambda da, out: np.where(out <= 0, 0.0, da),)


# ------------------------------------------------------------- reductions

def sum(a, axis=None, keepdims=False):
    """Sum over ``axis`` (all axes by default).    d(Σ a) = Σ da, so every element gets g."""
    a = as_tensor(a)
    x = a._data
    axes = _axes("sum", axis, x.ndim)
    return record("sum", x.sum(axis=axes, keepdims=keepdims), (a,), SUM,
                  (x.shape, axes, keepdims))   # the shape, not the array


SUM = (lambda g, shape, axes, keepdims: _expand_back(g, shape, axes, keepdims),)
SUM_JVP = (lambda da, shape, axes, keepdims: da.sum(axis=axes, keepdims=keepdims),)


def mean(a, axis=None, keepdims=False):
    """Mean over ``axis``.    Every element gets g / n, n = number of elements averaged."""
    a = as_tensor(a)
    x = a._data
    axes = _axes("mean", axis, x.ndim)
    n = 1
    for ax in axes:
        n *= x.shape[ax]
    if n == 0:
        raise ShapeError(f"mean: nothing to average over axis {axis!r} of shape {x.shape}")
    return record("mean", x.mean(axis=axes, keepdims=keepdims), (a,), MEAN,
                  (x.shape, axes, keepdims, n))


MEAN = (lambda g, shape, axes, keepdims, n: _expand_back(g / n, shape, axes, keepdims),)
MEAN_JVP = (lambda da, shape, axes, keepdims, n: da.sum(axis=axes, keepdims=keepdims) / n,)


def max(a, axis=None, keepdims=False):
    """Maximum over ``axis`` (all axes by default), like ``numpy.max`` and ``torch.amax``.

    The gradient goes to the maximal elements; ties share it equally, as in
    PyTorch's ``amax`` and its full reduction ``x.max()``.  (``torch.max(x,
    dim)`` gives it all to the first maximal element instead: it returns
    that element's index.)

    A NaN is the maximum (NaN propagates, as in NumPy and PyTorch), and the
    gradient goes to the NaN elements, shared equally, as PyTorch's ``x.max()``
    does.  Along an axis minigrad does the same in each slice with a NaN;
    there PyTorch's ``amax`` gives NaN to every element of the slice (its
    share is 0 winners / 0), which would also spoil the slice's other
    entries.

    >>> import minigrad as mg
    >>> x = mg.tensor([3.0, 1.0, 3.0], requires_grad=True)
    >>> x.max().backward()
    >>> x.grad
    array([0.5, 0. , 0.5])
    """
    a = as_tensor(a)
    x = a._data
    axes = _axes("max", axis, x.ndim)
    if x.size == 0:
        raise ShapeError(f"max: the tensor is empty (shape {x.shape}); there is no maximum")
    top = x.max(axis=axes, keepdims=True)
    out = top if keepdims else top.reshape([n for i, n in enumerate(x.shape) if i not in axes])
    return record("max", out, (a,), MAX, (x, top, axes, keepdims))


def _max_vjp(g, x, top, axes, keepdims):
    winners = (x == top) | np.isnan(x)    # where top is not NaN, no x is NaN
    share = winners / winners.sum(axis=axes, keepdims=True)
    return share * (g if keepdims else np.expand_dims(g, axes))


MAX = (_max_vjp,)


def _max_jvp(da, x, top, axes, keepdims):       # the winners' tangents, ties averaged
    winners = (x == top) | np.isnan(x)
    share = winners / winners.sum(axis=axes, keepdims=True)
    return (share * da).sum(axis=axes, keepdims=keepdims)


MAX_JVP = (_max_jvp,)


# ------------------------------------------------------------------ shapes

def reshape(a, *shape):
    """Same elements, new shape (one size may be -1).  The gradient is reshaped back."""
    a = as_tensor(a)
    x = a._data
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    try:
        out = x.reshape(shape)
    except (ValueError, TypeError):
        raise ShapeError(f"reshape: cannot reshape shape {x.shape} ({x.size} elements) "
                         f"into {tuple(shape)}; the number of elements must stay "
                         f"{x.size} (use -1 for one size to have it computed).") from None
    return record("reshape", out, (a,), RESHAPE, (x.shape, out.shape))


RESHAPE = (lambda g, shape, out_shape: g.reshape(shape),)
RESHAPE_JVP = (lambda da, shape, out_shape: da.reshape(out_shape),)


def transpose(a, *axes):
    """Permute the axes (reverse them by default).  The gradient is permuted back."""
    a = as_tensor(a)
    x = a._data
    axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
    if not axes:                          # x.T: reversing the axes is its own inverse
        return record("transpose", x.T, (a,), TRANSPOSE, _SAVED_REVERSED[x.ndim])
    if sorted(_axes("transpose", axes, x.ndim)) != list(range(x.ndim)):
        raise ShapeError(f"transpose: axes {tuple(axes)} are not a permutation of the "
                         f"{x.ndim} axes of a tensor of shape {x.shape}")
    inverse = tuple(np.argsort([ax % x.ndim for ax in axes]))
    return record("transpose", x.transpose(axes), (a,), TRANSPOSE, (inverse,))


# What x.T saves, made once per number of axes (NumPy allows up to 64) and shared by
# all its nodes: no new objects per transpose for the garbage collector to track.
_SAVED_REVERSED = [(tuple(reversed(range(n))),) for n in range(65)]


TRANSPOSE = (lambda g, inverse: g.transpose(inverse),)
TRANSPOSE_JVP = (lambda da, inverse: da.transpose(np.argsort(inverse)),)


def _own_index(index):
    """``index`` with every array in it copied, and whether it holds integer arrays.

    The backward pass scatters with the index, so it keeps its own copy: your
    index array may be refilled before ``backward()``.  Integer arrays (and
    lists or tuples of integers) may pick an element twice.
    """
    parts = index if isinstance(index, tuple) else (index,)
    owned, by_integers = [], False
    for part in parts:
        if isinstance(part, Tensor):
            part = part._data
        if isinstance(part, (list, tuple, np.ndarray)):
            part = np.array(part)                     # our own copy
            by_integers = by_integers or part.dtype.kind in "iu"
        owned.append(part)
    return (tuple(owned) if isinstance(index, tuple) else owned[0]), by_integers


def getitem(a, index):
    """``a[index]``: integers, slices, ``None``, ``...`` and integer or boolean arrays.

    The gradient is scattered back into a zero array of a's shape.  With
    integer arrays an element may be picked twice; its gradients then add up
    (``np.add.at``), as the chain rule says.

    >>> import minigrad as mg
    >>> x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> x[[0, 0, 2]].sum().backward()
    >>> x.grad
    array([2., 0., 1.])
    """
    a = as_tensor(a)
    x = a._data
    index, repeats_possible = _own_index(index)
    try:
        out = x[index]
    except IndexError as err:
        raise IndexError(f"getitem: index {index!r} does not fit a tensor of shape "
                         f"{x.shape} ({err}). Fix: indices along an axis of size n "
                         f"run from -n to n-1.") from None
    return record("getitem", out, (a,), GETITEM, (x.shape, index, repeats_possible))


def _getitem_vjp(g, shape, index, repeats_possible):
    full = np.zeros(shape, dtype=g.dtype)
    if repeats_possible:
        np.add.at(full, index, g)           # repeated indices accumulate
    else:
        full[index] = g
    return full


GETITEM = (_getitem_vjp,)
GETITEM_JVP = (lambda da, shape, index, repeats_possible: da[index],)


def concat(tensors, axis=0):
    """Join tensors along an existing axis.  Each input gets its slice of the gradient.

    >>> import minigrad as mg
    >>> mg.concat([mg.ones(2, 3), mg.zeros(1, 3)]).shape
    (3, 3)
    """
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concat: needs at least one tensor")
    axis = _axes("concat", axis, tensors[0].ndim)[0]
    try:
        out = np.concatenate([t._data for t in tensors], axis=axis)
    except ValueError:
        raise ShapeError(f"concat: along axis {axis} every other axis must match, got shapes "
                         f"{', '.join(str(t.shape) for t in tensors)}") from None
    bounds = np.cumsum([0] + [t.shape[axis] for t in tensors]).tolist()
    return record("concat", out, tuple(tensors), _concat_vjps(len(tensors)), (axis, bounds))


# A table holds n small functions (about 240 bytes each), so only the tables of the
# last few sizes are kept: a 100,000-step loss would otherwise pin 24 MB for good.
_VJP_TABLES_KEPT = 16


@lru_cache(maxsize=_VJP_TABLES_KEPT)
def _concat_vjps(n):
    """The table for n inputs: input i gets g[bounds[i]:bounds[i+1]] along the axis."""
    return tuple(lambda g, axis, bounds, i=i:
                 g[(slice(None),) * axis + (slice(bounds[i], bounds[i + 1]),)]
                 for i in range(n))


@lru_cache(maxsize=_VJP_TABLES_KEPT)
def _concat_jvps(n):
    """Forward: input i's tangent fills its own slice of the result; the rest is 0."""
    return tuple(lambda da, axis, bounds, i=i: _place(da, axis, bounds[-1],
                                                      slice(bounds[i], bounds[i + 1]))
                 for i in range(n))


def _place(da, axis, length, where):
    """A zero array with ``da`` at ``where`` along ``axis`` (of size ``length``)."""
    shape = list(da.shape)
    if isinstance(where, slice):
        shape[axis] = length
    else:
        shape.insert(axis, length)
    full = np.zeros(shape, dtype=da.dtype)
    full[(slice(None),) * axis + (where,)] = da
    return full


def stack(tensors, axis=0):
    """Join same-shaped tensors along a new axis.  Input i gets slice i of the gradient.

    >>> import minigrad as mg
    >>> mg.stack([mg.ones(3), mg.zeros(3)]).shape
    (2, 3)
    """
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    axis = _axes("stack", axis, tensors[0].ndim + 1)[0]
    if len({t._data.shape for t in tensors}) > 1:
        raise ShapeError(f"stack: all tensors must have the same shape, got "
                         f"{', '.join(str(t.shape) for t in tensors)}")
    out = np.stack([t._data for t in tensors], axis=axis)
    return record("stack", out, tuple(tensors), _stack_vjps(len(tensors)), (axis,))


@lru_cache(maxsize=_VJP_TABLES_KEPT)
def _stack_vjps(n):
    """The table for n inputs: input i gets slice i of g along the new axis."""
    return tuple(lambda g, axis, i=i: g[(slice(None),) * axis + (i,)] for i in range(n))


@lru_cache(maxsize=_VJP_TABLES_KEPT)
def _stack_jvps(n):
    """Forward: input i's tangent is slice i of the result's; the other slices are 0."""
    return tuple(lambda da, axis, i=i: _place(da, axis, n, i) for i in range(n))


def unbind(a, axis=0):
    """The slices of ``a`` along ``axis``, as a list: a[0], a[1], ... (``torch.unbind``).

    If ``a`` needs a gradient, each slice is a recorded ``getitem``.
    Otherwise the slices are views of a's array, held once for all of them
    (see ``graph.hold``): unrolling T steps freezes one array, not T.

    >>> import minigrad as mg
    >>> [x.tolist() for x in mg.unbind(mg.tensor([[1.0, 2.0], [3.0, 4.0]]))]
    [[1.0, 2.0], [3.0, 4.0]]
    """
    a = as_tensor(a)
    axis = _axes("unbind", axis, a.ndim)[0]
    if records(a):                 # it needs a gradient (or, in forward mode, a tangent)
        return [getitem(a, (slice(None),) * axis + (i,)) for i in range(a.shape[axis])]
    if not a._held:
        hold(a)                    # read-only from now on, and so is every view of it
    parts = []
    for view in (a._data if axis == 0 else np.moveaxis(a._data, axis, 0)):
        part = Tensor._wrap(view)
        part._held = True          # a's array is held: so is this view of it
        parts.append(part)
    return parts


def astype(a, dtype):
    """The same values in another dtype; the gradient is cast back."""
    a = as_tensor(a)
    x = a._data
    dtype = np.dtype(dtype)
    if a.requires_grad and dtype.kind != "f":
        raise TypeError(f"astype: cannot cast a tensor that requires grad to {dtype}; "
                        f"gradients need floats. Fix: .detach() first.")
    return record("astype", x.astype(dtype), (a,), ASTYPE, (x.dtype,))


ASTYPE = (lambda g, dtype: g.astype(dtype),)
ASTYPE_JVP = (lambda da, dtype: da,)     # the tangent keeps a float dtype


# The forward-mode tables by op name (``minigrad.forward`` reads them).  The
# n-ary ops build theirs from the number of inputs.
JVP_TABLES = {
    "add": ADD_JVP, "sub": SUB_JVP, "mul": MUL_JVP, "div": DIV_JVP, "pow": POW_JVP,
    "neg": NEG_JVP, "matmul": MATMUL_JVP, "exp": EXP_JVP, "log": LOG_JVP,
    "sqrt": SQRT_JVP, "abs": ABS_JVP, "tanh": TANH_JVP, "sigmoid": SIGMOID_JVP,
    "relu": RELU_JVP, "sum": SUM_JVP, "mean": MEAN_JVP, "max": MAX_JVP,
    "reshape": RESHAPE_JVP, "transpose": TRANSPOSE_JVP, "getitem": GETITEM_JVP,
    "astype": ASTYPE_JVP, "concat": _concat_jvps, "stack": _stack_jvps,
}


# ------------------------------------------------------------ comparisons

_COMPARISONS = {"<": np.less, "<=": np.less_equal, ">": np.greater,
                ">=": np.greater_equal, "==": np.equal, "!=": np.not_equal}
_COMPARABLE = (Tensor, np.ndarray, np.generic, int, float, list, tuple)


def _compare(a, op, b):
    """``a op b`` elementwise, for op in < <= > >= == !=: a NumPy bool array.

    Tensors, numbers and ndarrays mix on either side and broadcast, as in
    ``+``.  Nothing is recorded: a comparison is a step function, whose
    gradient is 0 wherever it exists.

    The result is a bool ``ndarray``, not a Tensor (PyTorch returns a bool
    tensor).  In minigrad what carries no gradient is a plain ndarray, like
    ``.grad``; and NumPy's whole toolkit for masks then works at once:
    ``&``, ``|``, ``~``, ``.any()``, ``.all()``, ``.sum()``, ``.mean()``,
    ``np.where``.  A mask still goes wherever a Tensor would: ``x[mask]``,
    ``x * mask`` (a constant factor), ``if x.max() > 0:``.  Where PyTorch
    habits differ: ``mask.float()`` is ``mask.astype(float)`` here, and
    ``mask.sum()`` is a NumPy integer (``.item()`` works on both).

    ``==`` compares values, so a Tensor is hashed by identity (as in
    PyTorch): it works as a dict key and in a set, but ``t in list_of_tensors``
    and ``list.index(t)`` compare values; look tensors up by ``id()`` or
    ``is`` instead.

    >>> import minigrad as mg
    >>> x = mg.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    >>> x > 0
    array([False,  True,  True])
    >>> x[x > 0].sum().backward()            # the mask picks; its entries get g
    >>> x.grad
    array([0., 1., 1.])
    >>> int((x > 0).sum()), ((x > 0) & (x < 1)).tolist()
    (2, [False, True, False])
    """
    if not (isinstance(a, _COMPARABLE) and isinstance(b, _COMPARABLE)):
        return NotImplemented          # e.g. t == None: Python falls back to `is`
    a, b = _pair(a, b)
    return np.asarray(_broadcast(f"comparison {op}", _COMPARISONS[op], a, b))


# ------------------------------------------------- NumPy functions on tensors

# NumPy's ufunc for an operator, and minigrad's op for the same operator.
_OPERATOR_UFUNCS = {
    np.add: add, np.subtract: sub, np.multiply: mul, np.true_divide: div,
    np.power: pow, np.matmul: matmul,
    **{ufunc: (lambda a, b, op=op: _compare(a, op, b)) for op, ufunc in _COMPARISONS.items()},
}


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """NumPy asks a Tensor what a ufunc on it means (``Tensor.__array_ufunc__``).

    An ndarray (or NumPy number) on the left of ``+ - * / ** @`` or of a
    comparison runs NumPy's ufunc for the operator, which hands it to us:
    we run minigrad's op, so ``A @ x`` is a recorded Tensor, the same as
    ``x.__rmatmul__(A)``.  Any other ufunc (``np.tanh(x)``, ``np.exp(x)``)
    cannot record a gradient: a TypeError names the minigrad op to use.

    >>> import numpy as np, minigrad as mg
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> np.array([10.0, 20.0]) - x
    Tensor([ 9., 18.], op='sub')
    >>> np.tanh(x)
    Traceback (most recent call last):
    ...
    TypeError: np.tanh() got a minigrad Tensor. ... Fix: x.tanh() or mg.tanh(x) ...
    """
    op = _OPERATOR_UFUNCS.get(ufunc)
    if op is not None and method == "__call__" and len(inputs) == 2:
        if not kwargs:
            return op(*inputs)
        if set(kwargs) == {"out"}:         # ndarray += tensor: the ndarray has no gradient
            raise TypeError(
                f"np.{ufunc.__name__}(..., out=ndarray) (e.g. `array += tensor`): a "
                f"minigrad Tensor's result cannot be written into an ndarray, which has no "
                f"gradient. Fix: array = array + tensor (a Tensor), or array += tensor.data "
                f"(the values alone).")
    if method == "__call__":
        raise TypeError(_numpy_hint(f"np.{ufunc.__name__}", ufunc.__name__, ufunc.nin))
    name = f"{ufunc.__name__}.{method}"              # np.add.reduce(x) and the like
    raise TypeError(_numpy_hint(f"np.{name}", _MINIGRAD_NAMES.get(name, name), 1))


def _array_function(self, func, types, args, kwargs):
    """``Tensor.__array_function__``: NumPy functions such as ``np.sum(x)``.

    They would turn the tensor into an array and lose its graph (or, taking
    it for a list, make an array of tensors); a TypeError names the minigrad
    op instead.  ``np.shape``, ``np.ndim`` and ``np.size`` only read the shape
    and work.
    """
    if func in (np.shape, np.ndim, np.size):
        return func(*[a._data if isinstance(a, Tensor) else a for a in args], **kwargs)
    joins = func in (np.concatenate, np.stack)
    raise TypeError(_numpy_hint(f"np.{func.__name__}", func.__name__, "list" if joins else 1))


_MINIGRAD_NAMES = {"absolute": "abs", "true_divide": "div", "divide": "div",
                   "subtract": "sub", "multiply": "mul", "negative": "neg", "power": "pow",
                   "amax": "max", "concatenate": "concat", "add.reduce": "sum",
                   "maximum.reduce": "max"}


def _numpy_hint(numpy_name, name, arguments):
    """The message for a NumPy function called on a Tensor: what to call instead.

    ``arguments`` is how many tensors it takes (1 or 2), or ``"list"``.
    """
    import minigrad                                     # the package, complete by now
    name = _MINIGRAD_NAMES.get(name, name)
    tensors, arrays = {1: ("x", "x.data"), 2: ("x, y", "x.data, y.data"),
                       "list": ("[x, y]", "[x.data, y.data]")}[arguments]
    said = (f"{numpy_name}() got a minigrad Tensor. NumPy cannot record the op, so no "
            f"gradient could flow back through it.")
    values = f"for the values alone, without a gradient: {numpy_name}({arrays})"
    if name in getattr(minigrad, "__all__", ()):
        method = f"x.{name}() or " if arguments == 1 and hasattr(Tensor, name) else ""
        return f"{said} Fix: {method}mg.{name}({tensors}) (recorded); {values}."
    return (f"{said} minigrad has no {name!r} op. Fix: build it from minigrad's ops "
            f"(mg.exp, mg.log, mg.tanh, ...); {values}.")


# ---------------------------------------------------------- methods on Tensor

# The operators (+, -, @, -=, <, ...) are written in the Tensor class (tensor.py),
# each calling its op above; these ops are also methods: x.tanh(), x.sum(axis=0).
for _op in (exp, log, sqrt, abs, tanh, sigmoid, relu, sum, mean, max,
            reshape, transpose, astype):
    setattr(Tensor, _op.__name__, _op)
