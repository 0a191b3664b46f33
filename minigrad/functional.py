"""Neural-network functions, each one op with its own backward.

``linear``, ``softmax``, ``log_softmax``, ``cross_entropy`` and ``mse_loss``
could be built from the primitives in ``ops.py``, but as single ops they
are faster, use less memory, and are numerically safer (log-softmax never
takes the log of a rounded-off zero).
"""

from __future__ import annotations

import numpy as np

from .errors import ShapeError
from .graph import record
from .ops import as_tensor
from .tensor import Tensor

__all__ = ["linear", "softmax", "log_softmax", "cross_entropy", "mse_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def linear(x, weight, bias=None):
    """y = x Wᵀ + b: the row-vector form of the textbook's W x + b.

    ``x`` has shape (..., in), ``weight`` (out, in) and ``bias`` (out,).
    With g = dL/dy:  dL/dx = g W,  dL/dW = gᵀ x (summed over the batch),
    dL/db = g summed over the batch.

    >>> import minigrad as mg
    >>> W = mg.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]], requires_grad=True)
    >>> mg.linear(mg.tensor([3.0, 4.0]), W).tolist()
    [3.0, 8.0, 7.0]
    """
    x, weight = as_tensor(x), as_tensor(weight)
    xd, w = x.data, weight.data
    if w.ndim != 2 or xd.ndim == 0 or xd.shape[-1] != w.shape[1]:
        raise ShapeError(
            f"linear: input of shape {xd.shape} and weight of shape {w.shape} don't fit: "
            f"the weight must be (out_features, in_features) with in_features = the "
            f"input's last size ({xd.shape[-1] if xd.ndim else '?'}).")
    out = xd @ w.T

    def d_weight(g):                       # Σ over every batch row of g_row x_rowᵀ
        return g.reshape(-1, w.shape[0]).T @ xd.reshape(-1, w.shape[1])

    if bias is None:
        return record("linear", out, (x, weight),
                      (lambda g: g @ w,
                       d_weight))
    bias = as_tensor(bias)
    if bias.shape != (w.shape[0],):
        raise ShapeError(f"linear: bias has shape {bias.shape}, expected ({w.shape[0]},) "
                         f"to match weight {w.shape}")
    out += bias.data
    return record("linear", out, (x, weight, bias),
                  (lambda g: g @ w,
                   d_weight,
                   lambda g: g))           # summed over the batch by unbroadcast


def softmax(x, axis=-1):
    """softmax(x)_i = e^(x_i) / Σ_j e^(x_j) along ``axis``.

    With p = softmax(x):  dL/dx = p ⊙ (g - Σ_j g_j p_j).

    >>> import minigrad as mg
    >>> mg.softmax(mg.tensor([0.0, 0.0])).tolist()
    [0.5, 0.5]
    """
    x = as_tensor(x)
    e = np.exp(x.data - x.data.max(axis=axis, keepdims=True))
    p = e / e.sum(axis=axis, keepdims=True)
    return record("softmax", p, (x,),
                  (lambda g: p * (g - (g * p).sum(axis=axis, keepdims=True)),))


def log_softmax(x, axis=-1):
    """log softmax(x)_i = x_i - log Σ_j e^(x_j), computed without overflow.

    dL/dx = g - softmax(x) Σ_j g_j.

    >>> import minigrad as mg
    >>> round(mg.log_softmax(mg.tensor([1000.0, 1000.0])).tolist()[0], 6)
    -0.693147
    """
    x = as_tensor(x)
    out = _log_softmax(x.data, axis)
    return record("log_softmax", out, (x,),
                  (lambda g: g - np.exp(out) * g.sum(axis=axis, keepdims=True),))


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
    z = logits.data
    y = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if z.ndim == 0:
        raise ShapeError("cross_entropy: logits need a class axis (shape (..., C))")
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
    logp = _log_softmax(z, -1)
    picked = np.take_along_axis(logp, y[..., None], axis=-1)[..., 0]
    count = max(y.size, 1)
    loss = {"mean": lambda: -picked.sum() / count, "sum": lambda: -picked.sum(),
            "none": lambda: -picked}[reduction]()

    def vjp(g):
        d = np.exp(logp)                               # softmax
        np.put_along_axis(d, y[..., None], np.take_along_axis(d, y[..., None], -1) - 1, -1)
        if reduction == "none":
            return d * g[..., None]
        return d * (g / count if reduction == "mean" else g)

    return record("cross_entropy", loss, (logits,), (vjp,))


def mse_loss(pred, target, reduction="mean"):
    """Squared error: Σ (pred - target)² (``'sum'``), its mean (``'mean'``) or
    the elementwise squares (``'none'``).  Shapes must match exactly.

    dL/dpred = 2 (pred - target) · g  (divided by n for ``'mean'``).

    >>> import minigrad as mg
    >>> mg.mse_loss(mg.tensor([1.0, 2.0]), mg.tensor([0.0, 0.0]), reduction="sum").item()
    5.0
    """
    _check_reduction("mse_loss", reduction)
    pred, target = as_tensor(pred), as_tensor(target)
    if pred.shape != target.shape:
        raise ShapeError(
            f"mse_loss: pred has shape {pred.shape} but target has shape {target.shape}. "
            f"They must match exactly: broadcasting here would compare every prediction "
            f"with every target. Fix: reshape one of them.")
    diff = pred.data - target.data
    if reduction == "none":
        return record("mse_loss", diff * diff, (pred, target),
                      (lambda g: 2 * diff * g,
                       lambda g: -2 * diff * g))
    scale = 2.0 / max(diff.size, 1) if reduction == "mean" else 2.0
    loss = np.vdot(diff, diff) * (scale / 2)
    return record("mse_loss", loss, (pred, target),
                  (lambda g: diff * (scale * g),
                   lambda g: diff * (-scale * g)))


for _fn in (softmax, log_softmax):
    setattr(Tensor, _fn.__name__, _fn)
