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

__all__ = ["LOSSES", "REDUCTIONS", "step_loss", "sequence_loss", "check_targets", "check_mask"]

LOSSES = ("mse", "cross_entropy")
REDUCTIONS = ("sum", "mean")


def check_loss_name(loss, reduction):
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def step_loss(o_t, y_t, loss="mse"):
    """E_t for one step: ||o_t - y_t||² or -log softmax(o_t)[y_t], summed over the batch."""
    if loss == "mse":
        return mg.mse_loss(o_t, y_t, reduction="sum")
    return mg.cross_entropy(o_t, y_t, reduction="sum")


def check_targets(ys, n_steps, output_shape, loss, dtype=np.float64):
    """``ys`` as an ndarray that fits outputs of ``output_shape`` at each of ``n_steps`` steps."""
    ys = np.asarray(ys.data if isinstance(ys, mg.Tensor) else ys)
    if loss == "mse":
        expected = (n_steps,) + tuple(output_shape)
        if ys.shape != expected:
            raise ValueError(f"targets ys have shape {ys.shape}, but mse needs one target per "
                             f"output: shape {expected} (T + the output's shape)")
        if ys.dtype.kind not in "fiu":
            raise TypeError(f"mse targets must be numbers, got dtype {ys.dtype}")
        return ys.astype(dtype, copy=False)
    expected = (n_steps,) + tuple(output_shape[:-1])
    if ys.shape != expected:
        raise ValueError(f"targets ys have shape {ys.shape}, but cross_entropy needs one class "
                         f"index per output row: shape {expected}")
    if ys.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy targets must be integer class indices, got dtype "
                        f"{ys.dtype}")
    return ys


def check_mask(mask, n_steps):
    """``mask`` as a bool array of length T with at least one True (or None)."""
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.shape != (n_steps,) or mask.dtype != bool:
        raise ValueError(f"mask must be a boolean array of shape ({n_steps},) (one flag per "
                         f"step), got shape {mask.shape} and dtype {mask.dtype}")
    if not mask.any():
        raise ValueError("mask selects no step, so there is no loss")
    return mask


def sequence_loss(outputs, ys, loss="mse", reduction="sum", mask=None, first_step=1):
    """L from the outputs o_t of an unrolled run and the targets y_t.

    Each E_t is recorded in scope ``t=<t>`` next to the step that made o_t;
    ``first_step`` is the t of ``outputs[0]``.

    >>> import rnn
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> run = model.unroll(np.ones((4, 2)))
    >>> L = rnn.sequence_loss(run.outputs, np.zeros((4, 1)), reduction="mean")
    >>> L.shape
    ()
    """
    check_loss_name(loss, reduction)
    if not outputs:
        raise ValueError("sequence_loss: there are no outputs")
    ys = check_targets(ys, len(outputs), outputs[0].shape, loss, outputs[0].dtype)
    mask = check_mask(mask, len(outputs))
    terms = []
    for i, (o_t, y_t) in enumerate(zip(outputs, ys)):
        if mask is None or mask[i]:
            t = first_step + i
            y_t = mg.as_tensor(y_t)              # a view of ys, named for drawings
            y_t.name = f"y{t}"
            with mg.scope(f"t={t}"):
                terms.append(step_loss(o_t, y_t, loss))
    if len(terms) == 1:
        return terms[0]
    stacked = mg.stack(terms)
    return stacked.sum() if reduction == "sum" else stacked.mean()
