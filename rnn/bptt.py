"""Backpropagation through time by autograd, and how the gradient flows back in time.

BPTT is ordinary backpropagation on the unrolled graph.  Because every
copy of the cell uses the same U, W and V, the gradient of each is a sum
over the copies (the article: "the weight changes ... are summed"):

    dL/dW = Σ_t (dL/dW through copy t) = Σ_t δ_t s_{t-1}ᵀ,    δ_t = dL/da_t

``minigrad`` records that sum term by term; ``bptt(..., contributions=True)``
hands back every copy's term.  ``bptt(..., memory="sqrt")`` or an integer
budget gets the same numbers in less memory by recomputing steps
(``rnn.checkpoint``, Gruslys et al. 2016).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import minigrad as mg

from .checkpoint import checkpointed_backward, loss_weight, policy_for
from .layout import given_shape
from .losses import (check_loss_name, check_mask, check_targets, checked_sequence_loss,
                     step_loss)
from .models import Unrolled

__all__ = ["bptt", "BPTTResult", "gradient_flow", "GradientFlow", "spectral_radius"]


@dataclass
class BPTTResult:
    """The outcome of :func:`bptt`.

    Attributes
    ----------
    loss : float
    grads : dict
        Parameter name -> dL/dp (ndarray).
    contributions : dict or None
        Parameter name -> {"t=1": copy 1's term, ...}; the terms sum to ``grads``.
    loss_tensor : Tensor
        L itself, with the whole graph behind it (``viz.draw_unrolled(result.loss_tensor)``);
        with ``memory=`` other than "full", L's value without a graph.
    run : Unrolled or None
        The outputs and states of the forward pass (None with ``memory=``: not kept).
    policy : rnn.Policy or None
        The store-or-recompute plan that ran (None for full BPTT).
    """
    loss: float
    grads: dict
    contributions: dict | None
    loss_tensor: mg.Tensor
    run: Unrolled | None
    policy: object = None


def check_sequence(model, xs, ys, s0, loss, reduction, mask, batch_first, where):
    """Everything a sequence function takes, checked once, with errors naming ``where``.

    Returns (xs, ys, s0, mask): xs a time-major Tensor, ys a time-major array,
    s0 the model's initial state (zeros by default), mask None or T flags.
    xs and mse targets take the model's dtype, whatever dtype xs came in
    (integers, booleans, float32); class targets stay integers.

    >>> import rnn
    >>> xs, ys, s0, mask = check_sequence(rnn.RNN(2, 4, 1), np.ones((8, 5, 2)),
    ...                                   np.zeros((8, 5, 1)), None, "mse", "sum", None,
    ...                                   True, "rnn.bptt")
    >>> xs.shape, ys.shape, s0.shape
    ((5, 8, 2), (5, 8, 1), (8, 4))
    """
    check_loss_name(loss, reduction, where)
    xs = model.check_inputs(xs, batch_first, where)
    shape = given_shape(xs.shape, batch_first)
    T, batch = xs.shape[0], xs.shape[1:-1]
    mask = check_mask(mask, T, where, shape, batch_first)
    ys = check_targets(ys, T, batch + (model.output_size,), loss, model.V.dtype, batch_first,
                       mask, where, shape)
    s0 = model.check_state(s0, batch, where, shape, batch_first)
    return xs, ys, s0, mask


def bptt(model, xs, ys, loss="mse", reduction="sum", s0=None, mask=None, contributions=False,
         retain_grads=False, batch_first=False, memory="full"):
    """Full BPTT: unroll the whole sequence, compute L, back-propagate once.

    Parameters
    ----------
    model : rnn.RNN, rnn.LSTM or rnn.GRU
    xs : array_like, (T, B, D) or (T, D)
    ys : array_like
        Targets: (T, B, O) / (T, O) floats for ``"mse"``; (T, B) / (T,) class
        indices for ``"cross_entropy"``.
    loss, reduction, mask :
        See :func:`rnn.sequence_loss`: L = Σ_t E_t (``"sum"``) or its mean.
    s0 : optional
        Initial state (default zeros): an array or Tensor, (h0, c0) for an LSTM.
    contributions : bool
        Also return each time step's term of every parameter's gradient.
    retain_grads : bool
        Keep every intermediate gradient on the graph (for drawings).
    batch_first : bool
        A batch is (B, T, D) with targets (B, T, O) or (B, T), as in PyTorch.
        The results are identical to the time-major call on the transposed arrays.
    memory : "full", "sqrt", int or rnn.Policy
        "full" keeps every step's record (memory ~ T).  "sqrt" keeps about √T
        checkpointed states and recomputes each segment once
        (:func:`rnn.sqrt_policy`); an integer is a budget of steps held at
        once, planned with the fewest forward steps by the dynamic program up
        to T = 500 (:func:`rnn.checkpoint_policy`, Gruslys et al. 2016,
        Section 3) and by binomial checkpointing beyond
        (:func:`rnn.revolve_policy`, Griewank and Walther 2000); a Policy is
        checked, then run.  The gradients and contributions are *equal*
        (``==``) to full BPTT's.  A time-major ndarray ``xs`` is read in place,
        not copied: nothing recorded outlives the call.

    Returns
    -------
    BPTTResult
        The model's ``.grad`` fields hold the same gradients afterwards.

    >>> import rnn
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> rng = np.random.default_rng(0)
    >>> result = rnn.bptt(model, rng.normal(size=(5, 2)), rng.normal(size=(5, 1)),
    ...                   contributions=True)
    >>> sorted(result.grads), list(result.contributions["W"])
    (['U', 'V', 'W', 'b', 'c'], ['t=1', 't=2', 't=3', 't=4', 't=5'])

    The same gradients, holding about √T steps instead of T:

    >>> xs, ys = rng.normal(size=(50, 2)), rng.normal(size=(50, 1))
    >>> full = rnn.bptt(model, xs, ys)
    >>> small = rnn.bptt(model, xs, ys, memory="sqrt")
    >>> all((full.grads[k] == small.grads[k]).all() for k in full.grads), small.loss == full.loss
    (True, True)
    """
    if not (isinstance(memory, str) and memory == "full"):
        xs = _borrowed(xs, model)
    xs, ys, s0, mask = check_sequence(model, xs, ys, s0, loss, reduction, mask, batch_first,
                                      "rnn.bptt")
    policy = policy_for(memory, xs.shape[0], "rnn.bptt")
    if policy is not None:
        if retain_grads:
            raise ValueError("rnn.bptt: retain_grads=True keeps every intermediate gradient "
                             "on one graph, but memory=%r never holds the whole graph. Fix: "
                             "memory='full' to draw the gradients" % (memory,))
        return _checkpointed_bptt(model, xs, ys, s0, mask, loss, reduction, contributions,
                                  policy)
    model.zero_grad()
    run = model.run(xs, s0)
    L = checked_sequence_loss(run.outputs, ys, loss, reduction, mask)
    L.backward(contributions=contributions, retain_grads=retain_grads)
    params = list(model.named_parameters())
    grads = {name: np.zeros_like(p._data) if p.grad is None else p.grad for name, p in params}
    per_copy = None
    if contributions:
        per_copy = {name: (mg.contributions(p) if p.grad is not None else {})
                    for name, p in params}
    return BPTTResult(L.item(), grads, per_copy, L, run)


def _borrowed(xs, model):
    """A time-major ndarray ``xs`` of the model's dtype as a Tensor over the same memory.

    Full BPTT copies the caller's array, because its graph outlives the call and
    the caller may fill the array again.  A checkpointed call reads ``xs`` only
    while it runs and keeps no graph of it, so a copy would only add T steps of
    inputs to its peak memory.  The wrapper is marked held, so nothing in the
    call writes into the array or freezes it (``graph.hold``).
    """
    if type(xs) is not np.ndarray or xs.dtype != model.V.dtype:
        return xs
    borrowed = mg.Tensor._wrap(xs)
    borrowed._held = True
    return borrowed


def _checkpointed_bptt(model, xs, ys, s0, mask, loss, reduction, contributions, policy):
    """:func:`bptt` by a store-or-recompute plan: the same gradients and loss, bit for bit."""
    model.zero_grad()
    T = xs.shape[0]
    n = T if mask is None else int(mask.sum())
    weight = loss_weight(n, reduction, model.V.dtype)    # dL/dE_t, as full BPTT gives it
    steps = mg.unbind(xs) if xs.requires_grad else xs      # dL/dxs: the full graph's slices
    costs, per_copy, _ = checkpointed_backward(model, steps, ys, s0, policy, loss, weight, mask,
                                               contributions=contributions)
    costs = costs if mask is None else costs[mask]
    costs.flags.writeable = False             # so as_tensor wraps it: no second copy of T costs
    with mg.no_grad():                        # L from the E_t, by full BPTT's own reduction
        L = mg.tensor(costs[0]) if n == 1 else (
            mg.as_tensor(costs).sum() if reduction == "sum" else mg.as_tensor(costs).mean())
    grads = {name: np.zeros_like(p._data) if p.grad is None else p.grad
             for name, p in model.named_parameters()}
    return BPTTResult(L.item(), grads, per_copy, L, None, policy)


def spectral_radius(W):
    """The largest |eigenvalue| of a square matrix (a Tensor or an array).

    >>> import rnn
    >>> rnn.spectral_radius(np.array([[0.0, 2.0], [0.5, 0.0]]))    # eigenvalues ±1
    1.0
    """
    W = W._data if isinstance(W, mg.Tensor) else np.asarray(W)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"spectral_radius: W has shape {W.shape}, not square, so it has no "
                         f"eigenvalues. Fix: for a gated cell's stacked W use its largest "
                         f"singular value, np.linalg.norm(W, 2)")
    return float(np.max(np.abs(np.linalg.eigvals(W))))


@dataclass
class GradientFlow:
    """How far back in time the gradient reaches (see :func:`gradient_flow`).

    ``w_scale`` bounds how much one step back can multiply the gradient by
    (up to the activation's slope): W's spectral radius (its largest
    |eigenvalue|) if W is square, as in the vanilla RNN; its largest
    singular value ||W||_2 otherwise.  An LSTM's or GRU's W stacks its gates,
    (4H, H) or (3H, H): it is not square and has no eigenvalues.
    ``w_scale_name`` says which of the two it is.
    """
    steps: np.ndarray                  # t = 1..T
    state_grad_norms: np.ndarray       # ||dE_T/ds_t||, t = 1..T
    w_contribution_norms: np.ndarray   # ||copy t's term of dL/dW||, t = 1..T
    w_scale: float                     # W's spectral radius, or its largest singular value
    w_scale_name: str = "spectral radius"    # or "largest singular value"

    @property
    def spectral_radius(self):
        """W's spectral radius; only a square W has one (a vanilla RNN's)."""
        if self.w_scale_name != "spectral radius":
            raise AttributeError(
                f"GradientFlow.spectral_radius: this W is not square (a gated cell's stacked "
                f"gates), so it has no spectral radius. Fix: read flow.w_scale, its "
                f"{self.w_scale_name}, named by flow.w_scale_name (flow.w_label says both)")
        return self.w_scale

    @property
    def w_label(self):
        """'spectral radius of W = 0.5' or 'largest singular value of W = 1.3'."""
        return f"{self.w_scale_name} of W = {self.w_scale:.2g}"

    def __str__(self):
        lines = [f"gradient flow ({self.w_scale_name} of W: {self.w_scale:.3f})",
                 f"{'t':>5}  {'||dE_T/ds_t||':>14}  {'||dL/dW via copy t||':>21}"]
        for t, a, b in zip(self.steps, self.state_grad_norms, self.w_contribution_norms):
            lines.append(f"{t:>5}  {a:>14.3e}  {b:>21.3e}")
        return "\n".join(lines)

    def decay_per_step(self):
        """The average factor by which ||dE_T/ds_t|| shrinks (< 1) or grows (> 1) per step back."""
        n = self.state_grad_norms
        ok = n > 0
        if ok.sum() < 2:
            return float("nan")
        first, last = np.flatnonzero(ok)[[0, -1]]
        return float((n[first] / n[last]) ** (1 / (last - first)))


def gradient_flow(model, xs, ys, loss="mse", reduction="sum", batch_first=False):
    """Norms that show vanishing or exploding gradients.

    For each t = 1..T: ||dE_T/ds_t||, the gradient of the *last* step's cost
    with respect to the state t steps earlier, and ||copy t's term of dL/dW||.
    Roughly, dE_T/ds_t = (Π_{k=t+1..T} diag(g'(a_k)) W)ᵀ dE_T/ds_T, so the
    norms shrink or grow geometrically with T - t, depending on W's spectral
    radius (below or above about 1 for tanh).  For a gated cell, whose
    stacked W is not square, the flow reports W's largest singular value.

    >>> import rnn
    >>> model = rnn.RNN(1, 8, 1, rng=0)
    >>> flow = rnn.gradient_flow(model, np.ones((20, 1)), np.zeros((20, 1)))
    >>> bool(flow.state_grad_norms[0] < flow.state_grad_norms[-1])
    True
    >>> flow.w_scale_name, rnn.gradient_flow(rnn.GRU(1, 8, 1, rng=0), np.ones((20, 1)),
    ...                                      np.zeros((20, 1))).w_scale_name
    ('spectral radius', 'largest singular value')
    """
    where = "rnn.gradient_flow"
    xs_t, ys_t, s0, _ = check_sequence(model, xs, ys, None, loss, reduction, None, batch_first,
                                       where)
    # dE_T/ds_t: back-propagate the last step's cost alone, keeping every state's gradient.
    model.zero_grad()
    run = model.run(xs_t, s0)
    hidden = [model.hidden(s).retain_grad() for s in run.states]
    T = len(run.outputs)
    with mg.scope(f"t={T}"):
        last_cost = step_loss(run.outputs[-1], ys_t[-1], loss)
    last_cost.backward()
    state_norms = np.array([0.0 if h.grad is None else np.linalg.norm(h.grad) for h in hidden])

    # Each copy's term of dL/dW, for the whole loss.
    result = bptt(model, xs, ys, loss, reduction, contributions=True, batch_first=batch_first)
    terms = result.contributions["W"]
    w_norms = np.array([np.linalg.norm(terms[f"t={t}"]) if f"t={t}" in terms else 0.0
                        for t in range(1, T + 1)])
    model.zero_grad()
    W = model.W._data
    if W.shape[0] == W.shape[1]:
        return GradientFlow(np.arange(1, T + 1), state_norms, w_norms, spectral_radius(W))
    return GradientFlow(np.arange(1, T + 1), state_norms, w_norms, float(np.linalg.norm(W, 2)),
                        "largest singular value")


# In Jupyter, results show as tables (rnn.tables), not as a dataclass's repr.
from .tables import bptt_table, gradient_flow_table  # noqa: E402
BPTTResult._repr_html_ = lambda self: bptt_table(self)._repr_html_()
GradientFlow._repr_html_ = lambda self: gradient_flow_table(self)._repr_html_()
