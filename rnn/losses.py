"""The loss of a sequence: one cost per time step, combined over time.

    E_t = ||o_t - y_t||²                      loss="mse" (the course notes' E)
    E_t = -log softmax(o_t)[y_t]              loss="cross_entropy" (integer targets)

A batch adds up: E_t sums over the batch (and, for mse, over the outputs).
The steps combine as

    L = Σ_t E_t               reduction="sum"   (the notes; the default)
    L = (1/T) Σ_t E_t         reduction="mean"  (the article's "average of the costs")

A ``mask`` keeps only some steps (the adding problem scores the last one);
"mean" then averages over the kept steps.
"""

from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad import ShapeError

from .layout import describe, fix, to_time_major

__all__ = ["LOSSES", "REDUCTIONS", "step_loss", "sequence_loss", "check_loss_name",
           "check_targets", "check_mask"]

LOSSES = ("mse", "cross_entropy")
REDUCTIONS = ("sum", "mean")


def check_loss_name(loss, reduction, where="rnn.sequence_loss"):
    """A clear error for a loss or reduction name that is not one of ours.

    >>> from rnn.losses import check_loss_name
    >>> check_loss_name("hinge", "sum", "rnn.bptt")
    Traceback (most recent call last):
    ValueError: rnn.bptt: loss must be one of ('mse', 'cross_entropy'), got 'hinge'. Fix: ...
    """
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ValueError(f"{where}: loss must be one of {LOSSES}, got {loss!r}. Fix: "
                         f"loss='mse' (float targets, E_t = ||o_t - y_t||²) or "
                         f"loss='cross_entropy' (integer class targets)")
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"{where}: reduction must be one of {REDUCTIONS}, got {reduction!r}. "
                         f"Fix: reduction='sum' (L = Σ_t E_t) or 'mean' (L = (1/T) Σ_t E_t)")


def step_loss(o_t, y_t, loss="mse"):
    """E_t for one step: ||o_t - y_t||² or -log softmax(o_t)[y_t], summed over the batch.

    >>> import minigrad as mg, rnn
    >>> rnn.step_loss(mg.tensor([[1.0, 2.0]]), mg.tensor([[0.0, 0.0]])).item()   # 1 + 4
    5.0
    """
    if loss == "mse":
        return mg.mse_loss(o_t, y_t, reduction="sum")
    if loss == "cross_entropy":
        return mg.cross_entropy(o_t, y_t, reduction="sum")
    check_loss_name(loss, "sum", "rnn.step_loss")


def _target_layout(loss, batched, batch_first):
    """The targets' shape in letters: (T, B, O), (B, T), (T,), ..."""
    axes = ["T", "B"] if batched else ["T"]
    if batched and batch_first:
        axes.reverse()
    axes += ["O"] if loss == "mse" else []
    return "(" + ", ".join(axes) + ("," if len(axes) == 1 else "") + ")"


def check_targets(ys, n_steps, output_shape, loss, dtype=np.float64, batch_first=False,
                  mask=None, where="rnn.sequence_loss", xs_shape=None):
    """``ys`` as a time-major ndarray that fits outputs of ``output_shape`` at each of
    ``n_steps`` steps, or a clear error.

    mse needs (T, B, O) numbers ((B, T, O) with ``batch_first``; (T, O)
    unbatched), returned in the float ``dtype`` (the model's; float64 if
    ``dtype`` is not a float); cross_entropy
    needs integer classes 0..C-1 of shape (T, B) ((B, T); (T,)), returned as
    integers.  Targets are never cast to an integer dtype, nor classes to floats.
    Class targets are checked at the steps the ``mask`` keeps.  ``xs_shape``
    (as the caller gave xs) lets the errors say where the time axis was read.

    >>> from rnn.losses import check_targets
    >>> ys = np.zeros((8, 5), int)                     # B = 8 sequences of T = 5 classes
    >>> check_targets(ys, 5, (8, 3), "cross_entropy", batch_first=True).shape   # time-major
    (5, 8)
    >>> ys[2, 4] = 3
    >>> check_targets(ys, 5, (8, 3), "cross_entropy", batch_first=True)
    Traceback (most recent call last):
    IndexError: rnn.sequence_loss: target 3 (ys[2, 4], step t=5) is not a class index; ...
    """
    ys = np.asarray(ys._data if isinstance(ys, mg.Tensor) else ys)
    batched = len(output_shape) == 2
    per_step = tuple(output_shape) if loss == "mse" else tuple(output_shape[:-1])
    expected = (n_steps,) + per_step
    if batched and batch_first:
        expected = (per_step[0], n_steps) + per_step[1:]
    if ys.shape != expected:
        what = "one target per output" if loss == "mse" else "one class index per output row"
        origin = (describe(xs_shape, batch_first) if xs_shape is not None else
                  f"there are T={n_steps} outputs" + (f"; {fix(batch_first)}" if batched else ""))
        raise ShapeError(f"{where}: targets ys have shape {ys.shape}, but {loss} needs {what}: "
                         f"shape {_target_layout(loss, batched, batch_first)} = {expected}; "
                         f"{origin}. Fix: give ys the shape {expected}")
    if loss == "mse":
        if ys.dtype.kind not in "fiu":
            raise TypeError(f"{where}: mse targets must be numbers, got dtype {ys.dtype}")
        if np.dtype(dtype).kind != "f":        # integer outputs: the targets stay floats
            dtype = np.float64
        return to_time_major(ys, batched, batch_first).astype(dtype, copy=False)
    if ys.dtype.kind not in "iu":
        raise TypeError(f"{where}: cross_entropy targets must be integer class indices, got "
                        f"dtype {ys.dtype}. Fix: pass class numbers (np.int64), not one-hot "
                        f"rows or floats")
    ys = to_time_major(ys, batched, batch_first)
    C = output_shape[-1]
    bad = (ys < 0) | (ys >= C)
    if mask is not None:
        bad &= mask.reshape((-1,) + (1,) * (ys.ndim - 1))
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        given = first[::-1] if batched and batch_first else first
        value = int(ys[first])
        if value < 0:
            why = (f" A negative class does not count from the end here (NumPy would read "
                   f"{value} as class {value % C}).")
            other = "or a mask that leaves out the steps without a target"
        else:
            why, other = "", f"or a model with output_size >= {value + 1}"
        raise IndexError(f"{where}: target {value} (ys{list(given)}, step t={first[0] + 1}) "
                         f"is not a class index; with {C} classes (the model's output_size) "
                         f"they run from 0 to {C - 1}.{why} Fix: use classes 0..{C - 1}, "
                         f"{other}")
    return ys


def check_mask(mask, n_steps, where="rnn.sequence_loss", xs_shape=None, batch_first=False):
    """``mask`` as a bool array of length T with at least one True (or None).

    >>> from rnn.losses import check_mask
    >>> check_mask(np.arange(4) == 3, 4)                # only step t = 4 counts
    array([False, False, False,  True])
    """
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.shape != (n_steps,) or mask.dtype != bool:
        origin = ("" if xs_shape is None else
                  f". T is read from xs: {describe(xs_shape, batch_first)}")
        raise ValueError(f"{where}: mask must be a boolean array of shape ({n_steps},) (one "
                         f"flag per step), got shape {mask.shape} and dtype "
                         f"{mask.dtype}{origin}")
    if not mask.any():
        raise ValueError(f"{where}: mask selects no step, so there is no loss. Fix: set "
                         f"mask[t - 1] = True for the steps t whose cost counts")
    return mask


def sequence_loss(outputs, ys, loss="mse", reduction="sum", mask=None, first_step=1,
                  batch_first=False):
    """L from the outputs o_t of an unrolled run and the targets y_t.

        L = Σ_t E_t  (reduction="sum"),   L = (1/|kept|) Σ_{t kept} E_t  ("mean")

    Each E_t is recorded in scope ``t=<t>`` next to the step that made o_t;
    ``first_step`` is the t of ``outputs[0]``.  ``outputs`` is a list in time
    order (``run.outputs``); with ``batch_first=True`` a batch of targets is
    (B, T, O), or (B, T) for classes.

    >>> import rnn
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> run = model.unroll(np.ones((4, 2)))
    >>> L = rnn.sequence_loss(run.outputs, np.zeros((4, 1)), reduction="mean")
    >>> L.shape
    ()
    """
    where = "rnn.sequence_loss"
    check_loss_name(loss, reduction, where)
    if not outputs:
        raise ValueError(f"{where}: there are no outputs (T = 0). Fix: pass run.outputs of a "
                         f"model.unroll(xs) over at least one step")
    mask = check_mask(mask, len(outputs), where)
    ys = check_targets(ys, len(outputs), outputs[0].shape, loss, outputs[0].dtype, batch_first,
                       mask, where)
    return checked_sequence_loss(outputs, ys, loss, reduction, mask, first_step)


def checked_sequence_loss(outputs, ys, loss, reduction, mask=None, first_step=1):
    """:func:`sequence_loss` on arguments already checked: ys time-major, as
    :func:`check_targets` returns it."""
    terms = []
    for i, (o_t, y_t) in enumerate(zip(outputs, mg.unbind(ys))):
        if mask is None or mask[i]:
            t = first_step + i
            y_t.name = f"y{t}"                   # y_t, named for drawings
            with mg.scope(f"t={t}"):
                terms.append(step_loss(o_t, y_t, loss))
    if len(terms) == 1:
        return terms[0]
    stacked = mg.stack(terms)
    return stacked.sum() if reduction == "sum" else stacked.mean()
