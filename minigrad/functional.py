"""Neural-network functions, each one op with its own backward.

``linear``, ``softmax``, ``log_softmax``, ``cross_entropy`` and ``mse_loss``
could be built from the primitives in ``ops.py``, but as single ops they
are faster, use less memory, and are numerically safer (log-softmax never
takes the log of a rounded-off zero).
"""

from __future__ import annotations

from functools import lru_cache
from operator import attrgetter

import numpy as np

from .errors import ShapeError
from .graph import record
from .ops import _axes, as_tensor
from .tensor import Tensor

__all__ = ["linear", "softmax", "log_softmax", "cross_entropy", "mse_loss"]

_REDUCTIONS = ("mean", "sum", "none")
_array_of = attrgetter("_data")          # tensor -> its ndarray


def linear(x, weight, bias=None):
    """y = x Wᵀ + b: the row-vector form of the textbook's W x + b.

    ``x`` has shape (..., in), ``weight`` (out, in) and ``bias`` (out,).
    With g = dL/dy:  dL/dx = g W,  dL/dW = gᵀ x (summed over the batch),
    dL/db = g summed over the batch.

    ``x`` and ``weight`` may also be sequences of the same length, for a
    sum of several products in one op:  y = Σ_i x_i W_iᵀ + b.  An RNN's
    pre-activation U x_t + W s_{t-1} + b is ``linear((x_t, s), (U, W), b)``.
    The inputs' batch shapes broadcast against each other, as in NumPy.

    >>> import minigrad as mg
    >>> W = mg.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]], requires_grad=True)
    >>> mg.linear(mg.tensor([3.0, 4.0]), W).tolist()
    [3.0, 8.0, 7.0]
    >>> mg.linear((mg.tensor([3.0, 4.0]), mg.tensor([1.0])), (W, mg.ones(3, 1))).tolist()
    [4.0, 9.0, 8.0]
    """
    if isinstance(x, (list, tuple)):
        if len(x) != len(weight):
            raise ShapeError(f"linear: {len(x)} inputs but {len(weight)} weights; give one "
                             f"weight per input")
        xs, ws = list(map(as_tensor, x)), list(map(as_tensor, weight))
    else:
        xs, ws = [as_tensor(x)], [as_tensor(weight)]
    # tuples, not lists: the garbage collector stops tracking a tuple of arrays.  Built
    # from a list: tuple(map(...)) allocates 10 slots and shrinks, which leaves one more
    # small tuple on CPython's free list per call (up to 2000, freed only by gc.collect())
    x_data = tuple([_array_of(x) for x in xs])
    w_data = tuple([_array_of(w) for w in ws])
    out = None
    for xd, wd in zip(x_data, w_data):
        if wd.ndim != 2 or xd.ndim == 0:
            raise _linear_shape_error(xd, wd, out)
        try:
            product = xd @ wd.T                # NumPy checks in_features for us
        except ValueError:
            raise _linear_shape_error(xd, wd, out) from None
        if out is None:
            out = product
        elif product.shape == out.shape:
            out += product                     # our own array: add in place
        else:                                  # other batch shapes, or other out_features
            out = _add_batches(out, product, xd, wd, x_data)
    inputs = xs + ws
    if bias is not None:
        bias = as_tensor(bias)
        if bias._data.shape != (out.shape[-1],):
            raise ShapeError(f"linear: bias has shape {bias.shape}, expected "
                             f"({out.shape[-1]},) to match weight {ws[0].shape}")
        out += bias._data
        inputs.append(bias)
    return record("linear", out, tuple(inputs), _linear_vjps(len(xs), bias is not None),
                  (x_data, w_data))


def _linear_shape_error(xd, wd, out):
    return ShapeError(
        f"linear: input of shape {xd.shape} and weight of shape {wd.shape} don't fit: the "
        f"weight must be (out_features, in_features) with in_features = the input's last "
        f"size ({xd.shape[-1] if xd.ndim else '?'})"
        + (f" and out_features = {out.shape[-1]}" if out is not None else "") + ".")


def _add_batches(out, product, xd, wd, x_data):
    """out + product for inputs with different batch shapes (they must broadcast)."""
    if product.shape[-1] != out.shape[-1]:    # (B, 3) + (B, 1) would broadcast: refuse
        raise _linear_shape_error(xd, wd, out)
    try:
        return out + product
    except ValueError:
        raise ShapeError(
            f"linear: the inputs' batch shapes don't broadcast together (input shapes "
            f"{', '.join(str(xd.shape) for xd in x_data)}); every input needs the same "
            f"leading shape, or 1s where one is shared.") from None


@lru_cache(maxsize=None)
def _linear_vjps(n, with_bias):
    """The table for n (input, weight) pairs, inputs first, then weights, then the bias."""
    d_inputs = tuple(lambda g, xs, ws, i=i: g @ ws[i]                      # dL/dx_i = g W_i
                     for i in range(n))
    d_weights = tuple(lambda g, xs, ws, i=i: _outer_over_rows(g, xs[i])     # dL/dW_i = gᵀ x_i
                      for i in range(n))
    d_bias = (lambda g, xs, ws: g.sum(axis=0) if g.ndim == 2 else            # Σ over rows
              g.reshape(-1, g.shape[-1]).sum(axis=0),)
    return d_inputs + d_weights + (d_bias if with_bias else ())


@lru_cache(maxsize=None)
def _linear_jvps(n, with_bias):
    """Forward: d(Σ x_i W_iᵀ + b) = Σ (dx_i W_iᵀ + x_i dW_iᵀ) + db, one term per input."""
    d_inputs = tuple(lambda dx, xs, ws, i=i: dx @ ws[i].T for i in range(n))    # dx_i W_iᵀ
    d_weights = tuple(lambda dw, xs, ws, i=i: xs[i] @ dw.T for i in range(n))   # x_i dW_iᵀ
    d_bias = (lambda db, xs, ws: db,)
    return d_inputs + d_weights + (d_bias if with_bias else ())


def _outer_over_rows(g, x):
    """Σ over all batch rows of g_row x_rowᵀ, which is gᵀ x for a batch of rows.

    Works for any number of batch axes (or none).  An input shared by the
    whole batch (its batch shape broadcasts to g's) counts once per row.
    """
    if g.ndim == 2 and x.ndim == 2 and len(x) == len(g):    # one row of x per row of g
        return g.T @ x
    if x.shape[:-1] != g.shape[:-1]:
        x = np.broadcast_to(x, g.shape[:-1] + x.shape[-1:])
    return g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1])


def softmax(x, axis=-1):
    """softmax(x)_i = e^(x_i) / Σ_j e^(x_j) along ``axis``.

    With p = softmax(x):  dL/dx = p ⊙ (g - Σ_j g_j p_j).

    An empty batch (shape (0, C)) gives an empty result, as in PyTorch.  An
    axis of length 0 is an error: no distribution has zero outcomes (its
    entries would have to sum to 1), where PyTorch returns an empty tensor.

    >>> import minigrad as mg
    >>> mg.softmax(mg.tensor([0.0, 0.0])).tolist()
    [0.5, 0.5]
    """
    x = as_tensor(x)
    axis = _softmax_axis("softmax", x, axis)
    e = np.exp(x._data - x._data.max(axis=axis, keepdims=True))
    p = e / e.sum(axis=axis, keepdims=True)
    return record("softmax", p, (x,), SOFTMAX, (p, axis))


SOFTMAX = (lambda g, p, axis: p * (g - (g * p).sum(axis=axis, keepdims=True)),)
SOFTMAX_JVP = (lambda dx, p, axis: p * (dx - (p * dx).sum(axis=axis, keepdims=True)),)


def log_softmax(x, axis=-1):
    """log softmax(x)_i = x_i - log Σ_j e^(x_j), computed without overflow.

    dL/dx = g - softmax(x) Σ_j g_j.   Empty inputs: as :func:`softmax`.

    >>> import minigrad as mg
    >>> round(mg.log_softmax(mg.tensor([1000.0, 1000.0])).tolist()[0], 6)
    -0.693147
    """
    x = as_tensor(x)
    axis = _softmax_axis("log_softmax", x, axis)
    out = _log_softmax(x._data, axis)
    return record("log_softmax", out, (x,), LOG_SOFTMAX, (out, axis))


LOG_SOFTMAX = (lambda g, out, axis: g - np.exp(out) * g.sum(axis=axis, keepdims=True),)
LOG_SOFTMAX_JVP = (lambda dx, out, axis: dx - (np.exp(out) * dx).sum(axis=axis, keepdims=True),)


def _softmax_axis(op, x, axis):
    """``axis`` checked: in range, and of length > 0 (a distribution needs outcomes)."""
    shape = x._data.shape
    if not shape:
        raise ShapeError(f"{op}: the input is a single number (shape ()), with no axis to "
                         f"normalise over. Fix: give it one, e.g. x.reshape(1).")
    axes = _axes(op, axis, len(shape))
    if any(shape[ax] == 0 for ax in axes):
        raise ShapeError(
            f"{op}: axis {axis} of the input's shape {shape} has length 0, and there is no "
            f"probability distribution over zero classes (its entries must sum to 1). "
            f"Fix: check how the input was built; an empty batch is fine (shape (0, C) "
            f"with axis=-1).")
    return axes


def _log_softmax(z, axis):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _check_reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def cross_entropy(logits, targets, reduction="mean"):
    """Softmax cross-entropy with integer class targets.

    ``logits`` has shape (..., C), class scores on the last axis; ``targets``
    has the leading shape (...) and holds integers in [0, C).  Per element,
    loss = -log softmax(logits)[target].  ``reduction``: ``'mean'`` (over the
    elements), ``'sum'`` or ``'none'``.

    dL/dlogits = (softmax(logits) - onehot(target)) · g.

    >>> import minigrad as mg
    >>> logits = mg.tensor([[2.0, 0.0, 0.0]], requires_grad=True)
    >>> loss = mg.cross_entropy(logits, [0])
    >>> round(loss.item(), 4)
    0.2395
    """
    _check_reduction("cross_entropy", reduction)
    logits = as_tensor(logits)
    z = logits._data
    y = np.array(targets._data if isinstance(targets, Tensor) else targets)  # our own copy
    if z.ndim == 0:
        raise ShapeError("cross_entropy: logits need a class axis (shape (..., C))")
    if z.shape[-1] == 0:
        raise ShapeError(f"cross_entropy: logits of shape {z.shape} have no classes (the "
                         f"last axis, C, has length 0), so no target can be a class. Fix: "
                         f"logits need shape (..., C) with C >= 1 scores per row.")
    if y.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: targets must be integer class indices, got dtype "
                        f"{y.dtype}. Fix: pass class numbers (np.int64), not one-hot rows "
                        f"or floats.")
    if y.shape != z.shape[:-1]:
        raise ShapeError(f"cross_entropy: targets of shape {y.shape} don't match logits of "
                         f"shape {z.shape}; targets need shape {z.shape[:-1]} (one class "
                         f"index per row of logits).")
    n_classes = z.shape[-1]
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        bad = y[(y < 0) | (y >= n_classes)].flat[0]
        raise IndexError(f"cross_entropy: target {bad} is not a class index; with "
                         f"{n_classes} classes they run from 0 to {n_classes - 1}.")
    if reduction == "mean" and y.size == 0:
        raise _empty_mean_error("cross_entropy", f"logits of shape {z.shape}")
    logp = _log_softmax(z, -1)
    picked = np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]
    count = max(y.size, 1)
    loss = {"mean": lambda: -picked.sum() / count, "sum": lambda: -picked.sum(),
            "none": lambda: -picked}[reduction]()
    return record("cross_entropy", loss, (logits,), CROSS_ENTROPY,
                  (logp, y, reduction, count))


def _empty_mean_error(op, what):
    return ShapeError(f"{op}: reduction='mean' of an empty batch ({what}): the mean of no "
                      f"losses is undefined (PyTorch returns nan, 0 / 0). Fix: skip empty "
                      f"batches, or use reduction='sum' (0 for no losses).")


def _cross_entropy_vjp(g, logp, y, reduction, count):
    d = np.exp(logp)                                   # softmax ...
    np.put_along_axis(d, y[..., None], np.take_along_axis(d, y[..., None], -1) - 1, -1)
    if reduction == "none":                            # ... minus onehot(y)
        return d * g[..., None]
    return d * (g / count if reduction == "mean" else g)


CROSS_ENTROPY = (_cross_entropy_vjp,)


def _cross_entropy_jvp(dz, logp, y, reduction, count):    # Σ_c (p - onehot(y))_c dz_c per row
    d = np.exp(logp)
    np.put_along_axis(d, y[..., None], np.take_along_axis(d, y[..., None], -1) - 1, -1)
    per_row = (d * dz).sum(axis=-1)
    if reduction == "none":
        return per_row
    return per_row.sum() / (count if reduction == "mean" else 1)


CROSS_ENTROPY_JVP = (_cross_entropy_jvp,)


def mse_loss(pred, target, reduction="mean"):
    """Squared error: Σ (pred - target)² (``'sum'``), its mean (``'mean'``) or
    the elementwise squares (``'none'``).  Shapes must match exactly.

    dL/dpred = 2 (pred - target) · g  (divided by n for ``'mean'``).

    >>> import minigrad as mg
    >>> mg.mse_loss(mg.tensor([1.0, 2.0]), mg.tensor([0.0, 0.0]), reduction="sum").item()
    5.0
    """
    if reduction not in _REDUCTIONS:
        _check_reduction("mse_loss", reduction)
    pred, target = as_tensor(pred), as_tensor(target)
    if pred._data.shape != target._data.shape:
        raise ShapeError(
            f"mse_loss: pred has shape {pred.shape} but target has shape {target.shape}. "
            f"They must match exactly: broadcasting here would compare every prediction "
            f"with every target. Fix: reshape one of them.")
    if reduction == "mean" and pred._data.size == 0:
        raise _empty_mean_error("mse_loss", f"pred of shape {pred.shape}")
    diff = pred._data - target._data
    if reduction == "none":
        return record("mse_loss", diff * diff, (pred, target), MSE, (diff, 2.0, False))
    scale = 2.0 / max(diff.size, 1) if reduction == "mean" else 2.0
    return record("mse_loss", np.vdot(diff, diff) * (scale / 2), (pred, target), MSE,
                  (diff, scale, True))


MSE = (lambda g, diff, scale, reduced: diff * (scale * g),   # d(Σ d²) = 2 d, times 1/n for the mean
       lambda g, diff, scale, reduced: diff * (-scale * g))
# Forward: d(Σ d²) = 2 Σ d ⊙ dd (a number), or 2 d ⊙ dd elementwise for 'none'.
MSE_JVP = (lambda dp, diff, scale, reduced: _mse_jvp(dp, diff, scale, reduced),
           lambda dt, diff, scale, reduced: -_mse_jvp(dt, diff, scale, reduced))


def _mse_jvp(dd, diff, scale, reduced):
    return scale * np.vdot(diff, np.broadcast_to(dd, diff.shape)) if reduced else scale * diff * dd


# The forward-mode tables by op name (``minigrad.forward`` reads them); ``linear``
# builds its table from the number of inputs: n pairs (x_i, W_i), and maybe b.
JVP_TABLES = {"linear": lambda k: _linear_jvps(k // 2, k % 2 == 1),
              "softmax": SOFTMAX_JVP, "log_softmax": LOG_SOFTMAX_JVP,
              "cross_entropy": CROSS_ENTROPY_JVP, "mse_loss": MSE_JVP}


for _fn in (softmax, log_softmax):
    setattr(Tensor, _fn.__name__, _fn)
