"""Backpropagation through time by autograd, and how the gradient flows back in time.

BPTT is ordinary backpropagation on the unrolled graph.  Because every
copy of the cell uses the same U, W and V, the gradient of each is a sum
over the copies (the article: "the weight changes ... are summed"):

    dL/dW = Σ_t (dL/dW through copy t) = Σ_t δ_t s_{t-1}ᵀ,    δ_t = dL/da_t

``minigrad`` records that sum term by term; ``bptt(..., contributions=True)``
hands back every copy's term.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import minigrad as mg

from .losses import check_loss_name, check_targets, sequence_loss, step_loss
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
        L itself, with the whole graph behind it (``viz.draw_unrolled(result.loss_tensor)``).
    run : Unrolled
        The outputs and states of the forward pass.
    """
    loss: float
    grads: dict
    contributions: dict | None
    loss_tensor: mg.Tensor
    run: Unrolled


def bptt(model, xs, ys, loss="mse", reduction="sum", s0=None, mask=None, contributions=False,
         retain_grads=False):
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
        Initial state (default zeros).
    contributions : bool
        Also return each time step's term of every parameter's gradient.
    retain_grads : bool
        Keep every intermediate gradient on the graph (for drawings).

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
    """
    model.zero_grad()
    run = model.unroll(xs, s0)
    L = sequence_loss(run.outputs, ys, loss, reduction, mask)
    L.backward(contributions=contributions, retain_grads=retain_grads)
    params = list(model.named_parameters())
    grads = {name: np.zeros_like(p.data) if p.grad is None else p.grad for name, p in params}
    per_copy = None
    if contributions:
        per_copy = {name: (mg.contributions(p) if p.grad is not None else {})
                    for name, p in params}
    return BPTTResult(L.item(), grads, per_copy, L, run)


def spectral_radius(W):
    """The largest |eigenvalue| of a square matrix (a Tensor or an array)."""
    W = W.data if isinstance(W, mg.Tensor) else np.asarray(W)
    return float(np.max(np.abs(np.linalg.eigvals(W))))


@dataclass
class GradientFlow:
    """How far back in time the gradient reaches (see :func:`gradient_flow`)."""
    steps: np.ndarray                  # t = 1..T
    state_grad_norms: np.ndarray       # ||dE_T/ds_t||, t = 1..T
    w_contribution_norms: np.ndarray   # ||copy t's term of dL/dW||, t = 1..T
    spectral_radius: float             # of W (for a gated cell: of its whole W)

    def __str__(self):
        lines = [f"gradient flow (spectral radius of W: {self.spectral_radius:.3f})",
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


def gradient_flow(model, xs, ys, loss="mse", reduction="sum"):
    """Norms that show vanishing or exploding gradients.

    For each t = 1..T: ||dE_T/ds_t||, the gradient of the *last* step's cost
    with respect to the state t steps earlier, and ||copy t's term of dL/dW||.
    Roughly, dE_T/ds_t = (Π_{k=t+1..T} diag(g'(a_k)) W)ᵀ dE_T/ds_T, so the
    norms shrink or grow geometrically with T - t, depending on W's spectral
    radius (below or above about 1 for tanh).

    >>> import rnn
    >>> model = rnn.RNN(1, 8, 1, rng=0)
    >>> flow = rnn.gradient_flow(model, np.ones((20, 1)), np.zeros((20, 1)))
    >>> bool(flow.state_grad_norms[0] < flow.state_grad_norms[-1])
    True
    """
    check_loss_name(loss, reduction)
    # dE_T/ds_t: back-propagate the last step's cost alone, keeping every state's gradient.
    model.zero_grad()
    run = model.unroll(xs)
    hidden = [model.hidden(s).retain_grad() for s in run.states]
    T = len(run.outputs)
    ys_checked = check_targets(ys, T, run.outputs[0].shape, loss, run.outputs[0].dtype)
    with mg.scope(f"t={T}"):
        last_cost = step_loss(run.outputs[-1], ys_checked[-1], loss)
    last_cost.backward()
    state_norms = np.array([0.0 if h.grad is None else np.linalg.norm(h.grad) for h in hidden])

    # Each copy's term of dL/dW, for the whole loss.
    result = bptt(model, xs, ys, loss, reduction, contributions=True)
    terms = result.contributions["W"]
    w_norms = np.array([np.linalg.norm(terms[f"t={t}"]) if f"t={t}" in terms else 0.0
                        for t in range(1, T + 1)])
    model.zero_grad()
    W = model.W.data
    radius = spectral_radius(W) if W.shape[0] == W.shape[1] else float(np.linalg.norm(W, 2))
    return GradientFlow(np.arange(1, T + 1), state_norms, w_norms, radius)
