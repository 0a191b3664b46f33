"""Truncated BPTT held against hand-written loops with explicit detach, case by case."""

import numpy as np
import pytest

import minigrad as mg
import rnn
from conftest import assert_close


def setup(T=10, seed=0, cell=rnn.RNN):
    rng = np.random.default_rng(seed)
    model = cell(2, 4, 1, rng=seed)
    return model, rng.normal(size=(T, 2)), rng.normal(size=(T, 1))


def grads_of(model):
    return {n: p.grad.copy() for n, p in model.named_parameters()}


def assert_same_updates(updates, expected_grads, expected_windows=None):
    assert len(updates) == len(expected_grads)
    for k, (u, g) in enumerate(zip(updates, expected_grads)):
        for name in g:
            assert_close(u.grads[name], g[name], rtol=1e-13, what=f"update {k}, d{name}")
    if expected_windows is not None:
        assert [u.window for u in updates] == expected_windows


def literal_tbptt(model, xs, ys, k1, k2, lr):
    """TBPTT(k1, k2) written out with a list of states and explicit detach()."""
    T = len(xs)
    S = {0: model.zero_state()}                  # the most recent value of s_t
    opt = mg.optim.SGD(model.parameters(), lr=lr)
    all_grads, windows = [], []
    for end in list(range(k1, T + 1, k1)) + ([T] if T % k1 else []):
        block_start = end - (k1 if end % k1 == 0 else T % k1)     # losses of steps > this
        w = max(0, end - k2)
        s = S[block_start]
        with mg.no_grad():                       # steps before the window, if any
            for t in range(block_start + 1, w + 1):
                s = S[t] = model.step(mg.tensor(xs[t - 1]), s)
        s = S[w].detach()                        # the cut
        outputs = {}
        for t in range(w + 1, end + 1):
            s = model.step(mg.tensor(xs[t - 1]), s)
            S[t] = s.detach()
            outputs[t] = model.output(s)
        L = 0
        for t in range(block_start + 1, end + 1):
            o = outputs[t] if t > w else model.output(S[t])
            L = L + ((o - ys[t - 1]) ** 2).sum()
        model.zero_grad()
        L.backward()
        all_grads.append(grads_of(model))
        windows.append((w + 1, end))
        opt.step()
    return all_grads, windows


@pytest.mark.parametrize("k1, k2", [(3, 3), (2, 5), (4, 2), (3, 20), (1, 4)])
def test_tbptt_matches_the_literal_loop(k1, k2):
    model, xs, ys = setup()
    twin = rnn.RNN(2, 4, 1, rng=0)
    result = rnn.tbptt(model, xs, ys, k1, k2, mg.optim.SGD(model.parameters(), lr=0.05),
                       keep_grads=True)
    expected, windows = literal_tbptt(twin, xs, ys, k1, k2, lr=0.05)
    assert_same_updates(result.updates, expected, windows)
    for a, b in zip(model.parameters(), twin.parameters()):
        assert_close(a.data, b.data, rtol=1e-13, what="weights after training")


def test_k1_equals_k2_equals_T_is_full_bptt():
    model, xs, ys = setup()
    full = rnn.bptt(model, xs, ys, reduction="mean")
    result = rnn.tbptt(model, xs, ys, k1=10, k2=10, optimizer=None, reduction="mean",
                       keep_grads=True)
    assert len(result.updates) == 1 and result.updates[0].window == (1, 10)
    assert result.losses[0] == pytest.approx(full.loss, rel=1e-14, abs=0)
    assert_same_updates(result.updates, [full.grads])


def test_k1_equals_k2_is_min_char_rnns_chunked_scheme():
    """Chunks of k steps; each starts from the last state of the previous chunk, detached."""
    model, xs, ys = setup(T=12, cell=rnn.LSTM)
    twin = rnn.LSTM(2, 4, 1, rng=0)
    result = rnn.tbptt(model, xs, ys, 4, 4, mg.optim.Adagrad(model.parameters(), lr=0.1),
                       keep_grads=True)
    opt = mg.optim.Adagrad(twin.parameters(), lr=0.1)
    hprev, expected = None, []
    for p in range(0, 12, 4):
        run = twin.unroll(xs[p:p + 4], s0=hprev)
        L = rnn.sequence_loss(run.outputs, ys[p:p + 4])
        twin.zero_grad()
        L.backward()
        expected.append(grads_of(twin))
        opt.step()
        hprev = tuple(s.detach() for s in run.final_state)    # carried, not back-propagated
    assert_same_updates(result.updates, expected, [(1, 4), (5, 8), (9, 12)])
    for a, b in zip(result.final_state, hprev):
        assert np.array_equal(a.data, b.data)


def test_sliding_window_follows_the_encyclopedia_pseudocode():
    model, xs, ys = setup(T=9, cell=rnn.GRU)
    twin = rnn.GRU(2, 4, 1, rng=0)
    k = 4
    result = rnn.sliding_window_bptt(model, xs, ys, k, mg.optim.SGD(model.parameters(), lr=0.1),
                                     keep_grads=True)
    opt = mg.optim.SGD(twin.parameters(), lr=0.1)
    x = twin.zero_state()                                # x := the zero-magnitude vector
    expected = []
    for t in range(0, 9 - k + 1):                        # for t from 0 to n - k
        s = x.detach()
        for a in xs[t:t + k]:                            # inputs x, a[t], ..., a[t+k-1]
            s = twin.step(mg.tensor(a), s)
        p = twin.output(s)                               # forward-propagate
        e = ((p - ys[t + k - 1]) ** 2).sum()             # error at the window's last output
        twin.zero_grad()
        e.backward()                                     # back-propagate, summed over copies
        expected.append(grads_of(twin))
        opt.step()                                       # update all the weights
        with mg.no_grad():
            x = twin.step(mg.tensor(xs[t]), x)           # x := f(x, a[t])
    assert_same_updates(result.updates, expected, [(t + 1, t + k) for t in range(6)])


def test_one_window_equals_the_manual_recursion_stopped_after_k2_steps():
    model, xs, ys = setup(T=9)
    for k2 in (1, 3, 9):
        result = rnn.tbptt(model, xs, ys, k1=9, k2=k2, optimizer=None, keep_grads=True)
        stopped = rnn.manual.backward(model, xs, ys, stop_after=k2)
        assert result.updates[0].window == (10 - k2, 9)
        assert_same_updates(result.updates, [stopped.grads])


def test_k2_shorter_than_k1_leaves_the_early_losses_to_the_output_layer():
    model, xs, ys = setup(T=6)
    short = rnn.tbptt(model, xs, ys, k1=6, k2=2, optimizer=None, keep_grads=True).updates[0]
    only_late = rnn.manual.backward(model, xs, ys, mask=np.arange(6) >= 4, stop_after=2)
    # U, W and b see only the window's two losses; V and c see all six
    for name in ["U", "W", "b"]:
        assert_close(short.grads[name], only_late.grads[name], rtol=1e-13, what=name)
    full = rnn.manual.backward(model, xs, ys, stop_after=2)
    assert_close(short.grads["V"], full.grads["V"], rtol=1e-13, what="V")


def test_masked_blocks_make_no_update_but_the_state_moves_on():
    model, xs, ys = setup(T=8)
    mask = np.zeros(8, bool)
    mask[-1] = True
    result = rnn.tbptt(model, xs, ys, 2, 2, optimizer=None, mask=mask)
    assert [u.block for u in result.updates] == [(7, 8)]
    whole = model.unroll(xs)
    assert_close(result.final_state.data, whole.final_state.data, what="s_T")


def test_truncation_arguments_are_checked():
    model, xs, ys = setup(T=5)
    with pytest.raises(ValueError, match="k1 must be an integer >= 1, got 0"):
        rnn.tbptt(model, xs, ys, 0, 2, None)
    with pytest.raises(ValueError, match="k2 must be an integer >= 1, got -1"):
        rnn.tbptt(model, xs, ys, 2, -1, None)
    with pytest.raises(ValueError, match="the sequence has T=5 steps, fewer than k1=8"):
        rnn.tbptt(model, xs, ys, 8, 8, None)
    with pytest.raises(ValueError, match="T=5 steps, shorter than one window of k=6"):
        rnn.sliding_window_bptt(model, xs, ys, 6, None)
    with pytest.raises(ValueError, match="k must be an integer >= 1, got 2.5"):
        rnn.sliding_window_bptt(model, xs, ys, 2.5, None)
