"""The same gradient forward in time: real-time recurrent learning (RTRL).

The course notes observe that the total derivatives ds_t/dU and ds_t/dW
obey a recurrence, because s_t depends on U and W directly and again
through s_{t-1}::

    ds_t/dθ = g'(a_t) ⊙ (∂a_t/∂θ + W ds_{t-1}/dθ),     ds_0/dθ = 0

with ∂a_t/∂W_jk = e_j s_{t-1,k},  ∂a_t/∂U_jk = e_j x_{t,k},  ∂a_t/∂b_j = e_j
(e_j: the j-th unit vector).  Carrying these sensitivities forward
(Williams and Zipser, 1989) gives the gradient without ever going back::

    dL/dθ = Σ_t (∂E_t/∂s_t) · ds_t/dθ,         ∂E_t/∂s_t = Vᵀ dz_t

The sensitivity of s_t (H numbers) to W (H² numbers) has H³ entries and
each step multiplies it by W: O(H⁴) work per step, against O(H²) for BPTT.
That is why BPTT is what everyone uses, and why this module is for small
models and for checking.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .manual import (ACTIVATION, DERIVATIVE_FROM_OUTPUT, _check_names, _initial_state,
                     _output_layer, _sequence, _step_weights, _weighted_error, model_arrays)

__all__ = ["RTRLResult", "rtrl", "forward_gradients"]


@dataclass
class RTRLResult:
    loss: float
    grads: dict


def rtrl(params, xs, ys, s0=None, loss="mse", reduction="sum", activation="tanh",
         output_activation=None, mask=None, batch_first=False):
    """Gradients of the vanilla RNN by forward-mode sensitivities.

    ``params`` holds U, W, V and optionally b and c as arrays; the other
    arguments are those of :func:`rnn.manual.rnn_bptt`.  Returns the same
    gradients, computed forward in time: to rounding, checked below
    norm-relative to 1e-12 (max |rtrl - bptt| <= 1e-12 max |bptt|).

    >>> import numpy as np
    >>> from rnn import manual, rtrl
    >>> rng = np.random.default_rng(0)
    >>> params = {"U": rng.normal(size=(3, 2)), "W": rng.normal(size=(3, 3)) * 0.5,
    ...           "V": rng.normal(size=(1, 3)), "b": np.zeros(3)}
    >>> xs, ys = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    >>> forward = rtrl.rtrl(params, xs, ys).grads
    >>> backward = manual.rnn_bptt(params, xs, ys).grads
    >>> all(np.max(np.abs(forward[k] - backward[k])) <= 1e-12 * np.max(np.abs(backward[k]))
    ...     for k in params)
    True
    """
    where = "rnn.rtrl.rtrl"
    U, W, V = params["U"], params["W"], params["V"]
    b, c = params.get("b"), params.get("c")
    _check_names(where, loss, reduction, activation, output_activation)
    xs, ys, mask, batched = _sequence(where, xs, ys, loss, mask, batch_first, U.shape[1],
                                      V.shape[0])
    T, B, H = len(xs), xs.shape[1], W.shape[0]
    D = U.shape[1]
    g, g_prime = ACTIVATION[activation], DERIVATIVE_FROM_OUTPUT[activation]
    kappa = _step_weights(T, reduction, mask)
    eye = np.eye(H)

    # Sensitivities, per batch row: dS_dW[n, i, j, k] = ds_{t,i} / dW_jk for row n.
    dS_dU = np.zeros((B, H, H, D))
    dS_dW = np.zeros((B, H, H, H))
    dS_db = np.zeros((B, H, H))
    grads = {"U": np.zeros_like(U), "W": np.zeros_like(W), "V": np.zeros_like(V)}
    if b is not None:
        grads["b"] = np.zeros_like(b)
    if c is not None:
        grads["c"] = np.zeros_like(c)

    s_prev = _initial_state(where, s0, B, H, batched)[0]
    L = 0.0
    for t in range(1, T + 1):
        x_t = xs[t - 1]
        s_t = g(x_t @ U.T + s_prev @ W.T + (0 if b is None else b))
        gp = g_prime(s_t)[:, :, None, None]                  # g'(a_t), shaped to broadcast

        # ds_t/dθ = g'(a_t) ⊙ (∂a_t/∂θ + W ds_{t-1}/dθ)
        dS_dW = gp * (np.einsum("ij,nk->nijk", eye, s_prev) + _times_W(W, dS_dW))
        dS_dU = gp * (np.einsum("ij,nk->nijk", eye, x_t) + _times_W(W, dS_dU))
        dS_db = gp[..., 0] * (eye + _times_W(W, dS_db))

        # E_t's own gradient, and its path into s_t
        o_t = _output_layer(s_t, V, c, output_activation)
        E_t, dz = _weighted_error(o_t, ys[t - 1], kappa[t], loss, output_activation)
        L += E_t                                                # κ_t E_t;  dz = κ_t dE_t/dz_t
        dE_ds = dz @ V                                          # ∂E_t/∂s_t
        grads["V"] += dz.T @ s_t
        if c is not None:
            grads["c"] += dz.sum(axis=0)
        grads["W"] += np.einsum("ni,nijk->jk", dE_ds, dS_dW)
        grads["U"] += np.einsum("ni,nijk->jk", dE_ds, dS_dU)
        if b is not None:
            grads["b"] += np.einsum("ni,nij->j", dE_ds, dS_db)
        s_prev = s_t
    return RTRLResult(L, grads)


def _times_W(W, sensitivity):
    """Σ_m W[i, m] sensitivity[n, m, ...]: the recurrent path s_{t-1} -> a_t."""
    n, h = sensitivity.shape[:2]
    flat = sensitivity.reshape(n, h, -1)
    return (W @ flat).reshape(sensitivity.shape)


def forward_gradients(model, xs, ys, s0=None, loss="mse", reduction="sum", mask=None,
                      batch_first=False):
    """:func:`rtrl` on an ``rnn.RNN`` model's weights (arguments as for :func:`rnn.bptt`).

    >>> import numpy as np, rnn
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> xs, ys = np.ones((4, 5, 2)), np.zeros((4, 5, 1))              # B = 4, T = 5
    >>> forward = rnn.rtrl.forward_gradients(model, xs, ys, batch_first=True).grads
    >>> backward = rnn.bptt(model, xs, ys, batch_first=True).grads
    >>> all(np.max(np.abs(forward[k] - backward[k])) <= 1e-12 * np.max(np.abs(backward[k]))
    ...     for k in backward)
    True
    """
    from .models import RNN

    where = "rnn.rtrl.forward_gradients"
    if not isinstance(model, RNN):
        raise TypeError(f"{where}: rtrl is implemented for the vanilla rnn.RNN only, not "
                        f"{type(model).__name__}; use rnn.manual for LSTM and GRU")
    _check_names(where, loss, reduction, model.activation, model.output_activation)
    xs, ys, mask, batched = _sequence(where, xs, ys, loss, mask, batch_first, model.input_size,
                                      model.output_size)
    s0 = _initial_state(where, s0, xs.shape[1], model.hidden_size, batched)[0]
    return rtrl(model_arrays(model), xs, ys, s0, loss, reduction, model.activation,
                model.output_activation, mask)
