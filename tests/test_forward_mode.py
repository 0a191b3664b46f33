"""Forward mode: every op's jvp against central finite differences and against
its own vjp through the dot-product identity ⟨v, J u⟩ = ⟨Jᵀ v, u⟩.

Hypothesis draws the shapes (broadcasting ones included) and a seed; the
values, the direction u and the cotangent v come from the seed.  One
checker, :func:`check_jvp`, serves every op.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad import forward
from op_cases import BINARY, UNARY, seeds, shapes, two_broadcasting, values



def check_jvp(fn, arrays, rng, eps=1e-6):
    """jvp(fn) along a random u: against central differences and against the vjp."""
    us = [rng.standard_normal(np.shape(a)) for a in arrays]
    out, tangent = mg.jvp(fn, arrays, us)
    assert np.shape(tangent) == np.shape(out)

    # 1. finite differences: (f(x + εu) - f(x - εu)) / 2ε
    plus = fn(*[mg.tensor(a + eps * u) for a, u in zip(arrays, us)])._data
    minus = fn(*[mg.tensor(a - eps * u) for a, u in zip(arrays, us)])._data
    numeric = (plus - minus) / (2 * eps)
    scale = max(1.0, float(np.max(np.abs(numeric), initial=0.0)))
    assert np.allclose(tangent, numeric, rtol=1e-6, atol=1e-7 * scale), (tangent, numeric)

    # 2. the dot-product identity with the reverse-mode gradient
    leaves = [mg.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*leaves)
    v = rng.standard_normal(y.shape)
    (y * v).sum().backward()
    forward_side = float(np.sum(v * tangent))                       # ⟨v, J u⟩
    reverse_side = float(sum(np.sum((leaf.grad if leaf.grad is not None else 0.0) * u)
                             for leaf, u in zip(leaves, us)))       # ⟨Jᵀ v, u⟩
    assert forward_side == pytest.approx(reverse_side, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("name", BINARY)
@given(shapes=two_broadcasting, seed=seeds)
def test_binary_jvps_broadcast_forward(name, shapes, seed):
    fn, dom_a, dom_b = BINARY[name]
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes.input_shapes
    check_jvp(fn, [values(rng, a_shape, dom_a), values(rng, b_shape, dom_b)], rng)


UNARY = {
    **UNARY,                                 # the elementwise ops and transpose, astype
    "sum": (lambda a: a.sum(), "real"),
    "mean": (lambda a: a.mean(), "real"),
    "max": (lambda a: a.max(), "real"),
    "reshape": (lambda a: a.reshape(-1), "real"),
}


@pytest.mark.parametrize("name", UNARY)
@given(shape=shapes, seed=seeds)
def test_unary_jvps(name, shape, seed):
    fn, domain = UNARY[name]
    rng = np.random.default_rng(seed)
    check_jvp(fn, [values(rng, shape, domain)], rng)


@pytest.mark.parametrize("op", ["sum", "mean", "max"])
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), seed=seeds,
       keepdims=st.booleans(), data=st.data())
def test_reductions_over_an_axis(op, shape, seed, keepdims, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(seed)
    check_jvp(lambda a: getattr(mg, op)(a, axis=axis, keepdims=keepdims),
              [values(rng, shape)], rng)


sides = st.integers(1, 3)


@given(n=sides, k=sides, m=sides, batch=st.sampled_from([(), (2,), (1,), (2, 1)]),
       left_vector=st.booleans(), right=st.sampled_from(["vector", "matrix", "batched"]),
       seed=seeds)
def test_matmul_matrices_vectors_and_batches(n, k, m, batch, left_vector, right, seed):
    left_shape = (k,) if left_vector else batch + (n, k)
    right_shape = {"vector": (k,), "matrix": (k, m), "batched": (2,) + (k, m)}[right]
    rng = np.random.default_rng(seed)
    check_jvp(lambda a, b: a @ b, [values(rng, left_shape), values(rng, right_shape)], rng)


@given(seed=seeds)
def test_matmul_vector_on_the_left(seed):
    rng = np.random.default_rng(seed)
    check_jvp(lambda a, b: a @ b, [values(rng, (3,)), values(rng, (3, 2))], rng)
    check_jvp(lambda a, b: a @ b, [values(rng, (3,)), values(rng, (3,))], rng)


INDEXES = {
    "slice": (slice(1, None), (3, 2)),
    "int": (1, (3, 2)),
    "repeats": ([0, 0, 2], (3, 2)),
    "boolean": (np.array([True, False, True]), (3, 2)),
    "pair": ((slice(None), [1, 1]), (3, 2)),
    "ellipsis": ((..., 0), (2, 3, 2)),
    "newaxis": ((None, 1), (3, 2)),
}


@pytest.mark.parametrize("name", INDEXES)
@given(seed=seeds)
def test_getitem(name, seed):
    index, shape = INDEXES[name]
    rng = np.random.default_rng(seed)
    check_jvp(lambda a: a[index], [values(rng, shape)], rng)


@pytest.mark.parametrize("axis", [0, 1, -1])
@given(seed=seeds)
def test_concat_and_stack(axis, seed):
    rng = np.random.default_rng(seed)
    check_jvp(lambda a, b, c: mg.concat([a, b, c], axis=axis),
              [values(rng, (2, 3)), values(rng, (2, 3)), values(rng, (2, 3))], rng)
    check_jvp(lambda a, b: mg.stack([a, b, a], axis=axis), [values(rng, (2, 3)),
                                                            values(rng, (2, 3))], rng)


@given(seed=seeds, batch=st.sampled_from([(), (4,), (2, 3)]), bias=st.booleans())
def test_linear_one_and_two_inputs(seed, batch, bias):
    rng = np.random.default_rng(seed)
    x, s = values(rng, batch + (3,)), values(rng, batch + (2,))
    U, W, b = values(rng, (5, 3)), values(rng, (5, 2)), values(rng, (5,))
    if bias:
        check_jvp(lambda x, U, b: mg.linear(x, U, b), [x, U, b], rng)
        check_jvp(lambda x, s, U, W, b: mg.linear((x, s), (U, W), b), [x, s, U, W, b], rng)
    else:
        check_jvp(lambda x, U: mg.linear(x, U), [x, U], rng)
        check_jvp(lambda x, s, U, W: mg.linear((x, s), (U, W)), [x, s, U, W], rng)


@pytest.mark.parametrize("op", [mg.softmax, mg.log_softmax])
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), seed=seeds,
       data=st.data())
def test_softmax_and_log_softmax(op, shape, seed, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(seed)
    check_jvp(lambda a: op(a, axis=axis), [values(rng, shape)], rng)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(seed=seeds, batch=st.sampled_from([(1,), (4,), (2, 3)]))
def test_losses(reduction, seed, batch):
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 3, batch)
    check_jvp(lambda z: mg.cross_entropy(z, targets, reduction=reduction),
              [values(rng, batch + (3,))], rng)
    check_jvp(lambda p, y: mg.mse_loss(p, y, reduction=reduction),
              [values(rng, batch + (2,)), values(rng, batch + (2,))], rng)


def test_every_recorded_op_has_a_jvp_table_and_a_test_here():
    """A new op without a jvp, or a jvp without a test in this file, fails here."""
    tested = set(BINARY) | set(UNARY) | {"matmul", "getitem", "concat", "stack", "linear",
                                         "softmax", "log_softmax", "cross_entropy", "mse_loss"}
    assert set(forward.JVP_TABLES) == tested
    recording = {name for name in mg.ops.__all__
                 if name not in ("unbind", "as_tensor")}      # unbind records getitems
    assert recording <= set(forward.JVP_TABLES)


# ------------------------------------------------------------- the interface

def test_jvp_of_a_composition_is_the_chain_rule():
    """d tanh(W x) along dx = (1 - tanh²(W x)) ⊙ (W dx), by hand."""
    rng = np.random.default_rng(0)
    W, x, dx = rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal(2)
    out, tangent = mg.jvp(lambda W, x: mg.tanh(W @ x), [W, x], [None, dx])
    assert np.allclose(out, np.tanh(W @ x), rtol=0, atol=1e-15)
    assert np.allclose(tangent, (1 - np.tanh(W @ x) ** 2) * (W @ dx), rtol=0, atol=1e-15)


def test_linearize_pushes_many_tangents_through_one_record():
    """The Jacobian column by column equals the Jacobian row by row from backward()."""
    rng = np.random.default_rng(1)
    A = rng.standard_normal((3, 4))
    f = lambda x: mg.softmax(mg.tanh(mg.tensor(A) @ x) * x[:3])     # noqa: E731
    x = rng.standard_normal(4)
    lin = mg.linearize(f, [x])
    columns = np.stack([lin.push([e]) for e in np.eye(4)], axis=1)     # J, by columns
    rows = []
    for i in range(3):
        leaf = mg.tensor(x, requires_grad=True)
        f(leaf)[i].backward()
        rows.append(leaf.grad)
    assert np.allclose(columns, np.stack(rows), rtol=1e-12, atol=1e-15)


def test_tuple_outputs_parameters_by_identity_and_held_inputs():
    rng = np.random.default_rng(2)
    W = mg.tensor(rng.standard_normal((2, 2)), requires_grad=True)    # read from outside f
    x = rng.standard_normal(2)
    dW = rng.standard_normal((2, 2))
    (y, z), (dy, dz) = mg.jvp(lambda x, W_: (W @ x, (W @ x).sum() * 2.0), [x, W], [None, dW])
    assert np.allclose(dy, dW @ x, rtol=0, atol=1e-15)
    assert dz == pytest.approx(2 * (dW @ x).sum(), rel=1e-14)
    assert np.array_equal(mg.jvp(lambda x: x * 2.0, [x], [None])[1], np.zeros(2))
    assert np.array_equal(mg.jvp(lambda x: x, [x], [np.ones(2)])[1], np.ones(2))


def test_a_tangent_of_the_wrong_shape_or_number_says_so():
    with pytest.raises(mg.ShapeError, match="tangent has shape"):
        mg.jvp(lambda x: x * 2.0, [np.ones(3)], [np.ones(2)])
    with pytest.raises(ValueError, match="1 inputs but 2 tangents"):
        mg.jvp(lambda x: x * 2.0, [np.ones(3)], [np.ones(3), None])


# ------------------------------------------- each input its own primal; no_grad

@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")
def test_a_tensor_passed_twice_is_two_inputs_with_their_own_tangents(torch):
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    u, v = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    out, tangent = mg.jvp(lambda p, q: p * q, [a, a], [u, v])
    assert tangent.tolist() == [1.0, 2.0]               # q u + p v, not 2 a (u + v)
    t = torch.tensor([1.0, 2.0], dtype=torch.float64)
    _, expected = torch.func.jvp(lambda p, q: p * q, (t, t), (torch.tensor(u), torch.tensor(v)))
    np.testing.assert_array_equal(tangent, expected.numpy())
    lin = mg.linearize(lambda p, q: p * q, [a, a])
    assert lin.leaves[0] is a and lin.leaves[1] is not a   # the parameter stays itself once


def no_grad_inside(x):
    with mg.no_grad():
        y = x * x
    return y * x                                         # x³, with x² computed under no_grad


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")
def test_no_grad_inside_f_does_not_stop_the_tangent_as_in_torch(torch):
    x, u = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    _, tangent = mg.jvp(no_grad_inside, [x], [u])
    np.testing.assert_allclose(tangent, 3 * x ** 2 * u, rtol=1e-15)

    def torch_f(x):
        with torch.no_grad():
            y = x * x
        return y * x
    _, expected = torch.func.jvp(torch_f, (torch.tensor(x),), (torch.tensor(u),))
    np.testing.assert_allclose(tangent, expected.numpy(), rtol=1e-15)
    with mg.no_grad():                                   # nor no_grad around the call
        assert mg.jvp(lambda x: x * x, [x], [u])[1].tolist() == [2.0, -4.0]


def test_reverse_mode_still_sees_a_no_grad_result_as_a_constant():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    lin = mg.linearize(no_grad_inside, [w])
    assert lin.push([np.array([1.0, 0.0])]).tolist() == [3.0, 0.0]
    lin.outputs[0].sum().backward()
    assert w.grad.tolist() == [1.0, 4.0]                 # d(y x)/dx with y = x² held fixed
    inner = [n for n in lin.nodes if isinstance(n, mg.graph.TangentNode)]
    assert [n.op for n in inner] == ["mul"]              # x * x, recorded for the tangent only


def test_unbind_and_detach_inside_f():
    def f(x):
        with mg.no_grad():
            rows = mg.unbind(x * 2.0)
        return rows[0] + rows[1] + x.detach()[0]         # detach cuts, as in PyTorch
    _, tangent = mg.jvp(f, [np.array([[1.0, 2.0], [3.0, 4.0]])], [np.ones((2, 2))])
    assert tangent.tolist() == [4.0, 4.0]


# ------------------------------------------------------------- clear errors

@pytest.mark.parametrize("result, said", [(lambda x: np.ones(2), "an ndarray"),
                                          (lambda x: 3.0, "a float"),
                                          (lambda x: None, "None"),
                                          (lambda x: (x * 2.0, x.data), r"a tuple of \(Tensor, ndarray\)")])
def test_f_that_does_not_return_tensors_says_so(result, said):
    for run in (lambda: mg.jvp(result, [np.ones(2)], [np.ones(2)]),
                lambda: mg.linearize(result, [np.ones(2)])):
        with pytest.raises(TypeError, match=f"returned {said}, not a minigrad Tensor.*minigrad "
                                            f"ops"):
            run()


@pytest.mark.parametrize("tangents, said", [
    (None, "tangents is None"),
    (np.ones(2), "tangents must be a list.*got an ndarray.*Fix: \\[u\\]"),
    (["ab"], "tangents\\[0\\] holds strings"),
    ([True], "tangents\\[0\\] is True"),
    ([np.array([True, False])], "tangents\\[0\\] holds booleans"),
    ([np.array([1 + 1j, 0])], "tangents\\[0\\] holds complex numbers"),
    ([object()], "tangents\\[0\\] holds Python objects"),
])
def test_a_tangent_that_is_not_real_numbers_says_so(tangents, said):
    with pytest.raises(TypeError, match=f"mg.jvp: {said}"):
        mg.jvp(lambda x: x * 2.0, [np.ones(2)], tangents)


def test_inputs_must_be_a_list_and_tensor_tangents_are_welcome():
    with pytest.raises(TypeError, match=r"inputs must be a list.*got an ndarray of shape "
                                        r"\(2,\). Fix: \[x\]"):
        mg.jvp(lambda x: x * 2.0, np.ones(2), [np.ones(2)])
    with pytest.raises(TypeError, match="the function comes first"):
        mg.jvp([np.ones(2)], lambda x: x, [np.ones(2)])
    out, tangent = mg.jvp(lambda x: x * 2.0, [np.ones(2)], [mg.tensor([1.0, 2.0])])
    assert tangent.tolist() == [2.0, 4.0]
    _, tangent = mg.jvp(lambda x: x * x, [np.array([1, 3])], [np.array([1, 0])])   # integers
    assert tangent.tolist() == [2.0, 0.0] and tangent.dtype == np.float64


def test_the_tangent_of_a_broadcast_input_alone_is_broadcast_too():
    u = np.array([1.0, 2.0, 3.0])
    _, tangent = mg.jvp(lambda a, b: a + b, [np.ones(3), np.ones((2, 3))], [u, None])
    assert tangent.shape == (2, 3) and tangent.tolist() == [u.tolist()] * 2
    _, tangent = mg.jvp(lambda a, B: (a * B).sum(axis=0), [np.ones(3), np.ones((2, 3))],
                        [u, None])                               # through a reduction too
    assert tangent.tolist() == (2 * u).tolist()
