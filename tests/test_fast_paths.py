"""The engine's shortcuts give exactly the numbers of the general path they skip.

Each shortcut (a cheaper table or a cheaper forward for a common case) is
held with ``==`` against the general code on the same inputs, including
zeros, negatives, infinities and NaN.
"""

import numpy as np
import pytest

import minigrad as mg
from minigrad import ops

SPECIAL = np.array([0.0, -0.0, 1.0, -2.5, 3e-300, 1e200, np.inf, -np.inf, np.nan, 0.5])


def same(a, b):
    """Equal element for element, NaN where NaN, and the same signs of zero."""
    a, b = np.asarray(a), np.asarray(b)
    return (a.shape == b.shape and a.dtype == b.dtype
            and np.array_equal(a, b, equal_nan=True)
            and np.array_equal(np.signbit(a), np.signbit(b)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_square_table_equals_the_general_pow_table(dtype):
    rng = np.random.default_rng(0)
    with np.errstate(all="ignore"):                 # 1e200 is inf in float32
        x = np.concatenate([SPECIAL, rng.normal(size=40)]).astype(dtype)
        g = np.concatenate([SPECIAL[::-1], rng.normal(size=40)]).astype(dtype)
    y = np.asarray(2, dtype=dtype)
    with np.errstate(all="ignore"):
        out = np.power(x, y)
        for fast, general in zip(ops.SQUARE, ops.POW):
            assert same(fast(g, x, y, out), general(g, x, y, out))


def test_x_squared_takes_the_square_table_and_matches_a_tensor_exponent():
    x = mg.tensor([-1.5, 0.0, 2.0, 3.0], requires_grad=True)
    (x ** 2 * mg.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert (x ** 2).node.vjps is ops.SQUARE
    fast = x.grad
    x.grad = None
    general = x ** mg.tensor([2.0, 2.0, 2.0, 2.0])     # an array exponent: the general table
    assert general.node.vjps is ops.POW
    (general * mg.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert same(fast, x.grad)


def test_an_exponent_that_needs_its_gradient_takes_the_general_table():
    x = mg.tensor([1.5, 2.0], requires_grad=True)
    two = mg.tensor(2.0, requires_grad=True)
    y = x ** two
    assert y.node.vjps is ops.POW
    y.sum().backward()
    assert same(two.grad, np.sum(x.data ** 2 * np.log(x.data)))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4)])
def test_dot_T_equals_transpose_with_the_axes_reversed(shape):
    data = np.random.default_rng(1).normal(size=shape)
    weights = np.random.default_rng(2).normal(size=shape[::-1])
    grads = []
    for transpose in (lambda t: t.T, lambda t: t.transpose(tuple(reversed(range(t.ndim))) or ())):
        x = mg.tensor(data, requires_grad=True)
        y = transpose(x)
        assert same(y.data, data.T)
        (y * weights).sum().backward()
        grads.append(x.grad)
    assert same(*grads)


@pytest.mark.parametrize("reduce", ["sum", "mean"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_reduction_to_one_number_sends_the_same_gradient_as_broadcasting(reduce, dtype):
    x = np.arange(6, dtype=dtype).reshape(2, 3)
    table = ops.SUM if reduce == "sum" else ops.MEAN
    g = np.asarray(0.7, dtype=dtype)
    extra = () if reduce == "sum" else (6,)
    fast = table[0](g, x.shape, (0, 1), False, *extra)
    general = np.broadcast_to((g if reduce == "sum" else g / 6)[None, None], x.shape)
    assert same(fast, general)
