"""A training loop: draw batches from a task, learn each with truncated BPTT."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

import minigrad as mg

from .truncated import tbptt

__all__ = ["train", "TrainResult"]


@dataclass
class TrainResult:
    """``losses``: one entry per update, the update's L divided by the batch size
    (with the default ``reduction="mean"``: the average cost per step of one sequence)."""
    losses: list = field(default_factory=list)

    def smoothed(self, window=20):
        """The losses averaged over a sliding window (for plots and progress)."""
        x = np.asarray(self.losses, dtype=float)
        if len(x) < window:
            return x
        return np.convolve(x, np.ones(window) / window, mode="valid")


def train(model, task, optimizer=None, k1=None, k2=None, clip=5.0, steps=200, seed=0,
          reduction="mean", progress=True):
    """Train ``model`` on ``task`` for ``steps`` batches.

    Each batch is learned with TBPTT(k1, k2) (default k1 = k2 = the batch's
    length: full BPTT over each batch).  For a stateful task (text), the
    state at the end of a batch starts the next one, detached: min-char-rnn's
    scheme.  The same ``seed`` (and the same initial model) gives the same
    losses.

    Parameters
    ----------
    optimizer : minigrad.optim.Optimizer, optional
        Default: Adam with the task's ``learning_rate``.
    clip : float or None
        Gradient-norm clipping threshold (Pascanu et al. 2013) before each step.
    progress : bool
        Show a progress bar with the running loss.

    >>> import rnn
    >>> task = rnn.tasks.SineWave(batch_size=4)
    >>> model = rnn.RNN(1, 8, 1, rng=0)
    >>> result = rnn.train(model, task, steps=5, progress=False)
    >>> len(result.losses)
    5
    """
    rng = np.random.default_rng(seed)
    if optimizer is None:
        optimizer = mg.optim.Adam(model.parameters(), lr=task.learning_rate)
    k1 = task.seq_len if k1 is None else k1
    k2 = k1 if k2 is None else k2
    task.reset()
    result = TrainResult()
    state = None
    bar = tqdm(range(steps), desc=f"training on {task.name}", disable=not progress,
               unit="batch", leave=False)
    for _ in bar:
        xs, ys = task.batch(rng)
        if task.stateful and getattr(task, "restarted", False):
            state = None                      # back at the start of the text
        run = tbptt(model, xs, ys, k1, k2, optimizer, loss=task.loss, reduction=reduction,
                    clip=clip, s0=state, mask=task.mask)
        if task.stateful:
            state = run.final_state
        result.losses.extend(loss / task.batch_size for loss in run.losses)
        bar.set_postfix(loss=f"{np.mean(result.losses[-20:]):.4f}", refresh=False)
    return result
