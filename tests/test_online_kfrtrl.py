"""KF-RTRL (Mujika, Meier and Steger 2018): the expectation of its estimate is the exact
gradient, and its estimates scatter less than UORO's."""

import numpy as np
import pytest

import rnn
from rnn.manual import model_arrays
from rnn.online import KFRTRL, make_rule, online_gradient
from rnn.online.base import run_rule
from sign_patterns import ScriptedSigns, mean_over_every_sign_pattern

KEYS = ("W", "U", "b")


@pytest.mark.parametrize("B, T", [(1, 3), (2, 2)])
def test_kf_rtrl_averaged_over_every_sign_pattern_is_the_exact_gradient(B, T):
    """The expectation itself: each step draws two signs per sequence, so there are
    4^(B·T) equally likely patterns, and their mean estimate is BPTT's gradient."""
    model = rnn.RNN(2, 2, 1, rng=3)
    rng = np.random.default_rng(3)
    xs, ys = rng.normal(size=(T, B, 2)), rng.normal(size=(T, B, 1))
    exact = rnn.bptt(model, xs, ys).grads

    def run(signs):
        return run_rule(KFRTRL(), model_arrays(model), xs, ys, np.zeros((B, 2)),
                        np.ones(T + 1), "mse", "tanh", None, signs)[1]

    mean, runs = mean_over_every_sign_pattern(run, signs_per_draw=2 * B, draws=T)
    assert runs == 4 ** (B * T)
    for k in KEYS:
        assert np.linalg.norm(mean[k] - exact[k]) <= 1e-12 * np.linalg.norm(exact[k]), k


def test_kf_rtrl_scatters_less_than_uoro_and_its_mean_converges():
    model = rnn.RNN(2, 6, 1, rng=0)
    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    exact = rnn.bptt(model, xs, ys).grads
    g = np.concatenate([exact[k].ravel() for k in KEYS])
    n = 512
    spread = {}
    for rule in ("uoro", "kf-rtrl"):
        draws = np.array([np.concatenate([run[k].ravel() for k in KEYS]) for run in
                          (online_gradient(model, xs, ys, rule, rng=seed).grads
                           for seed in range(n))])
        sigma = np.sqrt(((draws - g) ** 2).sum(axis=1).mean())
        spread[rule] = sigma / np.linalg.norm(g)
        # unbiased: the mean of n draws is within a few σ/√n of the exact gradient
        assert np.linalg.norm(draws.mean(axis=0) - g) < 4 * sigma / np.sqrt(n), rule
    assert spread["kf-rtrl"] < 0.6 * spread["uoro"], spread


def test_kf_rtrl_by_name_and_its_readout_gradients_are_exact():
    assert isinstance(make_rule("kf-rtrl"), KFRTRL)
    model = rnn.RNN(3, 4, 2, rng=1)
    rng = np.random.default_rng(1)
    xs, ys = rng.normal(size=(5, 2, 3)), rng.normal(size=(5, 2, 2))
    exact = rnn.bptt(model, xs, ys).grads
    estimate = online_gradient(model, xs, ys, "kf-rtrl", rng=0).grads
    for k in ("V", "c"):                                             # read out: no influence
        np.testing.assert_allclose(estimate[k], exact[k], rtol=1e-12)
    assert estimate["W"].shape == (4, 4)
    assert np.linalg.norm(estimate["W"] - exact["W"]) > 1e-3 * np.linalg.norm(exact["W"])


@pytest.mark.parametrize("seed", range(4))
def test_kf_rtrl_is_exact_after_one_step_whatever_the_signs(seed):
    """At t = 1 nothing is carried (M_0 = 0), so A_1 ⊗ u_1 = σ1² diag(g'(a_1)) ⊗ z_1 = M̄_1
    exactly: one draw's W, U and b equal BPTT's, for any signs (ρ1 cancels too)."""
    model = rnn.RNN(3, 4, 2, rng=seed)
    rng = np.random.default_rng(seed)
    xs, ys = rng.normal(size=(1, 3, 3)), rng.normal(size=(1, 3, 2))
    exact = rnn.bptt(model, xs, ys).grads
    estimate = online_gradient(model, xs, ys, "kf-rtrl", rng=seed).grads
    for k in ("W", "U", "b", "V", "c"):
        assert np.max(np.abs(estimate[k] - exact[k])) <= 1e-12 * np.max(np.abs(exact[k])), k


def test_kf_rtrl_at_two_steps_is_the_exact_gradient_plus_signed_cross_terms():
    """At t = 2, A_2 ⊗ u_2 = D_2 M_1 + M̄_2 + σ0σ1 X: the two sign products give
    exact ± (the same) X, so their estimates average to BPTT's and differ from it."""
    model = rnn.RNN(2, 2, 1, rng=5)
    rng = np.random.default_rng(5)
    xs, ys = rng.normal(size=(2, 1, 2)), rng.normal(size=(2, 1, 1))
    exact = rnn.bptt(model, xs, ys).grads

    def run(step2_signs):
        signs = ScriptedSigns([(1.0, 1.0), step2_signs])
        return run_rule(KFRTRL(), model_arrays(model), xs, ys, np.zeros((1, 2)),
                        np.ones(3), "mse", "tanh", None, signs)[1]

    same, opposite = run((1.0, 1.0)), run((1.0, -1.0))
    np.testing.assert_allclose(run((-1.0, -1.0))["W"], same["W"], rtol=1e-12)  # σ0σ1 only
    for k in KEYS:
        np.testing.assert_allclose((same[k] + opposite[k]) / 2, exact[k], rtol=1e-10,
                                   atol=1e-14)
        assert np.linalg.norm(same[k] - exact[k]) > 1e-6 * np.linalg.norm(exact[k]), k
