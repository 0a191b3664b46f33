"""rnn.online: every rule under one interface, each with its exactness or bias check.

Exact by construction (to 1e-12 norm-relative, no absolute slack): RTRL;
SnAp-n for n >= 2 on a dense W (the 2-step pattern is everything); SnAp-1
on a diagonal W (no unit feeds another); TBPTT(k) with k >= T; RFLO with
symmetric feedback on a diagonal W whose entries make D_t = (1 - α) I.
Biased by construction (and the tests say so): SnAp-1, RFLO and TBPTT(k < T)
on a dense W.
"""

import numpy as np
import pytest

import rnn
from rnn.online import RFLO, UORO, OnlineTBPTT, SnAp, compare_online, make_rule, online_gradient


def rel_error(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def setting(seed=0, T=9, B=2, H=4, activation="tanh"):
    model = rnn.RNN(3, H, 2, rng=seed, activation=activation)
    rng = np.random.default_rng(seed + 100)
    xs, ys = rng.normal(size=(T, B, 3)), rng.normal(size=(T, B, 2))
    return model, xs, ys


def assert_exact(estimate, exact, tol=1e-12):
    assert sorted(estimate) == sorted(exact)
    for name in exact:
        assert rel_error(estimate[name], exact[name]) <= tol, (name, rel_error(estimate[name],
                                                                               exact[name]))


@pytest.mark.parametrize("rule", ["rtrl", "snap-2", "snap-3", "tbptt-9", "tbptt-20"])
@pytest.mark.parametrize("case", ["sum", "mean+mask", "cross_entropy", "relu+s0", "unbatched"])
def test_exact_rules_equal_bptt(rule, case):
    model, xs, ys = setting(activation="relu" if case == "relu+s0" else "tanh")
    kwargs = {}
    if case == "mean+mask":
        kwargs = {"reduction": "mean", "mask": np.array([1, 1, 0, 1, 0, 1, 1, 1, 0], bool)}
    elif case == "cross_entropy":
        ys = np.random.default_rng(5).integers(0, 2, xs.shape[:2])
        kwargs = {"loss": "cross_entropy"}
    elif case == "relu+s0":
        kwargs = {"s0": np.random.default_rng(6).normal(size=(2, 4))}
    elif case == "unbatched":
        xs, ys = xs[:, 0], ys[:, 0]
    online = online_gradient(model, xs, ys, rule, **kwargs)
    exact = rnn.bptt(model, xs, ys, **kwargs)
    assert online.loss == pytest.approx(exact.loss, rel=1e-13)
    assert_exact(online.grads, exact.grads)


def test_snap_1_is_exact_when_no_unit_feeds_another():
    model, xs, ys = setting(seed=1)
    model.W.data = np.diag(np.diag(model.W.data) + 0.3)         # a new array, diagonal W
    assert_exact(online_gradient(model, xs, ys, "snap-1").grads, rnn.bptt(model, xs, ys).grads)


def test_rflo_with_symmetric_feedback_is_exact_when_D_is_the_leak():
    """identity activation and W = (1 - α) I make D_t = (1 - α) I: RFLO's own assumption."""
    alpha = 0.4
    model, xs, ys = setting(seed=2, activation="identity")
    model.W.data = (1 - alpha) * np.eye(4)
    online = online_gradient(model, xs, ys, RFLO(alpha=alpha, feedback="symmetric")).grads
    assert_exact(online, rnn.bptt(model, xs, ys).grads)


@pytest.mark.parametrize("rule", ["snap-1", "rflo-symmetric", "tbptt-3"])
def test_the_approximations_are_biased_on_a_dense_W_but_keep_the_readout_exact(rule):
    model, xs, ys = setting(seed=3)
    online = online_gradient(model, xs, ys, rule).grads
    exact = rnn.bptt(model, xs, ys).grads
    assert rel_error(online["W"], exact["W"]) > 1e-3
    assert rel_error(online["V"], exact["V"]) <= 1e-12
    assert rel_error(online["c"], exact["c"]) <= 1e-12


def test_snap_1_keeps_exactly_the_diagonal_of_the_influence_matrix():
    """SnAp-1's J_t is RTRL's M_t[j, j, :] when D_t's off-diagonal is dropped: check the
    recursion against a loop that masks the dense M_t with the identity pattern."""
    model, xs, ys = setting(seed=4)
    snap1 = online_gradient(model, xs, ys, SnAp(1)).grads
    masked = SnAp(2)
    masked_start = masked.start

    def start_with_identity_pattern(params, B, rng):
        masked_start(params, B, rng)
        masked.pattern = np.eye(4, dtype=bool)[None, :, :, None]
    masked.start = start_with_identity_pattern
    assert_exact(snap1, online_gradient(model, xs, ys, masked).grads)


def test_uoro_runs_are_reproducible_and_differ_by_seed():
    model, xs, ys = setting(seed=5)
    a = online_gradient(model, xs, ys, "uoro", rng=3).grads["W"]
    b = online_gradient(model, xs, ys, "uoro", rng=3).grads["W"]
    c = online_gradient(model, xs, ys, "uoro", rng=4).grads["W"]
    assert np.array_equal(a, b) and not np.allclose(a, c)


def test_the_interface():
    assert [make_rule(n).name for n in ["rtrl", "uoro", "kf-rtrl", "snap-1", "snap-4", "rflo",
                                        "rflo-symmetric", "tbptt-8"]] == \
        ["rtrl", "uoro", "kf-rtrl", "snap-1", "snap-4", "rflo", "rflo-symmetric", "tbptt-8"]
    assert make_rule("uoro").stochastic and make_rule("rflo").stochastic
    assert make_rule("kf-rtrl").stochastic
    assert not make_rule("snap-1").stochastic and make_rule("rtrl").exact
    for bad in ["snap", "snap-0", "tbptt-x", "kf", "kfrtrl", 3]:
        with pytest.raises(ValueError, match="unknown online rule"):
            make_rule(bad)
    with pytest.raises(ValueError, match="positive integer"):
        SnAp(0)
    with pytest.raises(ValueError, match="positive integer"):
        OnlineTBPTT(0)
    with pytest.raises(ValueError, match="alpha"):
        RFLO(alpha=0)
    for rule in ["snap-1", "rflo", "tbptt-2"]:
        with pytest.raises(TypeError, match="use 'rtrl' or 'uoro'"):
            online_gradient(rnn.LSTM(2, 3, 1), np.ones((3, 2)), np.ones((3, 1)), rule)
    with pytest.raises(TypeError, match="expected an rnn.RNN"):
        online_gradient("model", np.ones((3, 2)), np.ones((3, 1)), "uoro")


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_gated_cells_take_rtrl_and_uoro_from_the_engine(cell):
    model = getattr(rnn, cell)(3, 3, 2, rng=8)
    rng = np.random.default_rng(8)
    xs, ys = rng.normal(size=(5, 2, 3)), rng.integers(0, 2, (5, 2))
    kwargs = {"loss": "cross_entropy", "reduction": "mean"}
    exact = rnn.bptt(model, xs, ys, **kwargs).grads
    assert_exact(online_gradient(model, xs, ys, "rtrl", **kwargs).grads, exact)
    uoro = online_gradient(model, xs, ys, UORO(), rng=1, **kwargs).grads
    assert sorted(uoro) == sorted(exact)
    assert rel_error(uoro["V"], exact["V"]) <= 1e-12                   # the readout is exact
    assert rel_error(uoro["W"], exact["W"]) > 1e-3                     # one noisy draw
    report = compare_online(model, xs, ys, rules=["rtrl", "uoro"], seeds=range(3), **kwargs)
    assert report.ok() and report.stats("uoro").seeds == 3
    recurrent = [n for n in exact if n not in ("V", "c")]               # GRU: with b_hn
    g = np.concatenate([exact[n].ravel() for n in recurrent])
    mean = np.mean([np.concatenate([run[n].ravel() for n in recurrent])
                    for run in report.estimates["uoro"]], axis=0)
    assert report.stats("uoro", "all").bias == pytest.approx(
        np.linalg.norm(mean - g) / np.linalg.norm(g), rel=1e-12)


def test_compare_online_reports_alignment_bias_and_spread():
    model, xs, ys = setting(seed=6, T=10)
    report = compare_online(model, xs, ys, rules=["rtrl", "uoro", "snap-1", "tbptt-3"],
                            seeds=range(6))
    assert report.stats("rtrl").bias <= 1e-12 and report.stats("rtrl").alignment == \
        pytest.approx(1.0, abs=1e-12)
    uoro = report.stats("uoro", "W")
    assert uoro.seeds == 6 and uoro.spread > 0.1 and len(report.estimates["uoro"]) == 6
    mean = np.mean([g["W"] for g in report.estimates["uoro"]], axis=0)
    assert uoro.bias == pytest.approx(rel_error(mean, report.exact["W"]), rel=1e-12)
    snap = report.stats("snap-1")
    assert snap.seeds == 1 and snap.spread == 0 and 0 < snap.alignment < 1 and snap.bias > 1e-3
    assert report.stats("tbptt-3", "V").bias <= 1e-12
    text = str(report)
    assert "alignment" in text and "snap-1" in text and "<table>" in report._repr_html_()
    assert report.ok() and report.exact_rules == ("rtrl",)
    report.rows[0].bias = 1e-9                          # an exact rule that drifted
    assert not report.ok()
    with pytest.raises(KeyError, match="no row"):
        report.stats("rflo")
