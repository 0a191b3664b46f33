"""RTRL as forward mode: ``rnn.rtrl.rtrl_jvp`` carries ds_t/dθ forward with the
engine's jvps.  It must give BPTT's gradient (reverse mode over the same
unrolled graph) for every cell, and the hand-written vanilla RTRL's, to
1e-12 norm-relative with no absolute slack."""

import numpy as np
import pytest

import rnn
from rnn.rtrl import rtrl_jvp

CELLS = {"RNN": rnn.RNN, "LSTM": rnn.LSTM, "GRU": rnn.GRU}


def rel_error(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def assert_same(forward, backward, tol=1e-12):
    assert sorted(forward) == sorted(backward)
    for name in backward:
        assert np.linalg.norm(backward[name]) > 0, name
        assert rel_error(forward[name], backward[name]) <= tol, (name, rel_error(
            forward[name], backward[name]))


def problem(seed, T=6, B=None, D=2, O=2, loss="mse"):
    rng = np.random.default_rng(seed)
    batch = () if B is None else (B,)
    xs = rng.normal(size=(T,) + batch + (D,))
    ys = (rng.integers(0, O, (T,) + batch) if loss == "cross_entropy"
          else rng.normal(size=(T,) + batch + (O,)))
    return xs, ys


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("case", ["plain", "batch+mean", "cross_entropy+mask", "s0"])
def test_rtrl_by_jvp_equals_bptt(cell, case):
    model = CELLS[cell](2, 3, 2, rng=1)
    kwargs = {}
    if case == "plain":
        xs, ys = problem(0)
    elif case == "batch+mean":
        xs, ys = problem(1, B=2)
        kwargs = {"reduction": "mean"}
    elif case == "cross_entropy+mask":
        xs, ys = problem(2, B=2, loss="cross_entropy")
        kwargs = {"loss": "cross_entropy", "mask": np.array([1, 0, 1, 1, 0, 1], bool)}
    else:
        xs, ys = problem(3)
        rng = np.random.default_rng(4)
        kwargs = {"s0": (rng.normal(size=3), rng.normal(size=3)) if cell == "LSTM"
                  else rng.normal(size=3)}
    forward = rtrl_jvp(model, xs, ys, **kwargs)
    backward = rnn.bptt(model, xs, ys, **kwargs)
    assert forward.loss == pytest.approx(backward.loss, rel=1e-14)
    assert_same(forward.grads, backward.grads)


def test_rtrl_by_jvp_equals_the_hand_written_vanilla_rtrl():
    model = rnn.RNN(3, 4, 2, rng=5)
    xs, ys = problem(6, T=8, B=3, D=3)
    by_jvp = rtrl_jvp(model, xs, ys).grads
    by_hand = rnn.rtrl.forward_gradients(model, xs, ys).grads
    assert_same(by_jvp, by_hand)


def test_the_carried_sensitivity_matters():
    """Late losses depend on early weights' uses: a sequence whose last step alone
    counts still gets W's full gradient, which only the carried S_t holds."""
    model = rnn.GRU(2, 3, 1, rng=7)
    xs, ys = problem(8, T=7, O=1)
    mask = np.array([0] * 6 + [1], bool)
    forward = rtrl_jvp(model, xs, ys, mask=mask).grads
    backward = rnn.bptt(model, xs, ys, mask=mask).grads
    assert_same(forward, backward)
    one_step = rnn.bptt(model, xs[-1:], ys[-1:],
                        s0=model.run(model.check_inputs(xs[:-1]),
                                     model.check_state(None)).final_state.detach()).grads
    assert rel_error(one_step["W"], backward["W"]) > 1e-3   # the past's share is real
