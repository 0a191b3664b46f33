"""Bad input to rnn gets one clear error: the function, what was wrong, and the fix."""

import numpy as np
import pytest

import minigrad as mg
import rnn


def sequence(T=6, B=3, D=2, O=3, loss="mse", seed=0):
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(T, B, D))
    ys = rng.normal(size=(T, B, O)) if loss == "mse" else rng.integers(0, O, (T, B))
    return xs, ys


def state_arrays(state):
    return [p.data for p in state] if isinstance(state, tuple) else [state.data]


# ------------------------------------------------------------ initial states

@pytest.mark.parametrize("cell", [rnn.RNN, rnn.LSTM, rnn.GRU])
def test_tbptt_and_sliding_window_take_an_ndarray_s0_like_bptt(cell):
    """s0 as plain arrays ((h0, c0) for an LSTM) gives what the same s0 as Tensors gives."""
    xs, ys = sequence(O=1)
    arrays = np.full((3, 4), 0.3)
    arrays = (arrays, -arrays) if cell is rnn.LSTM else arrays
    tensors = tuple(map(mg.tensor, arrays)) if cell is rnn.LSTM else mg.tensor(arrays)
    for run in (lambda m, s0: rnn.tbptt(m, xs, ys, 2, 3, None, s0=s0, keep_grads=True),
                lambda m, s0: rnn.sliding_window_bptt(m, xs, ys, 3, None, s0=s0,
                                                      keep_grads=True)):
        model = cell(2, 4, 1, rng=0)
        a, b = run(model, arrays), run(model, tensors)
        assert a.losses == b.losses
        for u, v in zip(a.updates, b.updates, strict=True):
            for name in u.grads:
                np.testing.assert_array_equal(u.grads[name], v.grads[name])
        for p, q in zip(state_arrays(a.final_state), state_arrays(b.final_state)):
            np.testing.assert_array_equal(p, q)
        assert a.losses != run(model, None).losses                  # s0 was used
    zero = rnn.bptt(cell(2, 4, 1, rng=0), xs, ys).loss
    assert rnn.bptt(cell(2, 4, 1, rng=0), xs, ys, s0=arrays).loss != zero    # s0 was used


def test_an_lstm_needs_the_pair_h0_c0():
    model = rnn.LSTM(2, 4, 1, rng=0)
    xs, ys = sequence(O=1)
    with pytest.raises(ValueError, match=r"^LSTM.unroll: an LSTM's state is the pair \(h0, c0\), "
                       r"each of shape \(3, 4\) \(batch \+ hidden_size\), but s0 is one ndarray "
                       r"of shape \(3, 4\). Fix: pass s0=\(h0, c0\) as a tuple, e.g. "
                       r"model.zero_state\(\(3,\)\)"):
        model.unroll(xs, s0=np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"^rnn.tbptt: an LSTM's state is the pair \(h0, c0\).*"
                       r"but s0 is a list of 2. Fix: pass s0=\(h0, c0\) as a tuple"):
        rnn.tbptt(model, xs, ys, 2, 2, None, s0=[np.zeros((3, 4))] * 2)
    with pytest.raises(ValueError, match=r"^rnn.manual.backward: an LSTM's state is the pair"):
        rnn.manual.backward(model, xs, ys, s0=np.zeros((3, 4)))
    with pytest.raises(mg.ShapeError, match=r"^rnn.bptt: the initial state c0 has shape \(4,\), "
                       r"expected \(3, 4\)"):
        rnn.bptt(model, xs, ys, s0=(np.zeros((3, 4)), np.zeros(4)))


@pytest.mark.parametrize("cell", [rnn.RNN, rnn.GRU])
def test_rnn_and_gru_take_one_state_not_a_tuple(cell):
    model = cell(2, 4, 1, rng=0)
    xs, ys = sequence(O=1)
    pair = (np.zeros((3, 4)), np.zeros((3, 4)))
    name = cell.__name__
    with pytest.raises(ValueError, match=rf"^{name}.unroll: a {name}'s state is one array s0 of "
                       r"shape \(3, 4\) \(batch \+ hidden_size\), but s0 is a tuple of 2; only an "
                       r"LSTM's state is a pair \(h0, c0\). Fix: pass one array or Tensor"):
        model.unroll(xs, s0=pair)
    with pytest.raises(ValueError, match=r"^rnn.sliding_window_bptt: a .*'s state is one array"):
        rnn.sliding_window_bptt(model, xs, ys, 2, None, s0=pair)
    with pytest.raises(ValueError, match=r"^rnn.manual.backward: this cell's state is one array "
                       r"of shape \(3, 4\), but s0 is a tuple of 2"):
        rnn.manual.backward(model, xs, ys, s0=pair)


def test_a_state_of_the_wrong_shape_in_manual_and_rtrl():
    model = rnn.RNN(2, 4, 1, rng=0)
    xs, ys = sequence(O=1)
    for call in (rnn.manual.backward, rnn.rtrl.forward_gradients):
        with pytest.raises(mg.ShapeError, match=r"the initial state s0 has shape \(4, 3\), "
                           r"expected \(3, 4\) \(batch \+ hidden_size H=4\)"):
            call(model, xs, ys, s0=np.zeros((4, 3)))


# ------------------------------------------------------------- class targets

def class_target_calls(xs, ys):
    """Every function that takes class targets, as (name, call)."""
    rnn_model, gru, lstm = rnn.RNN(2, 4, 3, rng=0), rnn.GRU(2, 4, 3, rng=0), rnn.LSTM(2, 4, 3,
                                                                                       rng=0)
    params = rnn.manual.model_arrays(rnn_model)
    ce = {"loss": "cross_entropy"}
    return [
        ("rnn.manual.backward", lambda: rnn.manual.backward(gru, xs, ys, **ce)),
        ("rnn.manual.rnn_bptt", lambda: rnn.manual.rnn_bptt(params, xs, ys, **ce)),
        ("rnn.manual.lstm_bptt", lambda: rnn.manual.lstm_bptt(
            rnn.manual.model_arrays(lstm), xs, ys, **ce)),
        ("rnn.manual.gru_bptt", lambda: rnn.manual.gru_bptt(
            rnn.manual.model_arrays(gru), xs, ys, **ce)),
        ("rnn.rtrl.rtrl", lambda: rnn.rtrl.rtrl(params, xs, ys, **ce)),
        ("rnn.rtrl.forward_gradients",
         lambda: rnn.rtrl.forward_gradients(rnn_model, xs, ys, **ce)),
        ("rnn.bptt", lambda: rnn.bptt(lstm, xs, ys, **ce)),
        ("rnn.compare_gradients", lambda: rnn.compare_gradients(rnn_model, xs, ys, **ce)),
    ]


@pytest.mark.parametrize("bad", [-1, 3])
def test_a_class_target_outside_0_to_C_minus_1_is_an_index_error(bad):
    """-1 used to be taken silently as class C-1 by the manual recursion and RTRL."""
    xs, ys = sequence(loss="cross_entropy", O=3)
    ys[4, 1] = bad
    for name, call in class_target_calls(xs, ys):
        with pytest.raises(IndexError, match=rf"^{name}: target {bad} \(ys\[4, 1\], step t=5\) "
                           r"is not a class index; with 3 classes \(the model's output_size\) "
                           r"they run from 0 to 2.*Fix: use classes 0..2"):
            call()
    with pytest.raises(IndexError, match=r"A negative class does not count from the end here"
                       if bad < 0 else r"a model with output_size >= 4"):
        rnn.manual.backward(rnn.RNN(2, 4, 3), xs, ys, loss="cross_entropy")


def test_class_target_positions_are_given_in_the_callers_layout():
    xs, ys = sequence(loss="cross_entropy", O=3)
    ys[4, 1] = 7
    with pytest.raises(IndexError, match=r"target 7 \(ys\[1, 4\], step t=5\)"):
        rnn.rtrl.forward_gradients(rnn.RNN(2, 4, 3), xs.swapaxes(0, 1), ys.T,
                                   loss="cross_entropy", batch_first=True)


def test_targets_at_masked_out_steps_are_not_used():
    """A step the mask leaves out needs no valid target, in autograd and by hand alike."""
    model = rnn.LSTM(2, 4, 3, rng=0)
    xs, ys = sequence(loss="cross_entropy", O=3)
    ys[1] = -1
    mask = np.arange(6) != 1
    report = rnn.compare_gradients(model, xs, ys, loss="cross_entropy", mask=mask)
    assert report.ok(), str(report)


@pytest.mark.parametrize("call", [
    lambda m, xs, ys: rnn.manual.backward(m, xs, ys),
    lambda m, xs, ys: rnn.rtrl.forward_gradients(m, xs, ys),
    lambda m, xs, ys: rnn.rtrl.rtrl(rnn.manual.model_arrays(m), xs, ys),
])
def test_a_wrong_target_shape_in_manual_and_rtrl_is_a_shape_error(call):
    model = rnn.RNN(2, 4, 3, rng=0)
    xs, ys = sequence(O=2)
    with pytest.raises(mg.ShapeError, match=r"^rnn\.(manual|rtrl)\.\w+: targets ys have shape "
                       r"\(6, 3, 2\), but mse needs one target per output: shape \(T, B, O\) = "
                       r"\(6, 3, 3\)"):
        call(model, xs, ys)
    with pytest.raises(TypeError, match=r"cross_entropy targets must be integer class indices, "
                       r"got dtype float64. Fix"):
        rnn.manual.backward(model, xs, np.zeros((6, 3)), loss="cross_entropy")


# -------------------------------------------------------------- loss names

def loss_name_calls(loss):
    model = rnn.RNN(2, 4, 1, rng=0)
    xs, ys = sequence(O=1)
    params = rnn.manual.model_arrays(model)
    run = model.unroll(xs)
    return [
        ("rnn.bptt", lambda: rnn.bptt(model, xs, ys, loss=loss)),
        ("rnn.tbptt", lambda: rnn.tbptt(model, xs, ys, 2, 2, None, loss=loss)),
        ("rnn.sliding_window_bptt", lambda: rnn.sliding_window_bptt(model, xs, ys, 2, None,
                                                                    loss=loss)),
        ("rnn.gradient_flow", lambda: rnn.gradient_flow(model, xs, ys, loss=loss)),
        ("rnn.compare_gradients", lambda: rnn.compare_gradients(model, xs, ys, loss=loss)),
        ("rnn.sequence_loss", lambda: rnn.sequence_loss(run.outputs, ys, loss=loss)),
        ("rnn.step_loss", lambda: rnn.step_loss(run.outputs[0], ys[0], loss=loss)),
        ("rnn.manual.backward", lambda: rnn.manual.backward(model, xs, ys, loss=loss)),
        ("rnn.manual.rnn_bptt", lambda: rnn.manual.rnn_bptt(params, xs, ys, loss=loss)),
        ("rnn.manual.lstm_bptt", lambda: rnn.manual.lstm_bptt(
            rnn.manual.model_arrays(rnn.LSTM(2, 4, 1)), xs, ys, loss=loss)),
        ("rnn.manual.gru_bptt", lambda: rnn.manual.gru_bptt(
            rnn.manual.model_arrays(rnn.GRU(2, 4, 1)), xs, ys, loss=loss)),
        ("rnn.rtrl.rtrl", lambda: rnn.rtrl.rtrl(params, xs, ys, loss=loss)),
        ("rnn.rtrl.forward_gradients",
         lambda: rnn.rtrl.forward_gradients(model, xs, ys, loss=loss)),
    ]


@pytest.mark.parametrize("loss", ["hinge", "MSE", None])
def test_an_unknown_loss_name_lists_the_valid_ones(loss):
    for name, call in loss_name_calls(loss):
        with pytest.raises(ValueError, match=rf"^{name}: loss must be one of \('mse', "
                           rf"'cross_entropy'\), got {loss!r}. Fix: loss='mse'"):
            call()


def test_an_unknown_reduction_in_the_manual_recursion():
    """The recursion used to take any reduction but "sum" as the mean."""
    model = rnn.RNN(2, 4, 1, rng=0)
    with pytest.raises(ValueError, match=r"^rnn.manual.backward: reduction must be one of "
                       r"\('sum', 'mean'\), got 'avg'"):
        rnn.manual.backward(model, *sequence(O=1), reduction="avg")
    with pytest.raises(ValueError, match=r"^rnn.manual.rnn_bptt: activation must be one of "
                       r"\['identity', 'relu', 'sigmoid', 'tanh'\], got 'softsign'"):
        rnn.manual.rnn_bptt(rnn.manual.model_arrays(model), *sequence(O=1),
                            activation="softsign")


# ------------------------------------------------------------ compare_gradients

@pytest.mark.parametrize("batch_first", [False, True])
def test_compare_gradients_refuses_an_empty_batch(batch_first):
    model = rnn.RNN(2, 3, 2, rng=0)
    xs, ys = np.ones((4, 0, 2)), np.zeros((4, 0, 2))
    if batch_first:
        xs, ys = xs.swapaxes(0, 1), ys.swapaxes(0, 1)
    axis = 0 if batch_first else 1
    with pytest.raises(ValueError, match=rf"^rnn.compare_gradients: the batch is empty \(B = 0\): "
                       rf"xs has shape {re_shape(xs.shape)}; with batch_first={batch_first} the "
                       rf"time axis is axis {1 - axis} \(T=4\) and the batch axis is axis "
                       rf"{axis} \(B=0\).*nothing to compare. Fix: pass at least one sequence"):
        rnn.compare_gradients(model, xs, ys, batch_first=batch_first)


def re_shape(shape):
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


# ------------------------------------------------------------- gradient_flow

@pytest.mark.parametrize("cell", [rnn.LSTM, rnn.GRU])
def test_gradient_flow_calls_a_gated_cells_W_norm_its_largest_singular_value(cell):
    model = cell(1, 4, 1, rng=0)
    flow = rnn.gradient_flow(model, np.ones((8, 1)), np.zeros((8, 1)))
    W = model.W.data
    assert W.shape[0] != W.shape[1]
    assert flow.w_scale_name == "largest singular value"
    assert flow.w_scale == pytest.approx(np.linalg.svd(W, compute_uv=False)[0], rel=1e-12,
                                         abs=0)
    assert str(flow).startswith("gradient flow (largest singular value of W: ")
    assert "spectral" not in str(flow) and flow.w_label.startswith("largest singular value of W")
    with pytest.raises(AttributeError, match=r"GradientFlow.spectral_radius: this W is not "
                       r"square.*no spectral radius. Fix: read flow.w_scale, its largest "
                       r"singular value"):
        flow.spectral_radius
    with pytest.raises(ValueError, match=r"spectral_radius: W has shape \((12|16), 4\), not "
                       r"square.*np.linalg.norm\(W, 2\)"):
        rnn.spectral_radius(model.W)


def test_gradient_flow_of_a_square_W_is_its_spectral_radius():
    model = rnn.RNN(1, 4, 1, rng=0)
    flow = rnn.gradient_flow(model, np.ones((8, 1)), np.zeros((8, 1)))
    radius = np.max(np.abs(np.linalg.eigvals(model.W.data)))
    assert flow.w_scale_name == "spectral radius" and flow.spectral_radius == flow.w_scale
    assert flow.w_scale == pytest.approx(radius, rel=1e-12, abs=0)
    assert str(flow).startswith("gradient flow (spectral radius of W: ")
    assert flow.w_label == f"spectral radius of W = {radius:.2g}"
