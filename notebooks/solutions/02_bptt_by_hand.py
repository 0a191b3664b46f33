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
