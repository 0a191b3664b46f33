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

:func:`rtrl` writes the vanilla recursion by hand; :func:`rtrl_jvp` gets the
same recursion for any cell (RNN, LSTM, GRU) from the engine's forward mode,
which makes literal the line "BPTT is reverse mode over the unrolled graph,
RTRL is forward mode over it".  The online approximations of RTRL (UORO,
SnAp, RFLO) are in ``rnn.online``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .manual import (ACTIVATION, DERIVATIVE_FROM_OUTPUT, _check_names, _initial_state,
                     _output_layer, _sequence, _step_weights, _weighted_error, check_params,
                     model_arrays)

__all__ = ["RTRLResult", "rtrl", "forward_gradients", "rtrl_jvp"]


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
    params = check_params(where, params, fix="rnn.rtrl.forward_gradients(model, xs, ys)")
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


# ------------------------------------------------- RTRL as forward-mode autodiff

READOUT = ("V", "c")      # the output layer: its gradient needs no sensitivity


def rtrl_jvp(model, xs, ys, loss="mse", reduction="sum", s0=None, mask=None,
             batch_first=False):
    """RTRL for any cell (RNN, LSTM, GRU) by the engine's forward mode.

    BPTT is reverse mode over the unrolled graph; this is forward mode over
    it.  Williams and Zipser (1989, the recursion for their p_ij^k)
    carry the sensitivities ``S_t = ds_t/dθ`` of the state to every
    recurrent parameter θ (U, W, b, and GRU's b_hn) forward in time::

        S_t = (∂s_t/∂s_{t-1}) S_{t-1} + ∂s_t/∂θ,          S_0 = 0
        dL/dθ = Σ_t κ_t (∂E_t/∂s_t) S_t                      (κ_t: 1, or 1/T for the mean)

    The right-hand side of the first line is a Jacobian-vector product of
    one cell step ``s_t = step(x_t, s_{t-1}; θ)``, with tangent S_{t-1} on
    the state and e_j on θ.  So each step is recorded once
    (``minigrad.linearize``) and every column j of S_t is one ``push``
    through that record: no derivative is written by hand here, only the
    op tables' jvps.  An LSTM's state is the pair (h_t, c_t), and both carry
    a sensitivity.  The readout's gradient (V, c) and ∂E_t/∂s_t come from a
    one-step ``backward()``.

    Cost: P pushes per step (P = number of recurrent parameters), each the
    cost of a step: O(P H²) ~ O(H⁴) for the vanilla RNN, against O(H²) for
    BPTT.  For small models and for checking.

    Arguments are those of :func:`rnn.bptt`; returns an :class:`RTRLResult`
    with the same gradient names.

    >>> import numpy as np, rnn
    >>> model = rnn.LSTM(2, 3, 1, rng=0)
    >>> rng = np.random.default_rng(0)
    >>> xs, ys = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    >>> forward = rnn.rtrl.rtrl_jvp(model, xs, ys).grads
    >>> backward = rnn.bptt(model, xs, ys).grads
    >>> all(np.linalg.norm(forward[k] - backward[k]) <= 1e-12 * np.linalg.norm(backward[k])
    ...     for k in backward)
    True
    """
    import minigrad as mg

    from .bptt import check_sequence
    from .losses import step_loss

    where = "rnn.rtrl.rtrl_jvp"
    xs, ys, s0, mask = check_sequence(model, xs, ys, s0, loss, reduction, mask, batch_first,
                                      where)
    paired = isinstance(s0, tuple)
    pack = (lambda parts: tuple(parts)) if paired else (lambda parts: parts[0])
    state = [p._data for p in (s0 if paired else (s0,))]
    names = [n for n, _ in model.named_parameters() if n not in READOUT]
    params = [getattr(model, n) for n in names]
    sizes = [p._data.size for p in params]
    P = sum(sizes)
    T = len(xs._data)
    kappa = _step_weights(T, reduction, mask)             # κ_t, t = 1..T (κ_0 unused)

    S = [np.zeros(part.shape + (P,)) for part in state]   # S_0 = ds_0/dθ = 0
    dL = np.zeros(P)
    model.zero_grad()
    L = 0.0
    for t, x_t in enumerate(mg.unbind(xs), start=1):
        step = mg.linearize(lambda *a: model.step(x_t, pack(a[:len(state)])),
                            state + params)
        new = [step.push([S_k[..., j] for S_k in S] + _unit(j, params, sizes))
               for j in range(P)]                        # S_t, column by column
        new = [new_j if paired else (new_j,) for new_j in new]
        S = [np.stack([new_j[k] for new_j in new], axis=-1) for k in range(len(state))]
        state = list(step.value) if paired else [step.value]

        if kappa[t]:                                      # ∂E_t/∂s_t and the readout's part
            leaves = [mg.tensor(part, requires_grad=True) for part in state]
            E_t = step_loss(model.output(pack(leaves)), ys[t - 1], loss) * kappa[t]
            E_t.backward()
            L += E_t.item()
            for leaf, S_k in zip(leaves, S):              # Σ_i (∂E_t/∂s_t)_i S_t[i, :]
                if leaf.grad is not None:                 # (the readout never sees c_t)
                    dL += np.tensordot(leaf.grad, S_k, axes=leaf.grad.ndim)
    grads = {}
    for name, p, piece in zip(names, params, np.split(dL, np.cumsum(sizes)[:-1])):
        grads[name] = piece.reshape(p.shape)
    for name in READOUT:
        p = getattr(model, name, None)
        if p is not None:
            grads[name] = np.zeros_like(p._data) if p.grad is None else p.grad
    order = [n for n, _ in model.named_parameters()]
    return RTRLResult(L, {n: grads[n] for n in order})


def _unit(j, params, sizes):
    """The tangent e_j on the parameters: 1 at flat index j of θ, None (0) elsewhere."""
    tangents, start = [], 0
    for p, n in zip(params, sizes):
        if start <= j < start + n:
            e = np.zeros(p.shape)
            e.flat[j - start] = 1.0
            tangents.append(e)
        else:
            tangents.append(None)
        start += n
    return tangents
