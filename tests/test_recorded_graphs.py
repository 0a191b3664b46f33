"""A recorded graph stays true: whatever changes arrays after the forward
pass, backward() differentiates the values that pass used, or raises.

The rule (minigrad/tensor.py, minigrad/graph.py): nothing writes into an
array that a recorded node needs.  ``t.data`` hands out a copy when a graph
holds the tensor's array, the optimizers and gradcheck assign new arrays,
and ndarrays, index arrays and class targets from the caller are copied.
"""

import numpy as np
import pytest

import minigrad as mg
import rnn
import viz


def gradients_of(loss, params):
    """Run backward on a kept graph from zero gradients; return copies of the .grad arrays."""
    for p in params:
        p.grad = None
    loss.backward()
    return [p.grad.copy() for p in params]


def small_problem(cell=rnn.RNN, T=6, seed=0):
    model = cell(2, 4, 1, rng=seed)
    rng = np.random.default_rng(seed)
    return model, rng.normal(size=(T, 3, 2)), rng.normal(size=(T, 3, 1))


# ------------------------------------------------ the user writes into .data

def test_writing_w_data_after_the_forward_pass_leaves_the_gradient_of_the_values_used():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    w.data[0] = 10.0
    loss.backward()
    assert w.grad.tolist() == [2.0, 4.0]              # d(w·w)/dw = 2w at the recorded w
    assert w.data.tolist() == [10.0, 2.0]             # ... and w did change
    assert (w * 1.0).data.tolist() == [10.0, 2.0]     # for every op from now on


def test_augmented_assignment_on_data_is_a_manual_sgd_step_that_keeps_the_graph():
    w = mg.tensor([1.0, -3.0], requires_grad=True)
    loss = (w * w * w).sum()                          # dL/dw = 3 w²
    loss.backward()
    w.data -= 0.1 * w.grad                            # the min-char-rnn update, by hand
    np.testing.assert_array_equal(w.data, [1.0 - 0.3, -3.0 - 2.7])
    w.grad = None
    loss.backward()
    assert w.grad.tolist() == [3.0, 27.0]             # still 3 w² at the recorded w


def test_an_array_taken_from_data_before_the_forward_pass_cannot_be_written_after_it():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    alias = w.data
    loss = (w * w).sum()
    with pytest.raises(ValueError, match="read-only"):
        alias[0] = 10.0                               # would change the recorded w: refused
    loss.backward()
    assert w.grad.tolist() == [2.0, 4.0]
    w.data[0] = 10.0                                  # a fresh .data is writable again
    assert w.data[0] == 10.0 and alias[0] == 1.0


def test_writing_an_intermediate_results_data_changes_later_ops_but_not_its_own_backward():
    x = mg.tensor([0.5, -1.0], requires_grad=True)
    h = x.tanh()
    loss = (h * 3.0).sum()                            # tanh saved its output for backward
    h.data[...] = 0.0
    loss.backward()
    np.testing.assert_array_equal(x.grad, 3.0 * (1 - np.tanh([0.5, -1.0]) ** 2))
    assert (h * 1.0).data.tolist() == [0.0, 0.0]


def test_writing_the_output_of_the_last_op_leaves_its_backward_alone():
    x = mg.tensor([0.0, 1.0], requires_grad=True)
    y = x.exp()                                       # exp saved its output: d e^x = e^x dx
    y.data[...] = -5.0
    y.backward(np.ones(2))
    np.testing.assert_array_equal(x.grad, np.exp([0.0, 1.0]))


def test_a_detached_copy_or_a_view_cannot_write_into_the_graph():
    x = mg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    h = x.tanh()
    loss = (h * h).sum()
    h.detach().data[0] = 7.0
    with mg.no_grad():
        h[1:].data[0] = 7.0
    h.T.detach().data[2] = 7.0
    loss.backward()
    t = np.tanh([0.5, -1.0, 2.0])
    np.testing.assert_array_equal(x.grad, 2 * t * (1 - t ** 2))
    np.testing.assert_array_equal(h.data, t)


def test_a_constant_tensor_changed_after_the_forward_pass_through_a_slice_of_it():
    xs = mg.tensor([[1.0, 2.0], [3.0, 4.0]])          # a constant: no gradient of its own
    w = mg.tensor([1.0, 1.0], requires_grad=True)
    loss = (xs[0] * w).sum()                          # the slice views xs's memory
    xs.data[0] = 100.0
    loss.backward()
    assert w.grad.tolist() == [1.0, 2.0]


def test_data_keeps_its_shape_and_dtype_kind():
    w = mg.tensor([1.0, 2.0], requires_grad=True, name="w")
    with pytest.raises(ValueError, match=r"shape \(3,\).*tensor 'w' has shape \(2,\)"):
        w.data = np.zeros(3)
    c = mg.tensor([1, 2])
    with pytest.raises(TypeError, match="cannot store float64 values"):
        c.data = np.array([0.5, 1.5])
    w.data = [3, 4]                                   # integers into floats: fine, copied
    assert w.data.dtype == np.float64 and w.data.tolist() == [3.0, 4.0]
    values = np.array([5.0, 6.0])
    w.data = values
    values[0] = -1.0                                  # w keeps its own copy
    assert w.data.tolist() == [5.0, 6.0]


# ------------------------------------------------- arrays from the caller

def test_an_ndarray_input_refilled_before_backward_changes_nothing():
    W = mg.tensor(np.eye(2) * 2.0, requires_grad=True)
    buffer = np.array([1.0, 3.0])                     # filled again each step
    loss = (W @ buffer).tanh().sum()
    expected = np.outer(1 - np.tanh(2.0 * np.array([1.0, 3.0])) ** 2, [1.0, 3.0])
    buffer[...] = [100.0, -100.0]
    loss.backward()
    np.testing.assert_array_equal(W.grad, expected)
    buffer[0] = 5.0                                   # the caller's buffer stays writable


def test_a_linear_layer_over_a_refilled_batch_buffer():
    layer = mg.nn.Linear(3, 2, rng=0)
    batch = np.arange(6.0).reshape(2, 3)
    loss = layer(batch).sum()
    batch[...] = 0.0
    loss.backward()
    np.testing.assert_array_equal(layer.weight.grad, np.tile([3.0, 5.0, 7.0], (2, 1)))


def test_an_index_array_refilled_before_backward_changes_nothing():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    index = np.array([0, 0, 1])
    loss = (x[index] * x[index]).sum()
    index[...] = 2
    loss.backward()
    assert x.grad.tolist() == [4.0, 4.0, 0.0]         # 2x at x0 twice, at x1 once


def test_a_tensor_index_and_a_tuple_of_index_arrays_are_kept_too():
    x = mg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    rows, cols = np.array([0, 1, 1]), mg.tensor([2, 0, 0])
    loss = x[rows, cols].sum()
    rows[...] = 0
    cols.data[...] = 1
    loss.backward()
    assert x.grad.tolist() == [[0.0, 0.0, 1.0], [2.0, 0.0, 0.0]]


def test_class_targets_refilled_before_backward_change_nothing():
    logits = mg.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]], requires_grad=True)
    targets = np.array([0, 1])
    loss = mg.cross_entropy(logits, targets, reduction="sum")
    targets[...] = 2
    loss.backward()
    p = np.exp(logits.data) / np.exp(logits.data).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad, p - np.eye(3)[[0, 1]], rtol=0, atol=1e-15)


def test_rnn_inputs_refilled_before_backward_change_nothing():
    model, xs, ys = small_problem()
    expected = rnn.bptt(model, xs, ys).grads
    result = rnn.bptt(model, xs, ys)
    xs[...] = 1.0
    ys[...] = -1.0
    got = gradients_of(result.loss_tensor, model.parameters())
    for (name, _), g in zip(model.named_parameters(), got):
        np.testing.assert_array_equal(g, expected[name], err_msg=name)



def read_only_views(buffer):
    """Read-only arrays whose memory is not an ndarray's own: each can still change
    through ``buffer``, which stays writable."""
    tricks = np.lib.stride_tricks
    raw = bytearray(buffer.tobytes())
    return {
        "sliding_window_view": (tricks.sliding_window_view(buffer, 2), None),
        "as_strided(writeable=False)": (tricks.as_strided(buffer, (len(buffer) - 1, 2),
                                                          buffer.strides * 2,
                                                          writeable=False), None),
        "frombuffer(read-only memoryview)": (np.frombuffer(memoryview(raw).toreadonly())
                                             [:2].reshape(1, 2), raw),
    }


@pytest.mark.parametrize("kind", ["sliding_window_view", "as_strided(writeable=False)",
                                  "frombuffer(read-only memoryview)"])
def test_a_read_only_view_of_someone_elses_memory_is_copied(kind):
    series = np.array([1.0, 2.0, 3.0])
    view, raw = read_only_views(series)[kind]
    W = mg.tensor([[1.0, 1.0]], requires_grad=True)
    loss = (view @ W.T).sum()
    expected = view.sum(axis=0, keepdims=True).copy()   # dL/dW = Σ rows
    series[:] = 100.0                                    # the owner writes
    if raw is not None:
        raw[:] = np.full(len(raw) // 8, 100.0).tobytes()
    assert view.max() == 100.0                           # the view did change ...
    loss.backward()
    np.testing.assert_array_equal(W.grad, expected)      # ... the recorded input did not


def test_unroll_over_a_refilled_sliding_window_buffer():
    model = rnn.RNN(2, 3, 1, rng=0)
    series = np.sin(np.arange(6.0))
    windows = np.lib.stride_tricks.sliding_window_view(series, 2)       # (5, 2), read-only
    expected = rnn.bptt(model, windows.copy(), np.zeros((5, 1))).grads
    run = model.unroll(windows)
    loss = rnn.sequence_loss(run.outputs, np.zeros((5, 1)))
    series[:] = 3.0                                      # the next batch, in the same buffer
    got = gradients_of(loss, model.parameters())
    for (name, _), g in zip(model.named_parameters(), got):
        np.testing.assert_array_equal(g, expected[name], err_msg=name)


def test_arrays_nobody_can_write_are_not_copied():
    frozen = np.arange(4.0)
    frozen.flags.writeable = False
    assert mg.as_tensor(frozen)._data is frozen
    assert mg.as_tensor(frozen[1:])._data.base is frozen     # a read-only view of it
    assert mg.as_tensor(frozen.reshape(2, 2).T)._data.base is not None

# ------------------------------------- what the library itself does

OPTIMIZERS = {
    "SGD": lambda ps: mg.optim.SGD(ps, lr=0.1),
    "SGD momentum": lambda ps: mg.optim.SGD(ps, lr=0.1, momentum=0.9),
    "Adagrad": lambda ps: mg.optim.Adagrad(ps, lr=0.1),
    "Adam": lambda ps: mg.optim.Adam(ps, lr=0.1),
}


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS.values(), ids=OPTIMIZERS)
@pytest.mark.parametrize("cell", [rnn.RNN, rnn.LSTM, rnn.GRU], ids=lambda c: c.__name__)
def test_backward_step_backward_gives_the_same_gradients_twice(cell, make_optimizer):
    model, xs, ys = small_problem(cell)
    params = model.parameters()
    result = rnn.bptt(model, xs, ys)
    first = [p.grad.copy() for p in params]
    before = [p.data.copy() for p in params]
    optimizer = make_optimizer(params)
    mg.optim.clip_grad_norm_(params, 0.5)
    mg.optim.clip_grad_value_(params, 0.01)
    optimizer.step()
    assert any(not np.array_equal(p.data, b) for p, b in zip(params, before))  # it moved
    optimizer.zero_grad()
    result.loss_tensor.backward()
    for p, g in zip(params, first):
        np.testing.assert_array_equal(p.grad, g, err_msg=p.name)


def test_load_state_dict_after_the_forward_pass_keeps_the_graph():
    model, xs, ys = small_problem()
    result = rnn.bptt(model, xs, ys)
    first = [p.grad.copy() for p in model.parameters()]
    model.load_state_dict({name: np.zeros(p.shape) for name, p in model.named_parameters()})
    assert not model.W.data.any()
    for p, g, expected in zip(model.parameters(),
                              gradients_of(result.loss_tensor, model.parameters()), first):
        np.testing.assert_array_equal(g, expected, err_msg=p.name)


def test_gradcheck_leaves_the_graphs_and_data_of_its_inputs_alone():
    x = mg.randn(3, rng=0, requires_grad=True)
    values = x.data.copy()
    loss = (x * x * x).sum()
    mg.gradcheck(lambda x: (x * x).tanh(), [x])
    np.testing.assert_array_equal(x.data, values)
    loss.backward()
    np.testing.assert_array_equal(x.grad, 3 * values ** 2)


@pytest.mark.parametrize("k1, k2", [(3, 3), (2, 4), (4, 2), (6, 6)])
@pytest.mark.parametrize("cell", [rnn.RNN, rnn.LSTM, rnn.GRU], ids=lambda c: c.__name__)
def test_tbptts_last_graph_gives_the_gradients_of_its_own_update(cell, k1, k2):
    model, xs, ys = small_problem(cell, T=7)
    result = rnn.tbptt(model, xs, ys, k1, k2, mg.optim.Adam(model.parameters(), lr=0.1),
                       clip=1.0, keep_grads=True)
    used = result.updates[-1].grads
    for (name, _), g in zip(model.named_parameters(),
                            gradients_of(result.last_loss_tensor, model.parameters())):
        np.testing.assert_array_equal(g, used[name], err_msg=name)


def test_sliding_window_bptts_last_graph_gives_the_gradients_of_its_own_update():
    model, xs, ys = small_problem(T=7)
    result = rnn.sliding_window_bptt(model, xs, ys, k=3,
                                     optimizer=mg.optim.SGD(model.parameters(), lr=0.5),
                                     keep_grads=True)
    used = result.updates[-1].grads
    for (name, _), g in zip(model.named_parameters(),
                            gradients_of(result.last_loss_tensor, model.parameters())):
        np.testing.assert_array_equal(g, used[name], err_msg=name)


def test_training_does_not_change_what_an_earlier_graph_draws():
    task = rnn.tasks.SineWave(batch_size=2)
    model = rnn.RNN(1, 4, 1, rng=0)
    xs, ys = task.batch(np.random.default_rng(1))
    result = rnn.bptt(model, xs, ys, contributions=True, retain_grads=True)
    before = viz.draw_unrolled(result.loss_tensor, detail="cells").source
    weights = model.W.data.copy()
    rnn.train(model, task, steps=3, progress=False)   # Adam steps, clipping, TBPTT
    assert not np.array_equal(model.W.data, weights)
    model.zero_grad()
    result.loss_tensor.backward(contributions=True, retain_grads=True)
    assert viz.draw_unrolled(result.loss_tensor, detail="cells").source == before


def test_backward_frames_replay_a_graph_recorded_before_an_update(tmp_path):
    w = mg.tensor([1.0, 2.0], requires_grad=True, name="w")
    loss = (w * w).sum()
    first = [f.read_text() for f in viz.backward_frames(loss, tmp_path / "a", format="svg")]
    loss.backward()
    mg.optim.SGD([w], lr=0.25).step()                 # w becomes [0.5, 1.0]
    assert w.data.tolist() == [0.5, 1.0]
    again = [f.read_text() for f in viz.backward_frames(loss, tmp_path / "b", format="svg")]
    assert again == first


def test_scope_keep_values_and_detect_anomaly_can_be_entered_twice():
    outer = mg.scope("t=1")
    with outer, outer:
        assert mg.current_scope() == "t=1/t=1"
    assert mg.current_scope() == ""
    keep, check = mg.keep_values(), mg.detect_anomaly()
    x = mg.tensor([1.0], requires_grad=True)
    with keep, check:
        with keep, check:
            pass
        assert (x * 2).node.value is not None                 # both still on
        with pytest.raises(mg.AnomalyError):
            x / 0.0
    assert (x * 2).node.value is None
    with np.errstate(divide="ignore"):
        assert (x / 0.0).data[0] == np.inf                     # both off again


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_unbind_gives_the_slices_and_keeps_them_true(axis):
    values = np.arange(12.0).reshape(3, 4)
    source = mg.tensor(values)
    parts = mg.unbind(source, axis)
    expected = list(np.moveaxis(values, axis, 0))
    assert len(parts) == len(expected)
    for part, slice_ in zip(parts, expected):
        np.testing.assert_array_equal(part.data, slice_)
    w = mg.tensor(np.ones(expected[0].shape), requires_grad=True)
    loss = (mg.unbind(source, axis)[1] * w).sum()
    source.data[...] = -1.0                           # after the forward pass: no effect
    loss.backward()
    np.testing.assert_array_equal(w.grad, expected[1])
    parts[0].data[...] = 99.0                         # a slice's .data is its own copy
    assert source.data[0, 0] == -1.0


def test_unbind_of_a_tensor_that_needs_a_gradient_records_each_slice():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    first, second = mg.unbind(x, axis=1)
    (first * 2.0 + second * second).sum().backward()
    assert x.grad.tolist() == [[2.0, 4.0], [2.0, 8.0]]
    with pytest.raises(mg.ShapeError, match="unbind: axis 2 is out of range"):
        mg.unbind(x, axis=2)
