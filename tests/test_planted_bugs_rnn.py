"""Tests that planted bugs showed missing (tools/plant_bugs.py).

Each test here exists because a mutant survived the rest of the suite: the
bug it names in its docstring left every other test green.
"""

import numpy as np
import pytest

import minigrad as mg
import rnn

NUMPY_ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0),
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
    "identity": lambda a: a,
}


@pytest.mark.parametrize("activation", NUMPY_ACTIVATIONS)
@pytest.mark.parametrize("output_activation", [None, "sigmoid"])
def test_rnn_outputs_follow_the_equations_for_every_activation(activation, output_activation):
    """s_t = g(U x_t + W s_{t-1} + b), o_t = h(V s_t + c), written out in NumPy.

    Catches an activation that is the wrong function (an output that only has
    to lie in (0, 1) passes with any squashing h)."""
    model = rnn.RNN(2, 3, 2, activation=activation, output_activation=output_activation,
                    rng=0)
    xs = np.random.default_rng(1).normal(size=(4, 5, 2))          # T = 4, batch of 5
    run = model.unroll(xs)
    U, W, b, V, c = (p.data for p in (model.U, model.W, model.b, model.V, model.c))
    g, h = NUMPY_ACTIVATIONS[activation], NUMPY_ACTIVATIONS[output_activation or "identity"]
    s = np.zeros((5, 3))
    for t in range(4):
        s = g(xs[t] @ U.T + s @ W.T + b)
        o = h(s @ V.T + c)
        np.testing.assert_allclose(run.states[t].data, s, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(run.outputs[t].data, o, rtol=1e-14, atol=1e-15)


def test_tbptt_clips_each_update_at_the_threshold_it_was_given():
    """With clip=c, the gradient is rescaled to norm c before the step (Pascanu's rule),
    so one SGD update moves the weights by lr·c exactly.

    Catches tbptt clipping at another threshold than the one asked for, or not at all."""
    rng = np.random.default_rng(0)
    model = rnn.RNN(2, 4, 1, rng=0)
    xs, ys = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    before = {n: p.data.copy() for n, p in model.named_parameters()}
    lr, c = 0.1, 0.01
    result = rnn.tbptt(model, xs, ys, k1=6, k2=6, clip=c, keep_grads=True,
                       optimizer=mg.optim.SGD(model.parameters(), lr=lr))
    grads = result.updates[0].grads                         # before clipping
    norm = np.sqrt(sum(float((g * g).sum()) for g in grads.values()))
    assert norm > 10 * c                                    # so clipping has work to do
    moved = np.sqrt(sum(float(((p.data - before[n]) ** 2).sum())
                        for n, p in model.named_parameters()))
    assert moved == pytest.approx(lr * c, rel=1e-5)         # 1e-6 in c / (norm + 1e-6)
    for n, p in model.named_parameters():                   # along -g: lr c g / norm
        np.testing.assert_allclose(before[n] - p.data, grads[n] * (moved / norm),
                                   rtol=1e-10, atol=1e-16)
