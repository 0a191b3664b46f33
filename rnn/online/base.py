"""What every online rule shares: one step of the vanilla RNN and its local derivatives.

The notation is that of Marschall, Cho and Savin (JMLR 2020), whose framework
puts every rule in one frame (their influence matrix M, Jacobian J and
immediate influence M̄).  Write the recurrent parameters as one matrix
Θ = [W U b] (H × K, K = H + D + 1) acting on z_t = [s_{t-1}; x_t; 1]::

    a_t = Θ z_t,        s_t = g(a_t),        o_t = h(V s_t + c)

Three local quantities are all a rule may use at step t:

    D_t = ∂s_t/∂s_{t-1} = diag(g'(a_t)) W                 (H × H, the Jacobian)
    M̄_t = ∂s_t/∂Θ      : M̄_t[i, j, k] = g'(a_t)_i δ_ij z_{t,k}   (immediate influence)
    c_t = ∂E_t/∂s_t     = Vᵀ ∂E_t/∂(V s_t + c)              (the credit at step t)

The exact gradient is dL/dΘ = Σ_t c_t · M_t with the influence matrix
M_t = ds_t/dΘ obeying M_t = D_t M_{t-1} + M̄_t (RTRL).  Each rule keeps its
own approximation of M_t (or of c_t's future) and turns it into this step's
gradient estimate; the readout V, c gets its exact local gradient in every
rule.  Rules never store the past (online TBPTT keeps its window of k steps).

A rule is a subclass of :class:`OnlineRule` that defines ``start`` and
``update``; :func:`rnn.online.online_gradient` runs it over a sequence.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ..manual import ACTIVATION, DERIVATIVE_FROM_OUTPUT, _output_layer, _weighted_error

__all__ = ["OnlineRule", "Step", "RandomFactorRule", "balance", "positive_number"]


@dataclass
class Step:
    """The local quantities of one step for a batch of B sequences (first axis).

    z: (B, K) = [s_{t-1}, x_t, 1];  gp: (B, H) = g'(a_t);  s: (B, H) = s_t;
    error: (B, O) = ∂(κ_t E_t)/∂(V s_t + c);  credit: (B, H) = c_t = error V;
    W: (H, H) and V: (O, H), the weights of this step (they may change while training).
    """
    z: np.ndarray
    gp: np.ndarray
    s: np.ndarray
    error: np.ndarray
    credit: np.ndarray
    W: np.ndarray
    V: np.ndarray

    def jacobian_times(self, m):
        """D_t m = g'(a_t) ⊙ (W m), for m of shape (B, H, ...): the recurrent path."""
        Wm = (self.W @ m.reshape(m.shape[0], m.shape[1], -1)).reshape(m.shape)
        return self.gp.reshape(self.gp.shape + (1,) * (m.ndim - 2)) * Wm

    def immediate_rows(self):
        """M̄_t's non-zero part: ∂s_{t,j}/∂Θ_jk = g'(a_t)_j z_{t,k}, as (B, H, K)."""
        return self.gp[:, :, None] * self.z[:, None, :]


class OnlineRule:
    """The interface: ``start(params, B, rng)``, then ``update(step)`` at every step,
    which returns this step's estimate of ∂(κ_t E_t)/∂Θ summed over the batch (H × K).

    Class attributes: ``name`` (for reports), ``stochastic`` (True if the
    estimate depends on random draws), ``exact`` (True if it equals BPTT's).
    """

    name = "rule"
    stochastic = False
    exact = False

    def start(self, params, B, rng):
        raise NotImplementedError

    def update(self, step):
        raise NotImplementedError

    def __repr__(self):
        return self.name


class RandomFactorRule(OnlineRule):
    """UORO and KF-RTRL: keep M_t as a product of two factors, fold each step's new term in
    with random signs, and scale the factors to the same size (``balance``) so the
    variance stays small.  ``eps`` keeps the scales finite when a factor is 0 (at the
    first step)."""

    stochastic = True

    def __init__(self, eps=1e-7):
        self.eps = positive_number(f"{type(self).__name__}", "eps", eps,
                                   "a small number > 0 (it keeps the scales ρ finite when a "
                                   "factor is 0; 0 gives 0/0 = NaN at the first step)")


def positive_number(who, name, value, meaning, at_most=None):
    """``value`` as a float in (0, at_most], or a clear error naming ``who`` and ``name``.

    >>> positive_number("UORO", "eps", 0, "a small number > 0")
    Traceback (most recent call last):
    ValueError: UORO: eps must be a small number > 0, got 0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {name} must be {meaning}, got {value!r} (a "
                        f"{type(value).__name__}, not a number)")
    x = float(value)
    if not (np.isfinite(x) and x > 0 and (at_most is None or x <= at_most)):
        raise ValueError(f"{who}: {name} must be {meaning}, got {value!r}")
    return x


def balance(a, b, eps):
    """ρ = √((‖a‖ + ε) / (‖b‖ + ε)) for each batch row (first axis): ``b ρ`` and ``a / ρ``
    then have the same norm, which makes the cross terms of a random-sign sum smallest."""
    return np.sqrt((_row_norms(a) + eps) / (_row_norms(b) + eps))


def _row_norms(a):
    """The (Frobenius) norm of each batch row's array."""
    return np.sqrt((a.reshape(len(a), -1) ** 2).sum(axis=1))


def run_rule(rule, params, xs, ys, s0, kappa, loss, activation, output_activation, rng):
    """Run ``rule`` over the time-major batch (xs (T, B, D)); the summed estimates by name."""
    rule.start(params, xs.shape[1], rng)
    total = {name: np.zeros_like(a) for name, a in params.items()}
    L, s = 0.0, s0
    for t in range(1, len(xs) + 1):
        E_t, s, grads = one_step(rule, params, s, xs[t - 1], ys[t - 1], kappa[t], loss,
                                 activation, output_activation)
        L += E_t
        for name in total:
            total[name] = total[name] + grads[name]
    return L, total


def one_step(rule, params, s_prev, x_t, y_t, kappa_t, loss, activation, output_activation):
    """One step of the RNN, and the rule's estimate for it: (κ_t E_t, s_t, grads by name)."""
    U, W, V = params["U"], params["W"], params["V"]
    b, c = params.get("b"), params.get("c")
    H, D = W.shape[0], U.shape[1]
    g, g_prime = ACTIVATION[activation], DERIVATIVE_FROM_OUTPUT[activation]
    Theta = np.concatenate([W, U, (b if b is not None else np.zeros(H))[:, None]], axis=1)
    z = np.concatenate([s_prev, x_t, np.ones((len(x_t), 1))], axis=1)   # [s_{t-1}; x_t; 1]
    s = g(z @ Theta.T)                                                  # s_t = g(Θ z_t)
    o = _output_layer(s, V, c, output_activation)
    E_t, dz = _weighted_error(o, y_t, kappa_t, loss, output_activation)
    step = Step(z=z, gp=g_prime(s), s=s, error=dz, credit=dz @ V, W=W, V=V)
    d_Theta = rule.update(step)
    grads = {"W": d_Theta[:, :H], "U": d_Theta[:, H:H + D], "V": dz.T @ s}   # V, c: exact
    if b is not None:
        grads["b"] = d_Theta[:, H + D]
    if c is not None:
        grads["c"] = dz.sum(axis=0)
    return E_t, s, grads
