"""viz.draw_influence: the drawn influence matrices are the rules' own M_t.

The data behind the figure (``fig.influence``) is checked against the rules'
carried arrays run independently, and the drawn pattern (the image's unmasked
cells) against SnAp's definition: P_1 = the identity (block-diagonal), P_n from
W's non-zeros.
"""

import numpy as np
import pytest

import rnn
import viz
from rnn.manual import model_arrays
from rnn.online import RTRL, SnAp, online_gradient
from rnn.online.snap import reach
from figure_checks import assert_drawn, read_png

pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")


def _xs(T, D=2, seed=0):
    return np.random.default_rng(seed).normal(size=(T, D))


def _carried(model, xs, rule):
    """Run ``rule`` by hand (weights fixed) and return its carried M_T as (H, H, K)."""
    from rnn.online.base import one_step
    params = model_arrays(model)
    rule.start(params, 1, np.random.default_rng(0))
    s = np.zeros((1, model.hidden_size))
    for x in xs:
        _, s, _ = one_step(rule, params, s, x[None], np.zeros((1, model.output_size)), 1.0,
                           "mse", model.activation, model.output_activation)
    if isinstance(rule, SnAp) and rule.n == 1:
        return np.einsum("ij,jk->ijk", np.eye(model.hidden_size), rule.J[0])
    return rule.M[0]


def test_the_drawn_snap1_pattern_is_block_diagonal_and_the_values_are_the_rules():
    model = rnn.RNN(2, 4, 1, rng=1)
    xs = _xs(7)
    fig = viz.draw_influence(model, xs, "snap-1", steps=[1, 3, 7])
    frames = fig.influence
    H, K = 4, 4 + 2 + 1
    assert frames.steps == [1, 3, 7] and (frames.H, frames.K) == (H, K)
    block = np.kron(np.eye(H), np.ones((1, K))).astype(bool)      # unit i keeps Θ_i· only
    for c, t in enumerate(frames.steps):
        M_snap, M_rtrl = frames["snap-1"][c], frames["rtrl"][c]
        np.testing.assert_array_equal(frames.kept["snap-1"][c], block)
        assert (M_snap[~block] == 0).all()
        if t >= 2:                                  # s_0 = 0: M_1 has no W columns yet
            assert (M_snap[block] != 0).all()
        assert (M_rtrl != 0).mean() > 0.9 if t >= 3 else True                # dense by t = 3
        np.testing.assert_array_equal(M_snap, _carried(model, xs[:t], SnAp(1)).reshape(H, -1))
        np.testing.assert_array_equal(M_rtrl, _carried(model, xs[:t], RTRL()).reshape(H, -1))
    # at t = 1 nothing has been carried yet: M_1 = M̄_1 for both rules
    np.testing.assert_array_equal(frames["snap-1"][0], frames["rtrl"][0])
    # the image: snap-1's drawn (unmasked) cells are exactly the kept non-zero entries
    snap_axes = fig.axes[len(frames.steps):2 * len(frames.steps)]
    for c, ax in enumerate(snap_axes):
        kept_layer, drawn = (image.get_array() for image in ax.get_images())
        np.testing.assert_array_equal(~np.ma.getmaskarray(kept_layer), block)   # grey: kept
        assert ax.get_title().startswith(f"snap-1, t = {frames.steps[c]}")
        shown = block & (frames["snap-1"][c] != 0)
        np.testing.assert_array_equal(~np.ma.getmaskarray(drawn), shown)
        np.testing.assert_allclose(drawn.data[shown],
                                   np.log10(np.abs(frames["snap-1"][c][shown])))


def test_snap_n_draws_the_reach_pattern_of_a_sparse_W():
    model = rnn.RNN(1, 4, 1, rng=2)
    W = model.W.data.copy()
    W[np.triu_indices(4, 1)] = 0.0                     # unit i is fed by units j <= i only
    np.fill_diagonal(W, 0.5)
    model.W.data = W
    frames = viz.influence_over_time(model, _xs(6, D=1), "snap-2", steps=[6])
    P = reach(W, 2)
    assert not P.all()                                  # a real pattern, not all ones
    kept = frames.kept["snap-2"][0].reshape(4, 4, -1)
    np.testing.assert_array_equal(kept, np.repeat(P[:, :, None], kept.shape[2], axis=2))
    M = frames["snap-2"][0].reshape(4, 4, -1)
    assert (M[~kept] == 0).all()
    np.testing.assert_array_equal(M, _carried(model, _xs(6, D=1), SnAp(2)))


def test_the_snap1_figure_matches_the_gradient_the_rule_reports():
    """Σ_t c_t M_t over the drawn M_t's is snap-1's reported gradient (one step: t = 1..T)."""
    model = rnn.RNN(2, 3, 1, rng=0)
    xs, ys = _xs(5), np.random.default_rng(1).normal(size=(5, 1))
    frames = viz.influence_over_time(model, xs, "snap-1", steps=range(1, 6), compare=None)
    assert list(frames) == ["snap-1"]
    params = model_arrays(model)
    run = model.unroll(xs)
    s = np.stack([st.data.reshape(-1) for st in run.states])[-5:]
    o = s @ params["V"].T + params["c"]
    credit = 2 * (o - ys) @ params["V"]                 # ∂E_t/∂s_t for E = ||o - y||²
    total = sum(credit[t] @ frames["snap-1"][t].reshape(3, 3, -1) .reshape(3, -1)
                for t in range(5)).reshape(3, -1)
    grads = online_gradient(model, xs, ys, "snap-1").grads
    np.testing.assert_allclose(total[:, :3], grads["W"], rtol=1e-10, atol=1e-12)


def test_errors_say_what_to_do(tmp_path):
    model = rnn.RNN(1, 3, 1, rng=0)
    with pytest.raises(ValueError, match="carries no influence matrix.*snap-<n>"):
        viz.draw_influence(model, np.ones((4, 1)), "uoro")
    with pytest.raises(ValueError, match=r"steps must lie in 1\.\.4"):
        viz.draw_influence(model, np.ones((4, 1)), steps=[5])
    with pytest.raises(TypeError, match="expected an rnn.RNN"):
        viz.draw_influence(rnn.GRU(1, 3, 1, rng=0), np.ones((4, 1)))
    path = viz.draw_influence(model, np.ones((4, 1)), path=tmp_path / "m.png")
    assert path is not None
    assert_drawn(read_png(tmp_path / "m.png"), min_size=(150, 300), min_ink=0.05)


def test_a_missing_matplotlib_names_the_extra(monkeypatch):
    import builtins
    real = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[plot\]"'):
        viz.draw_influence(rnn.RNN(1, 3, 1, rng=0), np.ones((4, 1)))
