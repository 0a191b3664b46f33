"""batch_first=True: (B, T, D) in, exactly the numbers of the time-major call on the
transposed arrays out (compared with ==), and errors that name the layout they assumed."""

import numpy as np
import pytest

import minigrad as mg
import rnn

CELLS = [rnn.RNN, rnn.LSTM, rnn.GRU]


def batch_first_data(B=3, T=5, D=2, O=3, loss="mse", seed=0):
    """xs (B, T, D) and ys (B, T, O) or (B, T), and the same arrays time-major."""
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(B, T, D))
    ys = rng.normal(size=(B, T, O)) if loss == "mse" else rng.integers(0, O, (B, T))
    return xs, ys, np.ascontiguousarray(xs.swapaxes(0, 1)), np.ascontiguousarray(ys.swapaxes(0, 1))


def state_data(state):
    return [p.data for p in state] if isinstance(state, tuple) else [state.data]


def assert_same_states(a, b):
    for x, y in zip(state_data(a), state_data(b), strict=True):
        np.testing.assert_array_equal(x, y)


def initial_state(cell, B=3, H=4, value=0.3):
    """An s0 as plain arrays: one (B, H) array, or the pair (h0, c0) for an LSTM."""
    s = np.full((B, H), value)
    return (s, -s) if cell is rnn.LSTM else s


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_bptt_batch_first_equals_time_major_on_the_transposed_data(cell, loss):
    model = cell(2, 4, 3, rng=1)
    xs, ys, xs_t, ys_t = batch_first_data(loss=loss)
    mask = np.array([True, False, True, True, False])
    s0 = initial_state(cell)
    first = rnn.bptt(model, xs, ys, loss=loss, reduction="mean", s0=s0, mask=mask,
                     contributions=True, batch_first=True)
    second = rnn.bptt(model, xs_t, ys_t, loss=loss, reduction="mean", s0=s0, mask=mask,
                      contributions=True)
    assert first.loss == second.loss
    assert list(first.grads) == list(second.grads)
    for name in first.grads:
        np.testing.assert_array_equal(first.grads[name], second.grads[name])
        assert list(first.contributions[name]) == list(second.contributions[name])
        for t, term in first.contributions[name].items():
            np.testing.assert_array_equal(term, second.contributions[name][t])
    for a, b in zip(first.run.outputs, second.run.outputs, strict=True):
        np.testing.assert_array_equal(a.data, b.data)
        assert a.node.scope == b.node.scope
    for a, b in zip(first.run.states, second.run.states, strict=True):
        assert_same_states(a, b)


@pytest.mark.parametrize("cell", CELLS)
def test_unroll_batch_first_reaches_the_inputs_gradient(cell):
    """A batch-first xs that needs a gradient gets it in its own layout, (B, T, D)."""
    model = cell(2, 4, 3, rng=0)
    xs, _, xs_t, _ = batch_first_data()
    inputs = mg.tensor(xs, requires_grad=True)
    inputs_t = mg.tensor(xs_t, requires_grad=True)
    run = model.unroll(inputs, batch_first=True)
    run_t = model.unroll(inputs_t)
    assert len(run.outputs) == 5 and run.outputs[0].shape == (3, 3)
    for a, b in zip(run.outputs, run_t.outputs, strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    mg.stack(run.outputs).sum().backward()
    mg.stack(run_t.outputs).sum().backward()
    assert inputs.grad.shape == (3, 5, 2)
    np.testing.assert_array_equal(inputs.grad, inputs_t.grad.swapaxes(0, 1))


def test_an_unbatched_sequence_reads_the_same_either_way():
    """(T, D) is one sequence whatever batch_first says, as in PyTorch."""
    model = rnn.GRU(2, 4, 1, rng=0)
    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    a = rnn.bptt(model, xs, ys, batch_first=True)
    b = rnn.bptt(model, xs, ys)
    assert a.loss == b.loss and len(a.run.outputs) == 6
    for name in a.grads:
        np.testing.assert_array_equal(a.grads[name], b.grads[name])


@pytest.mark.parametrize("cell", CELLS)
def test_tbptt_batch_first_makes_the_same_updates(cell):
    xs, ys, xs_t, ys_t = batch_first_data(T=10, O=1)
    results, models = [], []
    for data, batch_first in [((xs, ys), True), ((xs_t, ys_t), False)]:
        model = cell(2, 4, 1, rng=2)
        results.append(rnn.tbptt(model, *data, k1=3, k2=5,
                                 optimizer=mg.optim.SGD(model.parameters(), lr=0.1),
                                 reduction="mean", s0=initial_state(cell), keep_grads=True,
                                 batch_first=batch_first))
        models.append(model)
    first, second = results
    assert [(u.block, u.window, u.loss) for u in first.updates] == \
        [(u.block, u.window, u.loss) for u in second.updates]
    for u, v in zip(first.updates, second.updates):
        for name in u.grads:
            np.testing.assert_array_equal(u.grads[name], v.grads[name])
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert_same_states(first.final_state, second.final_state)


def test_sliding_window_batch_first_makes_the_same_updates():
    xs, ys, xs_t, ys_t = batch_first_data(T=7, O=1)
    results = []
    for data, batch_first in [((xs, ys), True), ((xs_t, ys_t), False)]:
        model = rnn.LSTM(2, 4, 1, rng=2)
        results.append(rnn.sliding_window_bptt(
            model, *data, k=4, optimizer=mg.optim.SGD(model.parameters(), lr=0.1),
            s0=initial_state(rnn.LSTM), keep_grads=True, batch_first=batch_first))
    first, second = results
    assert [u.loss for u in first.updates] == [u.loss for u in second.updates]
    for u, v in zip(first.updates, second.updates):
        for name in u.grads:
            np.testing.assert_array_equal(u.grads[name], v.grads[name])
    assert_same_states(first.final_state, second.final_state)


@pytest.mark.parametrize("cell", CELLS)
def test_compare_gradients_batch_first_gives_the_same_report(cell):
    model = cell(2, 3, 3, rng=4)
    xs, ys, xs_t, ys_t = batch_first_data(B=2, T=4, loss="cross_entropy")
    first = rnn.compare_gradients(model, xs, ys, loss="cross_entropy", s0=initial_state(cell, 2, 3),
                                  batch_first=True)
    second = rnn.compare_gradients(model, xs_t, ys_t, loss="cross_entropy",
                                   s0=initial_state(cell, 2, 3))
    assert first.ok() and second.ok()
    for name in first.reference:
        np.testing.assert_array_equal(first.reference[name], second.reference[name])
    assert first.errors == second.errors and first.step_errors == second.step_errors
    assert "xs 2x4x2 (batch first)" in first.title


@pytest.mark.parametrize("cell", CELLS)
def test_manual_and_rtrl_batch_first_equal_their_time_major_results(cell):
    model = cell(2, 3, 2, rng=5)
    xs, ys, xs_t, ys_t = batch_first_data(O=2)
    first = rnn.manual.backward(model, xs, ys, s0=initial_state(cell, 3, 3), batch_first=True)
    second = rnn.manual.backward(model, xs_t, ys_t, s0=initial_state(cell, 3, 3))
    assert first.loss == second.loss
    for name in first.grads:
        np.testing.assert_array_equal(first.grads[name], second.grads[name])
        for a, b in zip(first.per_step[name], second.per_step[name], strict=True):
            np.testing.assert_array_equal(a, b)
    if cell is rnn.RNN:
        a = rnn.rtrl.forward_gradients(model, xs, ys, batch_first=True)
        b = rnn.rtrl.forward_gradients(model, xs_t, ys_t)
        assert a.loss == b.loss
        for name in a.grads:
            np.testing.assert_array_equal(a.grads[name], b.grads[name])


def test_gradient_flow_and_sequence_loss_batch_first():
    model = rnn.RNN(2, 4, 3, rng=0)
    xs, ys, xs_t, ys_t = batch_first_data()
    a, b = rnn.gradient_flow(model, xs, ys, batch_first=True), rnn.gradient_flow(model, xs_t, ys_t)
    np.testing.assert_array_equal(a.state_grad_norms, b.state_grad_norms)
    np.testing.assert_array_equal(a.w_contribution_norms, b.w_contribution_norms)
    run = model.unroll(xs_t)
    assert rnn.sequence_loss(run.outputs, ys, batch_first=True).item() == \
        rnn.sequence_loss(run.outputs, ys_t).item()


@pytest.mark.parametrize("cell_name", ["RNN", "LSTM", "GRU"])
def test_batch_first_is_pytorchs_batch_first(torch, cell_name):
    """The same (B, T, D) batch through torch.nn.<cell>(batch_first=True) and rnn.bptt."""
    torch.manual_seed(0)
    cell = getattr(torch.nn, cell_name)(2, 4, batch_first=True).double()
    head = torch.nn.Linear(4, 3).double()
    model = rnn.from_torch(cell, head)
    xs, ys, _, _ = batch_first_data()
    hidden, _ = cell(torch.tensor(xs))
    out = head(hidden)                                         # (B, T, O)
    ((out - torch.tensor(ys)) ** 2).sum().backward()
    result = rnn.bptt(model, xs, ys, batch_first=True)
    ours = np.stack([o.data for o in result.run.outputs], axis=1)
    scale = np.max(np.abs(out.detach().numpy()))
    assert np.max(np.abs(ours - out.detach().numpy())) <= 1e-12 * scale
    dU, ref = result.grads["U"], cell.weight_ih_l0.grad.numpy()
    assert np.max(np.abs(dU - ref)) <= 1e-12 * np.max(np.abs(ref))


# ------------------------------------------------------ errors name the layout

def test_unroll_errors_name_the_layout():
    model = rnn.RNN(2, 4, 1, rng=0)
    with pytest.raises(mg.ShapeError, match=r"RNN.unroll: xs must have shape \(B, T, D\) or, "
                       r"for one unbatched sequence, \(T, D\) \(batch_first=True\), got shape "
                       r"\(2, 3, 4, 2\)"):
        model.unroll(np.ones((2, 3, 4, 2)), batch_first=True)
    with pytest.raises(ValueError, match=r"RNN.unroll: the sequence is empty \(T = 0\): xs has "
                       r"shape \(3, 0, 2\); with batch_first=True the time axis is axis 1 "
                       r"\(T=0\) and the batch axis is axis 0 \(B=3\); pass batch_first=False "
                       r"if your time axis comes first"):
        model.unroll(np.ones((3, 0, 2)), batch_first=True)
    with pytest.raises(ValueError, match=r"xs has shape \(0, 3, 2\); with batch_first=False the "
                       r"time axis is axis 0 \(T=0\).*pass batch_first=True if your batch comes "
                       r"first"):
        model.unroll(np.ones((0, 3, 2)))
    with pytest.raises(mg.ShapeError, match=r"RNN.unroll: the initial state s0 has shape \(3, 4\), "
                       r"expected \(7, 4\).*B is read from xs: xs has shape \(3, 7, 2\); with "
                       r"batch_first=False the time axis is axis 0 \(T=3\) and the batch axis "
                       r"is axis 1 \(B=7\); pass batch_first=True if your batch comes first"):
        model.unroll(np.ones((3, 7, 2)), s0=np.zeros((3, 4)))


def test_tbptt_and_sliding_window_errors_name_the_layout():
    model = rnn.RNN(2, 4, 1, rng=0)
    xs, ys = np.ones((3, 7, 2)), np.zeros((3, 7, 1))        # meant as B = 3, T = 7
    with pytest.raises(ValueError, match=r"rnn.tbptt: the sequence has T=3 steps, fewer than "
                       r"k1=5.*xs has shape \(3, 7, 2\); with batch_first=False the time axis "
                       r"is axis 0 \(T=3\).*pass batch_first=True if your batch comes first"):
        rnn.tbptt(model, xs, ys, 5, 5, None)
    assert len(rnn.tbptt(model, xs, ys, 5, 5, None, batch_first=True).updates) == 2
    with pytest.raises(ValueError, match=r"rnn.sliding_window_bptt: the sequence has T=3 steps, "
                       r"shorter than one window of k=4.*with batch_first=False the time axis "
                       r"is axis 0 \(T=3\)"):
        rnn.sliding_window_bptt(model, xs, ys, 4, None)
    with pytest.raises(ValueError, match=r"rnn.tbptt: mask must be a boolean array of shape "
                       r"\(7,\).*T is read from xs: xs has shape \(3, 7, 2\); with "
                       r"batch_first=True the time axis is axis 1 \(T=7\)"):
        rnn.tbptt(model, xs, ys, 2, 2, None, mask=np.ones(3, bool), batch_first=True)


def test_target_shape_errors_name_the_layout():
    model = rnn.RNN(2, 4, 1, rng=0)
    xs = np.ones((4, 6, 2))                                  # B = 4, T = 6
    with pytest.raises(mg.ShapeError, match=r"rnn.bptt: targets ys have shape \(6, 4, 1\), but "
                       r"mse needs one target per output: shape \(B, T, O\) = \(4, 6, 1\); xs has "
                       r"shape \(4, 6, 2\); with batch_first=True the time axis is axis 1 "
                       r"\(T=6\).*pass batch_first=False if your time axis comes first"):
        rnn.bptt(model, xs, np.zeros((6, 4, 1)), batch_first=True)
    with pytest.raises(mg.ShapeError, match=r"rnn.bptt: targets ys have shape \(6, 4\), but "
                       r"cross_entropy needs one class index per output row: shape \(T, B\) = "
                       r"\(4, 6\).*with batch_first=False the time axis is axis 0 \(T=4\)"):
        rnn.bptt(rnn.RNN(2, 4, 3, rng=0), xs, np.zeros((6, 4), int), loss="cross_entropy")
    run = model.unroll(xs, batch_first=True)
    with pytest.raises(mg.ShapeError, match=r"rnn.sequence_loss: targets ys have shape "
                       r"\(6, 4, 1\), but mse needs one target per output: shape \(B, T, O\) = "
                       r"\(4, 6, 1\); there are T=6 outputs; pass batch_first=False if your "
                       r"time axis comes first"):
        rnn.sequence_loss(run.outputs, np.zeros((6, 4, 1)), batch_first=True)


def test_manual_and_rtrl_errors_name_the_layout():
    params = {"U": np.ones((3, 2)), "W": np.eye(3), "V": np.ones((1, 3))}
    with pytest.raises(ValueError, match=r"rnn.manual.rnn_bptt: the sequence is empty \(T = 0\): "
                       r"xs has shape \(2, 0, 2\); with batch_first=True the time axis is axis 1"):
        rnn.manual.rnn_bptt(params, np.ones((2, 0, 2)), np.ones((2, 0, 1)), batch_first=True)
    with pytest.raises(mg.ShapeError, match=r"rnn.rtrl.rtrl: targets ys have shape \(5, 2, 1\), "
                       r"but mse needs one target per output: shape \(B, T, O\) = \(2, 5, 1\)"
                       r".*with batch_first=True the time axis is axis 1 \(T=5\)"):
        rnn.rtrl.rtrl(params, np.ones((2, 5, 2)), np.ones((5, 2, 1)), batch_first=True)
    with pytest.raises(mg.ShapeError, match=r"rnn.manual.backward: xs has shape \(4, 5\), but it "
                       r"must be \(T, B, D\) \(batch_first=False\), or \(T, D\) for one "
                       r"unbatched sequence, with D = 2 features"):
        rnn.manual.backward(rnn.GRU(2, 3, 1), np.ones((4, 5)), np.ones((4, 1)))
