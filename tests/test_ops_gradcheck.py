"""Every op against central finite differences, on shapes drawn by Hypothesis.

One factory builds the inputs for all ops: Hypothesis draws the shapes
(including broadcasting ones) and a seed; the values come from that seed,
so they are continuous and never tie (ties would make max, abs and relu
non-differentiable and the check meaningless).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from op_cases import BINARY, UNARY, seeds, shapes, two_broadcasting, values


def make(rng, shape, domain="real"):
    """A float64 leaf tensor that requires grad, with values suited to the op."""
    return mg.tensor(values(rng, shape, domain), requires_grad=True)


def check(fn, inputs):
    report = mg.gradcheck(fn, inputs, eps=1e-6, atol=1e-8, rtol=1e-6)
    assert report.ok and report.checks, str(report)




@pytest.mark.parametrize("name", BINARY)
@given(shapes=two_broadcasting, seed=seeds)
def test_binary_ops_broadcasting(name, shapes, seed):
    fn, dom_a, dom_b = BINARY[name]
    rng = np.random.default_rng(seed)
    a, b = make(rng, shapes.input_shapes[0], dom_a), make(rng, shapes.input_shapes[1], dom_b)
    check(fn, [a, b])


@pytest.mark.parametrize("name", BINARY)
@given(shape=shapes, seed=seeds, number=st.floats(0.5, 2.0), left=st.booleans())
def test_binary_ops_with_python_numbers(name, shape, seed, number, left):
    fn, dom_a, dom_b = BINARY[name]
    x = make(np.random.default_rng(seed), shape, dom_b if left else dom_a)
    check((lambda x: fn(number, x)) if left else (lambda x: fn(x, number)), [x])




@pytest.mark.parametrize("name", UNARY)
@given(shape=shapes, seed=seeds)
def test_unary_ops(name, shape, seed):
    fn, domain = UNARY[name]
    check(fn, [make(np.random.default_rng(seed), shape, domain)])


@st.composite
def shape_and_axis(draw, min_dims=0):
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=3))
    ndim = len(shape)
    if ndim == 0:
        return shape, None
    axis = draw(st.one_of(
        st.none(),
        st.integers(-ndim, ndim - 1),
        st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).map(tuple)))
    return shape, axis


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
@given(case=shape_and_axis(), keepdims=st.booleans(), seed=seeds)
def test_reductions(name, case, keepdims, seed):
    shape, axis = case
    x = make(np.random.default_rng(seed), shape)
    check(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims), [x])


def test_max_splits_the_gradient_between_ties():
    x = mg.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5]]


@given(shape=shapes, seed=seeds, data=st.data())
def test_reshape_and_transpose(shape, seed, data):
    rng = np.random.default_rng(seed)
    x = make(rng, shape)
    axes = tuple(rng.permutation(len(shape)))
    new_shape = data.draw(st.sampled_from([(-1,), (1, -1), (x.size, 1)]))
    check(lambda x: x.transpose(axes).reshape(new_shape), [x])


@st.composite
def indices(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    kind = draw(st.sampled_from(["int", "slice", "int-array", "bool", "mixed"]))
    n = shape[0]
    if kind == "int":
        index = draw(st.integers(-n, n - 1))
    elif kind == "slice":
        index = slice(draw(st.integers(0, n - 1)), None, draw(st.integers(1, 2)))
    elif kind == "int-array":                  # may repeat an element
        index = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6)))
    elif kind == "bool":
        index = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    else:
        index = (Ellipsis, np.array(draw(st.lists(st.integers(0, shape[-1] - 1),
                                                  min_size=1, max_size=5))))
    return shape, index


@given(case=indices(), seed=seeds)
def test_getitem(case, seed):
    shape, index = case
    x = make(np.random.default_rng(seed), shape)
    check(lambda x: x[index] * 1.0, [x])


def test_getitem_accumulates_repeated_indices():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=3), count=st.integers(1, 3),
       seed=seeds, data=st.data())
def test_concat_and_stack(shape, count, seed, data):
    rng = np.random.default_rng(seed)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    parts = []
    for _ in range(count):
        s = list(shape)
        s[axis] = int(rng.integers(1, 3))
        parts.append(make(rng, tuple(s)))
    check(lambda *p: mg.concat(p, axis=axis), parts)
    same = [make(rng, shape) for _ in range(count)]
    new_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check(lambda *p: mg.stack(p, axis=new_axis), same)


@st.composite
def matmul_shapes(draw):
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    left = draw(st.sampled_from(["vector", "matrix", "batch"]))
    right = draw(st.sampled_from(["vector", "matrix", "batch"]))
    a = {"vector": (k,), "matrix": (n, k), "batch": batch.input_shapes[0] + (n, k)}[left]
    b = {"vector": (k,), "matrix": (k, m), "batch": batch.input_shapes[1] + (k, m)}[right]
    return a, b


@given(case=matmul_shapes(), seed=seeds)
def test_matmul(case, seed):
    rng = np.random.default_rng(seed)
    check(lambda a, b: a @ b, [make(rng, case[0]), make(rng, case[1])])


@given(batch=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), d=st.integers(1, 4),
       o=st.integers(1, 3), bias=st.booleans(), seed=seeds)
def test_linear(batch, d, o, bias, seed):
    rng = np.random.default_rng(seed)
    inputs = [make(rng, batch + (d,)), make(rng, (o, d))] + ([make(rng, (o,))] if bias else [])
    check(mg.linear, inputs)


@given(batches=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3),
       d=st.integers(1, 3), h=st.integers(1, 3), o=st.integers(1, 3), seed=seeds)
def test_linear_of_two_inputs_whose_batch_shapes_broadcast(batches, d, h, o, seed):
    # U x + W s with, say, a batch of inputs x and one state s shared by the whole batch
    rng = np.random.default_rng(seed)
    x, s = (make(rng, shape + (n,)) for shape, n in zip(batches.input_shapes, (d, h)))
    U, W, b = make(rng, (o, d)), make(rng, (o, h)), make(rng, (o,))
    check(lambda x, s, U, W, b: mg.linear((x, s), (U, W), b), [x, s, U, W, b])


@pytest.mark.parametrize("fn", [mg.softmax, mg.log_softmax])
@given(case=shape_and_axis(min_dims=1), seed=seeds)
def test_softmax_family(fn, case, seed):
    shape, axis = case
    axis = axis if isinstance(axis, int) else -1
    check(lambda x: fn(x, axis=axis), [make(np.random.default_rng(seed), shape)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(lead=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), classes=st.integers(1, 4),
       seed=seeds)
def test_cross_entropy(reduction, lead, classes, seed):
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, classes, lead)
    check(lambda z: mg.cross_entropy(z, targets, reduction=reduction),
          [make(rng, lead + (classes,))])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(shape=shapes, seed=seeds)
def test_mse_loss(reduction, shape, seed):
    rng = np.random.default_rng(seed)
    check(lambda p, t: mg.mse_loss(p, t, reduction=reduction),
          [make(rng, shape), make(rng, shape)])


def test_gradcheck_catches_a_wrong_gradient():
    """The referee must be able to fail: a deliberately wrong vjp is caught."""
    from minigrad.graph import record

    def wrong_square(a):
        x = a.data
        return record("square", x * x, (a,), (lambda g, x: g * x,), (x,))   # should be 2 g x

    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True, name="x")
    with pytest.raises(mg.GradcheckError, match="worst at input 'x'"):
        mg.gradcheck(wrong_square, [x])
    report = mg.gradcheck(wrong_square, [x], raise_on_failure=False)
    worst = report.worst                       # the true derivative is twice the wrong one
    assert not report.ok and abs(worst.numeric - 2 * worst.autograd) < 1e-6


def test_gradcheck_uses_directions_for_large_inputs():
    x = make(np.random.default_rng(0), (40, 40))
    report = mg.gradcheck(lambda x: (x @ x).tanh(), [x], max_elements=100, directions=5)
    assert [c.where for c in report.checks] == [f"direction {k}" for k in range(5)]


def test_gradcheck_leaves_existing_grads_alone():
    x = make(np.random.default_rng(0), (2,))
    x.grad = np.array([7.0, 7.0])
    mg.gradcheck(lambda x: x * x, [x])
    assert x.grad.tolist() == [7.0, 7.0]
