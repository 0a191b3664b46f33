"""rnn.exercises: each checker passes the shipped solution, and for a deliberately
wrong answer says which step, parameter or entry is wrong and why."""
import importlib.util
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


def test_the_shipped_solutions_pass_their_checkers():
    s1, s2 = load("01_unrolling"), load("02_bptt_by_hand")
    s3, s4 = load("03_vanishing_exploding"), load("04_truncation_and_text")
    for check, fn in ((ex.check_rnn_forward, s1.rnn_forward),
                      (ex.check_sequence_loss, s1.sequence_loss),
                      (ex.check_rnn_bptt, s2.rnn_bptt),
                      (ex.check_central_difference, s2.central_difference),
                      (ex.check_scale_to_radius, s3.scale_to_radius),
                      (ex.check_jacobian_product, s3.jacobian_product),
                      (ex.check_tbptt_schedule, s4.tbptt_schedule),
                      (ex.check_softmax_temperature, s4.softmax_temperature)):
        result = check(fn, quiet=True)
        assert result.ok, (check.__name__, result.message)


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
            carried = W @ delta_next if mistake == "W not transposed" else W.T @ delta_next
            if mistake == "no carry":
                carried = 0
            ds = V.T @ dz + carried
            delta = ds if mistake == "no tanh derivative" else ds * (1 - s[t] ** 2)
            terms["V"][t - 1] = np.outer(dz, s[t])
            terms["U"][t - 1] = (np.outer(xs[t - 1], delta) if mistake == "outer transposed"
                                 else np.outer(delta, xs[t - 1]))
            terms["W"][t - 1] = np.outer(delta, s[t] if mistake == "W uses s_t" else s[t - 1])
            delta_next = delta
        if mistake == "wrong step":                 # a slip at one step only
            terms["W"][1] = terms["W"][1] * 1.5
        return terms
    return rnn_bptt


@pytest.mark.parametrize("mistake, says", [
    ("no carry", ["dL/dU: copy t=4's term is wrong (the terms for t=5..5 agree)",
                  "error carried back from step t+1 is missing"]),
    ("W not transposed", ["copy t=4", "must be Wᵀ δ_(t+1)"]),
    ("no tanh derivative", ["dL/dU: copy t=5's term is wrong", "tanh's derivative is missing"]),
    ("outer transposed", ["dL/dU: copy t=5's term has shape (2, 4), but U has shape (4, 2)",
                          "It is the transpose"]),
    ("W uses s_t", ["dL/dW: copy t=5's term is wrong", "δ_t s_(t-1)ᵀ"]),
    ("wrong step", ["dL/dW: copy t=2's term is wrong (the terms for t=3..5 agree)",
                    "Step T is right but an earlier step is not"]),
])
def test_check_rnn_bptt_names_the_parameter_step_and_cause(mistake, says):
    result = ex.check_rnn_bptt(bptt_with(mistake), quiet=True)
    assert not result.ok
    for text in says:
        assert text in result.message, result.message


def test_check_rnn_bptt_reports_shape_of_the_answer_and_exceptions():
    def missing_w(params, xs, ys):
        terms = bptt_with()(params, xs, ys)
        del terms["W"]
        return terms

    def totals_only(params, xs, ys):
        return {k: np.sum(v, axis=0) for k, v in bptt_with()(params, xs, ys).items()}

    def stub(params, xs, ys):
        raise NotImplementedError

    def crashes(params, xs, ys):
        return params["Q"]

    assert "the result has no 'W'" in ex.check_rnn_bptt(missing_w, quiet=True).message
    message = ex.check_rnn_bptt(totals_only, quiet=True).message
    assert "'U' is one array of shape (4, 2): the total dL/dU?" in message
    assert "list of the T=5 copies' terms" in message
    assert "not written yet" in ex.check_rnn_bptt(stub, quiet=True).message
    message = ex.check_rnn_bptt(crashes, quiet=True).message
    assert "raised KeyError: 'Q'" in message and "params[\"Q\"]" in message
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


def test_check_prints_its_verdict_unless_quiet(capsys):
    ex.check_rnn_bptt(bptt_with(), quiet=False)
    assert capsys.readouterr().out.startswith("✔ every copy's term")
    result = ex.check_rnn_bptt(bptt_with("no carry"), quiet=True)
    assert capsys.readouterr().out == ""
    assert "✘" in result._repr_html_() and not bool(result)


def forward_with(mistake):
    def rnn_forward(params, xs):
        U, W, V = params["U"], params["W"], params["V"]
        s, states, outputs = np.zeros(W.shape[0]), [], []
        for x in xs:
            a = U @ x + (W.T if mistake == "W transposed" else W) @ s
            s_new = a if mistake == "no tanh" else np.tanh(a)
            outputs.append(V @ (s if mistake == "output of previous" else s_new))
            s = s_new
            states.append(s)
        if mistake == "includes s0":
            states = [np.zeros(W.shape[0])] + states
        return states, outputs
    return rnn_forward


@pytest.mark.parametrize("mistake, says", [
    ("no tanh", "s_1 is wrong (s_1..s_0 agree)"),
    ("W transposed", "s_2 is wrong (s_1..s_1 agree)"),
    ("output of previous", "o_1 = V s_1 is wrong"),
    ("includes s0", "returned 6 states for T=5 steps"),
])
def test_check_rnn_forward_names_the_first_wrong_step(mistake, says):
    message = ex.check_rnn_forward(forward_with(mistake), quiet=True).message
    assert says in message, message
    if mistake == "no tanh":
        assert "apply tanh" in message
    if mistake == "W transposed":
        assert "Wᵀ s_(t-1)" in message


@pytest.mark.parametrize("fn, says", [
    (lambda o, y: np.mean((o - y) ** 2), "the mean over the elements"),
    (lambda o, y: np.sum((o - y) ** 2) / len(o), "the mean over the steps t"),
    (lambda o, y: np.sum(np.linalg.norm(o - y, axis=1)), "without the square"),
])
def test_check_sequence_loss_says_what_was_computed(fn, says):
    assert says in ex.check_sequence_loss(fn, quiet=True).message


def test_check_central_difference_catches_the_usual_slips():
    def forward(f, x, eps):
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            xp = x.copy()
            xp[i] += eps
            g[i] = (f(xp) - f(x)) / eps
        return g

    def over_eps(f, x, eps):
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            xp, xm = x.copy(), x.copy()
            xp[i] += eps
            xm[i] -= eps
            g[i] = (f(xp) - f(xm)) / eps
        return g

    def no_restore(f, x, eps):
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            x[i] += eps
            up = f(x)
            x[i] -= 2 * eps
            g[i] = (up - f(x)) / (2 * eps)
        return g

    assert "one-sided difference" in ex.check_central_difference(forward, quiet=True).message
    assert "divide by 2ε, not ε" in ex.check_central_difference(over_eps, quiet=True).message
    assert "x was changed" in ex.check_central_difference(no_restore, quiet=True).message


def test_check_scale_to_radius_names_the_wrong_norm():
    message = ex.check_scale_to_radius(lambda W, rho: W * rho / np.linalg.norm(W, 2),
                                       quiet=True).message
    assert "largest singular value" in message and "spectral radius" in message
    message = ex.check_scale_to_radius(lambda W, rho: W * rho / np.linalg.norm(W),
                                       quiet=True).message
    assert "Frobenius norm" in message


def test_check_jacobian_product_names_order_and_missing_derivative():
    def right_order(W, states, t):
        J = np.eye(W.shape[0])
        for k in range(t + 1, len(states) + 1):
            J = J @ np.diag(1 - states[k - 1] ** 2) @ W
        return J

    def no_derivative(W, states, t):
        return np.linalg.matrix_power(W, len(states) - t)

    assert "wrong order" in ex.check_jacobian_product(right_order, quiet=True).message
    assert "derivative diag(1 - s_k²) is missing" in ex.check_jacobian_product(
        no_derivative, quiet=True).message


def test_check_tbptt_schedule_names_the_update():
    def window_k1(T, k1, k2):
        return [((s + 1, min(s + k1, T)), (max(0, min(s + k1, T) - k1) + 1, min(s + k1, T)))
                for s in range(0, T, k1)]

    def drops_last(T, k1, k2):
        return [((s + 1, s + k1), (max(0, s + k1 - k2) + 1, s + k1))
                for s in range(0, T - k1 + 1, k1)]

    message = ex.check_tbptt_schedule(window_k1, quiet=True).message
    assert "T=12, k1=4, k2=6: update 2's window is (5, 8), expected (3, 8)" in message
    assert "length is k2, not k1" in message
    message = ex.check_tbptt_schedule(drops_last, quiet=True).message
    assert "T=10, k1=4, k2=2: 2 updates, expected 3" in message and "shorter block" in message


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
