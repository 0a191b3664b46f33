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


# Exercise 3, why: V's term is dz_t s_tᵀ, and dz_t = 0 at a step that is not scored. U's and
# W's terms are δ_t x_tᵀ and δ_t s_(t-1)ᵀ: δ_t = 0 after the last scored step (no loss lies
# downstream), a copy before the window is not in the update's graph at all, and W's term at
# t = 1 is δ_1 s_0ᵀ = 0 because s_0 = 0. A window that starts later begins from s_w ≠ 0, so
# its first W term is not zero.


def discussion_4():
    """Exercise 4: how far does float32 agree?

    Answer (measured on this notebook's model). 1. The float32 gradients differ from the
    float64 ones by about 1e-7 of the largest entry (U 7.8e-08, W 1.4e-07, V 8.1e-08): about
    float32's machine epsilon, 1.19e-07, since every operation rounds to 24 bits (and the
    float32 model's own weights are the float64 ones rounded, 1.5e-08 apart).
    2. Central differences, relative error of dL/dW_00: in float64 the error falls as ε²
    (4.1e-03, 4.1e-05, 4.1e-07, 4.1e-09 for ε = 1e-1 .. 1e-4) down to about 1e-9 at
    ε = 1e-5, then grows again (2.0e-09 at 1e-6). In float32 the best is about 6e-04 at
    ε = 1e-2, and by ε = 1e-5 the estimate is off by 50%. Two errors compete: the
    truncation error of the formula, O(ε²), and the rounding of L itself, about
    eps_machine · |L| / ε, which grows as ε shrinks; the best ε balances them, near
    eps_machine^(1/3) (1e-5 for float64, 5e-3 for float32).
    3. So a float32 gradient can be checked only to about 1e-6 to 1e-7 against the same
    computation in float64 (the referee), and to about 1e-3 by finite differences in float32.
    A tolerance of 1e-10 is beyond float32's ~7 digits; that is why the checks here run in
    float64, and why a float32 model is compared with its float64 twin, not with itself.
    """
    import rnn
    rng = np.random.default_rng(1)
    T, D, H, O = 6, 2, 4, 3
    xs, ys = rng.normal(size=(T, D)), rng.normal(size=(T, O))
    models = {np.float64: rnn.RNN(D, H, O, bias=False, rng=0),
              np.float32: rnn.RNN(D, H, O, bias=False, rng=0, dtype=np.float32)}
    exact = rnn.bptt(models[np.float64], xs, ys).grads
    grads32 = rnn.bptt(models[np.float32], xs.astype(np.float32), ys.astype(np.float32)).grads
    for name in exact:
        error = np.abs(grads32[name] - exact[name]).max() / np.abs(exact[name]).max()
        print(f"float32 - float64, {name}: {error:.1e} of the largest entry")
    print(f"np.finfo(np.float32).eps = {np.finfo(np.float32).eps:.2e}")
    for dtype, model in models.items():
        W0 = model.W.data.copy()
        errors = []
        for eps in (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
            losses = []
            for sign in (1, -1):
                W = W0.copy()
                W[0, 0] += dtype(sign * eps)
                model.W.data = W
                outputs = model.unroll(xs.astype(dtype)).outputs
                losses.append(float(rnn.sequence_loss(outputs, ys.astype(dtype)).item()))
            model.W.data = W0
            estimate = (losses[0] - losses[1]) / (2 * eps)
            errors.append(f"ε={eps:g}: {abs(estimate / exact['W'][0, 0] - 1):.1e}")
        print(f"{dtype.__name__}: " + ", ".join(errors))
