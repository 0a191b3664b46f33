"""Forward values: every op and every operator computes the function it names.

gradcheck (test_ops_gradcheck.py) holds each op's backward against its own
forward.  It cannot see a forward that computes the wrong function with a
backward to match: ``2 / x`` computing ``x / 2``, ``A @ x`` computing
``x @ A``, ``exp`` returning 2 e^x (whose derivative is itself, too), ``max``
returning the minimum.  Here every forward value is compared

* with NumPy, whose rules minigrad follows (broadcasting, dtypes, indexing);
* with PyTorch in float64, to 1e-12 (these tests take the ``torch`` fixture).

How close is close enough:

* exactly, bit for bit, where an op only moves, picks or compares values (neg,
  abs, relu, max, reshape, transpose, indexing, concat, stack, unbind, astype,
  < <= > >= == !=) or does one correctly rounded IEEE operation (+, -, *, /,
  sqrt): there is one right answer;
* to ``close(dtype)`` (1e-13 in float64, 1e-6 in float32) where the same function may be
  computed another way (exp, log, tanh, pow, sigmoid, sums, matmul, softmax,
  losses).  The inputs are of order 1, so the error is measured against
  max(1, largest |expected value|).

Shapes and values come from Hypothesis: shapes that broadcast against each
other, values inside each op's domain (log and sqrt of positive numbers, a
positive base for pow, no division by zero).  Tensors are float64 or float32
and the result must have NumPy's dtype: float32 stays float32, and a Python
number takes the dtype of the tensor it meets.
"""

import math
import operator

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg

DTYPES = (np.float64, np.float32)
TORCH_RTOL = 1e-12


def close(dtype):
    """The relative tolerance for a value computed another way than NumPy's."""
    return {np.dtype(np.float64): 1e-13, np.dtype(np.float32): 1e-6}[np.dtype(dtype)]


# ------------------------------------------------------------------ inputs

DOMAINS = {                   # (low, high); "nonzero" is -high..-low and low..high
    "real": (-3.0, 3.0),
    "positive": (0.25, 4.0),
    "nonzero": (0.25, 3.0),
}


def elements(domain, dtype=np.float64):
    """Floats of ``dtype`` in ``domain`` (the bounds are exact in float32 too)."""
    low, high = DOMAINS[domain]
    floats = st.floats(low, high, width=8 * np.dtype(dtype).itemsize)
    return st.one_of(floats, floats.map(operator.neg)) if domain == "nonzero" else floats


def numbers(domain):
    """Python ints and floats in ``domain``: what ``2 - x`` has on the left."""
    low, high = DOMAINS[domain]
    magnitudes = st.one_of(st.integers(math.ceil(low), math.floor(high)), st.floats(low, high))
    return st.one_of(magnitudes, magnitudes.map(operator.neg)) if domain == "nonzero" \
        else magnitudes


def draw_array(data, shape, domain="real", dtype=np.float64):
    return data.draw(hnp.arrays(dtype, shape, elements=elements(domain, dtype)))


def shapes(min_dims=0, max_dims=3):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=3)


def to_torch(torch, value):
    """ndarrays become torch tensors (same dtype); numbers and indices stay as they are."""
    return torch.from_numpy(value) if isinstance(value, np.ndarray) else value


def assert_matches(out, expected, rtol=0.0, what=""):
    """``out`` is a Tensor with ``expected``'s shape, dtype and values.

    rtol = 0 asks for the very same numbers; otherwise the largest error may be
    rtol x max(1, largest |expected|).
    """
    assert isinstance(out, mg.Tensor), f"{what}: returned {type(out).__name__}, not a Tensor"
    if not isinstance(expected, np.ndarray):
        expected = expected.numpy() if hasattr(expected, "numpy") else np.asarray(expected)
    assert out.shape == expected.shape, f"{what}: shape {out.shape}, expected {expected.shape}"
    assert out.dtype == expected.dtype, f"{what}: dtype {out.dtype}, expected {expected.dtype}"
    if rtol == 0:
        assert np.array_equal(out.data, expected), \
            f"{what}: got\n{out.data}\nexpected\n{expected}"
    else:
        err = float(np.max(np.abs(out.data - expected), initial=0.0))
        scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
        assert err <= rtol * scale, \
            f"{what}: max error {err:.3g} > {rtol:g} x {scale:.3g}; got\n{out.data}\n" \
            f"expected\n{expected}"


# ---------------------------------------------------- elementwise binary ops

BINARY = {   # name: (operator, minigrad function, NumPy function, domain of a, domain of b)
    "add": (operator.add, mg.add, np.add, "real", "real"),
    "sub": (operator.sub, mg.sub, np.subtract, "real", "real"),
    "mul": (operator.mul, mg.mul, np.multiply, "real", "real"),
    "div": (operator.truediv, mg.div, np.true_divide, "real", "nonzero"),
    "pow": (operator.pow, mg.pow, np.power, "positive", "real"),
}
EXACT_BINARY = {"add", "sub", "mul", "div"}          # one correctly rounded operation

# How the operands reach the op: T a Tensor, A an ndarray, L a (nested) Python list,
# n a Python number.  The reflected forms run Tensor.__rsub__, __rtruediv__, ... for
# numbers and lists (n op T, L op T) and NumPy's ufunc, handed to Tensor.__array_ufunc__,
# for ndarrays (A op T).
FORMS = {
    "T op T": ("TT", "operator"),
    "T op A": ("TA", "operator"),
    "A op T": ("AT", "operator"),
    "L op T": ("LT", "operator"),
    "T op n": ("Tn", "operator"),
    "n op T": ("nT", "operator"),
    "f(T, T)": ("TT", "function"),
    "f(A, T)": ("AT", "function"),
    "f(n, T)": ("nT", "function"),
}


def draw_operands(data, domains, dtypes=DTYPES, shapes_strategy=None):
    """Two arrays of shapes that broadcast together (each its own dtype), and two numbers."""
    if shapes_strategy is None:
        shapes_strategy = hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                             max_side=3)
    arrays = [draw_array(data, shape, domain, data.draw(st.sampled_from(dtypes)))
              for shape, domain in zip(data.draw(shapes_strategy).input_shapes, domains)]
    return arrays, [data.draw(numbers(domain)) for domain in domains]


def reference_operand(kind, array, number):
    """An operand as the references see it: the number for n; for L, the float64 array
    that a list of Python floats stands for (a 0-d "list" is a number); else the array."""
    if kind == "n":
        return number
    if kind == "L":
        return array.astype(np.float64) if array.ndim else array.item()
    return array


def minigrad_operand(kind, value):
    """An operand as the form hands it to minigrad: a Tensor, a list, or as it is."""
    if kind == "T":
        return mg.tensor(value)
    if kind == "L" and isinstance(value, np.ndarray):
        return value.tolist()
    return value


def every_form(forms, op, function, arrays, numbers):
    """(form, the references' operands, minigrad's result) for each form."""
    for form, (kinds, via) in forms.items():
        operands = [reference_operand(*args) for args in zip(kinds, arrays, numbers)]
        args = [minigrad_operand(kind, v) for kind, v in zip(kinds, operands)]
        yield form, operands, op(*args) if via == "operator" else function(*args)


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_binary_op_values_match_numpy(name, data):
    op, function, reference, *domains = BINARY[name]
    for form, (a, b), out in every_form(FORMS, op, function, *draw_operands(data, domains)):
        expected = reference(a, b)
        rtol = 0 if name in EXACT_BINARY else close(expected.dtype)
        assert_matches(out, expected, rtol, f"{name} as {form}")


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_binary_op_values_match_torch(torch, name, data):
    op, function, _, *domains = BINARY[name]
    operands = draw_operands(data, domains, dtypes=[np.float64])
    for form, (a, b), out in every_form(FORMS, op, function, *operands):
        assert_matches(out, op(to_torch(torch, a), to_torch(torch, b)), TORCH_RTOL,
                       f"{name} as {form}")


# ------------------------------------------------------------------ matmul

MATMUL_FORMS = {k: FORMS[k] for k in ("T op T", "T op A", "A op T", "L op T", "f(T, T)",
                                       "f(A, T)")}
MATMUL_SHAPES = hnp.mutually_broadcastable_shapes(signature=np.matmul.signature,
                                                  max_dims=2, max_side=3)


@given(data=st.data())
def test_matmul_values_match_numpy(data):
    operands = draw_operands(data, ("real", "real"), shapes_strategy=MATMUL_SHAPES)
    for form, (a, b), out in every_form(MATMUL_FORMS, operator.matmul, mg.matmul, *operands):
        expected = np.matmul(a, b)
        assert_matches(out, expected, close(expected.dtype), f"{a.shape} @ {b.shape} as {form}")


@given(data=st.data())
def test_matmul_values_match_torch(torch, data):
    operands = draw_operands(data, ("real", "real"), dtypes=[np.float64],
                             shapes_strategy=MATMUL_SHAPES)
    for form, (a, b), out in every_form(MATMUL_FORMS, operator.matmul, mg.matmul, *operands):
        assert_matches(out, to_torch(torch, a) @ to_torch(torch, b), TORCH_RTOL,
                       f"{a.shape} @ {b.shape} as {form}")


# ------------------------------------------------------ elementwise unary ops

UNARY = {   # name: (minigrad function, NumPy reference, domain, exact?)
    "neg": (mg.neg, np.negative, "real", True),
    "exp": (mg.exp, np.exp, "real", False),
    "log": (mg.log, np.log, "positive", False),
    "sqrt": (mg.sqrt, np.sqrt, "positive", True),
    "abs": (mg.abs, np.abs, "real", True),
    "tanh": (mg.tanh, np.tanh, "real", False),
    "sigmoid": (mg.sigmoid, lambda x: 1 / (1 + np.exp(-x)), "real", False),   # 1/(1+e^-x)
    "relu": (mg.relu, lambda x: np.maximum(x, 0), "real", True),             # max(x, 0)
}
UNARY_FORMS = {
    "mg.f(T)": lambda name, x: getattr(mg, name)(mg.tensor(x)),
    "T.f()": lambda name, x: -mg.tensor(x) if name == "neg" else getattr(mg.tensor(x), name)(),
    "mg.f(A)": lambda name, x: getattr(mg, name)(x),
}


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_unary_op_values_match_numpy(name, data):
    _, reference, domain, exact = UNARY[name]
    x = draw_array(data, data.draw(shapes()), domain, data.draw(st.sampled_from(DTYPES)))
    expected = reference(x)
    for form, f in UNARY_FORMS.items():
        assert_matches(f(name, x), expected, 0 if exact else close(x.dtype), f"{name} as {form}")


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_unary_op_values_match_torch(torch, name, data):
    x = draw_array(data, data.draw(shapes()), UNARY[name][2])
    expected = getattr(torch, name)(torch.from_numpy(x))
    for form, f in UNARY_FORMS.items():
        assert_matches(f(name, x), expected, TORCH_RTOL, f"{name} as {form}")


# -------------------------------------------------------------- reductions

@st.composite
def shape_and_axis(draw):
    """A shape and an axis: None, an int (maybe negative) or a tuple of distinct axes."""
    shape = draw(shapes())
    ndim = len(shape)
    if ndim == 0:
        return shape, None
    one = st.integers(-ndim, ndim - 1)
    axis = draw(st.one_of(st.none(), one, st.lists(one, min_size=1, max_size=ndim,
                                                   unique_by=lambda ax: ax % ndim).map(tuple)))
    return shape, axis


REDUCTIONS = {   # name: (NumPy reference, torch name, exact?)
    "sum": (np.sum, "sum", False),
    "mean": (np.mean, "mean", False),
    "max": (np.max, "amax", True),
}
REDUCTION_FORMS = {
    "mg.f(T, axis, keepdims)": lambda name, x, axis, keep: getattr(mg, name)(
        mg.tensor(x), axis=axis, keepdims=keep),
    "T.f(axis, keepdims)": lambda name, x, axis, keep: getattr(mg.tensor(x), name)(axis, keep),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@given(case=shape_and_axis(), keepdims=st.booleans(), data=st.data())
def test_reduction_values_match_numpy(name, case, keepdims, data):
    shape, axis = case
    reference, _, exact = REDUCTIONS[name]
    x = draw_array(data, shape, dtype=data.draw(st.sampled_from(DTYPES)))
    expected = np.asarray(reference(x, axis=axis, keepdims=keepdims))
    for form, f in REDUCTION_FORMS.items():
        assert_matches(f(name, x, axis, keepdims), expected, 0 if exact else close(x.dtype),
                       f"{name}(axis={axis}, keepdims={keepdims}) of shape {shape} as {form}")


@pytest.mark.parametrize("name", REDUCTIONS)
@given(case=shape_and_axis(), keepdims=st.booleans(), data=st.data())
def test_reduction_values_match_torch(torch, name, case, keepdims, data):
    shape, axis = case
    x = draw_array(data, shape)
    out = getattr(mg.tensor(x), name)(axis=axis, keepdims=keepdims)
    dims = tuple(range(len(shape))) if axis is None else axis        # torch: dim=() is all
    expected = getattr(torch, REDUCTIONS[name][1])(torch.from_numpy(x), dim=dims,
                                                   keepdim=keepdims)
    assert_matches(out, expected, TORCH_RTOL,
                   f"{name}(axis={axis}, keepdims={keepdims}) of shape {shape}")


def test_reductions_by_hand():
    x = mg.tensor([[1.0, 5.0, 3.0],
                   [4.0, 2.0, 6.0]])
    assert x.sum().item() == 21.0
    assert x.sum(axis=0).tolist() == [5.0, 7.0, 9.0]
    assert x.sum(axis=-1, keepdims=True).tolist() == [[9.0], [12.0]]
    assert x.mean().item() == 3.5                       # 21 / 6
    assert x.mean(axis=1).tolist() == [3.0, 4.0]        # 9 / 3, 12 / 3
    assert x.mean(axis=(0, 1), keepdims=True).tolist() == [[3.5]]
    assert x.max().item() == 6.0
    assert x.max(axis=0).tolist() == [4.0, 5.0, 6.0]
    assert x.max(axis=-1).tolist() == [5.0, 6.0]


# --------------------------------------------------- softmax and log-softmax

def softmax_reference(x, axis=-1):
    """e^(x_i) / Σ_j e^(x_j): the definition (no overflow for |x| <= 3)."""
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax_reference(x, axis=-1):
    """x_i - log Σ_j e^(x_j)."""
    return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))


SOFTMAXES = {"softmax": softmax_reference, "log_softmax": log_softmax_reference}
SOFTMAX_FORMS = {   # the forms without an axis check the default, the last axis
    "mg.f(T)": lambda name, x, axis: getattr(mg, name)(mg.tensor(x)),
    "T.f()": lambda name, x, axis: getattr(mg.tensor(x), name)(),
    "mg.f(T, axis)": lambda name, x, axis: getattr(mg, name)(mg.tensor(x), axis=axis),
    "T.f(axis)": lambda name, x, axis: getattr(mg.tensor(x), name)(axis),
}


@pytest.mark.parametrize("name", SOFTMAXES)
@given(data=st.data())
def test_softmax_values_match_numpy(name, data):
    x = draw_array(data, data.draw(shapes(min_dims=1)), dtype=data.draw(st.sampled_from(DTYPES)))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    for form, f in SOFTMAX_FORMS.items():
        along = axis if "axis" in form else -1
        assert_matches(f(name, x, axis), SOFTMAXES[name](x, along), close(x.dtype),
                       f"{name} over axis {along} of shape {x.shape} as {form}")


@pytest.mark.parametrize("name", SOFTMAXES)
@given(data=st.data())
def test_softmax_values_match_torch(torch, name, data):
    x = draw_array(data, data.draw(shapes(min_dims=1)))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    for form, f in SOFTMAX_FORMS.items():
        along = axis if "axis" in form else -1
        expected = getattr(torch, name)(torch.from_numpy(x), dim=along)
        assert_matches(f(name, x, axis), expected, TORCH_RTOL,
                       f"{name} over axis {along} of shape {x.shape} as {form}")


def test_softmax_by_hand():
    z = mg.tensor([[0.0, math.log(3.0)],
                   [math.log(4.0), 0.0]])
    np.testing.assert_allclose(mg.softmax(z).data, [[0.25, 0.75], [0.8, 0.2]], rtol=1e-15)
    np.testing.assert_allclose(mg.softmax(z, axis=0).data, [[0.2, 0.75], [0.8, 0.25]],
                               rtol=1e-15)
    np.testing.assert_allclose(z.log_softmax().data, np.log([[0.25, 0.75], [0.8, 0.2]]),
                               rtol=1e-15)
    # Large logits: e^1000 overflows, but the result must not.
    big = mg.tensor([1000.0, 1000.0, 0.0])
    np.testing.assert_allclose(mg.softmax(big).data, [0.5, 0.5, 0.0], atol=1e-300)
    np.testing.assert_allclose(mg.log_softmax(big).data, [-math.log(2), -math.log(2),
                                                           -1000 - math.log(2)], rtol=1e-15)


# ------------------------------------------------------------------ losses

@st.composite
def logits_and_targets(draw, dtypes=DTYPES):
    """Logits of shape (..., C) and integer classes of shape (...)."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    logits = draw(hnp.arrays(draw(st.sampled_from(dtypes)), shape, elements=elements("real")))
    targets = draw(hnp.arrays(np.int64, shape[:-1], elements=st.integers(0, shape[-1] - 1)))
    return logits, targets


def cross_entropy_reference(logits, targets, reduction):
    """-log softmax(z)[y] per row, then the mean, the sum or nothing."""
    picked = np.take_along_axis(log_softmax_reference(logits), targets[..., None], -1)[..., 0]
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](-picked)


TARGET_FORMS = {"ndarray": lambda y: y, "list": lambda y: y.tolist(), "Tensor": mg.tensor}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(case=logits_and_targets(), target_form=st.sampled_from(sorted(TARGET_FORMS)))
def test_cross_entropy_values_match_numpy(reduction, case, target_form):
    logits, targets = case
    out = mg.cross_entropy(mg.tensor(logits), TARGET_FORMS[target_form](targets), reduction)
    expected = np.asarray(cross_entropy_reference(logits, targets, reduction), logits.dtype)
    assert_matches(out, expected, close(logits.dtype),
                   f"cross_entropy({reduction}) of logits {logits.shape}")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(case=logits_and_targets(dtypes=[np.float64]))
def test_cross_entropy_values_match_torch(torch, reduction, case):
    logits, targets = case
    out = mg.cross_entropy(mg.tensor(logits), targets, reduction)
    z = torch.from_numpy(logits)           # torch wants the classes on axis 1: (N, C, d1, ...)
    expected = torch.nn.functional.cross_entropy(
        z.movedim(-1, 1) if z.ndim > 2 else z, torch.from_numpy(targets), reduction=reduction)
    assert_matches(out, expected, TORCH_RTOL,
                   f"cross_entropy({reduction}) of logits {logits.shape}")


MSE_REDUCTIONS = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}


@pytest.mark.parametrize("reduction", MSE_REDUCTIONS)
@given(data=st.data())
def test_mse_loss_values_match_numpy(reduction, data):
    dtype = data.draw(st.sampled_from(DTYPES))
    shape = data.draw(shapes())
    pred, target = draw_array(data, shape, dtype=dtype), draw_array(data, shape, dtype=dtype)
    as_target = data.draw(st.sampled_from([mg.tensor, lambda y: y]))   # Tensor or ndarray
    out = mg.mse_loss(mg.tensor(pred), as_target(target), reduction)
    expected = np.asarray(MSE_REDUCTIONS[reduction]((pred - target) ** 2))   # (p - y)²
    assert_matches(out, expected, close(dtype), f"mse_loss({reduction}) of shape {shape}")


@pytest.mark.parametrize("reduction", MSE_REDUCTIONS)
@given(data=st.data())
def test_mse_loss_values_match_torch(torch, reduction, data):
    shape = data.draw(shapes())
    pred, target = draw_array(data, shape), draw_array(data, shape)
    out = mg.mse_loss(mg.tensor(pred), mg.tensor(target), reduction)
    expected = torch.nn.functional.mse_loss(torch.from_numpy(pred), torch.from_numpy(target),
                                            reduction=reduction)
    assert_matches(out, expected, TORCH_RTOL, f"mse_loss({reduction}) of shape {shape}")


def test_losses_by_hand():
    # -log softmax([2, 0, 0])[0] = -2 + log(e² + 2)
    one = 2 - math.log(math.exp(2) + 2)
    z = mg.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(mg.cross_entropy(z, [0, 1], "none").data,
                               [-one, math.log(3)], rtol=1e-15)
    assert mg.cross_entropy(z, [0, 1], "sum").item() == pytest.approx(-one + math.log(3),
                                                                      rel=1e-15)
    assert mg.cross_entropy(z, [0, 1]).item() == pytest.approx((-one + math.log(3)) / 2,
                                                               rel=1e-15)
    p, y = mg.tensor([[1.0, 2.0], [3.0, 4.0]]), mg.tensor([[0.0, 0.0], [3.0, 2.0]])
    assert mg.mse_loss(p, y, "none").tolist() == [[1.0, 4.0], [0.0, 4.0]]
    assert mg.mse_loss(p, y, "sum").item() == 9.0
    assert mg.mse_loss(p, y).item() == 2.25                 # 9 / 4 elements


# ------------------------------------------------------------------ linear

@st.composite
def linear_case(draw, dtypes=DTYPES):
    """x (..., in), W (out, in), b (out,) or None; sometimes a second (x, W) pair."""
    dtype = draw(st.sampled_from(dtypes))
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    n_out = draw(st.integers(1, 3))

    def pair(batch):
        n_in = draw(st.integers(1, 3))
        return (draw(hnp.arrays(dtype, batch + (n_in,), elements=elements("real", dtype))),
                draw(hnp.arrays(dtype, (n_out, n_in), elements=elements("real", dtype))))

    pairs = [pair(batch)]
    if draw(st.booleans()):                 # U x_t + W s: s may be shared by the batch
        pairs.append(pair(draw(st.sampled_from([batch, batch[1:], ()]))))
    bias = draw(st.none() | hnp.arrays(dtype, (n_out,), elements=elements("real", dtype)))
    return pairs, bias


def linear_call(pairs, bias):
    xs, Ws = [mg.tensor(x) for x, _ in pairs], [mg.tensor(W) for _, W in pairs]
    b = None if bias is None else mg.tensor(bias)
    return mg.linear(xs[0], Ws[0], b) if len(pairs) == 1 else mg.linear(xs, Ws, b)


@given(case=linear_case())
def test_linear_values_match_numpy(case):
    pairs, bias = case
    expected = sum(x @ W.T for x, W in pairs) + (0 if bias is None else bias)   # Σ x Wᵀ + b
    assert_matches(linear_call(pairs, bias), expected, close(pairs[0][0].dtype),
                   f"linear of {[(x.shape, W.shape) for x, W in pairs]}, bias {bias is not None}")


@given(case=linear_case(dtypes=[np.float64]))
def test_linear_values_match_torch(torch, case):
    pairs, bias = case
    F = torch.nn.functional
    expected = sum(F.linear(torch.from_numpy(x), torch.from_numpy(W)) for x, W in pairs)
    if bias is not None:
        expected = expected + torch.from_numpy(bias)
    assert_matches(linear_call(pairs, bias), expected, TORCH_RTOL,
                   f"linear of {[(x.shape, W.shape) for x, W in pairs]}, bias {bias is not None}")


# ------------------------------------------------------------------ shapes

@st.composite
def new_shapes(draw, shape):
    """Another shape with the same number of elements, maybe with one -1."""
    size = math.prod(shape)
    options = [tuple(reversed(shape)), (size,), (-1,), shape + (1,), (1,) + shape]
    if shape:
        k = draw(st.integers(0, len(shape) - 1))
        options.append(shape[:k] + (-1,) + shape[k + 1:])
    return draw(st.sampled_from(options))


RESHAPE_FORMS = {
    "T.reshape(shape)": lambda t, s: t.reshape(s),
    "T.reshape(*shape)": lambda t, s: t.reshape(*s),
    "mg.reshape(T, shape)": lambda t, s: mg.reshape(t, s),
}


@given(data=st.data())
def test_reshape_values_match_numpy(data):
    x = draw_array(data, data.draw(shapes(max_dims=4)), dtype=data.draw(st.sampled_from(DTYPES)))
    shape = data.draw(new_shapes(x.shape))
    for form, f in RESHAPE_FORMS.items():
        assert_matches(f(mg.tensor(x), shape), x.reshape(shape), 0,
                       f"{x.shape} -> {shape} as {form}")


@given(data=st.data())
def test_reshape_values_match_torch(torch, data):
    x = draw_array(data, data.draw(shapes(max_dims=4)))
    shape = data.draw(new_shapes(x.shape))
    for form, f in RESHAPE_FORMS.items():
        assert_matches(f(mg.tensor(x), shape), torch.from_numpy(x).reshape(shape), 0,
                       f"{x.shape} -> {shape} as {form}")


TRANSPOSE_FORMS = {   # the first three reverse the axes; the others take a permutation
    "T.T": lambda t, axes: t.T,
    "T.transpose()": lambda t, axes: t.transpose(),
    "mg.transpose(T)": lambda t, axes: mg.transpose(t),
    "T.transpose(axes)": lambda t, axes: t.transpose(axes),
    "T.transpose(*axes)": lambda t, axes: t.transpose(*axes),
    "mg.transpose(T, axes)": lambda t, axes: mg.transpose(t, axes),
}


def transposes(data, dtypes=DTYPES):
    """(form, x, the axes it should permute by, minigrad's result) for every form."""
    x = draw_array(data, data.draw(shapes(max_dims=4)), dtype=data.draw(st.sampled_from(dtypes)))
    axes = data.draw(st.permutations(range(x.ndim)))        # some as negative numbers
    axes = tuple(ax - x.ndim if data.draw(st.booleans()) else ax for ax in axes)
    for form, f in TRANSPOSE_FORMS.items():
        expected_axes = axes if "axes" in form else tuple(reversed(range(x.ndim)))
        yield form, x, expected_axes, f(mg.tensor(x), axes)


@given(data=st.data())
def test_transpose_values_match_numpy(data):
    for form, x, axes, out in transposes(data):
        assert_matches(out, np.transpose(x, axes), 0, f"{x.shape} by {axes} as {form}")


@given(data=st.data())
def test_transpose_values_match_torch(torch, data):
    for form, x, axes, out in transposes(data, dtypes=[np.float64]):
        assert_matches(out, torch.from_numpy(x).permute(axes), 0,
                       f"{x.shape} by {axes} as {form}")


def test_transpose_by_hand():
    x = mg.arange(24.0).reshape(2, 3, 4)            # x[i, j, k] = 12 i + 4 j + k
    y = x.transpose(0, 2, 1)                        # y[i, k, j] = x[i, j, k]
    assert y.shape == (2, 4, 3) and y.data[1, 3, 2] == 12 + 8 + 3
    assert x.transpose(-1, 0, 1).shape == (4, 2, 3)
    assert x.T.shape == (4, 3, 2) and x.T.data[3, 2, 1] == x.data[1, 2, 3]


@st.composite
def indices(draw, shape):
    """Basic indices (ints, slices, None, ...), integer arrays, or a boolean mask."""
    kind = draw(st.sampled_from(["basic", "integer arrays", "mask"]))
    if kind == "basic":
        return draw(hnp.basic_indices(shape, allow_newaxis=True))
    if kind == "integer arrays" and shape:
        return draw(hnp.integer_array_indices(shape))
    return draw(hnp.arrays(np.bool_, shape))


def positive_steps(index):
    """True if no slice in the index steps backwards (torch cannot do that)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(not isinstance(p, slice) or p.step is None or p.step > 0 for p in parts)


GETITEM_FORMS = {
    "T[index]": lambda t, i: t[i],
    "mg.getitem(T, index)": lambda t, i: mg.getitem(t, i),
    "T[Tensor index]": lambda t, i: t[mg.tensor(i) if isinstance(i, np.ndarray) else i],
}


@given(data=st.data())
def test_getitem_values_match_numpy(data):
    x = draw_array(data, data.draw(shapes()), dtype=data.draw(st.sampled_from(DTYPES)))
    index = data.draw(indices(x.shape))
    for form, f in GETITEM_FORMS.items():
        assert_matches(f(mg.tensor(x), index), np.asarray(x[index]), 0,
                       f"x[{index!r}] of shape {x.shape} as {form}")


@given(data=st.data())
def test_getitem_values_match_torch(torch, data):
    x = draw_array(data, data.draw(shapes()))
    index = data.draw(indices(x.shape).filter(positive_steps))
    expected = torch.from_numpy(x)[tuple(to_torch(torch, i) for i in index)
                                   if isinstance(index, tuple) else to_torch(torch, index)]
    for form, f in GETITEM_FORMS.items():
        assert_matches(f(mg.tensor(x), index), expected, 0,
                       f"x[{index!r}] of shape {x.shape} as {form}")


def test_getitem_by_hand():
    x = mg.tensor([[0.0, 1.0, 2.0],
                   [10.0, 11.0, 12.0]])
    assert x[1].tolist() == [10.0, 11.0, 12.0]
    assert x[:, -1].tolist() == [2.0, 12.0]
    assert x[:, ::-1].tolist() == [[2.0, 1.0, 0.0], [12.0, 11.0, 10.0]]
    assert x[[1, 0, 1], [2, 2, 0]].tolist() == [12.0, 2.0, 10.0]
    assert x[x.data > 5].tolist() == [10.0, 11.0, 12.0]
    assert x[None, ..., 0].tolist() == [[0.0, 10.0]]


@st.composite
def to_join(draw, new_axis, dtypes=DTYPES):
    """1 to 3 arrays that concat (same shape but along the axis) or stack (same shape)."""
    shape = draw(shapes(min_dims=0 if new_axis else 1))
    ndim = len(shape) + new_axis
    axis = draw(st.integers(-ndim, ndim - 1))
    arrays = []
    for _ in range(draw(st.integers(1, 3))):
        if not new_axis:
            shape = shape[:axis % ndim] + (draw(st.integers(1, 3)),) + shape[axis % ndim + 1:]
        dtype = draw(st.sampled_from(dtypes))
        arrays.append(draw(hnp.arrays(dtype, shape, elements=elements("real", dtype))))
    return arrays, axis


JOINS = {   # name: (minigrad, NumPy, torch name, new axis?)
    "concat": (mg.concat, np.concatenate, "cat", False),
    "stack": (mg.stack, np.stack, "stack", True),
}


def joins(name, arrays, axis):
    """(axis, form, minigrad's result) for each form; Tensors and ndarrays may mix."""
    join = JOINS[name][0]
    tensors = [mg.tensor(a) for a in arrays]
    mixed = [a if k % 2 else mg.tensor(a) for k, a in enumerate(arrays)]
    yield axis, f"mg.{name}(tensors, axis)", join(tensors, axis=axis)
    yield axis, f"mg.{name}(tensors and ndarrays, axis)", join(mixed, axis)
    if name == "stack" or axis % arrays[0].ndim == 0:                   # the default: axis 0
        yield 0, f"mg.{name}(tuple of tensors)", join(tuple(tensors))


@pytest.mark.parametrize("name", JOINS)
@given(data=st.data())
def test_concat_and_stack_values_match_numpy(name, data):
    arrays, axis = data.draw(to_join(JOINS[name][3]))
    for along, form, out in joins(name, arrays, axis):
        assert_matches(out, JOINS[name][1](arrays, axis=along), 0,
                       f"{[a.shape for a in arrays]} along {along} as {form}")


@pytest.mark.parametrize("name", JOINS)
@given(data=st.data())
def test_concat_and_stack_values_match_torch(torch, name, data):
    arrays, axis = data.draw(to_join(JOINS[name][3], dtypes=[np.float64]))
    join = getattr(torch, JOINS[name][2])
    for along, form, out in joins(name, arrays, axis):
        assert_matches(out, join([torch.from_numpy(a) for a in arrays], dim=along), 0,
                       f"{[a.shape for a in arrays]} along {along} as {form}")


ASTYPE_TARGETS = [np.float64, np.float32, "float32", np.int64]


@given(data=st.data(), to=st.sampled_from(ASTYPE_TARGETS))
def test_astype_values_match_numpy(data, to):
    x = draw_array(data, data.draw(shapes()), dtype=data.draw(st.sampled_from(DTYPES)))
    assert_matches(mg.tensor(x).astype(to), x.astype(to), 0, f"{x.dtype} -> {to}")
    assert_matches(mg.astype(mg.tensor(x), to), x.astype(to), 0, f"{x.dtype} -> {to}")


@given(data=st.data(), to=st.sampled_from(ASTYPE_TARGETS))
def test_astype_values_match_torch(torch, data, to):
    x = draw_array(data, data.draw(shapes()), dtype=data.draw(st.sampled_from(DTYPES)))
    expected = torch.from_numpy(x).to(getattr(torch, np.dtype(to).name))
    assert_matches(mg.tensor(x).astype(to), expected, 0, f"{x.dtype} -> {to}")


UNBIND_FORMS = {   # with requires_grad the slices are recorded getitems, else views
    "mg.unbind(T, axis)": lambda x, axis: mg.unbind(mg.tensor(x), axis),
    "mg.unbind(T needing grad, axis)": lambda x, axis: mg.unbind(
        mg.tensor(x, requires_grad=True), axis),
    "mg.unbind(A, axis)": lambda x, axis: mg.unbind(x, axis=axis),
}


def unbinds(data, dtypes=DTYPES):
    """(form, x, axis, minigrad's slices) for every form."""
    x = draw_array(data, data.draw(shapes(min_dims=1)), dtype=data.draw(st.sampled_from(dtypes)))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    for form, f in UNBIND_FORMS.items():
        yield form, x, axis, f(x, axis)


@given(data=st.data())
def test_unbind_values_match_numpy(data):
    for form, x, axis, parts in unbinds(data):
        expected = list(np.moveaxis(x, axis, 0))                 # x[..., i, ...] for each i
        assert len(parts) == len(expected), f"{form}: {len(parts)} slices"
        for i, (part, slice_i) in enumerate(zip(parts, expected)):
            assert_matches(part, slice_i, 0, f"slice {i} along {axis} of {x.shape} as {form}")


@given(data=st.data())
def test_unbind_values_match_torch(torch, data):
    for form, x, axis, parts in unbinds(data, dtypes=[np.float64]):
        expected = torch.unbind(torch.from_numpy(x), dim=axis)
        assert len(parts) == len(expected), f"{form}: {len(parts)} slices"
        for i, (part, slice_i) in enumerate(zip(parts, expected)):
            assert_matches(part, slice_i, 0, f"slice {i} along {axis} of {x.shape} as {form}")


# ------------------------------------------------------------- comparisons

COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
               ">=": operator.ge, "==": operator.eq, "!=": operator.ne}
# Comparisons record nothing and return a NumPy bool array.  The values are small whole
# numbers, so that ties (where < and <=, or > and >=, differ) are common.


COMPARISON_FORMS = {k: FORMS[k] for k in ("T op T", "T op A", "A op T", "L op T", "T op n",
                                           "n op T")}


def comparisons(data, dtypes=DTYPES):
    """(what, operands, minigrad's result) for every comparison in every form."""
    whole = st.integers(-2, 2).map(float)
    a, b = (data.draw(hnp.arrays(data.draw(st.sampled_from(dtypes)), shape, elements=whole))
            for shape in data.draw(hnp.mutually_broadcastable_shapes(
                num_shapes=2, max_dims=3, max_side=3)).input_shapes)
    n = data.draw(whole | st.integers(-2, 2))
    for name, op in COMPARISONS.items():
        for form, operands, out in every_form(COMPARISON_FORMS, op, None, [a, b], [n, n]):
            what = f"{name} as {form} of shapes {[np.shape(v) for v in operands]}"
            assert type(out) is np.ndarray and out.dtype == np.bool_, f"{what}: {out!r}"
            yield what, op, operands, out


@given(data=st.data())
def test_comparison_values_match_numpy(data):
    for what, op, (a, b), out in comparisons(data):
        expected = op(np.asarray(a), np.asarray(b))
        assert out.shape == expected.shape and np.array_equal(out, expected), \
            f"{what}: got\n{out}\nexpected\n{expected}"


@given(data=st.data())
def test_comparison_values_match_torch(torch, data):
    for what, op, (a, b), out in comparisons(data, dtypes=[np.float64]):
        expected = op(to_torch(torch, a), to_torch(torch, b)).numpy()
        assert out.shape == expected.shape and np.array_equal(out, expected), \
            f"{what}: got\n{out}\nexpected\n{expected}"


# --------------------------------------------- by hand: the reflected operators

def test_reflected_operators_by_hand():
    x = mg.tensor([1.0, 2.0, 4.0])
    assert (2 + x).tolist() == [3.0, 4.0, 6.0]
    assert (2 - x).tolist() == [1.0, 0.0, -2.0]            # not x - 2
    assert (2 * x).tolist() == [2.0, 4.0, 8.0]
    assert (2 / x).tolist() == [2.0, 1.0, 0.5]             # not x / 2
    assert (2 ** x).tolist() == [2.0, 4.0, 16.0]           # not x ** 2 ...
    assert (x ** 3).tolist() == [1.0, 8.0, 64.0]           # ... and not 3 ** x
    a = np.array([3.0, 8.0, 2.0])
    assert (a - x).tolist() == [2.0, 6.0, -2.0]
    assert (a / x).tolist() == [3.0, 4.0, 0.5]
    assert (a ** x).tolist() == [3.0, 64.0, 16.0]
    assert (-x).tolist() == [-1.0, -2.0, -4.0]
    A = np.array([[1.0, 0.0, 0.0],
                  [0.0, 1.0, 1.0]])                        # (2, 3): only A @ x fits
    assert (A @ x).tolist() == [1.0, 6.0]
    P = np.array([[0.0, 1.0],
                  [1.0, 0.0]])                             # a swap: P M swaps rows, M P columns
    M = mg.tensor([[1.0, 2.0],
                   [3.0, 4.0]])
    assert (P @ M).tolist() == [[3.0, 4.0], [1.0, 2.0]]
    assert (M @ P).tolist() == [[2.0, 1.0], [4.0, 3.0]]
    assert (P.tolist() @ M).tolist() == [[3.0, 4.0], [1.0, 2.0]]     # a list: __rmatmul__
    assert ([3.0, 8.0, 2.0] - x).tolist() == [2.0, 6.0, -2.0]          # a list: __rsub__
    assert ([3.0, 8.0, 2.0] / x).tolist() == [3.0, 4.0, 0.5]
    assert ([3.0, 8.0, 2.0] ** x).tolist() == [3.0, 64.0, 16.0]
    assert M.T.tolist() == [[1.0, 3.0], [2.0, 4.0]]


def test_python_numbers_take_the_tensors_float_dtype():
    x32 = mg.tensor(np.array([1.0, 2.0], np.float32))
    for result in (x32 + 1, 1.5 - x32, x32 * 2.5, 2 / x32, x32 ** 2, 2.0 ** x32, -x32):
        assert result.dtype == np.float32
    assert (x32 + np.ones(2)).dtype == np.float64          # a float64 array promotes, as in NumPy
    assert (mg.tensor([1.0, 2.0]) * np.float32(2)).dtype == np.float64


def test_sigmoid_is_the_logistic_function():
    """σ(x) = 1 / (1 + e^-x): pinned by values, not only by its range or its monotonicity."""
    def sigma(v):
        return mg.sigmoid(mg.tensor(v)).data

    assert sigma(0.0) == 0.5                                        # σ(0) = 1/2
    assert sigma(2.0) == pytest.approx(1 / (1 + math.exp(-2)), rel=1e-15)
    assert sigma(-1.0) == pytest.approx(1 / (1 + math.e), rel=1e-15)
    x = np.linspace(-8, 8, 33)
    np.testing.assert_allclose(sigma(x) + sigma(-x), 1.0, rtol=1e-15)   # σ(x) + σ(-x) = 1
    assert sigma(np.log(3.0)) == pytest.approx(0.75, rel=1e-15)     # e^-log 3 = 1/3
    with np.errstate(over="raise", invalid="raise"):               # no overflow far out
        assert sigma(-800.0) == 0.0 and sigma(800.0) == 1.0


# ------------------------------------------------ every op has a forward test

def test_every_op_in_minigrad_has_a_forward_value_test():
    tested = (set(BINARY) | set(UNARY) | set(REDUCTIONS) | set(SOFTMAXES) | set(JOINS)
              | {"matmul", "reshape", "transpose", "getitem", "astype", "unbind",
                 "linear", "cross_entropy", "mse_loss"})
    ops = set(mg.ops.__all__) | set(mg.functional.__all__)
    missing = ops - tested
    assert not missing, (f"ops without a forward-value test: {sorted(missing)}; add each to "
                         f"tests/test_forward_values.py (against NumPy and torch)")
