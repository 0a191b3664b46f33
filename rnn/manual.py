"""BPTT by hand: the backward recursion in plain NumPy, one line per equation.

The recursions do not use minigrad at all.  They run the forward pass,
keep what the backward pass needs, and then walk back from t = T to 1,
carrying the error from step t+1 into step t.  Each returns the loss, the
total gradient of every parameter, and every copy's term of it, so they can
be compared with autograd (``minigrad.contributions``) copy by copy.

Conventions: a batch is a stack of row vectors, so U x_t is ``x_t @ U.T``
and the term δ_t x_tᵀ summed over the batch is ``delta.T @ x_t``.  ``κ_t``
weighs step t's cost: 1 for ``reduction="sum"``, 1/T for ``"mean"``, 0 for
steps a ``mask`` leaves out.  Every function takes ``batch_first`` like
``rnn.bptt``: with it a batch is (B, T, D), targets (B, T, O) or (B, T).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minigrad import ShapeError, Tensor   # to unwrap inputs; the recursions are plain NumPy
from minigrad.nn import Module

from .layout import describe, time_axis, to_time_major
from .losses import check_loss_name, check_mask, check_targets

__all__ = ["ManualResult", "rnn_bptt", "lstm_bptt", "gru_bptt", "backward",
           "ACTIVATION", "DERIVATIVE_FROM_OUTPUT", "check_params"]


def _sigmoid(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


ACTIVATION = {
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda a: np.maximum(a, 0),
    "identity": lambda a: a,
}

# g'(a) written with the output s = g(a), which the forward pass keeps anyway.
DERIVATIVE_FROM_OUTPUT = {
    "tanh": lambda s: 1 - s * s,
    "sigmoid": lambda s: s * (1 - s),
    "relu": lambda s: (s > 0).astype(s.dtype),
    "identity": lambda s: np.ones_like(s),
}


@dataclass
class ManualResult:
    """The outcome of a hand-written backward pass.

    Attributes
    ----------
    loss : float
    grads : dict
        Parameter name -> dL/dp.
    per_step : dict
        Parameter name -> list of T arrays; entry t-1 is copy t's term.
        They sum to ``grads``.
    state_grads : list
        dL/ds_t for t = 1..T (for an LSTM: dL/dh_t), the error carried back.
    """
    loss: float
    grads: dict
    per_step: dict
    state_grads: list


# ------------------------------------------------------------ shared pieces

def _check_names(where, loss, reduction, activation="tanh", output_activation=None):
    check_loss_name(loss, reduction, where)
    for kind, name in (("activation", activation), ("output_activation", output_activation)):
        if name not in ACTIVATION and not (kind == "output_activation" and name is None):
            raise ValueError(f"{where}: {kind} must be one of {sorted(ACTIVATION)}"
                             f"{' or None' if kind == 'output_activation' else ''}, got {name!r}")
    if loss == "cross_entropy" and output_activation is not None:
        raise ValueError(f"{where}: cross_entropy takes raw scores, but output_activation is "
                         f"{output_activation!r}. Fix: output_activation=None")


def check_params(where, params, gates=1, fix="rnn.manual.backward(model, xs, ys)"):
    """A cell's weights as a dict of float64 arrays, or a clear error.

    ``params`` holds U (G·H, D), W (G·H, H), V (O, H) and optionally b (G·H,)
    and c (O,), with G = ``gates`` (1 for the vanilla RNN, 4 for an LSTM, 3
    for a GRU, which may also have b_hn (H,)).  A model instead of its arrays
    is refused with ``fix``, the call that takes a model.

    >>> check_params("f", {"U": np.ones((3, 2)), "W": np.eye(3)})
    Traceback (most recent call last):
    ValueError: f: params has no 'V'; it needs U, W and V (b, c optional), got ['U', 'W']
    """
    optional = ("b", "c", "b_hn") if gates == 3 else ("b", "c")
    listed = "U, W and V (" + ", ".join(optional) + " optional)"
    if isinstance(params, Module):
        raise TypeError(f"{where} takes the weights as a dict of arrays ({listed}), got an "
                        f"{type(params).__name__} model. Fix: {fix} runs it on a model's "
                        f"weights, or pass rnn.manual.model_arrays(model)")
    if not isinstance(params, dict):
        raise TypeError(f"{where}: params must be a dict of arrays ({listed}), got "
                        f"{type(params).__name__}")
    for name in ("U", "W", "V"):
        if name not in params:
            raise ValueError(f"{where}: params has no {name!r}; it needs {listed}, got "
                             f"{sorted(params)}")
    unknown = sorted(set(params) - {"U", "W", "V", *optional})
    if unknown:
        raise ValueError(f"{where}: params has {unknown}, which this cell does not use; it "
                         f"takes {listed}")
    arrays = {name: np.asarray(as_array(value), dtype=np.float64)
              for name, value in params.items() if value is not None}
    W = arrays["W"]
    H = W.shape[1] if W.ndim == 2 else -1
    O = arrays["V"].shape[0] if arrays["V"].ndim == 2 else -1
    expected = {"W": (gates * H, H), "V": (O, H), "b": (gates * H,), "c": (O,), "b_hn": (H,)}
    for name, array in arrays.items():
        ok = (array.ndim == 2 and array.shape[0] == gates * H if name == "U"
              else array.shape == expected[name])
        if H < 1 or not ok:
            shapes = ", ".join(f"{k} {a.shape}" for k, a in arrays.items())
            raise ShapeError(f"{where}: the weights' shapes do not fit together ({shapes}); "
                             f"with H = W.shape[1] hidden units and {gates} gate(s), U is "
                             f"({gates}·H, D), W ({gates}·H, H), V (O, H), b ({gates}·H,), "
                             f"c (O,)")
    return arrays


def _sequence(where, xs, ys, loss, mask, batch_first, D, O):
    """xs as float64 (T, B, D), ys time-major with a batch axis (B = 1 for one unbatched
    sequence), and the mask; or a clear error.  Also returns whether xs was batched."""
    xs = np.asarray(as_array(xs), dtype=np.float64)
    if xs.ndim not in (2, 3) or xs.shape[-1] != D:
        raise ShapeError(f"{where}: xs has shape {xs.shape}, but it must be "
                         f"{'(B, T, D)' if batch_first else '(T, B, D)'} (batch_first="
                         f"{batch_first}), or (T, D) for one unbatched sequence, with D = {D} "
                         f"features (U has {D} columns)")
    batched = xs.ndim == 3
    T = xs.shape[time_axis(batched, batch_first)]
    if T == 0:
        raise ValueError(f"{where}: the sequence is empty (T = 0): "
                         f"{describe(xs.shape, batch_first)}")
    mask = check_mask(mask, T, where, xs.shape, batch_first)
    batch = (xs.shape[1 - time_axis(True, batch_first)],) if batched else ()
    ys = check_targets(ys, T, batch + (O,), loss, np.float64, batch_first, mask, where, xs.shape)
    xs = to_time_major(xs, batched, batch_first)
    if not batched:                                   # (T, D) -> (T, 1, D)
        xs, ys = xs[:, None, :], (ys[:, None] if loss == "cross_entropy" else ys[:, None, :])
    return xs, ys, mask, batched


def _initial_state(where, s0, B, H, batched, paired=False):
    """s_0 (an LSTM: h_0 and c_0) as a list of (B, H) arrays, zeros by default."""
    if s0 is None:
        return [np.zeros((B, H)) for _ in range(2 if paired else 1)]
    shape = (B, H) if batched else (H,)
    if paired and not (isinstance(s0, tuple) and len(s0) == 2):
        raise ValueError(f"{where}: an LSTM's state is the pair (h0, c0), each of shape "
                         f"{shape}, but s0 is not a pair of arrays. Fix: pass s0=(h0, c0)")
    if not paired and isinstance(s0, tuple):
        raise ValueError(f"{where}: this cell's state is one array of shape {shape}, but s0 "
                         f"is a tuple of {len(s0)}; only an LSTM's state is a pair (h0, c0). "
                         f"Fix: pass one array")
    parts = []
    for label, part in zip(("h0", "c0") if paired else ("s0",), s0 if paired else (s0,)):
        part = np.asarray(as_array(part), dtype=np.float64)
        if part.shape != shape and part.shape != (B, H):
            raise ShapeError(f"{where}: the initial state {label} has shape {part.shape}, "
                             f"expected {shape} (batch + hidden_size H={H})")
        parts.append(part.reshape(B, H))
    return parts


def _step_weights(T, reduction, mask):
    """κ_t for t = 1..T (index 0 unused): how much E_t counts in L."""
    counted = np.ones(T, bool) if mask is None else np.asarray(mask, bool)
    scale = 1.0 if reduction == "sum" else 1.0 / counted.sum()
    return np.concatenate([[0.0], np.where(counted, scale, 0.0)])


def _output_layer(s, V, c, output_activation):
    """o_t = h(V s_t + c)."""
    z = s @ V.T if c is None else s @ V.T + c
    return z if output_activation is None else ACTIVATION[output_activation](z)


def _weighted_error(o, y, kappa_t, loss, output_activation):
    """κ_t E_t and κ_t dE_t/dz_t; a step that does not count (κ_t = 0) is skipped."""
    if kappa_t == 0:
        return 0.0, np.zeros_like(o)
    E_t, dE_dz = _cost_and_error(o, y, loss, output_activation)
    return kappa_t * E_t, kappa_t * dE_dz


def _cost_and_error(o, y, loss, output_activation):
    """E_t, and dE_t/dz_t where z_t = V s_t + c is the output layer before h.

    mse:            E = Σ (o - y)²,            dE/dz = 2 (o - y) ⊙ h'(z)
    cross_entropy:  E = Σ -log softmax(o)[y],  dE/dz = softmax(o) - onehot(y)
    """
    if loss == "mse":
        diff = o - y
        dz = 2 * diff
        if output_activation is not None:
            dz = dz * DERIVATIVE_FROM_OUTPUT[output_activation](o)
        return float(np.vdot(diff, diff)), dz
    if output_activation is not None:
        raise ValueError("cross_entropy takes raw scores: use output_activation=None")
    shifted = o - o.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    rows = np.arange(len(y))
    dz = np.exp(log_p)
    dz[rows, y] -= 1
    return float(-log_p[rows, y].sum()), dz


def _first_recurrent_step(T, stop_after):
    """The error is carried back to this step and no further (1 = all the way)."""
    return 1 if stop_after is None else max(1, T - stop_after + 1)


def _collect(per_step, names):
    return {name: sum(per_step[name]) for name in names}


# --------------------------------------------------------------- vanilla RNN

def rnn_bptt(params, xs, ys, s0=None, loss="mse", reduction="sum", activation="tanh",
             output_activation=None, mask=None, stop_after=None, batch_first=False):
    """Hand-written BPTT for the vanilla RNN.

    Forward, t = 1..T::

        a_t = U x_t + W s_{t-1} + b,      s_t = g(a_t)
        z_t = V s_t + c,                  o_t = h(z_t),      L = Σ_t κ_t E(o_t, y_t)

    Backward, t = T..1, with δ_{T+1} = 0::

        dz_t = κ_t dE_t/dz_t                      the output layer's error
        ds_t = Vᵀ dz_t + Wᵀ δ_{t+1}               dL/ds_t: from o_t, and from s_{t+1}
        δ_t  = ds_t ⊙ g'(a_t)                     dL/da_t
        copy t's terms:  dV_t = dz_t s_tᵀ,   dc_t = dz_t,
                         dU_t = δ_t x_tᵀ,    dW_t = δ_t s_{t-1}ᵀ,   db_t = δ_t

    and dθ = Σ_t dθ_t.  ``stop_after=k`` carries the error back k steps
    from the end only (steps before get no U, W, b terms), as truncation does.

    >>> import numpy as np
    >>> from rnn import manual
    >>> rng = np.random.default_rng(0)
    >>> params = {"U": rng.normal(size=(3, 2)), "W": rng.normal(size=(3, 3)) * 0.5,
    ...           "V": rng.normal(size=(1, 3))}
    >>> result = manual.rnn_bptt(params, rng.normal(size=(4, 2)), rng.normal(size=(4, 1)))
    >>> sorted(result.grads), len(result.per_step["W"])
    (['U', 'V', 'W'], 4)
    """
    where = "rnn.manual.rnn_bptt"
    params = check_params(where, params, gates=1)
    U, W, V = params["U"], params["W"], params["V"]
    b, c = params.get("b"), params.get("c")
    _check_names(where, loss, reduction, activation, output_activation)
    xs, ys, mask, batched = _sequence(where, xs, ys, loss, mask, batch_first, U.shape[1],
                                      V.shape[0])
    T, B, H = len(xs), xs.shape[1], W.shape[0]
    g, g_prime = ACTIVATION[activation], DERIVATIVE_FROM_OUTPUT[activation]
    kappa = _step_weights(T, reduction, mask)

    # Forward: keep s_t and o_t.  s[0] is s_0.
    s = _initial_state(where, s0, B, H, batched)
    o = [None]
    L = 0.0
    for t in range(1, T + 1):
        a_t = xs[t - 1] @ U.T + s[t - 1] @ W.T + (0 if b is None else b)
        s.append(g(a_t))
        o.append(_output_layer(s[t], V, c, output_activation))

    # Backward: carry δ from t+1 into t.
    names = ["U", "W", "V"] + (["b"] if b is not None else []) + (["c"] if c is not None else [])
    per_step = {name: [None] * T for name in names}
    state_grads = [None] * T
    first = _first_recurrent_step(T, stop_after)
    delta_next = np.zeros((B, H))                        # δ_{T+1}
    for t in range(T, 0, -1):
        E_t, dz = _weighted_error(o[t], ys[t - 1], kappa[t], loss, output_activation)
        L += E_t                                         # κ_t E_t;  dz = dz_t
        ds = dz @ V + delta_next @ W                     # ds_t = Vᵀ dz_t + Wᵀ δ_{t+1}
        delta = ds * g_prime(s[t]) if t >= first else np.zeros_like(ds)   # δ_t
        per_step["V"][t - 1] = dz.T @ s[t]               # dz_t s_tᵀ
        per_step["U"][t - 1] = delta.T @ xs[t - 1]       # δ_t x_tᵀ
        per_step["W"][t - 1] = delta.T @ s[t - 1]        # δ_t s_{t-1}ᵀ
        if b is not None:
            per_step["b"][t - 1] = delta.sum(axis=0)
        if c is not None:
            per_step["c"][t - 1] = dz.sum(axis=0)
        state_grads[t - 1] = ds
        delta_next = delta
    return ManualResult(L, _collect(per_step, names), per_step, state_grads)


# ---------------------------------------------------------------------- LSTM

def lstm_bptt(params, xs, ys, s0=None, loss="mse", reduction="sum", output_activation=None,
              mask=None, stop_after=None, batch_first=False):
    """Hand-written BPTT for the LSTM (PyTorch's equations, gates i, f, g, o).

    Forward::

        [i, f, g, o] = [σ, σ, tanh, σ](U x_t + W h_{t-1} + b)
        c_t = f ⊙ c_{t-1} + i ⊙ g,        h_t = o ⊙ tanh(c_t),     out_t = h(V h_t + c)

    Backward, t = T..1, with dz_{T+1} = 0 and dc_{T+1} = 0::

        dz_out = κ_t dE_t/dz_out
        dh_t = Vᵀ dz_out + Wᵀ dz_{t+1}                 from out_t, and from step t+1
        dc_t = dh_t ⊙ o ⊙ (1 - tanh²(c_t)) + f_{t+1} ⊙ dc_{t+1}
        di = dc_t ⊙ g,  df = dc_t ⊙ c_{t-1},  dg = dc_t ⊙ i,  do = dh_t ⊙ tanh(c_t)
        dz_t = [di ⊙ i(1-i), df ⊙ f(1-f), dg ⊙ (1-g²), do ⊙ o(1-o)]     dL/d(gates' input)
        copy t's terms:  dU_t = dz_t x_tᵀ,  dW_t = dz_t h_{t-1}ᵀ,  db_t = dz_t,
                         dV_t = dz_out h_tᵀ,  dc_t(bias) = dz_out
    """
    where = "rnn.manual.lstm_bptt"
    params = check_params(where, params, gates=4)
    U, W, V = params["U"], params["W"], params["V"]
    b, c = params.get("b"), params.get("c")
    _check_names(where, loss, reduction, output_activation=output_activation)
    xs, ys, mask, batched = _sequence(where, xs, ys, loss, mask, batch_first, U.shape[1],
                                      V.shape[0])
    T, B, H = len(xs), xs.shape[1], W.shape[1]
    kappa = _step_weights(T, reduction, mask)
    sig = ACTIVATION["sigmoid"]

    h0, cell0 = _initial_state(where, s0, B, H, batched, paired=True)
    h, cell, gates, out = [h0], [cell0], [None], [None]
    for t in range(1, T + 1):
        z = xs[t - 1] @ U.T + h[t - 1] @ W.T + (0 if b is None else b)
        i, f, g, o = sig(z[:, :H]), sig(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), \
            sig(z[:, 3 * H:])
        cell.append(f * cell[t - 1] + i * g)
        h.append(o * np.tanh(cell[t]))
        gates.append((i, f, g, o))
        out.append(_output_layer(h[t], V, c, output_activation))

    names = ["U", "W", "V"] + (["b"] if b is not None else []) + (["c"] if c is not None else [])
    per_step = {name: [None] * T for name in names}
    state_grads = [None] * T
    first = _first_recurrent_step(T, stop_after)
    dz_next, dcell_next, f_next = np.zeros((B, 4 * H)), np.zeros((B, H)), np.zeros((B, H))
    L = 0.0
    for t in range(T, 0, -1):
        E_t, dz_out = _weighted_error(out[t], ys[t - 1], kappa[t], loss, output_activation)
        L += E_t
        i, f, g, o = gates[t]
        tanh_c = np.tanh(cell[t])
        dh = dz_out @ V + dz_next @ W                     # dL/dh_t
        if t >= first:
            dcell = dh * o * (1 - tanh_c ** 2) + f_next * dcell_next     # dL/dc_t
            di, df, dg, do = dcell * g, dcell * cell[t - 1], dcell * i, dh * tanh_c
            dz = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g * g),
                                 do * o * (1 - o)], axis=1)
        else:
            dcell, dz = np.zeros((B, H)), np.zeros((B, 4 * H))
        per_step["U"][t - 1] = dz.T @ xs[t - 1]
        per_step["W"][t - 1] = dz.T @ h[t - 1]
        per_step["V"][t - 1] = dz_out.T @ h[t]
        if b is not None:
            per_step["b"][t - 1] = dz.sum(axis=0)
        if c is not None:
            per_step["c"][t - 1] = dz_out.sum(axis=0)
        state_grads[t - 1] = dh
        dz_next, dcell_next, f_next = dz, dcell, f
    return ManualResult(L, _collect(per_step, names), per_step, state_grads)


# ----------------------------------------------------------------------- GRU

def gru_bptt(params, xs, ys, s0=None, loss="mse", reduction="sum", output_activation=None,
             mask=None, stop_after=None, batch_first=False):
    """Hand-written BPTT for the GRU (PyTorch's equations, gates r, z, n).

    Forward, with [u_r, u_z, u_n] = U x_t + b and [w_r, w_z, w_n] = W h_{t-1}::

        r = σ(u_r + w_r),   z = σ(u_z + w_z),   n = tanh(u_n + r ⊙ (w_n + b_hn))
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1},        o_t = h(V h_t + c)

    Backward, t = T..1, with dh_t = Vᵀ dz_out + (error from step t+1)::

        dn = dh_t ⊙ (1 - z),      dz = dh_t ⊙ (h_{t-1} - n)
        da_n = dn ⊙ (1 - n²),     dr = da_n ⊙ (w_n + b_hn)
        du = [dr ⊙ r(1-r), dz ⊙ z(1-z), da_n]               dL/d(U x_t + b)
        dw = [du_r, du_z, da_n ⊙ r]                          dL/d(W h_{t-1}); db_hn = da_n ⊙ r
        error to step t-1:  dh_t ⊙ z + Wᵀ dw
        copy t's terms:  dU_t = du x_tᵀ,  dW_t = dw h_{t-1}ᵀ,  db_t = du,  db_hn_t = dw_n
    """
    where = "rnn.manual.gru_bptt"
    params = check_params(where, params, gates=3)
    U, W, V = params["U"], params["W"], params["V"]
    b, b_hn, c = params.get("b"), params.get("b_hn"), params.get("c")
    _check_names(where, loss, reduction, output_activation=output_activation)
    xs, ys, mask, batched = _sequence(where, xs, ys, loss, mask, batch_first, U.shape[1],
                                      V.shape[0])
    T, B, H = len(xs), xs.shape[1], W.shape[1]
    kappa = _step_weights(T, reduction, mask)
    sig = ACTIVATION["sigmoid"]

    h = _initial_state(where, s0, B, H, batched)
    saved, out = [None], [None]
    for t in range(1, T + 1):
        u = xs[t - 1] @ U.T + (0 if b is None else b)
        w = h[t - 1] @ W.T
        r = sig(u[:, :H] + w[:, :H])
        z = sig(u[:, H:2 * H] + w[:, H:2 * H])
        hn = w[:, 2 * H:] + (0 if b_hn is None else b_hn)
        n = np.tanh(u[:, 2 * H:] + r * hn)
        h.append((1 - z) * n + z * h[t - 1])
        saved.append((r, z, n, hn))
        out.append(_output_layer(h[t], V, c, output_activation))

    names = ["U", "W", "V"] + (["b", "b_hn"] if b is not None else []) + (
        ["c"] if c is not None else [])
    per_step = {name: [None] * T for name in names}
    state_grads = [None] * T
    first = _first_recurrent_step(T, stop_after)
    dh_from_next = np.zeros((B, H))
    L = 0.0
    for t in range(T, 0, -1):
        E_t, dz_out = _weighted_error(out[t], ys[t - 1], kappa[t], loss, output_activation)
        L += E_t
        r, z, n, hn = saved[t]
        dh = dz_out @ V + dh_from_next                    # dL/dh_t
        if t >= first:
            dn = dh * (1 - z)
            dzg = dh * (h[t - 1] - n)
            da_n = dn * (1 - n * n)
            dr = da_n * hn
            du = np.concatenate([dr * r * (1 - r), dzg * z * (1 - z), da_n], axis=1)
            dw = np.concatenate([du[:, :2 * H], da_n * r], axis=1)
            dh_from_next = dh * z + dw @ W
        else:
            du, dw = np.zeros((B, 3 * H)), np.zeros((B, 3 * H))
            dh_from_next = np.zeros((B, H))
        per_step["U"][t - 1] = du.T @ xs[t - 1]
        per_step["W"][t - 1] = dw.T @ h[t - 1]
        per_step["V"][t - 1] = dz_out.T @ h[t]
        if b is not None:
            per_step["b"][t - 1] = du.sum(axis=0)
            per_step["b_hn"][t - 1] = dw[:, 2 * H:].sum(axis=0)
        if c is not None:
            per_step["c"][t - 1] = dz_out.sum(axis=0)
        state_grads[t - 1] = dh
    return ManualResult(L, _collect(per_step, names), per_step, state_grads)


# -------------------------------------------------------------- dispatcher

def as_array(x):
    """The ndarray inside a minigrad Tensor, or ``x`` as an ndarray."""
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def model_arrays(model):
    """A model's parameters as float64 arrays, by name."""
    return {name: p._data.astype(np.float64) for name, p in model.named_parameters()}


def backward(model, xs, ys, s0=None, loss="mse", reduction="sum", mask=None, stop_after=None,
             batch_first=False):
    """Run the hand-written BPTT that matches ``model`` (RNN, LSTM or GRU), on its weights.

    The arguments are those of :func:`rnn.bptt`; the gradients agree with
    autograd's to rounding (a few ulp), checked here norm-relative to 1e-12:
    max |manual - autograd| <= 1e-12 max |autograd|.

    >>> import rnn
    >>> model = rnn.GRU(2, 3, 1, rng=0)
    >>> xs, ys = np.ones((5, 2)), np.zeros((5, 1))
    >>> manual_grads = rnn.manual.backward(model, xs, ys).grads
    >>> auto_grads = rnn.bptt(model, xs, ys).grads
    >>> all(np.max(np.abs(manual_grads[k] - auto_grads[k]))
    ...     <= 1e-12 * np.max(np.abs(auto_grads[k])) for k in auto_grads)
    True
    """
    from .models import GRU, LSTM, RNN

    where = "rnn.manual.backward"
    if not isinstance(model, (RNN, LSTM, GRU)):
        raise TypeError(f"{where}: no hand-written BPTT for {type(model).__name__}; "
                        f"there is one for rnn.RNN, rnn.LSTM and rnn.GRU")
    params = model_arrays(model)
    activation = model.activation if isinstance(model, RNN) else "tanh"
    _check_names(where, loss, reduction, activation, model.output_activation)
    xs, ys, mask, batched = _sequence(where, xs, ys, loss, mask, batch_first, model.input_size,
                                      model.output_size)
    paired = isinstance(model, LSTM)
    s0 = _initial_state(where, s0, xs.shape[1], model.hidden_size, batched, paired)
    s0 = tuple(s0) if paired else s0[0]
    common = dict(s0=s0, loss=loss, reduction=reduction, mask=mask, stop_after=stop_after,
                  output_activation=model.output_activation)
    if isinstance(model, RNN):
        return rnn_bptt(params, xs, ys, activation=activation, **common)
    if isinstance(model, LSTM):
        return lstm_bptt(params, xs, ys, **common)
    return gru_bptt(params, xs, ys, **common)
