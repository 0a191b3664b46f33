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
    return {n: np.zeros_like(p.data) if p.grad is None else p.grad.copy()
            for n, p in model.named_parameters()}


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


def detached(state):
    return tuple(p.detach() for p in state) if isinstance(state, tuple) else state.detach()


def literal_tbptt_with_options(model, xs, ys, k1, k2, lr, loss, reduction, mask, s0):
    """TBPTT(k1, k2) written out for any cell, batch, loss, reduction, mask and s0.

    Blocks end at k1, 2 k1, ... and T; the window is steps max(0, end - k2) + 1 .. end;
    a block whose steps are all masked out makes no update and runs on without a graph."""
    T = len(xs)
    S = {0: s0}                                   # the most recent value of s_t
    opt = mg.optim.SGD(model.parameters(), lr=lr)
    updates = []
    ends = list(range(k1, T + 1, k1)) + ([T] if T % k1 else [])
    for start, end in zip([0] + ends[:-1], ends):
        kept = [t for t in range(start + 1, end + 1) if mask[t - 1]]
        if not kept:
            with mg.no_grad():
                for t in range(start + 1, end + 1):
                    S[t] = model.step(mg.tensor(xs[t - 1]), S[t - 1])
            continue
        w = max(0, end - k2)
        with mg.no_grad():                        # steps of the block before the window
            for t in range(start + 1, w + 1):
                S[t] = model.step(mg.tensor(xs[t - 1]), S[t - 1])
        s, outputs = detached(S[w]), {}           # the cut
        for t in range(w + 1, end + 1):
            s = model.step(mg.tensor(xs[t - 1]), s)
            S[t] = detached(s)
            outputs[t] = model.output(s)
        costs = []
        for t in kept:
            o = outputs[t] if t > w else model.output(S[t])
            costs.append(((o - ys[t - 1]) ** 2).sum() if loss == "mse" else
                         mg.cross_entropy(o, ys[t - 1], reduction="sum"))
        L = costs[0]
        for E in costs[1:]:
            L = L + E
        if reduction == "mean":
            L = L / len(kept)
        model.zero_grad()
        L.backward()
        updates.append(((start + 1, end), (w + 1, end), L.item(), grads_of(model)))
        opt.step()
    return updates, S[T]


@pytest.mark.parametrize("cell", [rnn.RNN, rnn.LSTM, rnn.GRU])
@pytest.mark.parametrize("k1, k2", [(3, 3), (2, 5), (4, 2), (3, 20), (1, 4), (10, 10), (6, 1)])
def test_tbptt_with_every_option_matches_the_literal_loop(cell, k1, k2):
    """A batch, class targets, the mean, a mask that empties whole blocks, and an s0."""
    T, B, C = 10, 2, 3
    rng = np.random.default_rng(7)
    xs, ys = rng.normal(size=(T, B, 2)), rng.integers(0, C, (T, B))
    mask = np.array([1, 1, 1, 0, 0, 0, 1, 0, 1, 1], bool)
    s0 = np.full((B, 4), 0.2)
    s0 = (s0, -s0) if cell is rnn.LSTM else s0
    model, twin = cell(2, 4, C, rng=3), cell(2, 4, C, rng=3)
    result = rnn.tbptt(model, xs, ys, k1, k2, mg.optim.SGD(model.parameters(), lr=0.1),
                       loss="cross_entropy", reduction="mean", mask=mask, s0=s0,
                       keep_grads=True)
    twin_s0 = tuple(map(mg.tensor, s0)) if cell is rnn.LSTM else mg.tensor(s0)
    expected, final = literal_tbptt_with_options(twin, xs, ys, k1, k2, 0.1, "cross_entropy",
                                                 "mean", mask, twin_s0)
    assert [(u.block, u.window) for u in result.updates] == [e[:2] for e in expected]
    for k, (u, e) in enumerate(zip(result.updates, expected)):
        assert u.loss == pytest.approx(e[2], rel=1e-13, abs=0), f"update {k}, L"
    assert_same_updates(result.updates, [e[3] for e in expected])
    for a, b in zip(model.parameters(), twin.parameters()):
        assert_close(a.data, b.data, rtol=1e-13, what="weights after training")
    for a, b in zip(*(s if isinstance(s, tuple) else (s,) for s in (result.final_state, final))):
        assert_close(a.data, b.data, rtol=1e-13, what="s_T")


def test_tbptt_blocks_and_windows_for_a_sequence_that_k1_does_not_divide():
    """T = 11, k1 = 4, k2 = 6: blocks 1-4, 5-8, 9-11; windows reach 6 steps back."""
    model, xs, ys = setup(T=11)
    result = rnn.tbptt(model, xs, ys, 4, 6, None)
    assert [u.block for u in result.updates] == [(1, 4), (5, 8), (9, 11)]
    assert [u.window for u in result.updates] == [(1, 4), (3, 8), (6, 11)]


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


@pytest.mark.parametrize("s0", [None, np.full(4, 0.5)])
def test_sliding_window_follows_the_encyclopedia_pseudocode(s0):
    model, xs, ys = setup(T=9, cell=rnn.GRU)
    twin = rnn.GRU(2, 4, 1, rng=0)
    k = 4
    result = rnn.sliding_window_bptt(model, xs, ys, k, mg.optim.SGD(model.parameters(), lr=0.1),
                                     s0=s0, keep_grads=True)
    opt = mg.optim.SGD(twin.parameters(), lr=0.1)
    x = twin.zero_state() if s0 is None else mg.tensor(s0)   # x := the zero-magnitude vector
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
    with mg.no_grad():                                   # the context runs on to s_T
        for a in xs[9 - k + 1:]:
            x = twin.step(mg.tensor(a), x)
    assert_close(result.final_state.data, x.data, rtol=1e-13, what="s_T")


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
