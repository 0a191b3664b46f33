"""Inputs of any dtype take the model's; targets keep their values.

Integer, boolean and float32 inputs once changed the targets: ``check_sequence``
cast ys to xs's dtype, so integer xs truncated float targets to integers
(13.77 became 7.64 in the issue's example) and float32 xs rounded them.  Every
entry point that takes xs and ys is held here to the float64 answer.
"""

import numpy as np
import pytest

import minigrad as mg
import rnn
from rnn import manual, rtrl
from rnn.bptt import check_sequence
from rnn.online import online_gradient, train_online

XS = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
YS = np.array([[0.5], [-0.7], [2.9], [1.3]])           # not integers, not float32 numbers


def inputs_of_every_dtype():
    return {
        "int Tensor": mg.tensor(XS),
        "bool Tensor": mg.tensor(XS.astype(bool)),
        "uint8 ndarray": XS.astype(np.uint8),
        "bool ndarray": XS.astype(bool),
        "float32 Tensor": mg.tensor(XS, dtype=np.float32),
        "float32 ndarray": XS.astype(np.float32),
        "list of ints": XS.tolist(),
    }


def model():
    return rnn.RNN(2, 3, 1, rng=0)


# Each entry point reduced to numbers: the loss and the gradients it gives.
ENTRY_POINTS = {
    "bptt": lambda m, xs, ys: rnn.bptt(m, xs, ys).grads,
    "bptt sqrt memory": lambda m, xs, ys: rnn.bptt(m, xs, ys, memory="sqrt").grads,
    "bptt loss": lambda m, xs, ys: rnn.bptt(m, xs, ys).loss,
    "tbptt": lambda m, xs, ys: [u.grads for u in rnn.tbptt(m, xs, ys, 2, 3, None,
                                                            keep_grads=True).updates],
    "tbptt sqrt memory": lambda m, xs, ys: [u.grads for u in rnn.tbptt(
        m, xs, ys, 2, 3, None, keep_grads=True, memory="sqrt").updates],
    "sliding_window_bptt": lambda m, xs, ys: [u.loss for u in rnn.sliding_window_bptt(
        m, xs, ys, 2, None).updates],
    "compare_gradients": lambda m, xs, ys: rnn.compare_gradients(m, xs, ys).reference,
    "manual.backward": lambda m, xs, ys: manual.backward(m, xs, ys).grads,
    "rtrl.forward_gradients": lambda m, xs, ys: rtrl.forward_gradients(m, xs, ys).grads,
    "rtrl.rtrl_jvp": lambda m, xs, ys: rtrl.rtrl_jvp(m, xs, ys).grads,
    "online_gradient": lambda m, xs, ys: online_gradient(m, xs, ys, "snap-1").grads,
    "online_gradient engine": lambda m, xs, ys: online_gradient(m, xs, ys, "uoro", rng=0,
                                                                engine=True).grads,
    "gradient_flow": lambda m, xs, ys: rnn.gradient_flow(m, xs, ys).state_grad_norms,
    "unroll + sequence_loss": lambda m, xs, ys: rnn.sequence_loss(m.unroll(xs).outputs,
                                                                  ys).item(),
    "train_online": lambda m, xs, ys: train_online(m, xs, ys, "rtrl", mg.optim.SGD(
        m.parameters(), lr=0.1)).losses,
}


def assert_same(got, expected, what):
    if isinstance(expected, dict):
        assert list(got) == list(expected), what
        for k in expected:
            assert_same(got[k], expected[k], f"{what} {k}")
    elif isinstance(expected, list):
        assert len(got) == len(expected), what
        for i, (g, e) in enumerate(zip(got, expected)):
            assert_same(g, e, f"{what} [{i}]")
    else:
        np.testing.assert_array_equal(got, expected, err_msg=what)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_every_entry_point_gives_the_float64_answer_for_every_input_dtype(entry):
    run = ENTRY_POINTS[entry]
    expected = run(model(), XS.astype(np.float64), YS)
    for kind, xs in inputs_of_every_dtype().items():
        assert_same(run(model(), xs, YS), expected, f"{entry}, xs as {kind}")


def test_the_issues_example():
    m = rnn.RNN(2, 3, 1, rng=0)
    xs, ys = np.array([[1, 0], [0, 1], [1, 1]]), np.array([[.5], [-.7], [2.9]])
    assert rnn.bptt(m, mg.tensor(xs), ys).loss == pytest.approx(13.76774501431671, rel=1e-14)
    assert rnn.bptt(m, xs, ys).loss == rnn.bptt(m, mg.tensor(xs), ys).loss


def test_a_float32_model_takes_float32_targets_and_class_targets_stay_integers():
    m32 = rnn.RNN(2, 3, 1, rng=0, dtype=np.float32)
    xs, ys, _, _ = check_sequence(
        m32, mg.tensor(XS), YS, None, "mse", "sum", None, False, "test")
    assert xs.dtype == np.float32 and ys.dtype == np.float32
    classifier = rnn.RNN(2, 3, 4, rng=0)
    classes = np.array([3, 0, 2, 1])
    xs, ys, _, _ = check_sequence(
        classifier, XS.astype(np.float32), classes, None, "cross_entropy", "sum", None, False,
        "test")
    assert xs.dtype == np.float64 and ys.dtype.kind == "i" and ys.tolist() == [3, 0, 2, 1]


def test_a_float32_input_that_requires_grad_gets_its_gradient_in_float32():
    xs = mg.tensor(XS, dtype=np.float32, requires_grad=True)
    reference = mg.tensor(XS, dtype=np.float64, requires_grad=True)
    rnn.bptt(model(), xs, YS)
    rnn.bptt(model(), reference, YS)
    assert xs.grad.dtype == np.float32
    np.testing.assert_allclose(xs.grad, reference.grad, rtol=1e-6)


def test_sequence_loss_keeps_float_targets_for_integer_outputs():
    outputs = [mg.tensor([[1]]), mg.tensor([[2]])]                 # integer outputs
    loss = rnn.sequence_loss(outputs, np.array([[[0.5]], [[2.5]]]))
    assert loss.item() == 0.5                                       # 0.5² + 0.5², not 1 + 0
