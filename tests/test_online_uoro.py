"""UORO is unbiased: the mean of its estimates converges to the exact gradient at the
1/√n rate.  Fixed seeds (0..N-1), so the test is deterministic.

With n independent unbiased estimates of spread σ (σ² = E‖ĝ - g‖²), the mean's
squared error has expectation σ²/n exactly.  So over disjoint blocks of n
seeds, the root-mean-square error of the block means, times √n / σ, is about
1 for every n, and the log-log slope of that error against n is -1/2.  A
biased estimator flattens out at its bias; the last test shows the check
catching a bias of 0.2 σ.
"""

import numpy as np
import pytest

import rnn
from rnn.online import online_gradient
from sign_patterns import mean_over_every_sign_pattern

N = 1024
BLOCKS = (4, 16, 64, 256, 1024)


@pytest.fixture(scope="module")
def draws():
    model = rnn.RNN(2, 3, 1, rng=0)
    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    exact = rnn.bptt(model, xs, ys).grads
    keys = ("W", "U", "b")
    g = np.concatenate([exact[k].ravel() for k in keys])
    estimates = np.array([np.concatenate([run[k].ravel() for k in keys]) for run in
                          (online_gradient(model, xs, ys, "uoro", rng=seed).grads
                           for seed in range(N))])
    return estimates, g


def rms_error_of_block_means(estimates, g, n):
    means = estimates[: len(estimates) // n * n].reshape(-1, n, estimates.shape[1]).mean(axis=1)
    return np.sqrt(((means - g) ** 2).sum(axis=1).mean())


def unbiasedness(estimates, g):
    sigma = np.sqrt(((estimates - g) ** 2).sum(axis=1).mean())
    errors = np.array([rms_error_of_block_means(estimates, g, n) for n in BLOCKS])
    scaled = errors * np.sqrt(BLOCKS) / sigma                  # ≈ 1 if unbiased
    slope = np.polyfit(np.log(BLOCKS), np.log(errors), 1)[0]   # ≈ -1/2 if unbiased
    return sigma, errors, scaled, slope


def test_uoro_mean_converges_at_the_one_over_root_n_rate(draws):
    estimates, g = draws
    sigma, errors, scaled, slope = unbiasedness(estimates, g)
    assert sigma > 0.5 * np.linalg.norm(g)                     # the single estimates are noisy
    assert np.all((scaled > 0.4) & (scaled < 2.5)), scaled     # err(n) ≈ σ/√n for every n
    assert -0.6 < slope < -0.4, slope
    assert errors[-1] / np.linalg.norm(g) < 0.15               # the mean of 1024 is close


def test_the_check_catches_a_small_bias(draws):
    estimates, g = draws
    sigma = np.sqrt(((estimates - g) ** 2).sum(axis=1).mean())
    offset = np.ones_like(g) / np.sqrt(g.size) * 0.2 * sigma  # a bias of 0.2 σ
    _, _, scaled, slope = unbiasedness(estimates + offset, g)
    assert scaled[-1] > 2.5 or slope > -0.4, (scaled, slope)


def test_uoro_averaged_over_every_sign_pattern_is_the_exact_gradient():
    """The expectation itself, not a sample of it: with H = 2 and T = 3 there are
    (2^2)^3 = 64 equally likely sign sequences; their average estimate must be
    BPTT's gradient to rounding."""
    from rnn.online import UORO
    from rnn.online.base import run_rule
    from rnn.manual import model_arrays

    model = rnn.RNN(2, 2, 1, rng=3)
    rng = np.random.default_rng(3)
    xs, ys = rng.normal(size=(3, 1, 2)), rng.normal(size=(3, 1, 1))
    exact = rnn.bptt(model, xs, ys).grads

    def run(signs):
        return run_rule(UORO(), model_arrays(model), xs, ys, np.zeros((1, 2)),
                        np.array([0.0, 1.0, 1.0, 1.0]), "mse", "tanh", None, signs)[1]

    mean, runs = mean_over_every_sign_pattern(run, signs_per_draw=2, draws=3)
    assert runs == 64
    for k in ("W", "U", "b"):
        assert np.linalg.norm(mean[k] - exact[k]) <= 1e-12 * np.linalg.norm(exact[k]), k


@pytest.mark.parametrize("cell, H", [("LSTM", 1), ("GRU", 2), ("RNN", 2)])
def test_uoro_by_the_engine_averaged_over_every_sign_pattern_is_exact(cell, H):
    """UORO for any cell (one jvp and one vjp per step): the same exact expectation.
    An LSTM draws signs for h_t and c_t; the ρ's then depend on them, yet the average
    over all 64 patterns is still BPTT's gradient."""
    from rnn.bptt import check_sequence
    from rnn.online.uoro import uoro_any_cell

    model = getattr(rnn, cell)(2, H, 1, rng=4)
    rng = np.random.default_rng(4)
    xs, ys = rng.normal(size=(3, 2)), rng.normal(size=(3, 1))
    exact = rnn.bptt(model, xs, ys).grads
    parts = 2 if cell == "LSTM" else 1

    def run(signs):
        checked = check_sequence(model, xs, ys, None, "mse", "sum", None, False, "test")
        return uoro_any_cell(model, checked[0], checked[1], "mse", "sum", checked[2], None,
                             signs)[1]

    mean, runs = mean_over_every_sign_pattern(run, signs_per_draw=H, draws=3 * parts)
    assert runs == 64
    for k in exact:
        assert np.linalg.norm(mean[k] - exact[k]) <= 1e-12 * np.linalg.norm(exact[k]), k


def test_uoro_by_the_engine_equals_the_closed_form_on_the_same_draws():
    model = rnn.RNN(2, 3, 2, rng=0)
    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    closed = online_gradient(model, xs, ys, "uoro", rng=5).grads
    engine = online_gradient(model, xs, ys, "uoro", rng=5, engine=True).grads
    for k in closed:
        assert np.linalg.norm(engine[k] - closed[k]) <= 1e-12 * np.linalg.norm(closed[k]), k
