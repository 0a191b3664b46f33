"""A training loop: draw batches from a task, learn each with truncated BPTT."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm


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


def _updating_block_ends(T, k1, mask):
    """The steps at which TBPTT(k1, ·) updates over T steps: the end of each block
    of k1 steps (the last one shorter) that has a scored step.

    >>> _updating_block_ends(10, 4, None)
    [4, 8, 10]
    >>> _updating_block_ends(10, 4, np.arange(10) == 9)     # only the last step is scored
    [10]
    """
    blocks = [(start, min(start + k1, T)) for start in range(0, T, k1)]
    return [end for start, end in blocks if mask is None or mask[start:end].any()]


def train(model, task, optimizer=None, k1=None, k2=None, clip=5.0, steps=200, seed=0,
          reduction="mean", progress=True, updates=None):
    """Train ``model`` on ``task`` for ``steps`` batches, or for ``updates`` updates.

    Each batch is learned with TBPTT(k1, k2) (default k1 = k2 = the batch's
    length: full BPTT over each batch, one update).  With k1 shorter than the
    batch, one batch makes several updates (one per block of k1 steps that
    has a scored step); ``updates=n`` counts those and stops after exactly n
    (the last batch is cut after its n-th update).  For a stateful task
    (text), the state at the end of a batch starts the next one, detached:
    min-char-rnn's scheme.  The same ``seed`` (and the same initial model)
    gives the same losses.

    Parameters
    ----------
    optimizer : minigrad.optim.Optimizer, optional
        Default: the task's own optimizer and learning rate
        (``task.make_optimizer``; Adam for most tasks).
    steps : int
        Batches to train on (ignored when ``updates`` is given).
    updates : int, optional
        Optimizer updates to make; ``len(result.losses) == updates``.
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
    >>> task = rnn.tasks.SineWave(seq_len=10, batch_size=2)      # 3 updates per batch
    >>> len(rnn.train(model, task, k1=4, updates=7, progress=False).losses)
    7
    """
    rng = np.random.default_rng(seed)
    if optimizer is None:
        optimizer = task.make_optimizer(model.parameters())
    k1 = task.seq_len if k1 is None else k1
    k2 = k1 if k2 is None else k2
    if updates is not None and (not isinstance(updates, (int, np.integer)) or updates < 1):
        raise ValueError(f"rnn.train: updates must be an integer >= 1, got {updates!r}")
    task.reset()
    result = TrainResult()
    state = None
    total = steps if updates is None else updates
    bar = tqdm(total=total, desc=f"training on {task.name}", disable=not progress,
               unit="batch" if updates is None else "update", leave=False)
    try:
        baseline = {"baseline": f"{task.baseline:.4f}"}
    except (NotImplementedError, AttributeError):
        baseline = {}                         # a task of the user's own, without one
    batches = 0
    while (batches < steps) if updates is None else (len(result.losses) < updates):
        xs, ys = task.batch(rng)
        batches += 1
        mask = task.mask
        if updates is not None:             # cut the batch after the update that is the last
            ends = _updating_block_ends(len(xs), k1, mask)
            if not ends:
                raise ValueError(f"rnn.train: the task's mask scores no step, so no batch "
                                 f"makes an update and updates={updates} is never reached")
            left = updates - len(result.losses)
            if left < len(ends):
                end = ends[left - 1]
                xs, ys = xs[:end], ys[:end]
                mask = None if mask is None else mask[:end]
        if task.stateful and getattr(task, "restarted", False):
            state = None                      # back at the start of the text
        run = tbptt(model, xs, ys, k1, k2, optimizer, loss=task.loss, reduction=reduction,
                    clip=clip, s0=state, mask=mask)
        if task.stateful:
            state = run.final_state
        result.losses.extend(loss / task.batch_size for loss in run.losses)
        bar.update(1 if updates is None else len(run.losses))
        if result.losses:
            bar.set_postfix(loss=f"{np.mean(result.losses[-20:]):.4f}", **baseline,
                            refresh=False)
    bar.close()
    return result
