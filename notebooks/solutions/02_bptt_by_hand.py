"""Solutions to the exercises of notebook 02, BPTT by hand. Load one into a cell with
``%load solutions/02_bptt_by_hand.py`` once you have tried it yourself."""
import numpy as np


def rnn_bptt(params, xs, ys):
    """Every copy's term of dL/dU, dL/dW, dL/dV by the δ recursion, t = T..1."""
    U, W, V = params["U"], params["W"], params["V"]
    T = len(xs)
    s = [np.zeros(W.shape[0])]                           # s_0
    for x in xs:                                         # forward: keep every s_t
        s.append(np.tanh(U @ x + W @ s[-1]))
    terms = {"U": [None] * T, "W": [None] * T, "V": [None] * T}
    delta_next = np.zeros(W.shape[0])                    # δ_{T+1} = 0
    for t in range(T, 0, -1):
        dz = 2 * (V @ s[t] - ys[t - 1])                  # dE_t/do_t
        ds = V.T @ dz + W.T @ delta_next                 # dL/ds_t
        delta = ds * (1 - s[t] ** 2)                     # δ_t = dL/da_t
        terms["V"][t - 1] = np.outer(dz, s[t])           # dz_t s_tᵀ
        terms["U"][t - 1] = np.outer(delta, xs[t - 1])   # δ_t x_tᵀ
        terms["W"][t - 1] = np.outer(delta, s[t - 1])    # δ_t s_{t-1}ᵀ
        delta_next = delta
    return terms


def central_difference(f, x, eps):
    """g_i = (f(x + ε e_i) - f(x - ε e_i)) / 2ε, leaving x as it was."""
    g = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(x)
        x[i] = old - eps
        down = f(x)
        x[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


def zero_terms(T, scored, k2):
    """The copies whose term of dL/dU, dL/dW, dL/dV is exactly zero in one update of
    TBPTT(k1 = T, k2) that scores the steps t with scored[t - 1]."""
    steps = range(1, T + 1)
    first = T - k2 + 1                                      # the window is first..T
    last = max(t for t in steps if scored[t - 1])           # the last scored step
    # U and W: no copy before the window, and δ_t = 0 after the last scored step
    no_delta = {t for t in steps if t < first or t > last}
    return {
        "V": {t for t in steps if not scored[t - 1]},       # dz_t = 0 where nothing is scored
        "U": no_delta,
        "W": no_delta | ({1} if first == 1 else set()),     # δ_1 s_0ᵀ = 0 because s_0 = 0
    }
