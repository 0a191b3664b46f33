"""Bad input to the engine's core gets one clear error: the function, what was
wrong (shapes, values, dtype) and the fix.  And what must keep working next to
each error keeps working."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.gradcheck import Check, GradcheckReport


def leaf(*shape):
    return mg.tensor(np.ones(shape), requires_grad=True)


# ------------------------------------------------ integers to negative powers

@pytest.mark.parametrize("power", [
    lambda: mg.tensor([1, 2, 3]) ** -1,
    lambda: mg.tensor([1, 2, 3]) ** np.array([2, -2, 1]),
    lambda: 2 ** mg.tensor([1, -1]),
    lambda: mg.pow(mg.tensor([True, False]), -2),
])
def test_an_integer_tensor_to_a_negative_integer_power(power):
    with pytest.raises(ValueError, match=r"^pow: an integer tensor \(dtype (int64|bool)\) to a "
                       r"negative integer power \(-\d\) is not an integer.*Integers to negative "
                       r"integer powers are not allowed.*Fix: use floats, e\.g\. "
                       r"x\.astype\('float64'\)"):
        power()


def test_integer_powers_that_are_fine_stay_fine():
    ints = mg.tensor([1, 2, 3])
    assert (ints ** 2).tolist() == [1, 4, 9] and (ints ** 2).dtype == np.int64
    for result in (ints ** -1.0, ints.astype("float64") ** -1, 1 / ints ** 1):
        assert result.dtype == np.float64 and result.tolist() == [1.0, 0.5, 1 / 3]


# ---------------------------------------------------------------- softmax

@pytest.mark.parametrize("fn", [mg.softmax, mg.log_softmax])
def test_softmax_with_an_axis_out_of_range(fn):
    name = fn.__name__
    with pytest.raises(mg.ShapeError, match=rf"^{name}: axis 2 is out of range for a tensor "
                       r"with 2 dimension\(s\); use 0..1 or negative from the end"):
        fn(leaf(2, 3), axis=2)
    with pytest.raises(mg.ShapeError, match=rf"^{name}: axis -3 is out of range"):
        fn(leaf(2, 3), axis=-3)
    with pytest.raises(mg.ShapeError, match=rf"^{name}: the input is a single number \(shape "
                       r"\(\)\), with no axis to normalise over. Fix: .*reshape\(1\)"):
        fn(mg.tensor(1.0))


@pytest.mark.parametrize("fn", [mg.softmax, mg.log_softmax])
@pytest.mark.parametrize("shape, axis", [((3, 0), -1), ((0,), 0), ((0, 3), 0)])
def test_softmax_over_an_axis_of_length_zero(fn, shape, axis):
    """PyTorch returns an empty tensor; minigrad says that no distribution has zero classes."""
    with pytest.raises(mg.ShapeError, match=rf"^{fn.__name__}: axis {axis} of the input's "
                       rf"shape \({shape[0]},{' ' + str(shape[1]) if len(shape) > 1 else ''}\) "
                       r"has length 0.*no probability distribution over zero classes.*Fix"):
        fn(mg.zeros(*shape), axis=axis)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_of_an_empty_batch_is_empty_like_torch(torch, fn):
    x = mg.zeros(0, 3, requires_grad=True)
    y = getattr(mg, fn)(x, axis=-1)
    assert y.shape == tuple(getattr(torch, fn)(torch.zeros(0, 3), -1).shape) == (0, 3)
    y.sum().backward()
    assert x.grad.shape == (0, 3)


def test_softmax_still_takes_any_axis_and_matches_torch(torch):
    data = np.random.default_rng(0).standard_normal((2, 3, 4))
    for axis in (0, 1, -1):
        for name in ("softmax", "log_softmax"):
            x = mg.tensor(data, requires_grad=True)
            ref = torch.tensor(data, requires_grad=True)
            g = np.random.default_rng(axis + 5).standard_normal(data.shape)
            getattr(mg, name)(x, axis=axis).backward(g)
            out = getattr(torch, name)(ref, axis)
            out.backward(torch.tensor(g))
            np.testing.assert_allclose(getattr(mg, name)(x, axis=axis).data,
                                       out.detach().numpy(), rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(x.grad, ref.grad.numpy(), rtol=1e-12, atol=1e-15)


# ------------------------------------------------------- losses over nothing

@pytest.mark.parametrize("shape", [(2, 0), (0, 0)])
def test_cross_entropy_with_zero_classes(shape):
    with pytest.raises(mg.ShapeError, match=rf"^cross_entropy: logits of shape \({shape[0]}, 0\) "
                       r"have no classes \(the last axis, C, has length 0\).*Fix: logits need "
                       r"shape \(\.\.\., C\) with C >= 1"):
        mg.cross_entropy(mg.zeros(*shape, requires_grad=True), np.zeros(shape[0], dtype=int))


def test_the_mean_loss_of_an_empty_batch():
    """PyTorch returns nan (0 / 0); minigrad raises, as mg.mean of nothing does."""
    targets = np.zeros(0, dtype=int)
    with pytest.raises(mg.ShapeError, match=r"^cross_entropy: reduction='mean' of an empty "
                       r"batch \(logits of shape \(0, 3\)\).*PyTorch returns nan.*Fix: skip "
                       r"empty batches, or use reduction='sum'"):
        mg.cross_entropy(mg.zeros(0, 3, requires_grad=True), targets)
    with pytest.raises(mg.ShapeError, match=r"^mse_loss: reduction='mean' of an empty batch "
                       r"\(pred of shape \(0, 2\)\)"):
        mg.mse_loss(mg.zeros(0, 2), mg.zeros(0, 2))


def test_the_summed_loss_of_an_empty_batch_is_zero_like_torch(torch):
    logits = mg.zeros(0, 3, requires_grad=True)
    loss = mg.cross_entropy(logits, np.zeros(0, dtype=int), reduction="sum")
    ref = torch.nn.functional.cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long),
                                            reduction="sum")
    assert loss.item() == ref.item() == 0.0
    loss.backward()
    assert logits.grad.shape == (0, 3)
    assert mg.mse_loss(mg.zeros(0, 2), mg.zeros(0, 2), reduction="sum").item() == 0.0


# ---------------------------------------------------------------- gradcheck

def test_gradcheck_refuses_atol_zero_and_says_why():
    x = leaf(3)
    with pytest.raises(ValueError, match=r"^gradcheck: atol=0 cannot work. Where a derivative "
                       r"is exactly 0, the finite difference is not.*relative tolerance "
                       r"alone.*Fix: keep a small atol"):
        mg.gradcheck(lambda x: x * x, [x], atol=0)


def test_why_atol_zero_cannot_work():
    """The premise of the message: where the derivative is 0 the finite difference is not
    (here eps² from x³ at 0), so a relative-only tolerance fails a correct gradient."""
    x = mg.tensor([0.0], requires_grad=True)
    report = mg.gradcheck(lambda x: (x * x * x).sum(), [x])        # default atol=1e-8
    at_zero = report.checks[0]
    assert report.ok and at_zero.autograd == 0.0 and 0 < abs(at_zero.numeric) < 1e-11
    relative_only = GradcheckReport(checks=report.checks, atol=0.0, rtol=1e-6)
    assert not relative_only.ok                       # ... and says so without dividing by 0
    assert relative_only.badness(Check("x", "[0]", 0.0, 0.0)) == 0.0
    assert relative_only.badness(Check("x", "[0]", 1e-300, 0.0)) == np.inf


@pytest.mark.parametrize("kwargs, message", [
    (dict(atol=-1e-8), r"gradcheck: atol=-1e-08 must be a finite number >= 0"),
    (dict(rtol=float("nan")), r"gradcheck: rtol=nan must be a finite number >= 0"),
    (dict(eps=0.0), r"gradcheck: eps=0 is no step at all.*Fix: eps=1e-6"),
])
def test_gradcheck_refuses_tolerances_that_cannot_work(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mg.gradcheck(lambda x: x * x, [leaf(2)], **kwargs)


def test_gradcheck_with_an_input_the_output_does_not_depend_on():
    """Before: 0 == 0 for every entry of y, a silent pass that checked nothing."""
    x = mg.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = mg.tensor([3.0], requires_grad=True, name="y")
    with pytest.raises(mg.GradcheckError, match=r"gradcheck FAILED.*backward\(\) never reached "
                       r"input 'y': fn's output does not depend on it through the recorded "
                       r"graph.*finite differences agree.*nothing about it was checked. Fix: "
                       r"pass only inputs that fn uses, or give this one requires_grad=False"):
        mg.gradcheck(lambda x, y: x * 2, [x, y])
    report = mg.gradcheck(lambda x, y: x * 2, [x, y], raise_on_failure=False)
    assert not report.ok and report.unreached == {"y": 0.0}
    assert mg.gradcheck(lambda x, y: x * 2, [x, mg.tensor([3.0])]).ok     # y not checked


def test_gradcheck_with_a_cut_graph_names_the_cut():
    x = mg.tensor([1.0, 2.0], requires_grad=True, name="x")
    for cut in (lambda x: mg.tensor(x.data) * 2,            # through .data: a new leaf
                lambda x: x.detach() * 2,
                mg.no_grad()(lambda x: x * 2)):             # nothing recorded at all
        with pytest.raises(mg.GradcheckError, match=r"never reached input 'x'.*but finite "
                           r"differences change by up to [0-9.]+: the graph is cut. Fix: inside fn, "
                           r"use the tensor itself, not x.data"):
            mg.gradcheck(cut, [x])


def test_gradcheck_still_passes_a_zero_gradient_that_the_graph_does_reach():
    x = mg.tensor([1.0, -2.0], requires_grad=True)
    report = mg.gradcheck(lambda x: x * 0.0 + 1.0, [x])
    assert report.ok and not report.unreached and [c.autograd for c in report.checks] == [0, 0]


# ------------------------------------------------------------ .data's shape

def test_reassigning_a_leafs_data_with_a_new_shape():
    w = mg.tensor([1.0, 2.0], requires_grad=True, name="w")
    loss = (w * w).sum()
    with pytest.raises(ValueError, match=r"^Tensor.data = \.\.\.: the new values have shape "
                       r"\(3,\), but tensor 'w' has shape \(2,\).*Fix: assign values of shape "
                       r"\(2,\), or make a new tensor"):
        w.data = np.zeros(3)
    with pytest.raises(ValueError, match=r"new values have shape \(2, 1\), but tensor 'w'"):
        w.data = mg.zeros(2, 1)
    with pytest.raises(TypeError, match=r"cannot store complex128 values in tensor 'w', whose "
                       r"dtype is float64. Fix: convert them first"):
        w.data = np.zeros(2, dtype=complex)
    loss.backward()                                   # the refused writes changed nothing
    assert w.grad.tolist() == [2.0, 4.0] and w.data.tolist() == [1.0, 2.0]


def test_gradcheck_puts_each_perturbed_input_back_with_its_shape():
    """gradcheck is the one internal path that swaps a leaf's array; it keeps the shape."""
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    seen = []
    mg.gradcheck(lambda x: (seen.append(x.shape), x * x)[1], [x])
    assert set(seen) == {(2, 2)} and x.shape == (2, 2)


# ------------------------------------------------------ NumPy on a Tensor

@pytest.mark.parametrize("call, fix", [
    (lambda x: np.tanh(x), r"Fix: x.tanh\(\) or mg.tanh\(x\) \(recorded\); for the values "
                           r"alone, without a gradient: np.tanh\(x.data\)"),
    (lambda x: np.exp(x), r"Fix: x.exp\(\) or mg.exp\(x\)"),
    (lambda x: np.absolute(x), r"Fix: x.abs\(\) or mg.abs\(x\)"),
    (lambda x: np.sum(x), r"Fix: x.sum\(\) or mg.sum\(x\)"),
    (lambda x: np.mean(x, axis=0), r"Fix: x.mean\(\) or mg.mean\(x\)"),
    (lambda x: np.add.reduce(x), r"Fix: x.sum\(\) or mg.sum\(x\)"),
    (lambda x: np.concatenate([x, x]), r"Fix: mg.concat\(\[x, y\]\) \(recorded\).*"
                                       r"np.concatenate\(\[x.data, y.data\]\)"),
    (lambda x: np.stack([x, x]), r"Fix: mg.stack\(\[x, y\]\)"),
    (lambda x: np.sin(x), r"minigrad has no 'sin' op. Fix: build it from minigrad's ops.*"
                          r"np.sin\(x.data\)"),
    (lambda x: np.maximum(x, 0.0), r"no 'maximum' op.*np.maximum\(x.data, y.data\)"),
])
def test_numpy_functions_on_a_tensor_name_the_minigrad_op(call, fix):
    x = leaf(2, 3)
    with pytest.raises(TypeError, match=r"^np\.\w+(\.reduce)?\(\) got a minigrad Tensor. NumPy "
                       r"cannot record the op, so no gradient could flow back through it\..*"
                       + fix):
        call(x)


def test_numpy_may_still_read_a_tensors_shape():
    x = leaf(2, 3)
    assert (np.shape(x), np.ndim(x), np.size(x)) == ((2, 3), 2, 6)


def test_an_ndarray_on_the_left_of_an_operator_still_gives_tensors(torch):
    """NumPy hands `ndarray + tensor` to the tensor: the result is minigrad's op, recorded."""
    rng = np.random.default_rng(0)
    A, data = rng.uniform(0.5, 2.0, (3, 3)), rng.uniform(0.5, 2.0, 3)
    operators = {
        "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
        "/": lambda a, b: a / b, "**": lambda a, b: a ** b, "@": lambda a, b: a @ b,
    }
    for op, apply in operators.items():
        for left in (A, np.float64(1.5)):
            if op == "@" and left.ndim == 0:
                continue
            x = mg.tensor(data, requires_grad=True)
            ref = torch.tensor(data, requires_grad=True)
            out, expected = apply(left, x), apply(torch.tensor(left), ref)
            assert type(out) is mg.Tensor and out.node is not None, op
            np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=0,
                                       err_msg=op)
            out.sum().backward()
            expected.sum().backward()
            np.testing.assert_allclose(x.grad, ref.grad.numpy(), rtol=1e-12, atol=0,
                                       err_msg=op)


def test_writing_a_tensor_into_an_ndarray_in_place():
    array = np.ones(2)
    with pytest.raises(TypeError, match=r"np.add\(\.\.\., out=ndarray\) \(e\.g\. `array \+= "
                       r"tensor`\).*Fix: array = array \+ tensor \(a Tensor\), or array \+= "
                       r"tensor.data"):
        array += mg.tensor([1.0, 2.0])
    assert array.tolist() == [1.0, 1.0]
    array += mg.tensor([1.0, 2.0]).data
    assert array.tolist() == [2.0, 3.0]
