"""The same gradient four ways: autograd, the manual recursion, RTRL, finite differences."""

import numpy as np
import pytest

import minigrad as mg
import rnn
from conftest import assert_close


def data(T=6, B=3, D=2, O=2, loss="mse", seed=0):
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(T, B, D) if B else (T, D))
    if loss == "mse":
        ys = rng.normal(size=(T, B, O) if B else (T, O))
    else:
        ys = rng.integers(0, O, (T, B) if B else T)
    return xs, ys


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "identity"])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_vanilla_rnn_four_ways(activation, loss, reduction):
    model = rnn.RNN(2, 4, 3, activation=activation, rng=1)
    xs, ys = data(O=3, loss=loss)
    report = rnn.compare_gradients(model, xs, ys, loss=loss, reduction=reduction)
    assert list(report.errors) == ["manual", "rtrl", "numeric"]
    assert report.ok(tol=1e-10), str(report)


@pytest.mark.parametrize("cell", [rnn.LSTM, rnn.GRU])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("batch", [3, None])
def test_gated_cells_three_ways(cell, loss, batch):
    model = cell(2, 3, 3, rng=2)
    xs, ys = data(B=batch, O=3, loss=loss, seed=3)
    report = rnn.compare_gradients(model, xs, ys, loss=loss, reduction="mean")
    assert list(report.errors) == ["manual", "numeric"]
    assert report.ok(tol=1e-10), str(report)


@pytest.mark.parametrize("cell", [rnn.RNN, rnn.LSTM, rnn.GRU])
def test_output_activation_no_bias_mask_and_initial_state(cell):
    model = cell(2, 3, 2, bias=False, output_activation="tanh", rng=4)
    xs, ys = data(T=5, seed=5)
    mask = np.array([True, False, True, False, True])
    s0 = model.zero_state((3,))
    s0 = tuple(mg.tensor(np.full(p.shape, 0.3)) for p in s0) if isinstance(s0, tuple) else \
        mg.tensor(np.full(s0.shape, 0.3))
    report = rnn.compare_gradients(model, xs, ys, s0=s0, mask=mask, reduction="mean")
    assert report.ok(tol=1e-10), str(report)


@pytest.mark.parametrize("cell", [rnn.RNN, rnn.LSTM, rnn.GRU])
def test_the_mean_over_one_kept_step_is_that_steps_cost(cell):
    """reduction="mean" divides by the number of kept steps, 1 here, not by T."""
    model = cell(2, 3, 2, rng=6)
    xs, ys = data(T=5, O=2, seed=6)
    last = np.arange(5) == 4
    report = rnn.compare_gradients(model, xs, ys, mask=last, reduction="mean")
    assert report.ok(tol=1e-10), str(report)
    mean = rnn.manual.backward(model, xs, ys, mask=last, reduction="mean")
    total = rnn.manual.backward(model, xs, ys, mask=last, reduction="sum")
    assert mean.loss == total.loss == rnn.bptt(model, xs, ys, mask=last).loss
    for name in total.grads:
        np.testing.assert_array_equal(mean.grads[name], total.grads[name])


def test_per_copy_terms_agree_and_sum_to_the_gradient():
    model = rnn.RNN(2, 4, 2, rng=0)
    xs, ys = data(T=7)
    auto = rnn.bptt(model, xs, ys, contributions=True)
    by_hand = rnn.manual.backward(model, xs, ys)
    for name in ["U", "W", "V", "b", "c"]:
        terms = auto.contributions[name]
        assert list(terms) == [f"t={t}" for t in range(1, 8)]
        for t in range(1, 8):
            assert_close(terms[f"t={t}"], by_hand.per_step[name][t - 1], rtol=1e-13,
                         what=f"{name}, copy t={t}")
        assert_close(sum(terms.values()), auto.grads[name], rtol=1e-13, what=f"sum of {name}")
    first, last = auto.contributions["W"]["t=1"], auto.contributions["W"]["t=7"]
    assert np.max(np.abs(first - last)) > 1e-3 * np.max(np.abs(last))    # distinct terms


def test_the_report_flags_a_disagreement():
    model = rnn.RNN(2, 3, 2, rng=0)
    xs, ys = data()
    report = rnn.compare_gradients(model, xs, ys, methods=["manual"])
    report.errors["manual"]["W"] = rnn.compare.Agreement(1e-3, 1e-3)
    assert not report.ok() and "METHODS DISAGREE" in str(report)


def test_the_report_prints_one_row_per_parameter():
    text = str(rnn.compare_gradients(rnn.RNN(2, 3, 2, rng=0), *data()))
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("param"))
    assert "manual (abs / rel)" in header and "rtrl" in header and "numeric" in header
    assert [line.split()[0] for line in lines if line[:2] in ("U ", "W ", "b ", "V ", "c ")] \
        == ["U", "W", "b", "V", "c"]
    assert lines[-1].startswith("all methods agree")


def test_compare_rejects_what_it_cannot_do():
    with pytest.raises(ValueError, match="rtrl is implemented for the vanilla RNN only, not "
                       "LSTM"):
        rnn.compare_gradients(rnn.LSTM(2, 3, 2, rng=0), *data(), methods=["rtrl"])
    with pytest.raises(ValueError, match="unknown method 'adjoint'"):
        rnn.compare_gradients(rnn.RNN(2, 3, 2, rng=0), *data(), methods=["adjoint"])
    with pytest.raises(TypeError, match="needs a float64 model"):
        rnn.compare_gradients(rnn.RNN(2, 3, 2, rng=0, dtype=np.float32), *data())


def test_bptt_matches_a_pytorch_cell_loop(torch):
    model = rnn.RNN(3, 5, 2, rng=0)
    xs, ys = data(T=9, D=3)
    result = rnn.bptt(model, xs, ys, reduction="mean")
    P = {n: torch.tensor(p.data, requires_grad=True) for n, p in model.named_parameters()}
    s = torch.zeros(3, 5, dtype=torch.float64)
    total = 0
    for t in range(9):
        s = torch.tanh(torch.tensor(xs[t]) @ P["U"].T + s @ P["W"].T + P["b"])
        o = s @ P["V"].T + P["c"]
        total = total + ((o - torch.tensor(ys[t])) ** 2).sum()
    (total / 9).backward()
    assert_close(result.loss, (total / 9).item(), what="loss")
    for name, p in P.items():
        assert_close(result.grads[name], p.grad.numpy(), what=name)


def test_rtrl_carries_the_notes_total_derivatives():
    """ds_T/dW from RTRL equals the Jacobian of s_T by finite differences."""
    rng = np.random.default_rng(0)
    params = {"U": rng.normal(size=(3, 2)), "W": rng.normal(size=(3, 3)) * 0.6,
              "V": np.eye(3), "b": rng.normal(size=3)}
    xs = rng.normal(size=(4, 2))
    # E = ||s_T - y||² with y = s_T + e_0 / 2 makes dE/ds_T = -e_0: the row 0 of ds_T/dθ
    s = np.zeros(3)
    for x in xs:
        s = np.tanh(params["U"] @ x + params["W"] @ s + params["b"])
    ys = np.zeros((4, 3))
    ys[-1] = s + np.array([0.5, 0, 0])
    mask = np.array([False, False, False, True])
    forward = rnn.rtrl.rtrl(params, xs, ys, mask=mask).grads["W"]

    def s_T(W):
        s = np.zeros(3)
        for x in xs:
            s = np.tanh(params["U"] @ x + W @ s + params["b"])
        return s[0]

    jac = np.zeros((3, 3))
    for j, k in np.ndindex(3, 3):
        e = np.zeros((3, 3))
        e[j, k] = 1e-6
        jac[j, k] = (s_T(params["W"] + e) - s_T(params["W"] - e)) / 2e-6
    np.testing.assert_allclose(-forward, jac, rtol=1e-7, atol=1e-10)
