"""rnn.exercises: each checker passes the shipped solution, rejects a nearly right
answer, names each classic mistake, and never raises, whatever the student's
function returns (None, a string, a ragged list, an iterator, float32, NaN, ...)."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnn import exercises as ex

SOLUTIONS = Path(__file__).resolve().parents[1] / "notebooks" / "solutions"


def load(name):
    spec = importlib.util.spec_from_file_location(name, SOLUTIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


S1, S2, S3 = load("01_unrolling"), load("02_bptt_by_hand"), load("03_vanishing_exploding")
S4, S5 = load("04_truncation_and_text"), load("05_learning_online")

# checker, the shipped solution, what a perturbed answer's message names
CHECKERS = {
    "rnn_forward": (ex.check_rnn_forward, S1.rnn_forward, "s_1 is wrong"),
    "sequence_loss": (ex.check_sequence_loss, S1.sequence_loss, "expected"),
    "rnn_bptt": (ex.check_rnn_bptt, S2.rnn_bptt, "dL/dV: copy t=5's term is wrong"),
    "central_difference": (ex.check_central_difference, S2.central_difference,
                           "the estimate is off"),
    "zero_terms": (ex.check_zero_terms, S2.zero_terms, None),
    "scale_to_radius": (ex.check_scale_to_radius, S3.scale_to_radius, "spectral radius"),
    "jacobian_product": (ex.check_jacobian_product, S3.jacobian_product,
                         "∂s_T/∂s_t for T=6, t=6 is wrong"),
    "lstm_step_backward": (ex.check_lstm_step_backward, S3.lstm_step_backward,
                           "dL/dc_prev is wrong"),
    "tbptt_schedule": (ex.check_tbptt_schedule, S4.tbptt_schedule, None),
    "softmax_temperature": (ex.check_softmax_temperature, S4.softmax_temperature,
                            "the probabilities sum to"),
    "clip_by_norm": (ex.check_clip_by_norm, S4.clip_by_norm, "the clipped U is off"),
    "torch_tbptt": (ex.check_torch_tbptt, S4.torch_tbptt, "update 1's loss is"),
    "rtrl_step": (ex.check_rtrl_step, S5.rtrl_step, "M_t is wrong: largest difference"),
    "snap1_step": (ex.check_snap1_step, S5.snap1_step, "J_t is wrong: largest difference"),
}
INTEGER_ANSWERS = {"zero_terms", "tbptt_schedule"}     # no rounding to get nearly right


def test_every_checker_is_in_the_table():
    public = {name[len("check_"):] for name in ex.__all__ if name.startswith("check_")}
    assert public == set(CHECKERS)


@pytest.fixture(params=sorted(CHECKERS))
def checker(request):
    if request.param == "torch_tbptt":
        from conftest import import_torch
        import_torch()
    return request.param


def test_the_shipped_solution_passes(checker):
    check, solution, _ = CHECKERS[checker]
    result = check(solution, quiet=True)
    assert result.ok and not result.skipped, result.message


# ---------------------------------------------------------------- wrong answers of every kind

def deep(answer, leaf):
    """``answer`` with ``leaf`` applied to every float array and float inside it."""
    if isinstance(answer, dict):
        return {k: deep(v, leaf) for k, v in answer.items()}
    if isinstance(answer, (list, tuple)):
        return type(answer)(deep(v, leaf) for v in answer)
    if isinstance(answer, np.ndarray) and answer.dtype.kind == "f":
        return leaf(answer)
    if isinstance(answer, (float, np.floating)):
        return leaf(np.float64(answer))
    return answer


def first_leaf(answer, new):
    """``answer`` with its first float array (or float) replaced by ``new``."""
    done = []

    def swap(value):
        if done:
            return value
        done.append(True)
        return new
    return deep(answer, swap)


def answering(solution, transform):
    def student(*args):
        return transform(solution(*args))
    student.__name__ = "student"
    return student


def raises(*args):
    raise ValueError("boom")


WRONG = {   # name: (the student's function from the solution, what the message names)
    "None": (lambda s: answering(s, lambda a: None), "returned None"),
    "a string": (lambda s: answering(s, lambda a: "forty-two"), "string"),
    "a scalar": (lambda s: answering(s, lambda a: 3.0), "3.0"),
    "an iterator": (lambda s: answering(s, lambda a: iter(a if hasattr(a, "__iter__") else [a])),
                    "iterator"),
    "ragged": (lambda s: answering(s, lambda a: first_leaf(a, [[1.0, 2.0], [3.0]])), "ragged"),
    "wrong shapes": (lambda s: answering(s, lambda a: deep(
        a, lambda x: x[..., :-1] if x.ndim else np.array([x, x]))), "shape"),
    "float32, nearly right": (lambda s: answering(s, lambda a: deep(
        a, lambda x: x.astype(np.float32))), "float32"),
    "NaN": (lambda s: answering(s, lambda a: deep(a, lambda x: x * np.nan)), "nan"),
    "inf": (lambda s: answering(s, lambda a: deep(a, lambda x: x + np.inf)), "inf"),
    "a function that raises": (lambda s: raises, "raised ValueError: boom"),
    "off by 1%": (lambda s: answering(s, lambda a: deep(a, lambda x: x * 1.01)), None),
    "off by 1e-6 relative": (lambda s: answering(s, lambda a: deep(a, lambda x: x * (1 + 1e-6))),
                             None),
}
# where a kind of wrong answer reads differently for one checker
SAYS = {
    ("sequence_loss", "a scalar"): "L = 3, expected",
    ("sequence_loss", "wrong shapes"): "not one number",
    ("torch_tbptt", "wrong shapes"): "not one number",
    ("torch_tbptt", "float32, nearly right"): "float32",
}
NOT_APPLICABLE = {(name, kind) for name in INTEGER_ANSWERS for kind in
                  ("ragged", "wrong shapes", "float32, nearly right", "NaN", "inf", "off by 1%",
                   "off by 1e-6 relative")}


@pytest.mark.parametrize("kind", list(WRONG))
def test_a_wrong_answer_is_named_and_never_raises(checker, kind):
    if (checker, kind) in NOT_APPLICABLE:
        pytest.skip(f"{checker}'s answer is whole numbers: see its own table of mistakes")
    check, solution, perturbed = CHECKERS[checker]
    make, says = WRONG[kind]
    says = SAYS.get((checker, kind), says or perturbed)
    result = check(make(solution), quiet=True)            # must not raise
    assert not result.ok and not result.skipped, (kind, result.message)
    assert says in result.message, (kind, result.message)
    assert "could not read" not in result.message, result.message   # not the safety net


def test_a_checker_given_no_function_says_so(checker):
    result = CHECKERS[checker][0](None, quiet=True)
    assert not result.ok and "takes your function itself" in result.message


def test_the_safety_net_reports_a_checker_bug_instead_of_raising(monkeypatch):
    monkeypatch.setattr(ex, "_reference_forward", lambda *a: 1 / 0)
    result = ex.check_rnn_forward(S1.rnn_forward, quiet=True)
    assert not result.ok and "could not read" in result.message
    assert "ZeroDivisionError" in result.message


def test_check_prints_its_verdict_unless_quiet(capsys):
    ex.check_rnn_bptt(S2.rnn_bptt, quiet=False)
    assert capsys.readouterr().out.startswith("✔ every copy's term")
    result = ex.check_rnn_bptt(raises, quiet=True)
    assert capsys.readouterr().out == ""
    assert "✘" in result._repr_html_() and not bool(result)


def test_the_exception_is_located_in_the_students_own_line():
    def rnn_bptt(params, xs, ys):
        return params["Q"]
    message = ex.check_rnn_bptt(rnn_bptt, quiet=True).message
    assert "raised KeyError: 'Q'" in message and 'params["Q"]' in message

    def needs_work(params, xs, ys):
        raise NotImplementedError
    assert "not written yet" in ex.check_rnn_bptt(needs_work, quiet=True).message


# ---------------------------------------------------------------- notebook 1

def forward_with(mistake):
    def rnn_forward(params, xs):
        U, W, V = params["U"], params["W"], params["V"]
        s, states, outputs = np.zeros(W.shape[0]), [], []
        for t in range(1, len(xs) + 1):
            x = xs[t - 2] if mistake == "x_(t-1)" and t > 1 else xs[t - 1]
            if mistake == "x_(t-1)" and t == 1:
                x = np.zeros_like(xs[0])                  # "x_0 = 0"
            a = U @ x + (W.T if mistake == "W transposed" else W) @ s
            s_new = a if mistake == "no tanh" else np.tanh(a)
            outputs.append(V @ (s if mistake == "output of previous" else s_new))
            if mistake == "starts at s_0":
                states.append(s)
            s = s_new
            if mistake != "starts at s_0":
                states.append(s)
        if mistake == "includes s0":
            states = [np.zeros(W.shape[0])] + states
        if mistake == "ragged state":
            states[2] = [0.1, 0.2, [0.3]]
        return states, outputs
    return rnn_forward


@pytest.mark.parametrize("mistake, says", [
    ("no tanh", "s_1 is wrong: expected"),
    ("W transposed", "s_2 is wrong (s_1 agrees)"),
    ("output of previous", "o_1 = V s_1 is wrong"),
    ("includes s0", "has 6 items; expected 5. Did you include s_0?"),
    ("starts at s_0", "your states are one step late"),
    ("x_(t-1)", "your states are one step late"),
    ("ragged state", "s_3 is ragged"),
])
def test_check_rnn_forward_names_the_first_wrong_step(mistake, says):
    message = ex.check_rnn_forward(forward_with(mistake), quiet=True).message
    assert says in message, message
    assert "s_0 agree" not in message and "..s_0" not in message
    if mistake == "no tanh":
        assert "apply tanh" in message
    if mistake == "W transposed":
        assert "Wᵀ s_(t-1)" in message


def test_check_rnn_forward_names_a_wrapped_around_input():
    def rnn_forward(params, xs):
        U, W, V = params["U"], params["W"], params["V"]
        s, states = np.zeros(W.shape[0]), []
        for t in range(len(xs)):
            s = np.tanh(U @ xs[t - 1] + W @ s)                # xs[-1] at the first step
            states.append(s)
        return states, [V @ s for s in states]
    message = ex.check_rnn_forward(rnn_forward, quiet=True).message
    assert "s_1 is wrong: expected" in message and "step t read x_(t-1)" in message


@pytest.mark.parametrize("fn, says", [
    (lambda o, y: np.mean((o - y) ** 2), "the mean over the elements"),
    (lambda o, y: np.sum((o - y) ** 2) / len(o), "the mean over the steps t"),
    (lambda o, y: np.sum(np.linalg.norm(o - y, axis=1)), "without the square"),
    (lambda o, y: np.sum((o - y) ** 2, axis=1), "one entry per step"),
    (lambda o, y: (o - y) ** 2, "one entry per element"),
])
def test_check_sequence_loss_says_what_was_computed(fn, says):
    message = ex.check_sequence_loss(fn, quiet=True).message
    assert says in message, message
    assert "raised" not in message and "float(" not in message     # the checker's, not theirs


# ---------------------------------------------------------------- notebook 2

def bptt_with(mistake=None):
    """The δ recursion with one planted mistake."""
    def rnn_bptt(params, xs, ys):
        U, W, V = params["U"], params["W"], params["V"]
        T = len(xs)
        s = [np.zeros(W.shape[0])]
        for x in xs:
            s.append(np.tanh(U @ x + W @ s[-1]))
        terms = {"U": [None] * T, "W": [None] * T, "V": [None] * T}
        delta_next = np.zeros(W.shape[0])
        for t in range(T, 0, -1):
            dz = 2 * (V @ s[t] - ys[t - 1])
            if mistake == "mean":
                dz = dz / T
            carried = W @ delta_next if mistake == "W not transposed" else W.T @ delta_next
            if mistake == "no carry":
                carried = 0
            ds = V.T @ dz + carried
            slope = 1 - (np.tanh(s[t]) if mistake == "tanh twice" else s[t]) ** 2
            delta = ds if mistake == "no tanh derivative" else ds * slope
            x_t = xs[t - 2] if mistake == "x_(t-1) in dU" and t > 1 else xs[t - 1]
            if mistake == "x_(t-1) in dU" and t == 1:
                x_t = np.zeros_like(xs[0])
            terms["V"][t - 1] = np.outer(dz, s[t])
            terms["U"][t - 1] = (np.outer(xs[t - 1], delta) if mistake == "outer transposed"
                                 else np.outer(delta, x_t))
            terms["W"][t - 1] = np.outer(delta, s[t] if mistake == "W uses s_t" else s[t - 1])
            delta_next = delta
        if mistake == "wrong step":                 # a slip at one step only
            terms["W"][1] = terms["W"][1] * 1.5
        if mistake == "shifted index":              # term_t stored at index t
            terms = {p: [np.zeros_like(v[0])] + v[:-1] for p, v in terms.items()}
        return terms
    return rnn_bptt


@pytest.mark.parametrize("mistake, says", [
    ("no carry", ["dL/dU: copy t=4's term is wrong (t=5 agrees)",
                  "error carried back from step t+1 is missing"]),
    ("W not transposed", ["copy t=4", "must be Wᵀ δ_(t+1)"]),
    ("no tanh derivative", ["dL/dU: copy t=5's term is wrong", "tanh's derivative is missing"]),
    ("tanh twice", ["dL/dU: copy t=5's term is wrong", "tanh is applied twice",
                    "1 - tanh(s_t)²"]),
    ("mean", ["dL/dV: copy t=5's term is wrong", "every term is 1/T", "divided by T"]),
    ("x_(t-1) in dU", ["dL/dU: copy t=5's term is wrong", "δ_t x_tᵀ", "not x_(t-1)"]),
    ("shifted index", ["copy t=5's term is wrong", "a shifted index",
                       "This is copy t=4's term"]),
    ("outer transposed", ["dL/dU: copy t=5's term has shape (2, 4), but U has shape (4, 2)",
                          "It is the transpose"]),
    ("W uses s_t", ["dL/dW: copy t=5's term is wrong", "δ_t s_(t-1)ᵀ"]),
    ("wrong step", ["dL/dW: copy t=2's term is wrong (t=3..5 agree)",
                    "Step T is right but an earlier step is not"]),
])
def test_check_rnn_bptt_names_the_parameter_step_and_cause(mistake, says):
    result = ex.check_rnn_bptt(bptt_with(mistake), quiet=True)
    assert not result.ok
    for text in says:
        assert text in result.message, result.message


@pytest.mark.parametrize("term_list, says", [
    (None, "'U' is None; it must be a list of 5 items"),
    (3.0, "'U' is the number 3.0"),
    ("iterator", "'U' is an iterator"),
    ("unfilled", "copy t=1's term is None: the loop never filled"),
])
def test_check_rnn_bptt_names_a_term_list_of_the_wrong_kind(term_list, says):
    def rnn_bptt(params, xs, ys):
        terms = bptt_with()(params, xs, ys)
        terms["U"] = {"iterator": iter(terms["U"]),
                      "unfilled": terms["U"][1:] and [None] + terms["U"][1:]}.get(
            term_list, term_list) if isinstance(term_list, str) else term_list
        return terms
    message = ex.check_rnn_bptt(rnn_bptt, quiet=True).message
    assert says in message, message


def test_check_rnn_bptt_reports_the_shape_of_the_answer():
    def missing_w(params, xs, ys):
        terms = bptt_with()(params, xs, ys)
        del terms["W"]
        return terms

    def totals_only(params, xs, ys):
        return {k: np.sum(v, axis=0) for k, v in bptt_with()(params, xs, ys).items()}

    assert "the result has no 'W'" in ex.check_rnn_bptt(missing_w, quiet=True).message
    message = ex.check_rnn_bptt(totals_only, quiet=True).message
    assert "'U' is one array of shape (4, 2): the total dL/dU?" in message
    assert "list of the T=5 copies' terms" in message
    assert "returned a list" in ex.check_rnn_bptt(lambda p, x, y: [], quiet=True).message


def test_check_rnn_bptt_names_reversed_terms_and_a_transposed_square_term():
    def reversed_terms(params, xs, ys):
        return {k: v[::-1] for k, v in bptt_with()(params, xs, ys).items()}

    def w_transposed(params, xs, ys):                # W is square: the shape can't tell
        terms = bptt_with()(params, xs, ys)
        terms["W"] = [term.T for term in terms["W"]]
        return terms

    message = ex.check_rnn_bptt(reversed_terms, quiet=True).message
    assert "in reverse time order" in message and "index t-1" in message
    message = ex.check_rnn_bptt(w_transposed, quiet=True).message
    assert "dL/dW: copy t=5's term is wrong" in message
    assert "Likely cause: the transpose" in message and "np.outer(delta, s_prev)" in message


def test_check_central_difference_catches_the_usual_slips():
    def one_sided(f, x, eps):
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            xp = x.copy()
            xp[i] += eps
            g[i] = (f(xp) - f(x)) / eps
        return g

    def over_eps(f, x, eps):
        return 2 * S2.central_difference(f, x, eps)

    def no_restore(f, x, eps):
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            x[i] += eps
            up = f(x)
            x[i] -= 2 * eps
            g[i] = (up - f(x)) / (2 * eps)
        return g

    assert "one-sided difference" in ex.check_central_difference(one_sided, quiet=True).message
    assert "divide by 2ε, not ε" in ex.check_central_difference(over_eps, quiet=True).message
    assert "x was changed" in ex.check_central_difference(no_restore, quiet=True).message


def zero_terms_with(mistake):
    def zero_terms(T, scored, k2):
        terms = S2.zero_terms(T, scored, k2)
        if mistake == "s_0 forgotten":
            terms["W"] = terms["W"] - {1}
        if mistake == "W's first always zero":
            terms["W"] = terms["W"] | {1, T - k2 + 1}
        if mistake == "V zero after the last score":
            terms["V"] = terms["V"] - {T}
        if mistake == "window ignored":
            terms["U"] = {t for t in terms["U"] if t > T - k2}
        if mistake == "0-based":
            terms = {p: {t - 1 for t in v} for p, v in terms.items()}
        if mistake == "floats":
            terms["V"] = [float(t) for t in terms["V"]]
        if mistake == "ragged":
            terms["V"] = [[1, 2], [3]]
        return terms
    return zero_terms


@pytest.mark.parametrize("mistake, says", [
    ("s_0 forgotten", ["W's term at t=1 is zero", "s_0 = 0"]),
    ("W's first always zero", ["W's term at t=6 is not zero", "s_5, which is not zero"]),
    ("V zero after the last score", ["V's term at t=6 is zero", "not scored"]),
    ("window ignored", ["U's term at t=1 is zero", "before the window", "no term at all"]),
    ("0-based", ["t=0", "numbered from 1"]),
    ("floats", ["holds the number 1.0", "integers from 1 to T"]),
    ("ragged", ["holds a list of 2 items", "integers from 1 to T"]),
])
def test_check_zero_terms_says_why_a_term_is_or_is_not_zero(mistake, says):
    message = ex.check_zero_terms(zero_terms_with(mistake), quiet=True).message
    for text in says:
        assert text in message, message


def test_zero_terms_reference_is_the_library_per_copy_terms():
    """The checker's answer comes from rnn.tbptt's graph: s_0 = 0 zeroes W's first term,
    an unscored step has no V term, nothing after the last scored step moves U or W."""
    zero = ex._zero_terms_reference(6, [False, False, True, False, True, False], 6)
    assert zero == {"U": {6}, "W": {1, 6}, "V": {1, 2, 4, 6}}
    zero = ex._zero_terms_reference(8, [True] * 8, 3)
    assert zero == {"U": {1, 2, 3, 4, 5}, "W": {1, 2, 3, 4, 5}, "V": set()}


# ---------------------------------------------------------------- notebook 3

def test_check_scale_to_radius_names_the_wrong_norm_and_survives_inf():
    message = ex.check_scale_to_radius(lambda W, rho: W * rho / np.linalg.norm(W, 2),
                                       quiet=True).message
    assert "largest singular value" in message and "spectral radius" in message
    message = ex.check_scale_to_radius(lambda W, rho: W * rho / np.linalg.norm(W),
                                       quiet=True).message
    assert "Frobenius norm" in message
    message = ex.check_scale_to_radius(lambda W, rho: W * np.inf, quiet=True).message
    assert "contains inf" in message


def test_check_jacobian_product_names_order_and_missing_derivative():
    def right_order(W, states, t):
        J = np.eye(W.shape[0])
        for k in range(t + 1, len(states) + 1):
            J = J @ np.diag(1 - states[k - 1] ** 2) @ W
        return J

    def no_derivative(W, states, t):
        return np.linalg.matrix_power(W, len(states) - t)

    def shifted(W, states, t):
        return S3.jacobian_product(W, states, max(t - 1, 1)) if t < len(states) else \
            np.eye(W.shape[0])

    assert "wrong order" in ex.check_jacobian_product(right_order, quiet=True).message
    assert "derivative diag(1 - s_k²) is missing" in ex.check_jacobian_product(
        no_derivative, quiet=True).message
    assert "off by one" in ex.check_jacobian_product(shifted, quiet=True).message


def lstm_with(mistake):
    def lstm_step_backward(params, x, h_prev, c_prev, dh, dc):
        return ex._lstm_by_hand(params, x, h_prev, c_prev, dh, dc, mistake)
    return lstm_step_backward


@pytest.mark.parametrize("mistake, says", [
    ("no_dh_into_c", "dL/dc_prev is wrong"),
    ("no_tanh_prime_c", "lacks tanh's derivative"),
    ("sigmoid_prime", "σ(z)(1 - σ(z))"),
    ("gate_order", "i, f, g, o"),
    ("no_forget_in_dc", "the forget gate multiplies"),
])
def test_check_lstm_step_backward_names_the_mistake(mistake, says):
    assert ex.check_lstm_step_backward(lstm_with(None), quiet=True).ok   # the planted helper
    message = ex.check_lstm_step_backward(lstm_with(mistake), quiet=True).message
    assert says in message, message


# ---------------------------------------------------------------- notebook 4

def test_check_tbptt_schedule_names_the_update():
    def window_k1(T, k1, k2):
        return [((s + 1, min(s + k1, T)), (max(0, min(s + k1, T) - k1) + 1, min(s + k1, T)))
                for s in range(0, T, k1)]

    def drops_last(T, k1, k2):
        return [((s + 1, s + k1), (max(0, s + k1 - k2) + 1, s + k1))
                for s in range(0, T - k1 + 1, k1)]

    def zero_based(T, k1, k2):
        return [((b0 - 1, b1 - 1), (w0 - 1, w1 - 1))
                for (b0, b1), (w0, w1) in S4.tbptt_schedule(T, k1, k2)]

    def window_too_long(T, k1, k2):
        return [(b, (max(1, w0 - 1), w1)) for b, (w0, w1) in S4.tbptt_schedule(T, k1, k2)]

    message = ex.check_tbptt_schedule(window_k1, quiet=True).message
    assert "T=12, k1=4, k2=6: update 2's window is (5, 8), expected (3, 8)" in message
    assert "length is k2, not k1" in message
    message = ex.check_tbptt_schedule(drops_last, quiet=True).message
    assert "T=10, k1=4, k2=2: 2 updates, expected 3" in message and "shorter block" in message
    message = ex.check_tbptt_schedule(zero_based, quiet=True).message
    assert "update 1's block is (0, 3), expected (1, 4)" in message and "Off by one" in message
    message = ex.check_tbptt_schedule(window_too_long, quiet=True).message
    assert "update 2's window is (4, 8), expected (5, 8)" in message and "Off by one" in message
    message = ex.check_tbptt_schedule(lambda T, k1, k2: [((1.5, 4), (1, 4))], quiet=True).message
    assert "holds the number 1.5; steps are whole numbers" in message
    message = ex.check_tbptt_schedule(lambda T, k1, k2: [((1, 4), np.nan)], quiet=True).message
    assert "window is the number nan" in message
    message = ex.check_tbptt_schedule(lambda T, k1, k2: [((1, 4), (1, 2, 4))], quiet=True).message
    assert "window has 3 items; expected 2. A range is (first, last)" in message


def test_check_softmax_temperature_names_the_slip():
    def ignores_tau(z, tau):
        e = np.exp(z - z.max())
        return e / e.sum()

    def unstable(z, tau):
        e = np.exp(z / tau)
        return e / e.sum()

    assert "temperature is ignored" in ex.check_softmax_temperature(ignores_tau,
                                                                    quiet=True).message
    assert "overflows" in ex.check_softmax_temperature(unstable, quiet=True).message
    assert "multiplied" in ex.check_softmax_temperature(lambda z, tau: ignores_tau(z * tau, 1),
                                                        quiet=True).message


@pytest.mark.parametrize("wrong, says", [
    (lambda g, m: {k: v * min(1, m / np.linalg.norm(v)) for k, v in g.items()},
     "clipped by its own norm"),
    (lambda g, m: {k: v * m / np.sqrt(sum(np.sum(u ** 2) for u in g.values()))
                   for k, v in g.items()}, "scaled up"),
    (lambda g, m: {k: np.clip(v, -m, m) for k, v in g.items()}, "clipping by value"),
    (lambda g, m: {k: v * min(1, m / sum(np.sum(u ** 2) for u in g.values()))
                   for k, v in g.items()}, "squared norm"),
])
def test_check_clip_by_norm_names_the_mistake(wrong, says):
    message = ex.check_clip_by_norm(wrong, quiet=True).message
    assert says in message, message


def test_check_clip_by_norm_takes_pytorchs_epsilon_and_refuses_in_place():
    def like_pytorch(grads, max_norm):
        norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
        return {k: g * min(1.0, max_norm / (norm + 1e-6)) for k, g in grads.items()}

    def in_place(grads, max_norm):
        clipped = S4.clip_by_norm(grads, max_norm)
        for k in grads:
            grads[k] *= 1.0 if np.array_equal(clipped[k], grads[k]) else 0.5
        return clipped

    assert ex.check_clip_by_norm(like_pytorch, quiet=True).ok
    assert "changed in place" in ex.check_clip_by_norm(in_place, quiet=True).message


def test_the_torch_checker_imports_torch_only_when_it_runs():
    code = ("import sys, rnn.exercises; "
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr


def test_the_torch_checker_skips_with_a_reason_without_torch(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)        # `import torch` raises ImportError
    result = ex.check_torch_tbptt(S4.torch_tbptt)
    assert result.skipped and not result.ok
    assert "PyTorch is not installed" in result.message and "pip install torch" in result.message
    assert capsys.readouterr().out.startswith("– ")


def torch_tbptt_with(mistake):
    def torch_tbptt(cell, linear, xs, ys, k, lr):
        import torch
        optimizer = torch.optim.SGD([*cell.parameters(), *linear.parameters()], lr=lr)
        h = torch.zeros(1, cell.hidden_size, dtype=xs.dtype)
        losses = []
        for start in range(0, len(xs), k):
            if mistake == "reset":
                h = torch.zeros(1, cell.hidden_size, dtype=xs.dtype)
            states, h = cell(xs[start:start + k], h)
            errors = (linear(states) - ys[start:start + k]) ** 2
            loss = errors.mean() if mistake == "mean" else errors.sum()
            if mistake != "accumulate":
                optimizer.zero_grad()
            loss.backward()
            if mistake != "no step":
                optimizer.step()
            if mistake != "no detach":
                h = h.detach()
            losses.append(loss.item())
        return losses
    return torch_tbptt


@pytest.mark.parametrize("mistake, says", [
    ("no detach", ["backward through the graph a second time", "h = h.detach()"]),
    ("reset", ["starts from a zero state"]),
    ("accumulate", ["never zeroed", "zero_grad()"]),
    ("no step", ["optimizer.step()"]),
    ("mean", ["update 1's loss is", "the loss is a mean"]),
])
def test_check_torch_tbptt_names_the_mistake(torch, mistake, says):
    assert ex.check_torch_tbptt(torch_tbptt_with(None), quiet=True).ok
    message = ex.check_torch_tbptt(torch_tbptt_with(mistake), quiet=True).message
    for text in says:
        assert text in message, message


def test_torch_bridge_reference_is_rnn_tbptt_on_from_torch(torch):
    """The checker's reference losses are rnn.tbptt's on the model from_torch builds, and
    they are what PyTorch computes for the same chunks (the solution reproduces them)."""
    cell, linear, xs, ys = ex._torch_problem(torch)
    losses, weights = ex._minigrad_tbptt(cell, linear, xs, ys, 4, 0.05)
    assert len(losses) == 3 and losses[1] != losses[0]
    import copy
    trained_cell, trained_linear = copy.deepcopy(cell), copy.deepcopy(linear)
    got = S4.torch_tbptt(trained_cell, trained_linear, torch.tensor(xs), torch.tensor(ys), 4, 0.05)
    np.testing.assert_allclose(got, losses, rtol=1e-12)
    np.testing.assert_allclose(trained_cell.weight_hh_l0.detach().numpy(), weights["W"],
                               rtol=1e-12)
