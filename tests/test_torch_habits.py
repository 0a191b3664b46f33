"""PyTorch habits work in minigrad, with PyTorch's numbers (float64, to 1e-12).

Comparisons give masks, ``no_grad`` decorates, indices with repeats
accumulate, and the gradients at kinks and NaNs are PyTorch's.  Where
minigrad differs on purpose, the test says so and checks minigrad's rule.
"""

import math

import numpy as np
import pytest

import minigrad as mg

NAN, INF = math.nan, math.inf


def same(actual, expected, what=""):
    """Equal to 1e-12 (relative), with NaN == NaN and inf == inf, and the same shape."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=0, equal_nan=True,
                               err_msg=what)


def both(torch, fn, *values, grad=None):
    """fn's output and the inputs' gradients, in minigrad and in PyTorch (float64).

    fn receives minigrad tensors or torch tensors; ``grad`` is dL/d(output)
    (ones by default).
    """
    ours = [mg.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    out, ref = fn(*ours), fn(*theirs)
    g = np.ones(out.shape) if grad is None else np.asarray(grad, dtype=np.float64)
    out.backward(g)
    ref.backward(torch.tensor(g))
    return ((out.data, [x.grad for x in ours]),
            (ref.detach().numpy(), [x.grad.numpy() for x in theirs]))


def assert_like_torch(torch, fn, *values, grad=None):
    (out, grads), (ref, ref_grads) = both(torch, fn, *values, grad=grad)
    same(out, ref, "forward")
    for i, (g, r) in enumerate(zip(grads, ref_grads)):
        same(g, r, f"gradient of input {i}")


# ---------------------------------------------------------------- comparisons

COMPARISONS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
               ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
               "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
LEFT = np.array([[0.5, -1.0, 2.0], [NAN, 0.0, 2.0]])           # with a NaN and ties
RIGHT = np.array([0.5, 0.0, NAN])                              # broadcasts over rows


@pytest.mark.parametrize("op", COMPARISONS)
def test_comparisons_are_bool_arrays_like_numpy_and_torch(torch, op):
    compare = COMPARISONS[op]
    x, y = mg.tensor(LEFT, requires_grad=True), mg.tensor(RIGHT)
    expected = compare(torch.tensor(LEFT), torch.tensor(RIGHT)).numpy()
    assert expected.dtype == np.bool_
    results = {
        "tensor, tensor": compare(x, y), "tensor, ndarray": compare(x, RIGHT),
        "ndarray, tensor": compare(LEFT, mg.tensor(RIGHT)),
        "tensor, number": compare(x, 0.5), "number, tensor": compare(0.5, x),
        "numpy number, tensor": compare(np.float64(0.5), x),
    }
    for what, result in results.items():
        assert type(result) is np.ndarray and result.dtype == np.bool_, what
    for what in ("tensor, tensor", "tensor, ndarray", "ndarray, tensor"):
        np.testing.assert_array_equal(results[what], expected, err_msg=what)
        np.testing.assert_array_equal(results[what], compare(LEFT, RIGHT), err_msg=what)
    with_number = compare(torch.tensor(LEFT), 0.5).numpy()
    np.testing.assert_array_equal(results["tensor, number"], with_number)
    np.testing.assert_array_equal(results["number, tensor"],
                                  compare(0.5, torch.tensor(LEFT)).numpy())
    np.testing.assert_array_equal(results["numpy number, tensor"], compare(0.5, LEFT))
    assert x.grad is None and not isinstance(results["tensor, tensor"], mg.Tensor)


def test_a_python_number_is_compared_in_the_tensors_dtype_as_in_torch(torch):
    """0.1 is not a float32 number; like torch, minigrad rounds it to float32 first."""
    x32 = mg.tensor([0.1, 0.2], dtype="float32")
    ref = torch.tensor([0.1, 0.2], dtype=torch.float32)
    for op, compare in COMPARISONS.items():
        np.testing.assert_array_equal(compare(x32, 0.1), compare(ref, 0.1).numpy(), op)
    assert (x32 == 0.1).tolist() == [True, False]


def test_a_mask_indexes_counts_and_scales_like_torch(torch):
    data = np.array([[-1.0, 0.5, 2.0], [3.0, -0.25, 0.0]])
    g = np.array([1.5, -2.0, 0.5, 4.0])

    def masked(x):
        return x[x > 0] * 2                     # the mask picks; the gradient reaches only those

    assert_like_torch(torch, masked, data, grad=g[:int((data > 0).sum())])
    x = mg.tensor(data, requires_grad=True)
    assert int((x > 0).sum()) == torch.tensor(data).gt(0).sum().item() == 3
    assert (x > 0).mean() == 0.5                # NumPy's mean of a mask: the fraction
    y = x * (x > 0)                             # the mask as a constant factor: relu
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, data > 0)
    np.testing.assert_array_equal(((x > 0) & (x < 1)) | ~(x != 3), [[0, 1, 0], [1, 0, 0]])
    assert bool(x.max() > 2) and not bool(x.max() < 2)     # `if x.max() > 2:` works


def test_comparing_with_something_that_is_not_numbers_is_plain_python():
    x = mg.tensor([1.0, 2.0])
    assert (x == None) is False and (x != None) is True      # noqa: E711
    assert (x == "W") is False and x != "W"
    with pytest.raises(TypeError, match="'<' not supported"):
        x < "W"                                               # noqa: B015


def test_comparing_shapes_that_do_not_broadcast_names_the_comparison():
    with pytest.raises(mg.ShapeError, match=r"comparison >: shapes \(2, 3\) and \(2,\) cannot "
                       r"be broadcast together.*Fix"):
        mg.ones(2, 3) > mg.ones(2)


def test_tensors_stay_hashable_by_identity_as_in_torch():
    """`==` compares values, so hashing must not: equal tensors are different keys."""
    a, b = mg.tensor([1.0, 2.0]), mg.tensor([1.0, 2.0])
    assert hash(a) == id(a) >> 4 or hash(a) == object.__hash__(a)
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b" and len({a, b, a}) == 2
    p = mg.nn.Parameter(np.ones(2))
    assert {p: 1}[p] == 1
    # a list lookup compares values (as with torch tensors): use identity instead
    params = [a, b]
    assert [i for i, q in enumerate(params) if q is b] == [1]
    with pytest.raises(ValueError, match="ambiguous"):
        params.index(b)


def test_the_backward_walk_keys_tensors_by_identity():
    """Two leaves with equal values get their own gradients (a dict keyed by tensor)."""
    a, b = mg.tensor(2.0, requires_grad=True), mg.tensor(2.0, requires_grad=True)
    (a * 3.0 + b * 5.0 + a * b).backward()
    assert (a.grad.item(), b.grad.item()) == (5.0, 7.0)


# ---------------------------------------------------------- no_grad, enable_grad

def test_no_grad_decorates_a_function_like_torch(torch):
    w = mg.tensor([1.0, 2.0], requires_grad=True)

    @mg.no_grad()
    def evaluate(w, scale=2.0):
        """Evaluate without recording."""
        return (w * scale).sum()

    @mg.no_grad
    def without_brackets(w):
        return w * 3

    @torch.no_grad()
    def reference():
        """Evaluate without recording."""
        return torch.is_grad_enabled()

    assert not evaluate(w).requires_grad and not without_brackets(w).requires_grad
    assert evaluate(w, scale=3.0).item() == 9.0
    assert (evaluate.__name__, evaluate.__doc__) == ("evaluate", reference.__doc__)
    assert evaluate.__wrapped__.__name__ == "evaluate"
    assert mg.is_grad_enabled() and (w * 2).requires_grad      # switched back after the call
    assert reference() is False and torch.is_grad_enabled()


def test_enable_grad_decorates_and_wins_inside_no_grad():
    w = mg.tensor(2.0, requires_grad=True)

    @mg.enable_grad()
    def recorded(w):
        return w * w

    with mg.no_grad():
        y = recorded(w)
        assert not mg.is_grad_enabled()
    y.backward()
    assert w.grad.item() == 4.0


def test_the_switch_is_put_back_after_an_exception():
    @mg.no_grad()
    def fails():
        raise KeyError("inside")

    with pytest.raises(KeyError):
        fails()
    assert mg.is_grad_enabled()


def test_nested_and_reentered_blocks_restore_the_switch_they_found():
    off, on = mg.no_grad(), mg.enable_grad()
    seen = []
    with off:
        seen.append(mg.is_grad_enabled())
        with off:                                  # the same instance, entered again
            seen.append(mg.is_grad_enabled())
            with on:
                seen.append(mg.is_grad_enabled())
                with off:
                    seen.append(mg.is_grad_enabled())
                seen.append(mg.is_grad_enabled())
            seen.append(mg.is_grad_enabled())
        seen.append(mg.is_grad_enabled())
    seen.append(mg.is_grad_enabled())
    assert seen == [False, False, True, False, True, False, False, True]


def test_a_decorated_function_may_call_itself():
    @mg.no_grad()
    def depth(n):
        assert not mg.is_grad_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(5) == 5 and mg.is_grad_enabled()


def test_a_decorated_generator_runs_its_body_under_the_switch_like_torch(torch):
    def trace(no_grad, is_grad_enabled):
        @no_grad()
        def steps():
            got = yield is_grad_enabled()
            yield (got, is_grad_enabled())
            return "done"

        seen, gen = [], steps()
        seen.append(next(gen))
        seen.append(is_grad_enabled())             # the caller's turn: recording is on
        seen.append(gen.send("sent"))
        with pytest.raises(StopIteration) as stop:
            next(gen)
        return seen + [stop.value.value, is_grad_enabled()]

    ours = trace(mg.no_grad, mg.is_grad_enabled)
    assert ours == [False, True, ("sent", False), "done", True]
    assert ours == trace(torch.no_grad, torch.is_grad_enabled)


def test_a_decorated_generator_passes_thrown_errors_and_close_through():
    closed = []

    @mg.no_grad()
    def steps():
        try:
            while True:
                try:
                    yield mg.is_grad_enabled()
                except ValueError as err:
                    yield f"caught {err}"
        finally:
            closed.append(mg.is_grad_enabled())

    gen = steps()
    assert next(gen) is False
    assert gen.throw(ValueError("x")) == "caught x"
    gen.close()
    assert closed == [False] and mg.is_grad_enabled()


def test_no_grad_refuses_what_it_cannot_decorate():
    with pytest.raises(TypeError, match=r"no_grad\(\): decorates a function, got int"):
        mg.no_grad()(3)

    async def coroutine():
        return 1

    with pytest.raises(TypeError, match="cannot decorate the coroutine function 'coroutine'"):
        mg.no_grad()(coroutine)


# ----------------------------------------------------------------- indexing

X_SHAPE = (4, 3, 5)
INDICES = {
    "tuple of tuples": ((0, 0), (1, 1)),
    "tuple part, then a slice": ((0, 0, 3), slice(None)),
    "repeats, negative": ([-1, 3, -1, 0],),
    "repeats in two axes": ([0, 0, 2], [1, 1, -1]),
    "array between slices": (slice(None), [2, 2, 0], slice(1, 4)),
    "arrays split by a slice": ([0, 0], slice(None), [4, 4]),
    "2-d integer array": (np.array([[0, 0], [3, 0]]),),
    "integer and array": (1, [2, 2, -3]),
    "ellipsis": (Ellipsis, [0, 0, -1]),
    "new axis": (None, [1, 1]),
    "boolean mask": (np.array([True, False, True, True]),),
    "mask and repeats": (np.array([True, False, True, False]), [1, 1]),
    "mask over two axes": (np.arange(12).reshape(4, 3) % 5 == 0,),
    "slices only": (slice(1, None, 2), slice(None, -1)),
    "reversed (NumPy only)": (slice(None, None, -1), [0, 0]),
}
NOT_IN_TORCH = {"reversed (NumPy only)"}          # torch slices have positive steps only


def numpy_gradient(shape, index, g):
    """dL/dx of L = Σ g ⊙ x[index], without np.add.at on the index itself:
    index an array of positions, then count each position's picks."""
    positions = np.arange(int(np.prod(shape))).reshape(shape)[index]
    return np.bincount(positions.ravel(), weights=np.ravel(g),
                       minlength=int(np.prod(shape))).reshape(shape)


def as_index(parts, tensor_type):
    """The index with its arrays as ``tensor_type`` (minigrad's or torch's)."""
    return tuple(tensor_type(p) if isinstance(p, np.ndarray) else p for p in parts)


@pytest.mark.parametrize("name", INDICES)
def test_repeated_indices_accumulate_like_numpy(name):
    rng = np.random.default_rng(0)
    data = rng.standard_normal(X_SHAPE)
    index = INDICES[name]
    x = mg.tensor(data, requires_grad=True)
    y = x[index]
    np.testing.assert_array_equal(y.data, data[index])
    g = rng.standard_normal(y.shape)
    y.backward(g)
    np.testing.assert_allclose(x.grad, numpy_gradient(X_SHAPE, index, g), rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", [name for name in INDICES if name not in NOT_IN_TORCH])
def test_repeated_indices_accumulate_like_torch(torch, name):
    rng = np.random.default_rng(1)
    data = rng.standard_normal(X_SHAPE)
    index = INDICES[name]
    g = rng.standard_normal(data[index].shape)
    assert_like_torch(torch, lambda x: x[as_index(index, mg.tensor if isinstance(x, mg.Tensor)
                                                  else torch.tensor)], data, grad=g)


def test_a_tensor_as_the_index_like_torch(torch):
    data = np.arange(10.0).reshape(5, 2)
    picks = np.array([4, -1, 0, 4])
    g = np.arange(8.0).reshape(4, 2)
    assert_like_torch(torch, lambda x: x[mg.tensor(picks) if isinstance(x, mg.Tensor)
                                         else torch.tensor(picks)], data, grad=g)
    x = mg.tensor(data, requires_grad=True)
    x[mg.tensor(data[:, 0] > 3)].sum().backward()           # a boolean tensor mask
    np.testing.assert_array_equal(x.grad, np.repeat([[0.0], [0], [1], [1], [1]], 2, axis=1))


def test_a_list_of_lists_is_one_integer_array_as_in_numpy():
    """NumPy reads x[[[0, 0], [1, 1]]] as one (2, 2) index array; torch 2.13 still reads it
    as the tuple ([0, 0], [1, 1]) with a deprecation warning and says it will change to
    NumPy's reading.  minigrad follows NumPy: write x[(0, 0), (1, 1)] for the tuple."""
    x = mg.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    y = x[[[0, 0], [1, 1]]]
    assert y.shape == (2, 2, 4)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[2.0] * 4, [2.0] * 4, [0.0] * 4])


# ------------------------------------------------------- NaN and kinks: max

def test_max_without_axis_gives_nan_its_gradient_like_torch(torch):
    for values in ([1.0, NAN, 3.0], [NAN, 2.0, NAN], [3.0, 1.0, 3.0], [INF, 1.0, INF],
                   [-INF, -INF], [[2.0, NAN], [NAN, NAN]]):
        assert_like_torch(torch, lambda x: x.max(), values)


def max_slice_by_slice(torch, data, axes):
    """Per slice along ``axes``: torch's full reduction ``x_slice.max()``, its value and
    the gradient it gives the slice; reduced axes are moved last and flattened."""
    moved = np.moveaxis(data, axes, range(-len(axes), 0))
    lead = moved.shape[:data.ndim - len(axes)]
    flat = moved.reshape(lead + (-1,))
    tops, shares = np.empty(lead), np.empty_like(flat)
    for i in np.ndindex(lead):
        part = torch.tensor(flat[i], requires_grad=True)
        top = part.max()
        top.backward()
        tops[i], shares[i] = top.item(), part.grad.numpy()
    return tops, shares, moved.shape


@pytest.mark.parametrize("axis", [0, 1, -1, (0, 1), (1, 2), (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_max_along_an_axis_splits_like_torchs_max_of_each_slice(torch, axis, keepdims):
    """Each slice gets what torch's full reduction x_slice.max() gives it: ties and NaNs
    share equally.  (torch.amax agrees where a slice has no NaN.)"""
    data = np.array([[1.0, NAN, 3.0, NAN], [2.0, 5.0, 5.0, 0.0], [NAN, 7.0, -1.0, 7.0]])
    data = np.stack([data, data[::-1] * -1, np.full_like(data, 2.0)], axis=-1)   # (3, 4, 3)
    axes = tuple(a % 3 for a in ((axis,) if isinstance(axis, int) else axis))
    x = mg.tensor(data, requires_grad=True)
    y = x.max(axis=axis, keepdims=keepdims)
    g = np.arange(1.0, y.size + 1).reshape(y.shape)
    y.backward(g)

    tops, shares, moved_shape = max_slice_by_slice(torch, data, axes)
    g_lead = g.reshape(tops.shape)                    # the kept axes, in order
    same(y.data.reshape(tops.shape), tops, "forward")
    expected = np.moveaxis((shares * g_lead[..., None]).reshape(moved_shape),
                           range(-len(axes), 0), axes)
    same(x.grad, expected, "gradient")


def test_max_along_an_axis_matches_torch_amax_and_max_dim_where_they_agree(torch):
    """Ties without NaN: torch.amax splits, as minigrad does.  One NaN per row:
    torch.max(x, dim) gives it the whole gradient, as minigrad does."""
    ties = [[3.0, 1.0, 3.0], [0.0, 2.0, -1.0]]
    assert_like_torch(torch, lambda x: x.max(axis=1) if isinstance(x, mg.Tensor)
                      else x.amax(dim=1), ties, grad=[2.0, -1.0])
    one_nan = [[3.0, NAN, 1.0], [0.0, 2.0, -1.0]]
    assert_like_torch(torch, lambda x: x.max(axis=1) if isinstance(x, mg.Tensor)
                      else x.max(dim=1).values, one_nan, grad=[2.0, -1.0])


def test_where_minigrad_differs_from_torch_amax_on_purpose(torch):
    """torch.amax(dim) gives NaN to every entry of a slice with a NaN (0 winners / 0),
    the slice's finite entries too.  minigrad gives the gradient to the NaN, as torch's
    x.max() does; if torch ever changes amax, this test says so."""
    data = [[1.0, NAN, 3.0], [0.0, 2.0, -1.0]]
    x = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    x.amax(dim=1).sum().backward()
    assert np.isnan(x.grad.numpy()[0]).all()
    ours = mg.tensor(data, requires_grad=True)
    ours.max(axis=1).sum().backward()
    np.testing.assert_array_equal(ours.grad, [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])


# ------------------------------------------------- NaN and kinks: pow

BASES = [0.0, 0.0, 0.0, 0.0, 0.0, -1.0, -1.0, 2.0, -2.0, NAN, 0.0]
EXPONENTS = [0.0, 1.0, 2.0, -1.0, 0.5, 0.0, 0.5, 0.0, 2.0, 0.0, NAN]


def test_pow_at_zero_and_at_kinks_like_torch(torch):
    with np.errstate(all="ignore"):
        assert_like_torch(torch, lambda x, y: x ** y, BASES, EXPONENTS)


@pytest.mark.parametrize("exponent", [0, 0.0, 1, 2, 0.5, -1, -0.5, 3])
def test_x_to_a_number_like_torch(torch, exponent):
    """x ** 0 has gradient 0 everywhere, at x = 0 too (the formula gives 0 · 0^-1 = NaN)."""
    points = [0.0, -0.0, 1.0, -2.0, NAN, INF]
    if exponent in (0.5, -0.5):     # torch: rsqrt(-0) = -inf; IEEE pow: (-0)^-0.5 = inf
        del points[1]
    with np.errstate(all="ignore"):
        assert_like_torch(torch, lambda x: x ** exponent, points)


def test_x_to_plus_or_minus_one_half_at_negative_zero_follows_ieee_pow(torch):
    """The one place where minigrad's pow differs from torch's: see pow's docstring."""
    x = mg.tensor([-0.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        (x ** 0.5).backward(np.ones(1))
        assert x.grad.tolist() == [INF] and (x ** -0.5).tolist() == [INF]
    ref = torch.tensor([-0.0], dtype=torch.float64, requires_grad=True)
    (ref ** 0.5).backward(torch.ones(1, dtype=torch.float64))
    assert ref.grad.tolist() == [-INF] and (ref ** -0.5).tolist() == [-INF]


@pytest.mark.parametrize("base", [0.0, 2.0, -2.0])
def test_a_number_to_x_like_torch(torch, base):
    with np.errstate(all="ignore"):
        assert_like_torch(torch, lambda y: base ** y, [0.0, 1.0, 2.0, -1.0, 0.5, NAN])


# ---------------------------------------- NaN and kinks: elementwise functions

SPECIAL = [0.0, -0.0, 1.0, -1.0, 4.0, NAN, INF, -INF]
UNARY = {
    "abs": lambda x: x.abs(),
    "relu": lambda x: x.relu(),
    "sqrt": lambda x: x.sqrt(),
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "neg": lambda x: -x,
    "square": lambda x: x * x,
}


@pytest.mark.parametrize("name", UNARY)
def test_elementwise_ops_at_zero_nan_and_infinity_like_torch(torch, name):
    with np.errstate(all="ignore"):
        assert_like_torch(torch, UNARY[name], SPECIAL)


def test_abs_and_relu_gradients_at_the_kink_and_at_nan():
    x = mg.tensor([0.0, NAN, -1.0, 2.0], requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, -1.0, 1.0])     # sign(0) = sign(NaN) = 0
    x.grad = None
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0, 1.0])      # "not x <= 0" passes NaN


def test_a_nan_the_loss_does_not_use_leaves_the_gradient_alone(torch):
    """abs(x)[0] uses only x[0]; with sign(NaN) = NaN the unused NaN would get 0 · NaN."""
    assert_like_torch(torch, lambda x: x.abs()[0], [-2.0, NAN])
    (_, [grad]), _ = both(torch, lambda x: x.abs()[0], [-2.0, NAN])
    assert grad.tolist()[1] == 0.0


def test_relu_blocks_any_gradient_where_its_input_is_not_positive(torch):
    """Where x <= 0 relu's gradient is exactly 0, even if the incoming one is NaN or inf."""
    assert_like_torch(torch, lambda x: x.relu(), [-1.0, 0.0, 2.0, NAN],
                      grad=[NAN, INF, 3.0, 5.0])


def test_sqrt_at_zero_is_infinite_like_torch(torch):
    with np.errstate(divide="ignore"):
        (_, [grad]), (_, [ref]) = both(torch, lambda x: x.sqrt(), [0.0, 4.0])
    assert grad.tolist() == ref.tolist() == [INF, 0.25]

