"""Checkers for the lecture notebooks' exercises: each says *what* is wrong.

Every checker takes the student's function, runs it on a small problem of
its own, compares the answer with the library's (autograd, ``rnn.tbptt``,
...) and returns a :class:`Check`: ``check.ok`` is True or False, and
``check.message`` says what agrees, or the first thing that does not and a
hint at the usual cause.  A checker never raises because of the student's
code or answer: an exception inside the student's function is reported with
its line, and an answer of the wrong kind (None, a string, a ragged list, an
iterator, NaN, float32, ...) is named as such.

The checks are strict: an answer must agree to ``TOLERANCE`` (1e-9) relative
to the largest entry of the library's answer, so an answer off by 1e-6 fails
and the message says where and by how much.

==============================  ===================================================
checker                         the student writes
==============================  ===================================================
``check_rnn_forward``           s_t = tanh(U x_t + W s_{t-1}),  o_t = V s_t
``check_sequence_loss``         L = Σ_t ||o_t - y_t||²
``check_rnn_bptt``              the δ recursion: every copy's term of dL/dU, dL/dW, dL/dV
``check_central_difference``    (f(x + εe_i) - f(x - εe_i)) / 2ε, for every i
``check_zero_terms``            which copies' terms are exactly zero, and why
``check_scale_to_radius``       W rescaled to a given spectral radius
``check_jacobian_product``      ∂s_T/∂s_t = Π_k diag(1 - s_k²) W
``check_lstm_step_backward``    one LSTM step's backward pass by hand
``check_tbptt_schedule``        TBPTT(k1, k2)'s blocks and windows
``check_softmax_temperature``   softmax(logits / τ), the sampling distribution
``check_clip_by_norm``          gradient clipping by the norm of all gradients together
``check_torch_tbptt``           TBPTT(k, k) in PyTorch with ``detach()``
``check_rtrl_step``             one step of RTRL's influence matrix
``check_snap1_step``            one step of SnAp-1
==============================  ===================================================

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
dL/dU: copy t=4's term is wrong (t=5 agrees). ...
>>> print(exercises.check_sequence_loss(lambda o, y: None, quiet=True).message)
<lambda> returned None: end the function with `return` and the answer.
"""

from __future__ import annotations

import copy
import functools
import html
import traceback
import warnings
from collections.abc import Iterator, Mapping

import numpy as np

__all__ = ["Check", "TOLERANCE", "check_rnn_forward", "check_sequence_loss", "check_rnn_bptt",
           "check_central_difference", "check_zero_terms", "check_scale_to_radius",
           "check_jacobian_product", "check_lstm_step_backward", "check_tbptt_schedule",
           "check_softmax_temperature", "check_clip_by_norm", "check_torch_tbptt",
           "check_rtrl_step", "check_snap1_step", "problem", "online_problem"]

TOLERANCE = 1e-9      # relative to the largest entry of the library's answer


class Check:
    """A checker's verdict: ``ok``, a ``message`` (printed, and shown in Jupyter), and
    ``skipped`` when the exercise could not be checked here (PyTorch missing)."""

    def __init__(self, ok, message, skipped=False):
        self.ok, self.message, self.skipped = bool(ok), message, bool(skipped)

    def __bool__(self):
        return self.ok

    def __str__(self):
        return ("– " if self.skipped else "✔ " if self.ok else "✘ ") + self.message

    __repr__ = __str__

    def _repr_html_(self):
        colour = "#6e7781" if self.skipped else "#1a7f37" if self.ok else "#b42318"
        return (f'<pre style="color:{colour};white-space:pre-wrap">'
                f'{html.escape(str(self))}</pre>')


class _Wrong(Exception):
    """Raised inside a checker: the answer is wrong, and the message says how."""


class _Skip(Exception):
    """Raised inside a checker: the exercise cannot be checked on this machine."""


def _checker(body):
    """Turn ``body(fn, **options) -> success message`` into a public checker that
    returns a :class:`Check`, prints it unless ``quiet``, and never raises."""
    @functools.wraps(body)
    def check(fn, quiet=False, **options):
        try:
            if not callable(fn):
                raise _Wrong(f"{body.__name__} takes your function itself (its name, without "
                             f"parentheses); it got {_describe(fn)}.")
            result = Check(True, body(fn, **options))
        except _Wrong as wrong:
            result = Check(False, str(wrong))
        except _Skip as skip:
            result = Check(False, str(skip), skipped=True)
        except Exception as exc:                 # noqa: BLE001 (a safety net, never raise)
            result = Check(False, f"{body.__name__} could not read {_name(fn)}'s answer "
                                  f"({type(exc).__name__}: {exc}). What it expects: "
                                  f"{(body.__doc__ or '').strip().splitlines()[0]}")
        if not quiet:
            print(result)
        return result
    return check


# ------------------------------------------------------------------ reading an answer

def _name(fn):
    return getattr(fn, "__name__", "your function")


def _describe(value):
    """What a value is, in a few words: 'None', 'a string', 'an iterator', ..."""
    if value is None:
        return "None"
    if isinstance(value, (str, bytes)):
        return f"a string ({value[:30]!r})"
    if isinstance(value, (bool, np.bool_)):
        return f"the boolean {value}"
    if isinstance(value, (int, float, complex, np.number)):
        return f"the number {value!r}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, Iterator):
        return f"an iterator ({type(value).__name__})"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, Mapping):
        return f"a dict with keys {sorted(map(str, value))}"
    return f"a {type(value).__name__}"


def _call(fn, *args):
    """fn(*args), or _Wrong naming the exception and the student's line."""
    try:
        return fn(*args)
    except Exception as exc:                     # noqa: BLE001 (the student's code)
        raise _Wrong(_raised(fn, exc)) from None


def _raised(fn, exc):
    name = _name(fn)
    if isinstance(exc, NotImplementedError):
        return f"{name} is not written yet (it raised NotImplementedError): fill in its body."
    frames = traceback.extract_tb(exc.__traceback__)[1:]      # [0] is _call's own line
    code = getattr(fn, "__code__", None)
    own = [f for f in frames if code is not None and f.filename == code.co_filename]
    where = (own or frames or [None])[-1]
    line = f" (line {where.lineno}: {(where.line or '').strip()})" if where else ""
    return f"{name} raised {type(exc).__name__}: {exc}{line}"


def _returned(fn, value, expected):
    """_Wrong for an answer of the wrong kind at the top level (None and friends)."""
    if value is None:
        raise _Wrong(f"{_name(fn)} returned None: end the function with `return` and the "
                     f"answer.")
    raise _Wrong(f"{_name(fn)} returned {_describe(value)}; it must return {expected}.")


def _array(value, what, shape=None, shape_hint=""):
    """``value`` as a NumPy array of real numbers (its own dtype kept, so that float32
    can be named), or _Wrong saying what it is instead."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):        # a PyTorch tensor
        value = value.detach().cpu().numpy()
    if value is None or isinstance(value, (str, bytes, Mapping, Iterator)):
        hint = (": a generator or map() runs once; return a list or an array"
                if isinstance(value, Iterator) else "")
        raise _Wrong(f"{what} is {_describe(value)}, not an array of numbers{hint}.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            array = np.asarray(value)
        except (ValueError, TypeError):
            array = None
    if array is None or (array.dtype == object and _ragged(value)):
        raise _Wrong(f"{what} is ragged: its rows have different lengths. It must be one "
                     f"array{f' of shape {shape}' if shape else ''}, every row the same "
                     f"length.")
    if array.dtype == object or array.dtype.kind not in "biuf":
        kinds = sorted({type(v).__name__ for v in np.ravel(array)}) if array.size else []
        raise _Wrong(f"{what} holds {', '.join(kinds) or array.dtype.name} values, not real "
                     f"numbers.")
    if shape is not None and array.shape != tuple(shape):
        if array.ndim == 0:
            raise _Wrong(f"{what} is the number {array.item()!r}, not an array of shape "
                         f"{tuple(shape)}.{shape_hint}")
        raise _Wrong(f"{what} has shape {array.shape}, expected {tuple(shape)}.{shape_hint}")
    bad = ~np.isfinite(array.astype(float))
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        value = array.astype(float)[where]
        raise _Wrong(f"{what} contains {value} (at entry {where if where else 'it'}): an "
                     f"overflow, a 0/0 or log(0) on the way. Print the intermediate values "
                     f"to find the first one that is not finite.")
    return array


def _ragged(value):
    try:
        return len({np.shape(v) for v in value}) > 1
    except TypeError:
        return False


def _items(value, what, length=None, hint=""):
    """``value`` as a list (a list, a tuple or an array's rows), or _Wrong."""
    if isinstance(value, np.ndarray) and value.ndim >= 1:
        value = list(value)
    if not isinstance(value, (list, tuple)):
        gen = (" A generator or map() runs once: return a list." if isinstance(value, Iterator)
               else "")
        raise _Wrong(f"{what} is {_describe(value)}; it must be a list"
                     f"{f' of {length} items' if length is not None else ''}.{gen}")
    if length is not None and len(value) != length:
        raise _Wrong(f"{what} has {len(value)} items; expected {length}.{hint}")
    return list(value)


def _scalar(value, what, hint=""):
    """``value`` as one real number (float), or _Wrong."""
    array = _array(value, what)
    if array.size != 1:
        raise _Wrong(f"{what} is {_describe(value) if array.ndim else 'empty'}, not one "
                     f"number.{hint}")
    return array.reshape(())


def _scale(expected):
    top = float(np.max(np.abs(expected), initial=0.0))
    return top if top > 0 else 1.0


def _agree(have, expected, tol=TOLERANCE):
    """True when ``have`` equals ``expected`` to ``tol`` relative to its largest entry."""
    have, expected = np.asarray(have, float), np.asarray(expected, float)
    return (have.shape == expected.shape and
            bool(np.all(np.abs(have - expected) <= tol * _scale(expected))))


def _difference(have, expected):
    """Where and by how much ``have`` is off, in one sentence (float32 named)."""
    diff = np.abs(np.asarray(have, float) - expected)
    worst = np.unravel_index(np.argmax(diff), diff.shape) if diff.ndim else ()
    rel = float(diff[worst]) / _scale(expected)
    at = f" at entry {tuple(int(i) for i in worst)}" if diff.ndim else ""
    text = (f"largest difference {float(diff[worst]):.1e}{at} (expected "
            f"{float(expected[worst]):.10g}, got {float(np.asarray(have, float)[worst]):.10g}), "
            f"{rel:.1e} relative to the largest entry")
    if np.asarray(have).dtype.kind == "f" and np.asarray(have).dtype.itemsize < 8 \
            and rel < 1e-3:
        text += (f". It is {np.asarray(have).dtype.name}, which keeps about 7 digits: compute "
                 f"in float64 (NumPy's default; drop the dtype=np.float32), as the check asks "
                 f"for agreement to {TOLERANCE:g}")
    return text


def _small(have, expected):
    """'; largest difference ...' when the difference is too small to see in 4 decimals."""
    rel = float(np.max(np.abs(np.asarray(have, float) - expected))) / _scale(expected)
    return f"; {_difference(have, expected)}" if rel < 1e-3 else ""


def _fmt(array):
    return str(np.round(np.asarray(array, float), 4))


def _agreeing(label, t, first=1):
    """' (s_1..s_3 agree)' for the steps before t, or '' at the first step."""
    if t - 1 < first:
        return ""
    if t - 1 == first:
        return f" ({label}{first} agrees)"
    return f" ({label}{first}..{label}{t - 1} agree)"


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


def _copy(params):
    return {k: v.copy() for k, v in params.items()}


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

@_checker
def check_rnn_forward(fn):
    """Check ``fn(params, xs) -> (states, outputs)``: the lists s_1..s_T and o_1..o_T of

        s_t = tanh(U x_t + W s_{t-1}),   s_0 = 0,   o_t = V s_t

    for one sequence xs of shape (T, D); each s_t has shape (H,), each o_t (O,).
    Names the first step whose state or output is wrong, and the likely cause.
    """
    name = _name(fn)
    params, xs, _ = problem()
    U, W, V = params["U"], params["W"], params["V"]
    states, outputs = _reference_forward(params, xs)
    T = len(xs)
    got = _call(fn, _copy(params), xs.copy())
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        _returned(fn, got, "two lists, (states, outputs)")
    got_states = _items(got[0], "the list of states", T, hint=(
        " Did you include s_0? The list starts at s_1." if _len(got[0]) == T + 1
        else f" One state per step t=1..{T}."))
    got_outputs = _items(got[1], "the list of outputs", T, hint=f" One output per step t=1..{T}.")
    for t in range(1, T + 1):
        s = states[t - 1]
        have = _array(got_states[t - 1], f"s_{t}", s.shape, " One number per hidden unit, "
                      "(H,). Are U x_t and W s_(t-1) matrix-vector products (U @ x, not x @ U)?")
        if _agree(have, s):
            continue
        prev = states[t - 2] if t > 1 else np.zeros_like(s)
        x_before = xs[t - 2] if t > 1 else xs[-1]          # xs[t - 2], or xs[-1] at t = 1
        hint = ""
        for value, why in (
                (U @ xs[t - 1] + W @ prev, "It equals a_t = U x_t + W s_(t-1): apply tanh to "
                                           "get s_t."),
                (np.tanh(U @ xs[t - 1]), "It equals tanh(U x_t): the recurrent term W s_(t-1) "
                                         "is missing."),
                (np.tanh(U @ xs[t - 1] + W.T @ prev), "It uses Wᵀ s_(t-1); the recurrence is "
                                                      "W s_(t-1)."),
                (prev if t > 1 or _late(got_states, states) else None,
                 f"It equals s_{t - 1}: your states are one step late. Either the list starts "
                 f"at s_0 = 0 (it must start at s_1), or step t read x_(t-1) (step t reads "
                 f"xs[t - 1], the t-th row)."),
                (np.zeros_like(s), "It is all zeros: is the state updated inside the loop "
                                   "(s = np.tanh(...)), and appended after the update?"),
                (np.tanh(U @ x_before + W @ prev), "Off by one in time: step t read x_(t-1) "
                                                   "(xs[t - 2]); step t reads xs[t - 1]."),
                (np.tanh(U @ xs[min(t, T - 1)] + W @ prev) if t < T else None,
                 "Off by one in time: step t read x_(t+1) (xs[t]); step t reads xs[t - 1].")):
            if value is not None and _agree(have, value):
                hint = " " + why
                break
        raise _Wrong(f"s_{t} is wrong{_agreeing('s_', t)}: expected {_fmt(s)}, got "
                     f"{_fmt(have)}{_small(have, s)}.{hint}")
    for t in range(1, T + 1):
        o = outputs[t - 1]
        have = _array(got_outputs[t - 1], f"o_{t}", o.shape,
                      " One number per output, (O,): o_t = V s_t.")
        if _agree(have, o):
            continue
        hint = (" It looks like V was applied to s_(t-1) instead of s_t."
                if t > 1 and _agree(have, V @ states[t - 2]) else "")
        raise _Wrong(f"o_{t} = V s_{t} is wrong (every state agrees): expected {_fmt(o)}, got "
                     f"{_fmt(have)}{_small(have, o)}.{hint}")
    return f"all {T} states and outputs agree with the model's unrolled forward pass."


def _late(got_states, states):
    """True when the student's s_2 is the true s_1: a list one step late."""
    try:
        return _agree(np.asarray(got_states[1], float), states[0])
    except (IndexError, TypeError, ValueError):
        return False


def _len(value):
    try:
        return len(value)
    except TypeError:
        return None


@_checker
def check_sequence_loss(fn):
    """Check ``fn(outputs, ys) -> L`` = Σ_t ||o_t - y_t||² (the notes' E, summed over t).

    ``outputs`` and ``ys`` are arrays of shape (T, O); L is one number.
    """
    rng = np.random.default_rng(1)
    o, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    expected = float(np.sum((o - y) ** 2))
    got = _call(fn, o.copy(), y.copy())
    if got is None:
        _returned(fn, got, "L, one number")
    array = _array(got, "L")
    if array.size != 1:
        hint = {(6,): " It has one entry per step: the costs E_t. Add them up, L = Σ_t E_t.",
                (6, 3): " It has one entry per element: square, then sum over everything."}
        raise _Wrong(f"L is an array of shape {array.shape}, not one number.{hint.get(array.shape, '')}")
    L = array.reshape(())
    if _agree(L, expected):
        return f"L = {float(L):.6g}, as Σ_t ||o_t - y_t||² gives."
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
        if _agree(L, value):
            raise _Wrong(f"L = {float(L):.6g}, expected {expected:.6g}: you computed {what}.")
    raise _Wrong(f"L = {float(L):.10g}, expected {expected:.10g} = Σ_t Σ_i (o_ti - y_ti)²; "
                 f"{_difference(L, np.float64(expected))}.")


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
        dz = 2 * (V @ s[t] - ys[t - 1])
        if mistake == "factor2":
            dz = dz / 2
        if mistake == "mean":
            dz = dz / T
        carried = {"no_carry": 0.0, "W_not_transposed": W @ delta_next}.get(mistake,
                                                                         W.T @ delta_next)
        ds = V.T @ dz + carried
        slope = {"no_gprime": 1.0, "gprime_of_prev": 1 - s[t - 1] ** 2,
                 "tanh_twice": 1 - np.tanh(s[t]) ** 2}.get(mistake, 1 - s[t] ** 2)
        delta = ds * slope
        x_in = (xs[t - 2] if t > 1 else np.zeros_like(xs[0])) if mistake == "U_uses_prev_x" \
            else xs[t - 1]
        terms["V"][t - 1] = np.outer(dz, s[t])
        terms["U"][t - 1] = np.outer(delta, x_in)
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
    "tanh_twice": "tanh is applied twice: the derivative is 1 - s_t² with s_t = tanh(a_t) "
                  "already; 1 - tanh(s_t)² takes tanh of the state again",
    "gprime_of_prev": "tanh's derivative is taken at the wrong step: g'(a_t) = 1 - s_t², not "
                      "1 - s_(t-1)²",
    "W_uses_s_t": "copy t's term of dL/dW is δ_t s_(t-1)ᵀ (the state that entered step t), "
                  "not δ_t s_tᵀ",
    "U_uses_prev_x": "copy t's term of dL/dU is δ_t x_tᵀ, the input that step t read "
                     "(xs[t - 1]), not x_(t-1)",
    "factor2": "dE_t/do_t = 2 (o_t - y_t) for E = ||o_t - y_t||²: the factor 2 is missing",
    "mean": "every term is 1/T of the right one: dz_t was divided by T, as for the mean of "
            "the costs. Here L = Σ_t E_t, a sum: dz_t = 2 (o_t - y_t)",
}


@_checker
def check_rnn_bptt(fn, T=5):
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

    name = _name(fn)
    params, xs, ys = problem(T=T)
    auto = bptt(_model(params), xs, ys, contributions=True)
    expected = {p: [auto.contributions[p].get(f"t={t}", np.zeros_like(auto.grads[p]))
                    for t in range(1, T + 1)] for p in ("U", "W", "V")}
    got = _call(fn, _copy(params), xs.copy(), ys.copy())
    if not isinstance(got, Mapping):
        _returned(fn, got, "a dict {'U': [...], 'W': [...], 'V': [...]} of per-copy terms")
    for p in ("U", "W", "V"):
        if p not in got:
            raise _Wrong(f"the result has no {p!r}: return the terms of U, W and V (it has "
                         f"{sorted(map(str, got))}).")
        if isinstance(got[p], np.ndarray) and got[p].ndim == 2:
            raise _Wrong(f"{p!r} is one array of shape {got[p].shape}: the total dL/d{p}? "
                         f"Return a list of the T={T} copies' terms instead, term_t at index "
                         f"t-1; their sum is the total.")
    terms = {p: _items(got[p], f"{p!r}", T, hint=f" There are T={T} copies, so T terms, "
                       f"term_t at index t-1.") for p in ("U", "W", "V")}
    arrays = {p: [None] * T for p in terms}
    for t in range(T, 0, -1):                       # the order the recursion runs
        for p in ("V", "U", "W"):
            exp = expected[p][t - 1]
            if terms[p][t - 1] is None:
                raise _Wrong(f"dL/d{p}: copy t={t}'s term is None: the loop never filled "
                             f"terms[{p!r}][{t - 1}] (does it run over every t = T..1?).")
            have = arrays[p][t - 1] = _array(terms[p][t - 1], f"dL/d{p}: copy t={t}'s term")
            if have.shape != exp.shape:
                hint = (" It is the transpose: an outer product δ_t x_tᵀ is np.outer(delta, x),"
                        " rows from the error." if have.shape == exp.shape[::-1] else "")
                raise _Wrong(f"dL/d{p}: copy t={t}'s term has shape {have.shape}, but {p} "
                             f"has shape {exp.shape}.{hint}")
    if all(_agree(arrays[p][t], expected[p][T - 1 - t]) for p in terms for t in range(T)):
        raise _Wrong("every term is right, but in reverse time order: term_t belongs at index "
                     "t-1, so the list starts with t = 1 (fill it backwards, terms[t - 1] = "
                     "..., as the loop runs from t = T down to 1).")
    for t in range(T, 0, -1):
        for p in ("V", "U", "W"):
            exp, have = expected[p][t - 1], arrays[p][t - 1]
            if _agree(have, exp):
                continue
            message = (f"dL/d{p}: copy t={t}'s term is wrong{_later(t, T)}. Expected\n"
                       f"{_fmt(exp)}\ngot\n{_fmt(have)}{_small(have, exp)}")
            raise _Wrong(message + _bptt_cause(have, p, t, T, params, xs, ys, expected, arrays))
    return (f"every copy's term of dL/dU, dL/dW and dL/dV agrees with autograd (T={T} copies, "
            f"3 parameters).")


def _later(t, T):
    """' (t=4..5 agree)': the steps after t, which the recursion checked first."""
    if t == T:
        return ""
    return f" (t={T} agrees)" if t + 1 == T else f" (t={t + 1}..{T} agree)"


def _bptt_cause(have, p, t, T, params, xs, ys, expected, arrays):
    """The likely cause of a wrong term, as a sentence starting on a new line, or ''."""
    for mistake, why in _BPTT_MISTAKES.items():
        if _agree(have, _reference_terms(params, xs, ys, mistake)[p][t - 1]):
            return f"\nLikely cause: {why}."
    for other in (t + 1, t - 1):
        if 1 <= other <= T and _agree(have, expected[p][other - 1]) \
                and not _agree(expected[p][other - 1], expected[p][t - 1]):
            return (f"\nLikely cause: a shifted index. This is copy t={other}'s term: term_t "
                    f"belongs at index t-1 (terms[{p!r}][t - 1]), and step t uses xs[t - 1], "
                    f"ys[t - 1] and s[t] with s[0] = s_0.")
    if have.shape == have.T.shape and _agree(have.T, expected[p][t - 1]):
        vector = {"U": "x_t", "V": "s_t", "W": "s_prev"}[p]
        return (f"\nLikely cause: the transpose. The term is an outer product with rows from "
                f"the error: np.outer(delta, {vector}).")
    if t < T and all(_agree(arrays[q][T - 1], expected[q][T - 1]) for q in "UWV"):
        return ("\nStep T is right but an earlier step is not: look at what flows back from "
                "step t+1, δ_t = (Vᵀ dz_t + Wᵀ δ_(t+1)) ⊙ (1 - s_t²).")
    return ""


@_checker
def check_central_difference(fn):
    """Check ``fn(f, x, eps) -> g``: the central-difference estimate of ∇f at x,

        g_i = (f(x + ε e_i) - f(x - ε e_i)) / (2ε),

    for a scalar function f of an array x (any shape); g has x's shape and x is
    left unchanged.
    """
    x0 = np.array([[0.3, -1.2, 0.7], [1.1, 0.2, -0.4]])

    def f(x):
        return float(np.sum(np.sin(x) * x ** 2))

    exact = np.cos(x0) * x0 ** 2 + 2 * x0 * np.sin(x0)
    x, eps = x0.copy(), 1e-4
    got = _call(fn, f, x, eps)
    if got is None:
        _returned(fn, got, "the array of estimates g, one per entry of x")
    if not np.array_equal(x, x0):
        raise _Wrong("x was changed by the call: after nudging x_i by ±ε, put the original "
                     "value back before moving on to x_(i+1).")
    g = _array(got, "the estimate", x0.shape, " One number per element of x (loop over "
               "np.ndindex(x.shape)).")
    central = np.zeros_like(x0)
    forward = np.zeros_like(x0)
    for i in np.ndindex(x0.shape):
        up, down = x0.copy(), x0.copy()
        up[i] += eps
        down[i] -= eps
        central[i] = (f(up) - f(down)) / (2 * eps)
        forward[i] = (f(up) - f(x0)) / eps
    err = float(np.abs(g - exact).max())
    if _agree(g, central):
        return (f"largest error against the exact gradient {err:.1e}, the O(ε²) of a central "
                f"difference with ε = {eps:g}.")
    if _agree(g, forward):
        raise _Wrong(f"this is the one-sided difference (f(x + ε) - f(x)) / ε: its error is "
                     f"O(ε) ({err:.1e} here); use f(x + ε) and f(x - ε).")
    if _agree(g, 2 * central, 1e-6):
        raise _Wrong("every entry is twice the gradient: divide by 2ε, not ε.")
    if _agree(g, central / 2, 1e-6):
        raise _Wrong("every entry is half the gradient: divide by 2ε (not 4ε), or nudge by ±ε "
                     "(not ±ε/2).")
    raise _Wrong(f"the estimate is off: {_difference(g, central)} (the exact gradient there "
                 f"is {float(exact.flat[np.argmax(np.abs(g - central))]):.10g}).")


def _zero_terms_reference(T, scored, k2, seed=0):
    """The library's answer: copies whose term of dL/dp is exactly zero (or absent) in
    the one update of rnn.tbptt(k1=T, k2) with this mask."""
    import minigrad as mg
    from .models import RNN
    from .truncated import tbptt

    model = RNN(2, 3, 2, bias=False, rng=seed)
    rng = np.random.default_rng(seed)
    xs, ys = rng.normal(size=(T, 2)), rng.normal(size=(T, 2))
    L = tbptt(model, xs, ys, k1=T, k2=k2, optimizer=None, mask=np.asarray(scored, bool)
              ).last_loss_tensor
    model.zero_grad()
    L.backward(contributions=True)
    zero = {}
    for p in ("U", "W", "V"):
        terms = mg.contributions(getattr(model, p))
        zero[p] = {t for t in range(1, T + 1)
                   if f"t={t}" not in terms or not np.any(terms[f"t={t}"])}
    return zero


def _step_set(value, what, T):
    """A set of steps 1..T from a set, list, tuple, range or array of integers."""
    if isinstance(value, (set, frozenset, range)):
        value = sorted(value, key=lambda v: (not isinstance(v, (int, np.integer)), str(v)))
    steps = _items(value, what)
    out = set()
    for v in steps:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise _Wrong(f"{what} holds {_describe(v)}; it must hold step numbers t, "
                         f"integers from 1 to T={T}.")
        if not 1 <= v <= T:
            raise _Wrong(f"{what} holds t={v}, but the steps are t = 1..{T} (numbered from 1, "
                         f"as in the equations).")
        out.add(int(v))
    return out


@_checker
def check_zero_terms(fn):
    """Check ``fn(T, scored, k2) -> {"U": steps, "W": steps, "V": steps}``: which copies'
    terms of dL/dU, dL/dW, dL/dV are exactly zero.

    The setting is one update of truncated BPTT over steps 1..T (k1 = T) of the vanilla
    RNN without biases, s_0 = 0, generic weights and inputs: the losses of the steps with
    ``scored[t - 1]`` True count, and the gradient flows back through the last ``k2``
    steps only (steps T-k2+1..T; the state entering them is a constant).  A copy
    outside the window has no term, which counts as zero.  Steps are numbered 1..T.

    >>> def zero_terms(T, scored, k2):                  # forgets that s_0 = 0
    ...     return {"U": set(), "W": set(), "V": {t for t in range(1, T + 1) if not scored[t - 1]}}
    >>> print(check_zero_terms(zero_terms, quiet=True).message)   # doctest: +ELLIPSIS
    T=6, ...: W's term at t=1 is zero; you said the opposite. Why: ... s_0 = 0, so the term is zero.
    """
    cases = [(6, [True] * 6, 6), (6, [False, False, True, False, True, False], 6),
             (8, [True] * 8, 3), (8, [False, True, False, False, True, False, True, False], 5)]
    for T, scored, k2 in cases:
        expected = _zero_terms_reference(T, scored, k2)
        got = _call(fn, T, list(scored), k2)
        if not isinstance(got, Mapping):
            _returned(fn, got, "a dict {'U': steps, 'W': steps, 'V': steps}")
        where = (f"T={T}, scored steps {[t for t in range(1, T + 1) if scored[t - 1]]}, "
                 f"k2={k2} (window {T - k2 + 1}..{T})")
        last = max(t for t in range(1, T + 1) if scored[t - 1])
        first = T - k2 + 1
        for p in ("V", "U", "W"):
            if p not in got:
                raise _Wrong(f"the result has no {p!r}: give the zero steps of U, W and V.")
            have = _step_set(got[p], f"{p}'s zero steps", T)
            if have == expected[p]:
                continue
            extra, missing = sorted(have - expected[p]), sorted(expected[p] - have)
            t = (extra or missing)[0]
            claim = "is zero" if t in missing else "is not zero"
            if p == "V":
                why = (f"V's term is dz_t s_tᵀ with dz_t = 2 (o_t - y_t) at a scored step and "
                       f"0 at the others: it is zero exactly where step t is not scored (the "
                       f"window does not matter for V: o_t = V s_t reads V even when s_t is a "
                       f"constant).")
            elif t < first:
                why = (f"step {t} lies before the window ({first}..{T}): it is not in the "
                       f"graph of this update, so it has no term at all.")
            elif t > last:
                why = (f"no loss after the last scored step ({last}) reaches step {t}: δ_{t} = 0"
                       f" and so is every term of that copy.")
            elif p == "W" and t == first:
                why = ("W's term is δ_t s_(t-1)ᵀ: at the window's first step that is the state "
                       "entering the window, "
                       + ("s_0 = 0, so the term is zero." if first == 1 else
                          f"s_{first - 1}, which is not zero (only s_0 is)."))
            else:
                why = (f"a loss at a scored step at or after t={t} flows back to step {t} "
                       f"inside the window, so δ_{t} ≠ 0 and the term {'δ_t x_tᵀ' if p == 'U' else 'δ_t s_(t-1)ᵀ'} "
                       f"is not zero.")
            raise _Wrong(f"{where}: {p}'s term at t={t} {claim}; you said the opposite. Why: "
                         f"{why}")
    return ("the zero terms agree with the library's for four settings: s_0 = 0 zeroes W's "
            "first term, unscored steps zero V's, and nothing after the last scored step or "
            "before the window gets a term of U or W.")


# ------------------------------------------------------------------ notebook 3

@_checker
def check_scale_to_radius(fn):
    """Check ``fn(W, rho) -> W'``: W multiplied by a number so that W' has spectral
    radius rho (its largest |eigenvalue|), W itself unchanged."""
    rng = np.random.default_rng(3)
    W0 = rng.normal(size=(5, 5))
    W, rho = W0.copy(), 0.8
    radius = np.max(np.abs(np.linalg.eigvals(W0)))
    got = _call(fn, W, rho)
    if not np.array_equal(W, W0):
        raise _Wrong("W was changed in place: return a new matrix (W * k, not W *= k).")
    if got is None:
        _returned(fn, got, "the rescaled matrix")
    new = _array(got, "the result", W0.shape, " Return W times one number: the same shape.")
    k = float(new.ravel() @ W0.ravel() / (W0.ravel() @ W0.ravel()))
    if not _agree(new, k * W0):
        raise _Wrong("the result is not a multiple of W: scale every entry by the same number, "
                     "so the eigenvectors stay and only the eigenvalues scale."
                     + _float32_note(new))
    got_radius = float(np.max(np.abs(np.linalg.eigvals(new.astype(float)))))
    if _agree(got_radius, rho) and _agree(new, W0 * (rho / radius)):
        return f"spectral radius {got_radius:.6g}, as asked."
    for what, norm in (("its largest singular value ||W||_2", np.linalg.norm(W0, 2)),
                       ("its Frobenius norm", np.linalg.norm(W0)),
                       ("its largest |entry|", np.abs(W0).max()),
                       ("its largest eigenvalue's real part (without abs)",
                        np.max(np.linalg.eigvals(W0).real))):
        if _agree(k, rho / norm):
            raise _Wrong(f"you divided W by {what}, not by its spectral radius max |eigenvalue| "
                         f"= {radius:.4g} (np.linalg.eigvals): the result has spectral radius "
                         f"{got_radius:.4g}, not {rho}.")
    raise _Wrong(f"the result has spectral radius {got_radius:.10g}, not {rho} ("
                 f"{abs(got_radius - rho) / rho:.1e} relative): multiply W by "
                 f"rho / max|eigvals(W)|.{_float32_note(new)}")


def _float32_note(array):
    if array.dtype.kind == "f" and array.dtype.itemsize < 8:
        return (f" The answer is {array.dtype.name}, which keeps about 7 digits: compute in "
                f"float64.")
    return ""


@_checker
def check_jacobian_product(fn):
    """Check ``fn(W, states, t) -> J``: the Jacobian ∂s_T/∂s_t of the tanh RNN,

        ∂s_k/∂s_{k-1} = diag(1 - s_k²) W,   ∂s_T/∂s_t = ∂s_T/∂s_{T-1} ··· ∂s_{t+1}/∂s_t,

    given W (H, H), the states [s_1, ..., s_T] (each (H,)) and t (1 <= t <= T);
    for t = T it is the identity.
    """
    params, xs, _ = problem(T=6, H=4)
    W = params["W"]
    states, _ = _reference_forward(params, xs)
    T = len(states)

    def jac(t, order="left", diag=True, transpose=False, prev=False):
        J = np.eye(4)
        for k in range(t + 1, T + 1):
            s_k = states[k - 2] if prev else states[k - 1]
            step = (np.diag(1 - s_k ** 2) if diag else np.eye(4)) @ (W.T if transpose else W)
            J = step @ J if order == "left" else J @ step
        return J

    for t in (T, 2, 1):
        expected = jac(t)
        got = _call(fn, W.copy(), [s.copy() for s in states], t)
        if got is None:
            _returned(fn, got, "the H x H matrix ∂s_T/∂s_t")
        J = _array(got, f"∂s_T/∂s_t for t={t}", expected.shape,
                   f" ∂s_T/∂s_t is an H x H matrix, {expected.shape}.")
        if _agree(J, expected):
            continue
        message = f"∂s_T/∂s_t for T={T}, t={t} is wrong: {_difference(J, expected)}."
        for why, kw in (("the product is in the wrong order: the later step's Jacobian goes "
                         "on the left, J = diag(1 - s_k²) W @ J for k = t+1..T", dict(order="right")),
                        ("tanh's derivative diag(1 - s_k²) is missing", dict(diag=False)),
                        ("it uses Wᵀ; ∂s_k/∂s_(k-1) = diag(1 - s_k²) W", dict(transpose=True)),
                        ("the derivative is taken at s_(k-1); it is 1 - s_k² at step k",
                         dict(prev=True))):
            if _agree(J, jac(t, **kw)):
                message += f" Likely cause: {why}."
                break
        else:
            if t == T:
                message += " For t = T nothing lies between: it is the identity."
            elif t > 1 and _agree(J, jac(t - 1)) or t < T and _agree(J, jac(t + 1)):
                message += (" It is the product for a neighbouring t: off by one. The factors "
                            "are k = t+1..T, and states[k - 1] is s_k.")
        raise _Wrong(message)
    return f"∂s_T/∂s_t agrees for t = T, 2 and 1 (T={T})."


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _lstm_problem(D=3, H=2, seed=4):
    rng = np.random.default_rng(seed)
    params = {"U": rng.normal(size=(4 * H, D)) * 0.7, "W": rng.normal(size=(4 * H, H)) * 0.7,
              "b": rng.normal(size=4 * H) * 0.5}
    x, h_prev, c_prev = rng.normal(size=D), rng.normal(size=H) * 0.5, rng.normal(size=H)
    dh, dc = rng.normal(size=H), rng.normal(size=H)
    return params, x, h_prev, c_prev, dh, dc


def _lstm_autograd(params, x, h_prev, c_prev, dh, dc):
    """The library's answer: one step of rnn.LSTM, and L = dh·h_t + dc·c_t back-propagated
    (so dL/dh_t = dh and dL/dc_t = dc arrive from above, as in the middle of BPTT)."""
    import minigrad as mg
    from .models import LSTM

    D, H = len(x), len(h_prev)
    model = LSTM(D, H, 1, rng=0)
    for p in ("U", "W", "b"):
        getattr(model, p).data = params[p]
    h = mg.tensor(h_prev, requires_grad=True)
    c = mg.tensor(c_prev, requires_grad=True)
    h_t, c_t = model.step(mg.tensor(x), (h, c))
    ((h_t * mg.tensor(dh)).sum() + (c_t * mg.tensor(dc)).sum()).backward()
    return {"U": model.U.grad, "W": model.W.grad, "b": model.b.grad, "h_prev": h.grad,
            "c_prev": c.grad}


def _lstm_by_hand(params, x, h_prev, c_prev, dh, dc, mistake=None):
    """The same step by hand; ``mistake`` plants one known error."""
    H = len(h_prev)
    z = params["U"] @ x + params["W"] @ h_prev + params["b"]
    i, f, o = _sigmoid(z[:H]), _sigmoid(z[H:2 * H]), _sigmoid(z[3 * H:])
    g = np.tanh(z[2 * H:3 * H])
    c = f * c_prev + i * g
    tc = np.tanh(c)
    through_h = {"no_dh_into_c": 0.0, "no_tanh_prime_c": dh * o}.get(mistake,
                                                                     dh * o * (1 - tc ** 2))
    dc_total = dc + through_h
    d_o, d_i, d_g, d_f = dh * tc, dc_total * g, dc_total * i, dc_total * c_prev
    if mistake == "sigmoid_prime":                       # σ' written as σ, without (1 - σ)
        dz = [d_i * i, d_f * f, d_g * (1 - g ** 2), d_o * o]
    else:
        dz = [d_i * i * (1 - i), d_f * f * (1 - f), d_g * (1 - g ** 2), d_o * o * (1 - o)]
    if mistake == "gate_order":                          # i, f, o, g instead of i, f, g, o
        dz = [dz[0], dz[1], dz[3], dz[2]]
    dz = np.concatenate(dz)
    return {"U": np.outer(dz, x), "W": np.outer(dz, h_prev), "b": dz,
            "h_prev": params["W"].T @ dz,
            "c_prev": dc_total if mistake == "no_forget_in_dc" else dc_total * f}


_LSTM_MISTAKES = {
    "no_dh_into_c": "dL/dc_t has two parts: dc from the next step, and dh ⊙ o ⊙ (1 - "
                    "tanh²(c_t)) through h_t = o ⊙ tanh(c_t). The second is missing",
    "no_tanh_prime_c": "the path from h_t into c_t lacks tanh's derivative: dh ⊙ o ⊙ "
                       "(1 - tanh²(c_t)), not dh ⊙ o",
    "sigmoid_prime": "the sigmoid gates' derivative is σ(z)(1 - σ(z)): i(1 - i), f(1 - f), "
                     "o(1 - o); the (1 - σ) factor is missing",
    "gate_order": "the gates are stacked in the wrong order: U, W and b hold the rows of "
                  "i, f, g, o (PyTorch's order), so dz = [di, df, dg, do]",
    "no_forget_in_dc": "dL/dc_(t-1) = dL/dc_t ⊙ f_t: c_t = f ⊙ c_(t-1) + i ⊙ g, so the forget "
                       "gate multiplies what flows back along the cell state",
}


@_checker
def check_lstm_step_backward(fn):
    """Check ``fn(params, x, h_prev, c_prev, dh, dc) -> grads``: one LSTM step's backward.

    Forward (PyTorch's gate order i, f, g, o; params {"U" (4H, D), "W" (4H, H), "b" (4H,)})::

        z = U x + W h_prev + b,   i, f, o = σ(z_i), σ(z_f), σ(z_o),   g = tanh(z_g)
        c = f ⊙ c_prev + i ⊙ g,   h = o ⊙ tanh(c)

    Given dh = dL/dh and dc = dL/dc arriving from above, return the dict
    {"U", "W", "b", "h_prev", "c_prev"} of dL/dU, dL/dW, dL/db, dL/dh_prev, dL/dc_prev.
    Compared with minigrad's autograd through ``rnn.LSTM.step``.

    >>> def lstm_step_backward(params, x, h_prev, c_prev, dh, dc):
    ...     raise NotImplementedError
    >>> print(check_lstm_step_backward(lstm_step_backward, quiet=True).message)
    lstm_step_backward is not written yet (it raised NotImplementedError): fill in its body.
    """
    problem_ = _lstm_problem()
    expected = _lstm_autograd(*problem_)
    params = problem_[0]
    got = _call(fn, _copy(params), *(a.copy() for a in problem_[1:]))
    if not isinstance(got, Mapping):
        _returned(fn, got, "a dict {'U', 'W', 'b', 'h_prev', 'c_prev'} of gradients")
    for key in ("c_prev", "h_prev", "b", "W", "U"):         # from the cell state outwards
        if key not in got:
            raise _Wrong(f"the result has no {key!r}: return dL/dU, dL/dW, dL/db, "
                         f"dL/dh_prev and dL/dc_prev under the keys U, W, b, h_prev, c_prev.")
        exp = expected[key]
        have = _array(got[key], f"dL/d{key}", exp.shape, f" dL/d{key} has the shape of "
                      f"{key}.")
        if _agree(have, exp):
            continue
        message = f"dL/d{key} is wrong: {_difference(have, exp)}."
        for mistake, why in _LSTM_MISTAKES.items():
            if _agree(have, _lstm_by_hand(*problem_, mistake=mistake)[key]):
                message += f" Likely cause: {why}."
                break
        raise _Wrong(message)
    return ("dL/dU, dL/dW, dL/db, dL/dh_prev and dL/dc_prev agree with autograd through "
            "rnn.LSTM.step.")


# ------------------------------------------------------------------ notebook 4

@_checker
def check_tbptt_schedule(fn):
    """Check ``fn(T, k1, k2) -> [(block, window), ...]``: TBPTT(k1, k2)'s updates as
    ``rnn.tbptt`` makes them.  A block (first, last) is the steps whose losses
    count; a window (first, last) is the steps the gradient flows through."""
    from .models import RNN
    from .truncated import tbptt

    model = RNN(1, 2, 1, rng=0)
    for T, k1, k2 in ((12, 4, 4), (12, 4, 6), (10, 4, 2), (10, 3, 5)):
        zeros = np.zeros((T, 1))
        expected = [(u.block, u.window) for u in tbptt(model, zeros, zeros, k1, k2, None).updates]
        where = f"T={T}, k1={k1}, k2={k2}"
        result = _call(fn, T, k1, k2)
        if result is None:
            _returned(fn, result, "a list of updates ((first, last), (first, last))")
        got = [_update(u, f"{where}: update {i}") for i, u in
               enumerate(_items(result, f"{where}: the schedule"), start=1)]
        if len(got) != len(expected):
            hint = (" If k1 does not divide T, a last, shorter block ends at t = T."
                    if len(got) == len(expected) - 1 else "")
            raise _Wrong(f"{where}: {len(got)} updates, expected {len(expected)} (one every k1 "
                         f"steps).{hint}")
        for i, ((b, w), (eb, ew)) in enumerate(zip(got, expected), start=1):
            if b != eb:
                hint = (" Off by one: steps are numbered from 1, and both ends are included."
                        if abs(b[0] - eb[0]) == 1 or abs(b[1] - eb[1]) == 1 else "")
                raise _Wrong(f"{where}: update {i}'s block is {b}, expected {eb}: the losses of "
                             f"steps {eb[0]}..{eb[1]} (1-based, both ends included).{hint}")
            if w != ew:
                hint = ""
                if w[0] == max(1, eb[1] - k1 + 1) and k1 != k2:
                    hint = " The window's length is k2, not k1."
                elif abs(w[0] - ew[0]) == 1 or abs(w[1] - ew[1]) == 1:
                    hint = (" Off by one: the window is the last k2 steps, w+1..t with "
                            "w = max(0, t - k2).")
                raise _Wrong(f"{where}: update {i}'s window is {w}, expected {ew}.{hint}")
    return ("every block and window agrees with rnn.tbptt, including k2 > k1, k2 < k1 and a "
            "last, shorter block.")


def _update(value, what):
    """((first, last), (first, last)) of ints, or _Wrong."""
    pair = _items(value, what, 2, " Each update is (block, window).")
    return tuple(tuple(_step(v, f"{what}'s {part}") for v in
                       _items(p, f"{what}'s {part}", 2, " A range is (first, last)."))
                 for p, part in zip(pair, ("block", "window")))


def _step(value, what):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and np.isfinite(value) \
                and float(value).is_integer():
            return int(value)
        raise _Wrong(f"{what} holds {_describe(value)}; steps are whole numbers.")
    return int(value)


@_checker
def check_softmax_temperature(fn):
    """Check ``fn(logits, temperature) -> p``: p = softmax(logits / τ), which must
    also work for logits in the thousands (subtract the largest first)."""

    def softmax(z):
        e = np.exp(z - z.max())
        return e / e.sum()

    logits = np.array([2.0, 1.0, 0.1, -1.0])
    for tau in (1.0, 0.5, 2.0):
        expected = softmax(logits / tau)
        got = _call(fn, logits.copy(), tau)
        if got is None:
            _returned(fn, got, "the array of probabilities p")
        p = _array(got, f"p at temperature {tau}", expected.shape,
                   " One probability per character.")
        if _agree(p, expected):
            continue
        if not np.isclose(p.sum(), 1, rtol=0, atol=1e-12):
            raise _Wrong(f"at temperature {tau} the probabilities sum to {p.sum():.10g}, not 1"
                         f": divide exp(z) by its sum.{_float32_note(p)}")
        if _agree(p, softmax(logits)):
            raise _Wrong(f"at temperature {tau} p is softmax(logits): the temperature is "
                         f"ignored; divide the logits by it.")
        if _agree(p, softmax(logits * tau)):
            raise _Wrong(f"at temperature {tau}: you multiplied the logits by τ; divide them "
                         f"(a low temperature sharpens the distribution).")
        raise _Wrong(f"at temperature {tau}: expected {_fmt(expected)}, got {_fmt(p)}; "
                     f"{_difference(p, expected)}.")
    big = np.array([1000.0, 999.0, 0.0])
    with np.errstate(all="ignore"):
        got = _call(fn, big.copy(), 1.0)
    try:
        p = _array(got, "p for logits (1000, 999, 0)", big.shape)
    except _Wrong as wrong:
        raise _Wrong(f"{wrong} exp(1000) overflows: subtract the largest logit before exp (it "
                     f"cancels in the ratio).") from None
    if not _agree(p, softmax(big)):
        raise _Wrong(f"logits (1000, 999, 0) give {_fmt(p)}, expected {_fmt(softmax(big))}.")
    return "p = softmax(logits / τ) at τ = 0.5, 1 and 2, and stable for large logits."


def _clip_problem():
    rng = np.random.default_rng(5)
    return {"U": rng.normal(size=(4, 2)) * 4, "W": rng.normal(size=(4, 4)) * 4,
            "V": rng.normal(size=(1, 4)) * 4}


def _clipped_by_minigrad(grads, max_norm):
    """PyTorch's rule through minigrad.optim.clip_grad_norm_ (n + 1e-6 in the ratio)."""
    import minigrad as mg
    tensors = {}
    for k, g in grads.items():
        tensors[k] = mg.tensor(np.zeros_like(g), requires_grad=True)
        tensors[k].grad = g.copy()
    mg.optim.clip_grad_norm_(list(tensors.values()), max_norm)
    return {k: t.grad for k, t in tensors.items()}


@_checker
def check_clip_by_norm(fn):
    """Check ``fn(grads, max_norm) -> clipped``: gradient clipping by norm (Pascanu,
    Mikolov and Bengio, 2013), for a dict of gradient arrays:

        n = sqrt(Σ_p ||g_p||²)   (all gradients as one vector)
        g_p ← g_p · max_norm / n   when n > max_norm, unchanged otherwise.

    Return a new dict (same keys); leave ``grads`` unchanged.  PyTorch's
    ``clip_grad_norm_`` divides by n + 1e-6: either form passes.

    >>> def clip_each(grads, max_norm):          # each gradient by its own norm
    ...     return {k: g * min(1, max_norm / np.linalg.norm(g)) for k, g in grads.items()}
    >>> print(check_clip_by_norm(clip_each, quiet=True).message)   # doctest: +ELLIPSIS
    max_norm = ...: each gradient was clipped by its own norm; the rule uses the norm of all of them together, as one vector.
    """
    grads = _clip_problem()
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    for max_norm in (norm / 4, 2 * norm):
        given = _copy(grads)
        got = _call(fn, given, max_norm)
        if any(not np.array_equal(given[k], grads[k]) for k in grads):
            raise _Wrong("the gradients passed in were changed in place: return new arrays "
                         "(g * c, not g *= c), as the caller may still need the originals.")
        if not isinstance(got, Mapping):
            _returned(fn, got, "a dict of clipped gradients, with the keys of grads")
        exact = {k: g * min(1.0, max_norm / norm) for k, g in grads.items()}
        torch_rule = _clipped_by_minigrad(grads, max_norm)
        where = f"max_norm = {max_norm:.4g} (||g|| = {norm:.4g})"
        have = {}
        for k in grads:
            if k not in got:
                raise _Wrong(f"{where}: the result has no {k!r}: return every gradient, "
                             f"clipped or not.")
            have[k] = _array(got[k], f"{where}: the clipped {k}", grads[k].shape,
                             " Clipping only rescales: the shape stays.")
        if all(_agree(have[k], exact[k]) for k in grads) or \
                all(_agree(have[k], torch_rule[k]) for k in grads):
            continue
        joint = {k: have[k] for k in grads}
        per_tensor = {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}
        causes = (
            (per_tensor, "each gradient was clipped by its own norm; the rule uses the norm "
                         "of all of them together, as one vector"),
            ({k: g * max_norm / norm for k, g in grads.items()},
             "the gradients were scaled up to max_norm: clip only when ||g|| > max_norm, "
             "leave smaller gradients unchanged"),
            ({k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()},
             "each entry was clipped into [-max_norm, max_norm]: that is clipping by value; "
             "by norm, every entry is multiplied by the same max_norm / ||g||, so the "
             "direction is kept"),
            ({k: g * min(1.0, max_norm / norm ** 2) for k, g in grads.items()},
             "you divided by ||g||², the squared norm; the ratio is max_norm / ||g||"))
        for wrong, why in causes:
            if all(_agree(joint[k], wrong[k]) for k in grads):
                raise _Wrong(f"{where}: {why}.")
        k = next(k for k in grads if not _agree(have[k], exact[k]))
        raise _Wrong(f"{where}: the clipped {k} is off: {_difference(have[k], exact[k])}.")
    return ("the gradients are scaled by max_norm / ||g|| when ||g|| is larger, and left "
            "alone when it is smaller; the direction is kept.")


def _torch_problem(torch):
    """A small RNN in PyTorch without biases (so that one minigrad b is not two torch
    biases, each stepped by SGD), and a sequence."""
    torch.manual_seed(0)
    cell = torch.nn.RNN(2, 4, bias=False).double()
    linear = torch.nn.Linear(4, 3, bias=False).double()
    rng = np.random.default_rng(6)
    return cell, linear, rng.normal(size=(12, 2)), rng.normal(size=(12, 3))


class _AccumulatingSGD:
    """SGD whose gradients were never zeroed: each step uses the sum of all so far."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr
        self.total = [np.zeros_like(p.data) for p in self.params]

    def step(self):
        for p, total in zip(self.params, self.total):
            total += p.grad
            p.data = p.data - self.lr * total


def _minigrad_tbptt(cell, linear, xs, ys, k, lr, variant=None):
    """rnn.tbptt(k1 = k2 = k) with SGD on the model PyTorch's weights make; ``variant``
    plants one known mistake.  Returns (losses, final {U, W, V})."""
    import minigrad as mg
    from .models import from_torch
    from .truncated import tbptt

    model = from_torch(cell, linear)
    if variant == "accumulate":
        optimizer = _AccumulatingSGD(model.parameters(), lr)
    else:
        optimizer = None if variant == "no_step" else mg.optim.SGD(model.parameters(), lr=lr)
    if variant == "reset":                    # every chunk starts again from s = 0
        losses = [loss for start in range(0, len(xs), k) for loss in
                  tbptt(model, xs[start:start + k], ys[start:start + k], k, k, optimizer).losses]
    else:
        losses = tbptt(model, xs, ys, k, k, optimizer).losses
    return np.array(losses), {p: getattr(model, p).data for p in ("U", "W", "V")}


_TORCH_VARIANTS = {
    "reset": "every chunk starts from a zero state: carry the last hidden state into the next "
             "chunk (detached), as TBPTT does; only the gradient stops at the cut",
    "accumulate": "the gradients were never zeroed, so each update adds all the earlier "
                  "ones: call optimizer.zero_grad() before loss.backward()",
    "no_step": "the weights never change: call optimizer.step() after loss.backward()",
    "mean": "the loss is a mean (torch.nn.functional.mse_loss's default); this exercise sums, "
            "L = Σ_t ||o_t - y_t||² (rnn.tbptt's reduction='sum'): use ((o - y) ** 2).sum()",
}


@_checker
def check_torch_tbptt(fn, k=4, lr=0.05):
    """Check ``fn(cell, linear, xs, ys, k, lr) -> losses``: TBPTT(k, k) in PyTorch.

    ``cell`` is a ``torch.nn.RNN`` (no biases, float64), ``linear`` the output layer
    ``torch.nn.Linear``, xs (T, D) and ys (T, O) float64 tensors.  Over chunks of k
    steps: run the cell from the carried state, L = Σ_t ||o_t - y_t||² over the chunk,
    zero the gradients, back-propagate, take one SGD step (learning rate lr) on the
    cell's and the layer's parameters, and carry the last state into the next chunk
    with ``detach()``.  Return the list of the chunks' losses (floats).

    The losses and the trained weights are compared with ``rnn.tbptt(model, xs, ys, k, k,
    SGD)`` on ``rnn.from_torch(cell, linear)``.  PyTorch is imported only here; without
    it the check is skipped.

    >>> def torch_tbptt(cell, linear, xs, ys, k, lr):
    ...     raise NotImplementedError
    >>> check_torch_tbptt(torch_tbptt, quiet=True).ok         # not written, or no PyTorch
    False
    """
    try:
        import torch
    except ImportError:
        raise _Skip("PyTorch is not installed, so this exercise is skipped. To do it: "
                    "pip install torch==2.13.0 (the CPU wheel; see the notebooks' README).") \
            from None
    cell, linear, xs, ys = _torch_problem(torch)
    expected, weights = _minigrad_tbptt(cell, linear, xs, ys, k, lr)
    student_cell, student_linear = copy.deepcopy(cell), copy.deepcopy(linear)
    try:
        got = fn(student_cell, student_linear, torch.tensor(xs), torch.tensor(ys), k, lr)
    except Exception as exc:                     # noqa: BLE001 (the student's code)
        if "backward through the graph a second time" in str(exc):
            raise _Wrong(f"{_raised(fn, exc)}. The state carried into the next chunk still "
                         f"holds the previous chunk's graph: detach it (h = h.detach()) after "
                         f"each update. That cut is what truncates BPTT.") from None
        raise _Wrong(_raised(fn, exc)) from None
    if got is None:
        _returned(fn, got, "the list of the chunks' losses")
    items = [_scalar(v, f"loss {i}", " Append loss.item(), one number per chunk.")
             for i, v in enumerate(_items(got, "the list of losses"), start=1)]
    losses = np.array([float(v) for v in items])
    low = next((v.dtype.name for v in items if v.dtype.itemsize < 8), None)
    chunks = len(expected)
    if len(losses) != chunks:
        raise _Wrong(f"{len(losses)} losses for T={len(xs)} steps in chunks of k={k}: expected "
                     f"{chunks}, one per update.")
    final = {"U": student_cell.weight_ih_l0, "W": student_cell.weight_hh_l0,
             "V": student_linear.weight}
    final = {p: w.detach().numpy() for p, w in final.items()}
    if _agree(losses, expected) and all(_agree(final[p], weights[p]) for p in final):
        return (f"all {chunks} losses and the trained weights agree with rnn.tbptt(k1=k2={k}) "
                f"on rnn.from_torch(cell, linear).")
    if low and _agree(losses, expected, 1e-5):
        raise _Wrong(f"the losses are {low}, which keeps about 7 digits: keep the float64 "
                     f"tensors and the float64 cell you were given (no .float()).")
    for variant, why in _TORCH_VARIANTS.items():
        if variant == "mean":                  # the first loss, before any step differs
            O = ys.shape[1]
            if any(_agree(losses[0], expected[0] / n) for n in (k, k * O)):
                raise _Wrong(f"update 1's loss is {losses[0]:.6g}, expected {expected[0]:.6g}. "
                             f"Likely cause: {why}.")
        elif _agree(losses, _minigrad_tbptt(cell, linear, xs, ys, k, lr, variant)[0]):
            raise _Wrong(f"Likely cause: {why}.")
    if not _agree(losses, expected):
        i = int(np.argmax(~np.isclose(losses, expected, rtol=TOLERANCE, atol=0)))
        agree = f" (updates 1..{i} agree)" if i else ""
        raise _Wrong(f"update {i + 1}'s loss is {losses[i]:.10g}, expected {expected[i]:.10g}"
                     f"{agree}.")
    p = next(p for p in final if not _agree(final[p], weights[p]))
    raise _Wrong(f"the losses agree, but the trained {p} does not: "
                 f"{_difference(final[p], weights[p])}. Step once per chunk, after "
                 f"backward, with SGD at lr={lr}.")


# ------------------------------------------------------------------ notebook 5

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


@_checker
def check_rtrl_step(fn):
    """Check ``fn(M_prev, gp, W, z) -> M``: one RTRL step, M_t = D_t M_{t-1} + M̄_t with
    D_t = diag(g') W and M̄_t[i, j, k] = g'_i δ_ij z_k (M[i, j, k] = ds_i/dΘ_jk)."""
    M, _, gp, W, z = online_problem()
    expected = _reference_rtrl_step(M, gp, W, z)
    result = _call(fn, M.copy(), gp.copy(), W.copy(), z.copy())
    if result is None:
        _returned(fn, result, "the array M_t")
    got = _array(result, "M_t", expected.shape, " M_t is (H, H, K) = ds_i/dΘ_jk for every "
                 "unit i and every weight Θ_jk.")
    if _agree(got, expected):
        return ("M_t = diag(g') W M_{t-1} + M̄_t, entry by entry: the exact influence matrix "
                "that RTRL carries.")
    carried = gp[:, None, None] * np.einsum("il,ljk->ijk", W, M)
    M_bar = expected - carried
    message = f"M_t is wrong: {_difference(got, expected)}."
    for wrong, why in (
            (carried, "the immediate influence M̄_t is missing: add g'_i δ_ij z_k (Θ_jk moves "
                      "s_j directly, this very step)"),
            (np.einsum("il,ljk->ijk", W, M) + M_bar, "D_t M_{t-1} lacks g'(a_t): the Jacobian "
                                                     "ds_t/ds_{t-1} is diag(g') W, not W"),
            (gp[:, None, None] * np.einsum("li,ljk->ijk", W, M) + M_bar,
             "you used Wᵀ: row i of D_t is g'_i W[i, :] (unit i reads s_{t-1} through its "
             "row of W)"),
            (carried + gp[:, None, None] * z[None, None, :],
             "M̄_t fills every row i; it has δ_ij: Θ_jk reaches only unit j directly")):
        if _agree(got, wrong):
            message += f" Likely cause: {why}."
            break
    raise _Wrong(message)


@_checker
def check_snap1_step(fn):
    """Check ``fn(J_prev, gp, W, z) -> J``: one SnAp-1 step, J_t[j, k] = g'_j W_jj
    J_{t-1}[j, k] + g'_j z_k: RTRL's M_t kept only where i = j."""
    _, J, gp, W, z = online_problem(seed=1)
    H = len(gp)
    expected = (gp * np.diag(W))[:, None] * J + gp[:, None] * z[None, :]
    # the same as RTRL's step masked to i = j, started from the same diagonal
    M_prev = np.einsum("ij,jk->ijk", np.eye(H), J)
    assert _agree(np.einsum("jjk->jk", _reference_rtrl_step(M_prev, gp, W, z)), expected)
    result = _call(fn, J.copy(), gp.copy(), W.copy(), z.copy())
    if result is None:
        _returned(fn, result, "the array J_t")
    kept_all = isinstance(result, np.ndarray) and result.shape == (H, H, len(z))
    shape_hint = (" You kept all of M_t (H, H, K); SnAp-1 keeps its diagonal i = j only."
                  if kept_all else "")
    got = _array(result, "J_t", expected.shape, " J_t is (H, K) = ds_j/dΘ_jk for each unit j "
                 "and its own weights." + shape_hint)
    if _agree(got, expected):
        return ("J_t = g' W_jj J_{t-1} + g' z: RTRL's step with M_t kept on i = j only, "
                "O(H K) numbers and work.")
    immediate = gp[:, None] * z[None, :]
    message = f"J_t is wrong: {_difference(got, expected)}."
    for wrong, why in (
            ((gp * np.diag(W))[:, None] * J, "the immediate term g'_j z_k is missing"),
            (np.diag(W)[:, None] * J + immediate, "the carried term lacks g'_j: it is g'_j W_jj "
                                                  "J_{t-1}"),
            ((gp * W.sum(axis=1))[:, None] * J + immediate,
             "you summed W's row; SnAp-1 drops s_j's influence on the other units, so only "
             "W_jj carries J_{t-1}[j, ·] forward"),
            (gp[:, None] * (W @ J) + immediate,
             "W @ J mixes the units' rows: J[l, k] is ds_l/dΘ_lk, about unit l's own weights, "
             "so only l = j (W_jj) belongs here")):
        if _agree(got, wrong):
            message += f" Likely cause: {why}."
            break
    raise _Wrong(message)
