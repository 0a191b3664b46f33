"""The models: shapes, scopes, carried state, and PyTorch's equations exactly."""

import numpy as np
import pytest

import rnn
from conftest import assert_close


def test_rnn_parameters_follow_the_notes():
    model = rnn.RNN(input_size=3, hidden_size=5, output_size=2, rng=0)
    shapes = {name: p.shape for name, p in model.named_parameters()}
    assert shapes == {"U": (5, 3), "W": (5, 5), "b": (5,), "V": (2, 5), "c": (2,)}
    assert [n for n, _ in rnn.RNN(3, 5, 2, bias=False).named_parameters()] == ["U", "W", "V"]
    assert model.W.name == "W"


def test_unroll_records_each_step_in_its_scope_with_shared_parameters():
    model = rnn.RNN(3, 4, 2, rng=0)
    run = model.unroll(np.ones((5, 2, 3)))
    assert len(run.outputs) == len(run.states) == 5
    assert run.outputs[0].shape == (2, 2) and run.states[0].shape == (2, 4)
    assert [o.node.scope for o in run.outputs] == [f"t={t}" for t in range(1, 6)]
    # every step's a_t = U x_t + W s_{t-1} + b reads the very same U, W and b tensors
    for s in run.states:
        pre_activation = s.node.inputs[0]
        assert pre_activation.op == "linear"
        assert [id(p) for p in pre_activation.inputs[2:]] == [id(model.U), id(model.W),
                                                               id(model.b)]


def test_unbatched_input_and_initial_state():
    model = rnn.RNN(3, 4, 2, rng=0)
    run = model.unroll(np.ones((5, 3)))
    assert run.outputs[0].shape == (2,) and run.initial_state.shape == (4,)
    assert not run.initial_state.data.any()           # s_0 = 0


def test_carrying_the_state_equals_one_long_run():
    model = rnn.GRU(2, 3, 1, rng=0)
    xs = np.random.default_rng(0).normal(size=(8, 2))
    whole = model.unroll(xs)
    first = model.unroll(xs[:5])
    second = model.unroll(xs[5:], s0=first.final_state.detach(), first_step=6)
    assert np.array_equal(whole.outputs[-1].data, second.outputs[-1].data)
    assert second.outputs[0].node.scope == "t=6"


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "identity"])
def test_activations(activation):
    """s_t = g(U x_t + W s_{t-1} + b) and o_t = σ(V s_t + c), against NumPy for each g."""
    g = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0),
         "sigmoid": lambda a: 1 / (1 + np.exp(-a)), "identity": lambda a: a}[activation]
    model = rnn.RNN(2, 3, 1, activation=activation, output_activation="sigmoid", rng=0)
    xs = np.random.default_rng(1).normal(size=(3, 2))
    run = model.unroll(xs)
    U, W, b, V, c = (p.data for p in (model.U, model.W, model.b, model.V, model.c))
    s = np.zeros(3)
    for t in range(3):
        s = g(U @ xs[t] + W @ s + b)
        np.testing.assert_allclose(run.states[t].data, s, rtol=1e-14, atol=0)
        np.testing.assert_allclose(run.outputs[t].data, 1 / (1 + np.exp(-(V @ s + c))),
                                   rtol=1e-14, atol=0)


@pytest.mark.parametrize("kind, cell_name", [("RNN", "RNN"), ("RNN-relu", "RNN"),
                                             ("LSTM", "LSTM"), ("GRU", "GRU")])
def test_from_torch_matches_pytorch_outputs_and_gradients(torch, kind, cell_name):
    """Same weights, same data: PyTorch's cell + Linear and our model agree to 1e-12."""
    torch.manual_seed(0)
    D, H, O, T, B = 3, 5, 2, 7, 4
    extra = {"nonlinearity": "relu"} if kind == "RNN-relu" else {}
    cell = getattr(torch.nn, cell_name)(D, H, **extra).double()
    head = torch.nn.Linear(H, O).double()
    model = rnn.from_torch(cell, head)
    assert type(model).__name__ == cell_name

    rng = np.random.default_rng(1)
    xs, ys = rng.normal(size=(T, B, D)), rng.normal(size=(T, B, O))

    hidden, _ = cell(torch.tensor(xs))
    out = head(hidden)
    ref = ((out - torch.tensor(ys)) ** 2).sum()
    ref.backward()

    result = rnn.bptt(model, xs, ys, loss="mse", reduction="sum")
    assert_close(result.loss, ref.item(), what="loss")
    assert_close(np.stack([o.data for o in result.run.outputs]), out.detach().numpy(),
                 what="outputs")
    H_ = H
    assert_close(result.grads["U"], cell.weight_ih_l0.grad.numpy(), what="dU")
    assert_close(result.grads["W"], cell.weight_hh_l0.grad.numpy(), what="dW")
    assert_close(result.grads["V"], head.weight.grad.numpy(), what="dV")
    assert_close(result.grads["c"], head.bias.grad.numpy(), what="dc")
    b_ih, b_hh = cell.bias_ih_l0.grad.numpy(), cell.bias_hh_l0.grad.numpy()
    if cell_name == "GRU":    # b holds b_ih (+ b_hr, b_hz); b_hn sits inside the reset product
        assert_close(result.grads["b"], b_ih, what="db")
        assert_close(result.grads["b"][:2 * H_], b_hh[:2 * H_], what="db (hidden r, z)")
        assert_close(result.grads["b_hn"], b_hh[2 * H_:], what="db_hn")
    else:                     # b = b_ih + b_hh: both get the same gradient
        assert_close(result.grads["b"], b_ih, what="db")
        assert_close(result.grads["b"], b_hh, what="db")


def test_from_torch_without_a_linear_layer_outputs_the_hidden_state(torch):
    cell = torch.nn.LSTM(2, 3).double()
    model = rnn.from_torch(cell)
    xs = np.random.default_rng(0).normal(size=(4, 2))
    hidden, _ = cell(torch.tensor(xs))
    ours = np.stack([o.data for o in model.unroll(xs).outputs])
    assert_close(ours, hidden.detach().numpy(), what="hidden states")


def test_from_torch_rejects_what_it_cannot_copy(torch):
    with pytest.raises(ValueError, match="only one layer, one direction"):
        rnn.from_torch(torch.nn.GRU(2, 3, num_layers=2))
    with pytest.raises(ValueError, match="bidirectional=True"):
        rnn.from_torch(torch.nn.RNN(2, 3, bidirectional=True))
    with pytest.raises(TypeError, match="expected torch.nn.RNN, LSTM or GRU, got Linear"):
        rnn.from_torch(torch.nn.Linear(2, 3))
    with pytest.raises(ValueError, match="Linear layer takes 4 inputs but the cell's "
                       "hidden_size is 3"):
        rnn.from_torch(torch.nn.RNN(2, 3), torch.nn.Linear(4, 1))


@pytest.mark.parametrize("cell", [rnn.RNN, rnn.LSTM, rnn.GRU], ids=lambda c: c.__name__)
def test_float32_models_give_the_float64_numbers_to_float32_precision(cell):
    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=(6, 3, 2)), rng.normal(size=(6, 3, 1))
    single = cell(2, 3, 1, rng=0, dtype=np.float32)
    double = cell(2, 3, 1, rng=0)
    double.load_state_dict({k: v.astype(np.float64) for k, v in single.state_dict().items()})
    got = rnn.bptt(single, xs.astype(np.float32), ys.astype(np.float32))
    expected = rnn.bptt(double, xs, ys)
    assert single.U.dtype == np.float32
    # float32 keeps about 7 digits (eps 1.2e-7); measured: 1.4e-7 at worst, relative to
    # the largest entry, so 1e-6 leaves room for rounding and none for a wrong formula
    assert got.loss == pytest.approx(expected.loss, rel=1e-6)
    for name, g in expected.grads.items():
        assert got.grads[name].dtype == np.float32, name
        assert np.max(np.abs(got.grads[name] - g)) <= 1e-6 * np.max(np.abs(g)), name
    assert not all(np.array_equal(got.grads[n], expected.grads[n]) for n in expected.grads)


def test_bad_model_arguments():
    with pytest.raises(ValueError, match="activation must be one of .* got 'softsign'"):
        rnn.RNN(2, 3, 1, activation="softsign")
    with pytest.raises(ValueError, match="hidden_size must be a positive integer, got 0"):
        rnn.RNN(2, 0, 1)
    with pytest.raises(ValueError, match="input_size must be a positive integer, got -2"):
        rnn.GRU(-2, 3, 1)


def test_bad_inputs_name_the_parameter_and_value():
    model = rnn.RNN(3, 4, 2, rng=0)
    with pytest.raises(ValueError, match=r"^RNN.unroll: xs must have shape \(T, B, D\) or, for "
                       r"one unbatched sequence, \(T, D\) \(batch_first=False\), got shape "
                       r"\(3,\)"):
        model.unroll(np.ones(3))
    with pytest.raises(ValueError, match=r"xs has 5 features \(shape \(4, 5\)\) but the "
                       r"model's input_size is 3"):
        model.unroll(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"initial state s0 has shape \(3,\), expected \(4,\)"):
        model.unroll(np.ones((4, 3)), s0=np.zeros(3))
    with pytest.raises(ValueError, match="the sequence is empty"):
        model.unroll(np.ones((0, 3)))


def test_bad_targets_and_loss_names():
    model = rnn.RNN(3, 4, 2, rng=0)
    xs = np.ones((5, 3))
    with pytest.raises(ValueError, match=r"^rnn.bptt: targets ys have shape \(5, 3\), but mse "
                       r"needs one target per output: shape \(T, O\) = \(5, 2\)"):
        rnn.bptt(model, xs, np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"cross_entropy needs one class index per output row: "
                       r"shape \(T,\) = \(5,\)"):
        rnn.bptt(model, xs, np.zeros((5, 2), int), loss="cross_entropy")
    with pytest.raises(TypeError, match="cross_entropy targets must be integer class indices"):
        rnn.bptt(model, xs, np.zeros(5), loss="cross_entropy")
    with pytest.raises(ValueError, match="loss must be one of .* got 'hinge'"):
        rnn.bptt(model, xs, np.zeros((5, 2)), loss="hinge")
    with pytest.raises(ValueError, match="reduction must be one of .* got 'avg'"):
        rnn.bptt(model, xs, np.zeros((5, 2)), reduction="avg")
    with pytest.raises(ValueError, match=r"mask must be a boolean array of shape \(5,\)"):
        rnn.bptt(model, xs, np.zeros((5, 2)), mask=[1, 0, 1])


def test_sequence_loss_sum_and_mean():
    model = rnn.RNN(2, 3, 1, rng=0)
    run = model.unroll(np.ones((4, 2)))
    ys = np.zeros((4, 1))
    total = rnn.sequence_loss(run.outputs, ys, reduction="sum").item()
    mean = rnn.sequence_loss(run.outputs, ys, reduction="mean").item()
    by_hand = sum(float((o.data ** 2).sum()) for o in run.outputs)   # E_t = ||o_t - 0||²
    # abs=0: pytest.approx's default abs=1e-12 would swamp rel=1e-14 on numbers of order 1
    assert total == pytest.approx(by_hand, rel=1e-14, abs=0)
    assert mean == pytest.approx(by_hand / 4, rel=1e-14, abs=0)
    last = float((run.outputs[-1].data ** 2).sum())
    for reduction in ("sum", "mean"):      # one kept step: its E_t, whatever the reduction
        masked = rnn.sequence_loss(run.outputs, ys, reduction=reduction,
                                   mask=np.array([0, 0, 0, 1], bool)).item()
        assert masked == pytest.approx(last, rel=1e-14, abs=0)
    two = rnn.sequence_loss(run.outputs, ys, reduction="mean",
                            mask=np.array([0, 1, 0, 1], bool)).item()
    by_hand_two = (float((run.outputs[1].data ** 2).sum()) + last) / 2
    assert two == pytest.approx(by_hand_two, rel=1e-14, abs=0)


def test_unroll_keeps_its_own_copy_of_the_inputs_so_refilling_them_changes_nothing():
    model = rnn.RNN(2, 3, 1, rng=0)
    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    expected = rnn.bptt(model, xs, ys).grads["U"]
    result = rnn.bptt(model, xs, ys)
    xs[...] = 100.0                            # the caller's buffer, filled again
    model.zero_grad()
    result.loss_tensor.backward()
    np.testing.assert_array_equal(model.U.grad, expected)
    frozen = np.ones((4, 2))
    frozen.flags.writeable = False             # nobody can change it: used as it is
    assert model.check_inputs(frozen)._data is frozen
    assert model.check_inputs(xs.astype(np.float32)).dtype == np.float64   # converted
    with pytest.raises(TypeError, match="cannot turn list into an array of numbers"):
        model.check_inputs([["a", "b"]])
