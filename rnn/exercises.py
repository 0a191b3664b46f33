"""Checkers for the lecture notebooks' exercises: each says *what* is wrong.

Every checker takes the student's function, runs it on a small problem of
its own, compares the answer with the library's (autograd, ``rnn.tbptt``,
...) and returns a :class:`Check`: ``check.ok`` is True or False, and
``check.message`` says what agrees, or the first thing that does not and a
hint at the usual cause.  A checker never raises because of the student's
code: an exception inside it is reported as the message.

============================  =====================================================
checker                       the student writes
============================  =====================================================
``check_rnn_forward``         s_t = tanh(U x_t + W s_{t-1}),  o_t = V s_t
``check_sequence_loss``       L = Σ_t ||o_t - y_t||²
``check_rnn_bptt``            the δ recursion: every copy's term of dL/dU, dL/dW, dL/dV
``check_central_difference``  (f(x + εe_i) - f(x - εe_i)) / 2ε, for every i
``check_scale_to_radius``     W rescaled to a given spectral radius
``check_jacobian_product``    ∂s_T/∂s_t = Π_k diag(1 - s_k²) W
``check_tbptt_schedule``      TBPTT(k1, k2)'s blocks and windows
``check_softmax_temperature`` softmax(logits / τ), the sampling distribution
============================  =====================================================

The problems use the notes' vanilla RNN without biases (002 in shared/seeds)::

    s_t = tanh(U x_t + W s_{t-1}),   o_t = V s_t,   L = Σ_t ||o_t - y_t||²,   s_0 = 0

>>> import numpy as np
>>> from rnn import exercises
>>> def wrong(params, xs, ys):              # forgets the error carried from t+1
...     U, W, V = params["U"], params["W"], params["V"]
...     s = [np.zeros(W.shape[0])]
...     for x in xs:
...         s.append(np.tanh(U @ x + W @ s[-1]))
...     terms = {"U": [], "W": [], "V": []}
...     for t in range(1, len(xs) + 1):
...         dz = 2 * (V @ s[t] - ys[t - 1])
...         delta = (V.T @ dz) * (1 - s[t] ** 2)
...         terms["V"].append(np.outer(dz, s[t]))
...         terms["U"].append(np.outer(delta, xs[t - 1]))
...         terms["W"].append(np.outer(delta, s[t - 1]))
...     return terms
>>> check = exercises.check_rnn_bptt(wrong, quiet=True)
>>> check.ok
False
>>> print(check.message)                              # doctest: +ELLIPSIS
dL/dU: copy t=4's term is wrong (the terms for t=5..5 agree). ...
"""

from __future__ import annotations

import html
import traceback

import numpy as np

__all__ = ["Check", "check_rnn_forward", "check_sequence_loss", "check_rnn_bptt",
           "check_central_difference", "check_scale_to_radius", "check_jacobian_product",
           "check_tbptt_schedule", "check_softmax_temperature", "problem"]


class Check:
    """A checker's verdict: ``ok`` and a ``message`` (printed, and shown in Jupyter)."""

    def __init__(self, ok, message):
        self.ok, self.message = bool(ok), message

    def __bool__(self):
        return self.ok

    def __str__(self):
        return ("✔ " if self.ok else "✘ ") + self.message

    __repr__ = __str__

    def _repr_html_(self):
        colour = "#1a7f37" if self.ok else "#b42318"
        return (f'<pre style="color:{colour};white-space:pre-wrap">'
                f'{html.escape(str(self))}</pre>')


def _done(ok, message, quiet):
    check = Check(ok, message)
    if not quiet:
        print(check)
    return check


def _raised(name, exc):
    last = traceback.extract_tb(exc.__traceback__)[-1]
    if isinstance(exc, NotImplementedError):
        return f"{name} is not written yet (it raised NotImplementedError): fill in its body."
    return (f"{name} raised {type(exc).__name__}: {exc} (line {last.lineno}: "
            f"{(last.line or '').strip()})")


def _close(a, b, tol=1e-8):
    a, b = np.asarray(a, float), np.asarray(b, float)
    scale = 1 + np.abs(b).max(initial=0)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=tol, atol=tol * scale))


def problem(T=5, D=2, H=4, O=3, seed=0):
    """A small problem: params {"U" (H, D), "W" (H, H), "V" (O, H)}, xs (T, D), ys (T, O).

    W is scaled to spectral radius 0.9, so no term is vanishingly small.

    >>> params, xs, ys = problem()
    >>> params["U"].shape, params["W"].shape, params["V"].shape, xs.shape, ys.shape
    ((4, 2), (4, 4), (3, 4), (5, 2), (5, 3))
    """
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(H, H))
    W *= 0.9 / np.max(np.abs(np.linalg.eigvals(W)))
    params = {"U": rng.normal(size=(H, D)), "W": W, "V": rng.normal(size=(O, H)) * 0.5}
    return params, rng.normal(size=(T, D)), rng.normal(size=(T, O))


def _model(params):
    """An rnn.RNN without biases holding these arrays (for autograd's answer)."""
    from .models import RNN
    H, D = params["U"].shape
    model = RNN(D, H, params["V"].shape[0], bias=False, rng=0)
    for name in ("U", "W", "V"):
        getattr(model, name).data = np.array(params[name], dtype=np.float64)
    return model


def _reference_forward(params, xs):
    U, W, V = params["U"], params["W"], params["V"]
    s = [np.zeros(W.shape[0])]
    for x in xs:
        s.append(np.tanh(U @ x + W @ s[-1]))
    return s[1:], [V @ s_t for s_t in s[1:]]


# ------------------------------------------------------------------ notebook 1

def check_rnn_forward(fn, quiet=False):
    """Check ``fn(params, xs) -> (states, outputs)``: the lists s_1..s_T and o_1..o_T of

        s_t = tanh(U x_t + W s_{t-1}),   s_0 = 0,   o_t = V s_t

    for one sequence xs of shape (T, D); each s_t has shape (H,), each o_t (O,).
    Names the first step whose state or output is wrong, and the likely cause.
    """
    name = getattr(fn, "__name__", "your function")
    params, xs, _ = problem()
    states, outputs = _reference_forward(params, xs)
    try:
        got = fn({k: v.copy() for k, v in params.items()}, xs.copy())
        got_states, got_outputs = got
        got_states, got_outputs = list(got_states), list(got_outputs)
    except Exception as exc:                     # noqa: BLE001 (the student's code)
        if isinstance(exc, (TypeError, ValueError)) and "unpack" in str(exc):
            return _done(False, f"{name} must return two lists, (states, outputs); "
                         f"unpacking its result failed: {exc}", quiet)
        return _done(False, _raised(name, exc), quiet)
    T = len(xs)
    for label, exp, have in (("states", states, got_states), ("outputs", outputs, got_outputs)):
        if len(have) != T:
            hint = (" Did you include s_0? The list starts at s_1." if len(have) == T + 1
                    and label == "states" else "")
            return _done(False, f"{name} returned {len(have)} {label} for T={T} steps; "
                         f"expected {T}, one per step t=1..{T}.{hint}", quiet)
    for t in range(1, T + 1):
        s, have = states[t - 1], np.asarray(got_states[t - 1], float)
        if have.shape != s.shape:
            return _done(False, f"s_{t} has shape {have.shape}, expected {s.shape} (H,): one "
                         f"number per hidden unit. Are U x_t and W s_(t-1) matrix-vector "
                         f"products (U @ x, not x @ U)?", quiet)
        if not _close(have, s):
            hint = ""
            prev = states[t - 2] if t > 1 else np.zeros_like(s)
            if _close(have, params["U"] @ xs[t - 1] + params["W"] @ prev):
                hint = " It equals a_t = U x_t + W s_(t-1): apply tanh to get s_t."
            elif _close(have, np.tanh(params["U"] @ xs[t - 1])):
                hint = " It equals tanh(U x_t): the recurrent term W s_(t-1) is missing."
            elif _close(have, np.tanh(params["U"] @ xs[t - 1] + params["W"].T @ prev)):
                hint = " It uses Wᵀ s_(t-1); the recurrence is W s_(t-1)."
            return _done(False, f"s_{t} is wrong (s_1..s_{t - 1} agree): expected "
                         f"{np.round(s, 4)}, got {np.round(have, 4)}.{hint}", quiet)
    for t in range(1, T + 1):
        o, have = outputs[t - 1], np.asarray(got_outputs[t - 1], float)
        if have.shape != o.shape or not _close(have, o):
            hint = (" It looks like V was applied to s_(t-1) instead of s_t."
                    if t > 1 and _close(have, params["V"] @ states[t - 2]) else "")
            return _done(False, f"o_{t} = V s_{t} is wrong (every state agrees): expected "
                         f"{np.round(o, 4)}, got {np.round(have, 4)}.{hint}", quiet)
    return _done(True, f"all {T} states and outputs agree with the model's unrolled forward "
                 f"pass.", quiet)


def check_sequence_loss(fn, quiet=False):
    """Check ``fn(outputs, ys) -> L`` = Σ_t ||o_t - y_t||² (the notes' E, summed over t).

    ``outputs`` and ``ys`` are arrays of shape (T, O).
    """
    name = getattr(fn, "__name__", "your function")
    rng = np.random.default_rng(1)
    o, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    expected = float(np.sum((o - y) ** 2))
    try:
        got = float(fn(o.copy(), y.copy()))
    except Exception as exc:                     # noqa: BLE001
        return _done(False, _raised(name, exc), quiet)
    if np.isclose(got, expected):
        return _done(True, f"L = {got:.6g}, as Σ_t ||o_t - y_t||² gives.", quiet)
    guesses = {
        "the mean over the elements instead of the sum": np.mean((o - y) ** 2),
        "the mean over the steps t (the article's 'average of the costs') instead of the sum":
            np.sum((o - y) ** 2) / len(o),
        "Σ_t ||o_t - y_t|| without the square": np.sum(np.linalg.norm(o - y, axis=1)),
        "the sum of the differences, not of their squares": np.sum(o - y),
        "half the sum of squares (E = ½||o - y||² is another convention; here E has no ½)":
            0.5 * expected,
        "the last step's cost only": np.sum((o[-1] - y[-1]) ** 2),
    }
    for what, value in guesses.items():
        if np.isclose(got, value):
            return _done(False, f"L = {got:.6g}, expected {expected:.6g}: you computed {what}.",
                         quiet)
    return _done(False, f"L = {got:.6g}, expected {expected:.6g} = Σ_t Σ_i (o_ti - y_ti)².",
                 quiet)


# ------------------------------------------------------------------ notebook 2

def _reference_terms(params, xs, ys, mistake=None):
    """Every copy's terms by the δ recursion; ``mistake`` plants one known error."""
    U, W, V = params["U"], params["W"], params["V"]
    s = [np.zeros(W.shape[0])]
    for x in xs:
        s.append(np.tanh(U @ x + W @ s[-1]))
    T = len(xs)
    terms = {"U": [None] * T, "W": [None] * T, "V": [None] * T}
    delta_next = np.zeros(W.shape[0])
    for t in range(T, 0, -1):
        dz = 2 * (V @ s[t] - ys[t - 1]) if mistake != "factor2" else (V @ s[t] - ys[t - 1])
        carried = {None: W.T @ delta_next, "no_carry": 0.0, "W_not_transposed": W @ delta_next,
                   "carry_ds": W.T @ delta_next}.get(mistake, W.T @ delta_next)
        ds = V.T @ dz + carried
        delta = ds if mistake == "no_gprime" else ds * (1 - s[t] ** 2)
        if mistake == "gprime_of_prev":
            delta = ds * (1 - s[t - 1] ** 2)
        terms["V"][t - 1] = np.outer(dz, s[t])
        terms["U"][t - 1] = np.outer(delta, xs[t - 1])
        terms["W"][t - 1] = np.outer(delta, s[t] if mistake == "W_uses_s_t" else s[t - 1])
        delta_next = ds if mistake == "carry_ds" else delta
    return terms


_BPTT_MISTAKES = {
    "no_carry": "the error carried back from step t+1 is missing: ds_t = Vᵀ dz_t + Wᵀ δ_(t+1)",
    "W_not_transposed": "the carried error uses W δ_(t+1); it must be Wᵀ δ_(t+1) (the "
                        "transpose of ∂a_(t+1)/∂s_t = W)",
    "carry_ds": "you carried ds_(t+1) back instead of δ_(t+1) = ds_(t+1) ⊙ g'(a_(t+1)): the "
                "next step's tanh derivative is missing from what flows back",
    "no_gprime": "tanh's derivative is missing: δ_t = ds_t ⊙ (1 - s_t²)",
    "gprime_of_prev": "tanh's derivative is taken at the wrong step: g'(a_t) = 1 - s_t², not "
                      "1 - s_(t-1)²",
    "W_uses_s_t": "copy t's term of dL/dW is δ_t s_(t-1)ᵀ (the state that entered step t), "
                  "not δ_t s_tᵀ",
    "factor2": "dE_t/do_t = 2 (o_t - y_t) for E = ||o_t - y_t||²: the factor 2 is missing",
}


def check_rnn_bptt(fn, quiet=False, T=5):
    """Check a hand-written δ recursion against autograd, copy by copy.

    ``fn(params, xs, ys)`` gets params {"U" (H, D), "W" (H, H), "V" (O, H)},
    one sequence xs (T, D) and targets ys (T, O), for the model

        s_t = tanh(U x_t + W s_{t-1}),  o_t = V s_t,  L = Σ_t ||o_t - y_t||²,  s_0 = 0

    and returns {"U": [term_1, ..., term_T], "W": [...], "V": [...]}: for each
    parameter, copy t's term of dL/dp at index t-1 (so that dL/dp = Σ_t term_t).

    The terms are compared with autograd's (``rnn.bptt(..., contributions=True)``)
    in the order the backward recursion computes them, t = T down to 1 and
    V, U, W within a step; the message names the first parameter and step that
    disagree, and the likely mistake when it matches a known one.
    """
    from .bptt import bptt

    name = getattr(fn, "__name__", "your function")
    params, xs, ys = problem(T=T)
    auto = bptt(_model(params), xs, ys, contributions=True)
    expected = {p: [auto.contributions[p].get(f"t={t}", np.zeros_like(auto.grads[p]))
                    for t in range(1, T + 1)] for p in ("U", "W", "V")}
    try:
        got = fn({k: v.copy() for k, v in params.items()}, xs.copy(), ys.copy())
    except Exception as exc:                     # noqa: BLE001
        return _done(False, _raised(name, exc), quiet)
    if not isinstance(got, dict):
        return _done(False, f"{name} returned a {type(got).__name__}; it must return a dict "
                     f"{{'U': [...], 'W': [...], 'V': [...]}} of per-copy terms.", quiet)
    for p in ("U", "W", "V"):
        if p not in got:
            return _done(False, f"the result has no {p!r}: return the terms of U, W and V "
                         f"(it has {sorted(got)}).", quiet)
        if isinstance(got[p], np.ndarray) and got[p].ndim == 2:
            return _done(False, f"{p!r} is one array of shape {got[p].shape}: the total "
                         f"dL/d{p}? Return a list of the T={T} copies' terms instead, term_t "
                         f"at index t-1; their sum is the total.", quiet)
        if len(got[p]) != T:
            return _done(False, f"{p!r} has {len(got[p])} terms; there are T={T} copies, so "
                         f"T terms, term_t at index t-1.", quiet)
    if all(np.shape(got[p][t]) == expected[p][T - 1 - t].shape
           and _close(np.asarray(got[p][t], float), expected[p][T - 1 - t])
           for p in ("U", "W", "V") for t in range(T)):
        return _done(False, "every term is right, but in reverse time order: term_t belongs at "
                     "index t-1, so the list starts with t = 1 (fill it backwards, "
                     "terms[t - 1] = ..., as the loop runs from t = T down to 1).", quiet)
    for t in range(T, 0, -1):
        for p in ("V", "U", "W"):
            exp = expected[p][t - 1]
            have = np.asarray(got[p][t - 1], float)
            if have.shape != exp.shape:
                hint = (" It is the transpose: an outer product δ_t x_tᵀ is np.outer(delta, x),"
                        " rows from the error." if have.shape == exp.shape[::-1] else "")
                return _done(False, f"dL/d{p}: copy t={t}'s term has shape {have.shape}, but "
                             f"{p} has shape {exp.shape}.{hint}", quiet)
            if _close(have, exp):
                continue
            later = f" (the terms for t={t + 1}..{T} agree)" if t < T else ""
            message = (f"dL/d{p}: copy t={t}'s term is wrong{later}. Expected\n"
                       f"{np.round(exp, 4)}\ngot\n{np.round(have, 4)}")
            for mistake, why in _BPTT_MISTAKES.items():
                if _close(have, _reference_terms(params, xs, ys, mistake)[p][t - 1]):
                    message += f"\nLikely cause: {why}."
                    break
            else:
                if have.shape == have.T.shape and _close(have.T, exp):
                    message += (f"\nLikely cause: the transpose. The term is an outer "
                                f"product with rows from the error: np.outer(delta, "
                                f"{'x_t' if p == 'U' else 's_t' if p == 'V' else 's_prev'}).")
                elif t < T and all(_close(got[q][T - 1], expected[q][T - 1]) for q in "UWV"):
                    message += ("\nStep T is right but an earlier step is not: look at what "
                                "flows back from step t+1, δ_t = (Vᵀ dz_t + Wᵀ δ_(t+1)) ⊙ "
                                "(1 - s_t²).")
            return _done(False, message, quiet)
    return _done(True, f"every copy's term of dL/dU, dL/dW and dL/dV agrees with autograd "
                 f"(T={T} copies, 3 parameters).", quiet)


def check_central_difference(fn, quiet=False):
    """Check ``fn(f, x, eps) -> g``: the central-difference estimate of ∇f at x,

        g_i = (f(x + ε e_i) - f(x - ε e_i)) / (2ε),

    for a scalar function f of an array x (any shape); g has x's shape and x is
    left unchanged.
    """
    name = getattr(fn, "__name__", "your function")
    x0 = np.array([[0.3, -1.2, 0.7], [1.1, 0.2, -0.4]])

    def f(x):
        return float(np.sum(np.sin(x) * x ** 2))

    exact = np.cos(x0) * x0 ** 2 + 2 * x0 * np.sin(x0)
    x, eps = x0.copy(), 1e-4
    try:
        got = np.asarray(fn(f, x, eps), float)
    except Exception as exc:                     # noqa: BLE001
        return _done(False, _raised(name, exc), quiet)
    if not np.array_equal(x, x0):
        return _done(False, "x was changed by the call: after nudging x_i by ±ε, put the "
                     "original value back before moving on to x_(i+1).", quiet)
    if got.shape != x0.shape:
        return _done(False, f"the estimate has shape {got.shape}, expected {x0.shape}, one "
                     f"number per element of x (loop over np.ndindex(x.shape)).", quiet)
    err = np.abs(got - exact).max()
    if err < 1e-7:
        return _done(True, f"largest error against the exact gradient {err:.1e}, the O(ε²) "
                     f"of a central difference with ε = {eps:g}.", quiet)
    forward = np.zeros_like(x0)
    for i in np.ndindex(x0.shape):
        xp = x0.copy()
        xp[i] += eps
        forward[i] = (f(xp) - f(x0)) / eps
    if np.abs(got - forward).max() < 1e-9:
        return _done(False, f"this is the one-sided difference (f(x + ε) - f(x)) / ε: its "
                     f"error is O(ε) ({err:.1e} here); use f(x + ε) and f(x - ε).", quiet)
    if np.allclose(got, 2 * exact, rtol=1e-5):
        return _done(False, "every entry is twice the gradient: divide by 2ε, not ε.", quiet)
    if np.allclose(got, exact / 2, rtol=1e-5):
        return _done(False, "every entry is half the gradient: divide by 2ε (not 4ε), or nudge "
                     "by ±ε (not ±ε/2).", quiet)
    worst = np.unravel_index(np.argmax(np.abs(got - exact)), x0.shape)
    return _done(False, f"entry {tuple(int(i) for i in worst)} is {got[worst]:.6g}, but the "
                 f"gradient there is {exact[worst]:.6g} (largest error {err:.1e}).", quiet)


# ------------------------------------------------------------------ notebook 3

def check_scale_to_radius(fn, quiet=False):
    """Check ``fn(W, rho) -> W'``: W multiplied by a number so that W' has spectral
    radius rho (its largest |eigenvalue|), W itself unchanged."""
    name = getattr(fn, "__name__", "your function")
    rng = np.random.default_rng(3)
    W0 = rng.normal(size=(5, 5))
    W, rho = W0.copy(), 0.8
    radius = np.max(np.abs(np.linalg.eigvals(W0)))
    try:
        got = np.asarray(fn(W, rho), float)
    except Exception as exc:                     # noqa: BLE001
        return _done(False, _raised(name, exc), quiet)
    if not np.array_equal(W, W0):
        return _done(False, "W was changed in place: return a new matrix (W * k, not W *= k).",
                     quiet)
    if got.shape != W0.shape:
        return _done(False, f"the result has shape {got.shape}, expected {W0.shape}.", quiet)
    k = got.ravel() @ W0.ravel() / (W0.ravel() @ W0.ravel())
    if not np.allclose(got, k * W0):
        return _done(False, "the result is not a multiple of W: scale every entry by the same "
                     "number, so the eigenvectors stay and only the eigenvalues scale.", quiet)
    got_radius = np.max(np.abs(np.linalg.eigvals(got)))
    if np.isclose(got_radius, rho):
        return _done(True, f"spectral radius {got_radius:.6g}, as asked.", quiet)
    for what, norm in (("its largest singular value ||W||_2", np.linalg.norm(W0, 2)),
                       ("its Frobenius norm", np.linalg.norm(W0)),
                       ("its largest |entry|", np.abs(W0).max()),
                       ("its largest eigenvalue's real part (without abs)",
                        np.max(np.linalg.eigvals(W0).real))):
        if np.isclose(k, rho / norm):
            return _done(False, f"you divided W by {what}, not by its spectral radius "
                         f"max |eigenvalue| = {radius:.4g} (np.linalg.eigvals): the result "
                         f"has spectral radius {got_radius:.4g}, not {rho}.", quiet)
    return _done(False, f"the result has spectral radius {got_radius:.4g}, not {rho}: "
                 f"multiply W by rho / max|eigvals(W)|.", quiet)


def check_jacobian_product(fn, quiet=False):
    """Check ``fn(W, states, t) -> J``: the Jacobian ∂s_T/∂s_t of the tanh RNN,

        ∂s_k/∂s_{k-1} = diag(1 - s_k²) W,   ∂s_T/∂s_t = ∂s_T/∂s_{T-1} ··· ∂s_{t+1}/∂s_t,

    given W (H, H), the states [s_1, ..., s_T] (each (H,)) and t (1 <= t <= T);
    for t = T it is the identity.
    """
    name = getattr(fn, "__name__", "your function")
    params, xs, _ = problem(T=6, H=4)
    W = params["W"]
    states, _ = _reference_forward(params, xs)
    T = len(states)

    def jac(order="left", diag=True, transpose=False, prev=False):
        J = np.eye(4)
        for k in range(t + 1, T + 1):
            s_k = states[k - 2] if prev else states[k - 1]
            step = (np.diag(1 - s_k ** 2) if diag else np.eye(4)) @ (W.T if transpose else W)
            J = step @ J if order == "left" else J @ step
        return J

    for t in (T, 2, 1):
        expected = jac()
        try:
            got = np.asarray(fn(W.copy(), [s.copy() for s in states], t), float)
        except Exception as exc:                 # noqa: BLE001
            return _done(False, _raised(name, exc), quiet)
        if got.shape != expected.shape:
            return _done(False, f"for t={t} the result has shape {got.shape}; ∂s_T/∂s_t is "
                         f"an H x H matrix, {expected.shape}.", quiet)
        if _close(got, expected):
            continue
        message = f"∂s_T/∂s_t for T={T}, t={t} is wrong."
        for why, kw in (("the product is in the wrong order: the later step's Jacobian goes "
                         "on the left, J = diag(1 - s_k²) W @ J for k = t+1..T", dict(order="right")),
                        ("tanh's derivative diag(1 - s_k²) is missing", dict(diag=False)),
                        ("it uses Wᵀ; ∂s_k/∂s_(k-1) = diag(1 - s_k²) W", dict(transpose=True)),
                        ("the derivative is taken at s_(k-1); it is 1 - s_k² at step k",
                         dict(prev=True))):
            if _close(got, jac(**kw)):
                message += f" Likely cause: {why}."
                break
        else:
            if t == T:
                message += " For t = T nothing lies between: it is the identity."
        return _done(False, message, quiet)
    return _done(True, f"∂s_T/∂s_t agrees for t = T, 2 and 1 (T={T}).", quiet)


# ------------------------------------------------------------------ notebook 4

def check_tbptt_schedule(fn, quiet=False):
    """Check ``fn(T, k1, k2) -> [(block, window), ...]``: TBPTT(k1, k2)'s updates as
    ``rnn.tbptt`` makes them.  A block (first, last) is the steps whose losses
    count; a window (first, last) is the steps the gradient flows through."""
    from .models import RNN
    from .truncated import tbptt

    name = getattr(fn, "__name__", "your function")
    model = RNN(1, 2, 1, rng=0)
    for T, k1, k2 in ((12, 4, 4), (12, 4, 6), (10, 4, 2), (10, 3, 5)):
        zeros = np.zeros((T, 1))
        expected = [(u.block, u.window) for u in tbptt(model, zeros, zeros, k1, k2, None).updates]
        try:
            got = [(tuple(int(v) for v in b), tuple(int(v) for v in w))
                   for b, w in fn(T, k1, k2)]
        except Exception as exc:                 # noqa: BLE001
            return _done(False, _raised(name, exc), quiet)
        where = f"T={T}, k1={k1}, k2={k2}"
        if len(got) != len(expected):
            hint = (" If k1 does not divide T, a last, shorter block ends at t = T."
                    if len(got) == len(expected) - 1 else "")
            return _done(False, f"{where}: {len(got)} updates, expected {len(expected)} (one "
                         f"every k1 steps).{hint}", quiet)
        for i, ((b, w), (eb, ew)) in enumerate(zip(got, expected), start=1):
            if b != eb:
                return _done(False, f"{where}: update {i}'s block is {b}, expected {eb}: the "
                             f"losses of steps {eb[0]}..{eb[1]} (1-based, both ends "
                             f"included).", quiet)
            if w != ew:
                hint = ""
                if w[0] == max(1, eb[1] - k1 + 1) and k1 != k2:
                    hint = " The window's length is k2, not k1."
                elif w[0] == ew[0] - 1 or w[0] == ew[0] + 1:
                    hint = " Off by one: the window is the last k2 steps, w+1..t with w = max(0, t - k2)."
                return _done(False, f"{where}: update {i}'s window is {w}, expected {ew}.{hint}",
                             quiet)
    return _done(True, "every block and window agrees with rnn.tbptt, including k2 > k1, "
                 "k2 < k1 and a last, shorter block.", quiet)


def check_softmax_temperature(fn, quiet=False):
    """Check ``fn(logits, temperature) -> p``: p = softmax(logits / τ), which must
    also work for logits in the thousands (subtract the largest first)."""
    name = getattr(fn, "__name__", "your function")

    def softmax(z):
        e = np.exp(z - z.max())
        return e / e.sum()

    logits = np.array([2.0, 1.0, 0.1, -1.0])
    for tau in (1.0, 0.5, 2.0):
        try:
            got = np.asarray(fn(logits.copy(), tau), float)
        except Exception as exc:                 # noqa: BLE001
            return _done(False, _raised(name, exc), quiet)
        expected = softmax(logits / tau)
        if got.shape != expected.shape:
            return _done(False, f"p has shape {got.shape}, expected {expected.shape}: one "
                         f"probability per character.", quiet)
        if np.allclose(got, expected):
            continue
        if not np.isclose(got.sum(), 1):
            return _done(False, f"at temperature {tau} the probabilities sum to {got.sum():.4g}"
                         f", not 1: divide exp(z) by its sum.", quiet)
        if np.allclose(got, softmax(logits)):
            return _done(False, f"at temperature {tau} p is softmax(logits): the temperature is "
                         f"ignored; divide the logits by it.", quiet)
        if np.allclose(got, softmax(logits * tau)):
            return _done(False, f"at temperature {tau}: you multiplied the logits by τ; divide "
                         f"them (a low temperature sharpens the distribution).", quiet)
        return _done(False, f"at temperature {tau}: expected {np.round(expected, 4)}, got "
                     f"{np.round(got, 4)}.", quiet)
    try:
        with np.errstate(all="ignore"):
            big = np.asarray(fn(np.array([1000.0, 999.0, 0.0]), 1.0), float)
    except Exception as exc:                     # noqa: BLE001
        return _done(False, _raised(name, exc), quiet)
    if not np.all(np.isfinite(big)) or not np.allclose(big, softmax(np.array([1000., 999, 0]))):
        return _done(False, "logits (1000, 999, 0) give " + str(np.round(big, 4)) + ": exp(1000) "
                     "overflows. Subtract the largest logit before exp (it cancels in the "
                     "ratio).", quiet)
    return _done(True, "p = softmax(logits / τ) at τ = 0.5, 1 and 2, and stable for large "
                 "logits.", quiet)


# ------------------------------------------------------------------ notebook 5

__all__ += ["check_rtrl_step", "check_snap1_step", "online_problem"]


def online_problem(H=4, D=2, seed=0):
    """One step's quantities for the online-learning exercises: M_prev (H, H, K),
    J_prev (H, K), g' = gp (H,), W (H, H), z = [s_{t-1}; x_t; 1] (K,), K = H + D + 1.

    >>> M, J, gp, W, z = online_problem()
    >>> M.shape, J.shape, gp.shape, W.shape, z.shape
    ((4, 4, 7), (4, 7), (4,), (4, 4), (7,))
    """
    rng = np.random.default_rng(seed)
    K = H + D + 1
    z = np.concatenate([rng.normal(size=H + D), [1.0]])
    return (rng.normal(size=(H, H, K)), rng.normal(size=(H, K)), rng.uniform(0.2, 1.0, H),
            rng.normal(size=(H, H)), z)


def _reference_rtrl_step(M, gp, W, z):
    H = len(gp)
    M_bar = np.einsum("ij,j,k->ijk", np.eye(H), gp, z)            # g'_i δ_ij z_k
    return gp[:, None, None] * np.einsum("il,ljk->ijk", W, M) + M_bar


def check_rtrl_step(fn, quiet=False):
    """Check ``fn(M_prev, gp, W, z) -> M``: one RTRL step, M_t = D_t M_{t-1} + M̄_t with
    D_t = diag(g') W and M̄_t[i, j, k] = g'_i δ_ij z_k (M[i, j, k] = ds_i/dΘ_jk)."""
    name = getattr(fn, "__name__", "your function")
    M, _, gp, W, z = online_problem()
    H = len(gp)
    expected = _reference_rtrl_step(M, gp, W, z)
    try:
        got = np.asarray(fn(M.copy(), gp.copy(), W.copy(), z.copy()), float)
    except Exception as exc:                     # noqa: BLE001
        return _done(False, _raised(name, exc), quiet)
    if got.shape != expected.shape:
        return _done(False, f"M_t has shape {got.shape}, expected {expected.shape} = (H, H, K): "
                     f"ds_i/dΘ_jk for every unit i and every weight Θ_jk.", quiet)
    if _close(got, expected):
        return _done(True, "M_t = diag(g') W M_{t-1} + M̄_t, entry by entry: the exact "
                     "influence matrix that RTRL carries.", quiet)
    M_bar = expected - gp[:, None, None] * np.einsum("il,ljk->ijk", W, M)
    wrong = np.argwhere(~np.isclose(got, expected))[0]
    where = f"entry [i, j, k] = {tuple(int(v) for v in wrong)}"
    if _close(got, expected - M_bar):
        return _done(False, f"{where}: the immediate influence M̄_t is missing: add "
                     f"g'_i δ_ij z_k (Θ_jk moves s_j directly, this very step).", quiet)
    if _close(got, np.einsum("il,ljk->ijk", W, M) + M_bar):
        return _done(False, f"{where}: D_t M_{{t-1}} lacks g'(a_t): the Jacobian ds_t/ds_{{t-1}} "
                     f"is diag(g') W, not W.", quiet)
    if _close(got, gp[:, None, None] * np.einsum("li,ljk->ijk", W, M) + M_bar):
        return _done(False, f"{where}: you used Wᵀ: row i of D_t is g'_i W[i, :] (unit i reads "
                     f"s_{{t-1}} through its row of W).", quiet)
    if _close(got, gp[:, None, None] * np.einsum("il,ljk->ijk", W, M) + gp[:, None, None]
              * z[None, None, :]):
        return _done(False, f"{where}: M̄_t fills every row i; it has δ_ij: Θ_jk reaches only "
                     f"unit j directly.", quiet)
    return _done(False, f"{where}: expected {expected[tuple(wrong)]:.6g}, got "
                 f"{got[tuple(wrong)]:.6g}.", quiet)


def check_snap1_step(fn, quiet=False):
    """Check ``fn(J_prev, gp, W, z) -> J``: one SnAp-1 step, J_t[j, k] = g'_j W_jj
    J_{t-1}[j, k] + g'_j z_k: RTRL's M_t kept only where i = j."""
    name = getattr(fn, "__name__", "your function")
    _, J, gp, W, z = online_problem(seed=1)
    H = len(gp)
    expected = (gp * np.diag(W))[:, None] * J + gp[:, None] * z[None, :]
    try:
        got = np.asarray(fn(J.copy(), gp.copy(), W.copy(), z.copy()), float)
    except Exception as exc:                     # noqa: BLE001
        return _done(False, _raised(name, exc), quiet)
    if got.shape != expected.shape:
        hint = (" You kept all of M_t (H, H, K); SnAp-1 keeps its diagonal i = j only."
                if got.shape == (H, H, len(z)) else "")
        return _done(False, f"J_t has shape {got.shape}, expected {expected.shape} = (H, K): "
                     f"ds_j/dΘ_jk for each unit j and its own weights.{hint}", quiet)
    if _close(got, expected):
        # and it is RTRL's step masked to i = j, started from the same diagonal
        M_prev = np.einsum("ij,jk->ijk", np.eye(H), J)
        masked = np.einsum("jjk->jk", _reference_rtrl_step(M_prev, gp, W, z))
        assert _close(masked, expected)
        return _done(True, "J_t = g' W_jj J_{t-1} + g' z: RTRL's step with M_t kept on "
                     "i = j only, O(H K) numbers and work.", quiet)
    wrong = np.argwhere(~np.isclose(got, expected))[0]
    where = f"entry [j, k] = {tuple(int(v) for v in wrong)}"
    if _close(got, (gp * np.diag(W))[:, None] * J):
        return _done(False, f"{where}: the immediate term g'_j z_k is missing.", quiet)
    if _close(got, np.diag(W)[:, None] * J + gp[:, None] * z[None, :]):
        return _done(False, f"{where}: the carried term lacks g'_j: it is g'_j W_jj J_{{t-1}}.",
                     quiet)
    if _close(got, (gp * W.sum(axis=1))[:, None] * J + gp[:, None] * z[None, :]):
        return _done(False, f"{where}: you summed W's row; SnAp-1 drops s_j's influence on "
                     f"the other units, so only W_jj carries J_{{t-1}}[j, ·] forward.", quiet)
    if _close(got, (gp * W @ J) + gp[:, None] * z[None, :]) or \
            _close(got, gp[:, None] * (W @ J) + gp[:, None] * z[None, :]):
        return _done(False, f"{where}: W @ J mixes the units' rows: J[l, k] is ds_l/dΘ_lk, "
                     f"about unit l's own weights, so only l = j (W_jj) belongs here.", quiet)
    return _done(False, f"{where}: expected {expected[tuple(wrong)]:.6g}, got "
                 f"{got[tuple(wrong)]:.6g}.", quiet)
