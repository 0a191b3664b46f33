"""Truncated backpropagation through time.

TBPTT(k1, k2), exactly as implemented here
-------------------------------------------
The sequence x_1..x_T is processed from left to right.  An *update* happens
every k1 steps, at t = k1, 2 k1, ...; if k1 does not divide T, a last,
shorter block ends at t = T.  An update at step t does this:

1. **Block.** The losses that count are those of the block's steps,
   E_τ for τ = t - m + 1 .. t (m = k1, or less for the last block).
2. **Window.** The gradient flows back through the last k2 steps only,
   τ = w + 1 .. t with w = max(0, t - k2).  The state s_w entering the
   window is a constant (it is ``detach``-ed: a cut in the graph).
3. **Forward pass.** The window is run again from s_w with the *current*
   weights, so the loss is an exact function of the weights and its
   gradient is exact.  s_w itself is the most recent value computed for
   step w (by the previous update's forward pass, or s_0).
4. **Loss and update.** L = Σ_τ E_τ over the block (``reduction="sum"``) or
   their mean (``"mean"``).  Back-propagate, clip if asked, take one
   optimizer step.  The states computed in this forward pass (with the
   weights *before* the step) are what later windows start from.

Consequences, each checked by a test:

* k1 = k2 = T: one update through the whole sequence: full BPTT.
* k1 = k2 = k: chunks of k steps, each starting from the previous chunk's
  last state, with the gradient stopped at the chunk boundary: the scheme
  of min-char-rnn.
* k2 > k1: windows overlap.  Steps already used by the previous update are
  run again with the updated weights, to carry gradient back further; their
  own losses are not counted again.
* k2 < k1: the window is shorter than the block.  The block's first
  m - k2 steps lie before the window: their states are constants, so
  their losses reach only the output layer (V, c), never U, W or b.

The encyclopedia article's pseudocode is a different scheme, offered as
:func:`~rnn.sliding_window_bptt`: a window of k steps slides by one step, the
error is taken at the window's last output only, and after each update the
context state is advanced by one step *with the updated weights*.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import minigrad as mg
from minigrad.optim import clip_grad_norm_

from .bptt import check_sequence
from .checkpoint import Policy, checkpointed_backward, loss_weight, policy_for
from .layout import describe, given_shape
from .losses import checked_sequence_loss, step_loss

__all__ = ["tbptt", "sliding_window_bptt", "TBPTTResult", "Update"]


@dataclass
class Update:
    """One parameter update of truncated BPTT."""
    block: tuple        # (first, last): the steps whose losses count
    window: tuple       # (first, last): the steps the gradient flows through
    loss: float
    grads: dict | None = None    # dL/dp before clipping, with keep_grads=True


@dataclass
class TBPTTResult:
    """What :func:`tbptt` and :func:`sliding_window_bptt` return."""
    updates: list = field(default_factory=list)
    final_state: object = None        # s_T, detached: carry it into the next call
    last_loss_tensor: mg.Tensor = None  # the last update's L, with its graph (for drawing)

    @property
    def losses(self):
        return [u.loss for u in self.updates]


def _positive_int(name, value, where):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{where}: {name} must be an integer >= 1, got {value!r}")
    return int(value)


def _detach(state, t=None, name="s"):
    """s_t with the graph behind it cut off (LSTM (h, c) pairs too), named for drawings
    (``name``: what the model calls its state, ``s`` or ``h``)."""
    if isinstance(state, tuple):
        parts = tuple(part.detach() for part in state)
        if t is not None:
            for part, name in zip(parts, ("h", "c")):
                part.name = f"{name}{t}"
        return parts
    state = state.detach()
    if t is not None:
        state.name = f"{name}{t}"
    return state


def _run_without_graph(model, xs, states, first, last):
    """Compute s_{first+1} .. s_last from s_first, recording nothing."""
    s = states[first]
    with mg.no_grad():
        for t in range(first + 1, last + 1):
            s = states[t] = model.step(xs[t - 1], s)


def _apply_update(model, L, optimizer, clip, keep_grads, backward=True):
    """Back-propagate L (unless the gradients are already in .grad), remember the
    gradients if asked, clip, and step."""
    if backward:
        model.zero_grad()
        L.backward()
    grads = None
    if keep_grads:
        grads = {name: np.zeros_like(p._data) if p.grad is None else p.grad.copy()
                 for name, p in model.named_parameters()}
    if clip is not None:
        clip_grad_norm_(model.parameters(), clip)
    if optimizer is not None:
        optimizer.step()
    return grads


def tbptt(model, xs, ys, k1, k2, optimizer, loss="mse", reduction="sum", clip=None, s0=None,
          mask=None, keep_grads=False, batch_first=False, memory="full"):
    """Truncated BPTT(k1, k2) over one sequence, updating the model as it goes.

    Every k1 steps, back-propagate the losses of those k1 steps through at
    most the last k2 steps, then update.  The module docstring gives the
    exact definition, including k2 > k1 and k2 < k1.

    Parameters
    ----------
    model : rnn.RNN, rnn.LSTM or rnn.GRU
    xs, ys : the sequence, time first (as for :func:`rnn.bptt`)
    k1 : int
        Steps between updates (>= 1, at most T).
    k2 : int
        Steps the gradient flows back through (>= 1).
    optimizer : minigrad.optim.Optimizer or None
        None computes the updates' gradients without changing the weights.
    loss, reduction, mask :
        As for :func:`rnn.sequence_loss`, applied to each block.  A block
        whose steps are all masked out makes no update.
    clip : float, optional
        Clip the gradient norm at this value before each step.
    s0 : optional
        Initial state (default zeros): an array or Tensor, (h0, c0) for an LSTM.
    keep_grads : bool
        Keep each update's gradients (before clipping) in the result.
    batch_first : bool
        xs is (B, T, D) and ys (B, T, O) or (B, T), as in PyTorch; the updates
        are identical to the time-major call on the transposed arrays.
    memory : "full", "sqrt" or int
        How each window is back-propagated: "full" keeps its k2 steps'
        records; "sqrt" or an integer budget recomputes instead
        (:func:`rnn.bptt`'s ``memory``, planned per window).  The updates
        are equal (``==``) to "full"'s; ``last_loss_tensor`` then has no graph.

    Returns
    -------
    TBPTTResult

    >>> import rnn, minigrad as mg
    >>> model = rnn.RNN(1, 4, 1, rng=0)
    >>> xs = np.sin(np.linspace(0, 6, 13))[:, None]
    >>> result = rnn.tbptt(model, xs[:-1], xs[1:], k1=4, k2=6,
    ...                    optimizer=mg.optim.SGD(model.parameters(), lr=0.01))
    >>> [(u.block, u.window) for u in result.updates]
    [((1, 4), (1, 4)), ((5, 8), (3, 8)), ((9, 12), (7, 12))]
    """
    where = "rnn.tbptt"
    k1, k2 = _positive_int("k1", k1, where), _positive_int("k2", k2, where)
    if isinstance(memory, Policy):
        raise TypeError(f"{where}: a Policy fits one sequence length, and tbptt plans each "
                        f"window itself. Fix: memory='sqrt' or an integer budget")
    policy_for(memory, 1, where)              # a bad memory= fails before any work
    xs, ys, s0, mask = check_sequence(model, xs, ys, s0, loss, reduction, mask, batch_first,
                                      where)
    T = xs.shape[0]
    if k1 > T:
        raise ValueError(f"{where}: the sequence has T={T} steps, fewer than k1={k1}, so not "
                         f"even one block fits; use k1 <= {T}. "
                         f"{describe(given_shape(xs.shape, batch_first), batch_first)}")

    result = TBPTTResult()
    states = {0: _detach(s0)}                 # step -> s_step
    done = 0                                  # losses of steps 1..done have been used
    while done < T:
        end = min(done + k1, T)               # the block is steps done+1 .. end
        w = max(0, end - k2)                  # the window is steps w+1 .. end
        if mask is not None and not mask[done:end].any():
            _run_without_graph(model, xs, states, done, end)    # no loss: just move on
        else:
            # Steps before the window (only if k2 < block length) are constants.
            _run_without_graph(model, xs, states, done, w)
            policy = policy_for(memory, end - w, where)
            if policy is None:
                L = _window_loss(model, xs, ys, states, done, w, end, loss, reduction, mask)
                grads = _apply_update(model, L, optimizer, clip, keep_grads)
            else:
                L = _checkpointed_window(model, xs, ys, states, done, w, end, loss, reduction,
                                         mask, policy, k1, k2, T)
                grads = _apply_update(model, L, optimizer, clip, keep_grads, backward=False)
            result.updates.append(Update((done + 1, end), (w + 1, end), L.item(), grads))
            result.last_loss_tensor = L
        next_end = min(end + k1, T)           # forget states no later window starts from
        keep_from = min(max(0, next_end - k2), end)
        for t in [t for t in states if t < keep_from]:
            del states[t]
        done = end
    result.final_state = states[T]
    return result


def _window_loss(model, xs, ys, states, done, w, end, loss, reduction, mask):
    """The block's L, recorded: the window w+1..end run again from the cut state s_w."""
    run = model.run(xs[w:end], _detach(states[w], w, model.state_name), first_step=w + 1)
    for t, s_t in enumerate(run.states, start=w + 1):
        states[t] = _detach(s_t)
    outputs = []
    for t in range(done + 1, end + 1):          # the block's outputs o_t
        if t > w:
            outputs.append(run.outputs[t - w - 1])
        else:                                   # before the window: only V, c learn
            with mg.scope(f"t={t}"):
                outputs.append(model.output(states[t]))
    return checked_sequence_loss(outputs, ys[done:end], loss, reduction,
                                 None if mask is None else mask[done:end], done + 1)


def _checkpointed_window(model, xs, ys, states, done, w, end, loss, reduction, mask, policy,
                         k1, k2, T):
    """:func:`_window_loss` and its backward by a store-or-recompute plan: the same
    .grad, bit for bit, and L's value without a graph.

    Full BPTT of the window walks, newest first: the outputs before the window
    (k2 < block), then the window's steps from the last.  So those outputs'
    share goes first, and enters the window's plan as its carried gradient.
    """
    kept = np.ones(end - done, bool) if mask is None else mask[done:end]
    n = int(kept.sum())
    weight = loss_weight(n, reduction, model.V.dtype)     # dL/dE_t, as the full window gives it
    y_list = mg.unbind(ys[done:end])
    costs = np.zeros(end - done, model.V.dtype)
    model.zero_grad()
    before = []                                 # outputs before the window: only V, c learn
    for t in range(done + 1, w + 1):
        if kept[t - done - 1]:
            with mg.scope(f"t={t}"):
                E_t = step_loss(model.output(states[t]), y_list[t - done - 1], loss)
            costs[t - done - 1] = E_t._data
            before.append(E_t * weight)
    if before:
        root = before[0]
        for term in before[1:]:
            root = root + term
        root.backward()
    carry = {name: p._grad for name, p in model.named_parameters() if p._grad is not None}
    # The window's steps: the block's costs only for t > done (earlier ones were counted).
    window_kept = np.array([t > done and kept[t - done - 1] for t in range(w + 1, end + 1)])
    next_end = min(end + k1, T)                 # the states later windows start from
    keep_from = min(max(0, next_end - k2), end)
    keep = {t - w for t in range(max(keep_from, w + 1), end + 1)}
    window_costs, _, kept_states = checkpointed_backward(
        model, xs[w:end], ys[w:end], _detach(states[w], w, model.state_name), policy, loss,
        weight, window_kept, first_step=w + 1, carry_params=carry, keep_states=keep)
    for i, s_t in kept_states.items():
        states[w + i] = s_t
    for t in range(max(done, w) + 1, end + 1):
        costs[t - done - 1] = window_costs[t - w - 1]
    with mg.no_grad():                          # L by the same reduction as the full path
        values = costs[kept]
        return mg.tensor(values[0]) if n == 1 else (
            mg.tensor(values).sum() if reduction == "sum" else mg.tensor(values).mean())


def sliding_window_bptt(model, xs, ys, k, optimizer, loss="mse", clip=None, s0=None,
                        keep_grads=False, batch_first=False):
    """The truncated BPTT of the encyclopedia article's pseudocode.

    For t = 0 .. T - k (one pass over the data)::

        unfold k copies of the cell from the context state x, over inputs a[t..t+k-1]
        error at the window's last output: E(o_{t+k}, y_{t+k})
        back-propagate through the k copies, sum their weight changes, update
        x := f(x, a[t])            # advance the context one step, with the new weights

    Steps are numbered from 1 here, so the window covers steps t+1 .. t+k.
    The article writes the error as y[t+k]; with its pairs <a_i, y_i>, the
    output made after reading a[t+k-1] is compared with y[t+k-1], its own
    target, which is what is done here.  It is TBPTT(1, k) except that the
    state entering each window is always recomputed with the latest weights.
    ``s0`` and ``batch_first`` are as for :func:`tbptt`.

    >>> import rnn, minigrad as mg
    >>> model = rnn.RNN(1, 4, 1, rng=0)
    >>> xs = np.sin(np.linspace(0, 6, 8))[:, None]
    >>> result = rnn.sliding_window_bptt(model, xs[:-1], xs[1:], k=5,
    ...                                  optimizer=mg.optim.SGD(model.parameters(), lr=0.01))
    >>> [u.window for u in result.updates]
    [(1, 5), (2, 6), (3, 7)]
    """
    where = "rnn.sliding_window_bptt"
    k = _positive_int("k", k, where)
    xs, ys, s0, _ = check_sequence(model, xs, ys, s0, loss, "sum", None, batch_first, where)
    T = xs.shape[0]
    if T < k:
        raise ValueError(f"{where}: the sequence has T={T} steps, shorter than one window of "
                         f"k={k} steps; use k <= {T}. "
                         f"{describe(given_shape(xs.shape, batch_first), batch_first)}")

    result = TBPTTResult()
    context = _detach(s0)
    for t in range(T - k + 1):
        run = model.run(xs[t:t + k], _detach(context, t, model.state_name), first_step=t + 1)
        with mg.scope(f"t={t + k}"):
            L = step_loss(run.outputs[-1], ys[t + k - 1], loss)
        grads = _apply_update(model, L, optimizer, clip, keep_grads)
        result.updates.append(Update((t + k, t + k), (t + 1, t + k), L.item(), grads))
        result.last_loss_tensor = L
        with mg.no_grad():                    # x := f(x, a[t]) with the updated weights
            context = _detach(model.step(xs[t], context))
    with mg.no_grad():                        # run the rest of the sequence for s_T
        for t in range(T - k + 1, T):
            context = _detach(model.step(xs[t], context))
    result.final_state = context
    return result


# In Jupyter, a result shows as a table of its updates (rnn.tables), not as a dataclass's repr.
from .tables import tbptt_table  # noqa: E402
TBPTTResult._repr_html_ = lambda self: tbptt_table(self)._repr_html_()
