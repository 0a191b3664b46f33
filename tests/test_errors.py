"""Bad input gets a clear error that names the op, the shapes or values, and the fix."""

import numpy as np
import pytest

import minigrad as mg


def leaf(*shape):
    return mg.tensor(np.ones(shape), requires_grad=True)


@pytest.mark.parametrize("op, name", [
    (lambda a, b: a + b, "add"), (lambda a, b: a - b, "sub"), (lambda a, b: a * b, "mul"),
    (lambda a, b: a / b, "div"), (lambda a, b: a ** b, "pow")])
def test_elementwise_shape_mismatch_names_op_and_both_shapes(op, name):
    with pytest.raises(mg.ShapeError, match=rf"^{name}: shapes \(2, 3\) and \(4,\) cannot be "
                       r"broadcast together.*Fix: reshape"):
        op(leaf(2, 3), leaf(4))


def test_matmul_shape_mismatch():
    with pytest.raises(mg.ShapeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) don't line "
                       r"up: the last axis of the left \(3\) must equal the second-to-last "
                       r"axis of the right \(4\).*Fix"):
        leaf(2, 3) @ leaf(4, 5)
    with pytest.raises(mg.ShapeError, match="use \\* to multiply by a scalar"):
        leaf(2) @ mg.tensor(2.0)


def test_linear_shape_mismatch_explains_the_weight_layout():
    with pytest.raises(mg.ShapeError, match=r"linear: input of shape \(5, 3\) and weight of "
                       r"shape \(3, 4\) don't fit: the weight must be \(out_features, "
                       r"in_features\)"):
        mg.linear(leaf(5, 3), leaf(3, 4))


def test_linear_weights_with_different_out_features_are_refused_not_broadcast():
    # (2, 1) + (2, 3) would broadcast to (2, 3) without a word: both orders are refused
    for sizes, first_out in (((1, 3), 1), ((3, 1), 3)):
        with pytest.raises(mg.ShapeError, match=r"linear: input of shape \(2, 3\) and weight "
                           rf".*out_features = {first_out}\."):
            mg.linear((leaf(2, 3), leaf(2, 3)), (leaf(sizes[0], 3), leaf(sizes[1], 3)))
    with pytest.raises(mg.ShapeError, match=r"weight of shape \(3,\) don't fit"):
        mg.linear(leaf(2, 3), leaf(3))          # a 1-D weight would give a dot product


def test_linear_inputs_whose_batch_shapes_do_not_broadcast():
    with pytest.raises(mg.ShapeError, match=r"linear: the inputs' batch shapes don't broadcast "
                       r"together \(input shapes \(3, 2\), \(4, 5\)\)"):
        mg.linear((leaf(3, 2), leaf(4, 5)), (leaf(6, 2), leaf(6, 5)))


def test_other_shape_errors():
    with pytest.raises(mg.ShapeError, match=r"reshape: cannot reshape shape \(2, 3\) \(6 "
                       r"elements\) into \(4,\)"):
        leaf(2, 3).reshape(4)
    with pytest.raises(mg.ShapeError, match=r"concat: along axis 0 every other axis must "
                       r"match, got shapes \(2, 3\), \(2, 4\)"):
        mg.concat([leaf(2, 3), leaf(2, 4)])
    with pytest.raises(mg.ShapeError, match=r"stack: all tensors must have the same shape"):
        mg.stack([leaf(3), leaf(4)])
    with pytest.raises(mg.ShapeError, match=r"sum: axis 2 is out of range for a tensor with 2 "
                       r"dimension\(s\)"):
        leaf(2, 3).sum(axis=2)
    with pytest.raises(mg.ShapeError, match=r"mse_loss: pred has shape \(3, 1\) but target has "
                       r"shape \(3,\).*would compare every prediction with every target"):
        mg.mse_loss(leaf(3, 1), mg.ones(3))


def test_cross_entropy_bad_targets():
    z = leaf(4, 3)
    with pytest.raises(mg.ShapeError, match=r"targets of shape \(3,\) don't match logits of "
                       r"shape \(4, 3\); targets need shape \(4,\)"):
        mg.cross_entropy(z, [0, 1, 2])
    with pytest.raises(TypeError, match="targets must be integer class indices, got dtype "
                       "float64"):
        mg.cross_entropy(z, np.zeros(4))
    with pytest.raises(IndexError, match=r"target 3 is not a class index; with 3 classes they "
                       r"run from 0 to 2"):
        mg.cross_entropy(z, [0, 1, 3, 0])
    with pytest.raises(ValueError, match="reduction must be one of"):
        mg.cross_entropy(z, [0, 0, 0, 0], reduction="average")


def test_integer_data_cannot_require_grad():
    with pytest.raises(TypeError, match=r"requires_grad=True needs floating-point data, but "
                       r"this tensor has dtype int64.*Fix: pass floats"):
        mg.tensor([1, 2, 3], requires_grad=True)
    t = mg.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="needs floating-point data"):
        t.requires_grad = True


def test_unsupported_data():
    with pytest.raises(TypeError, match="cannot turn list into an array of numbers"):
        mg.tensor([[1.0, 2.0], [3.0]])          # ragged
    with pytest.raises(TypeError, match="dtype object is not supported"):
        mg.tensor({"a": 1})
    with pytest.raises(TypeError, match="dtype <U3 is not supported"):
        mg.tensor("abc")
    with pytest.raises(TypeError, match="dtype complex128 is not supported"):
        mg.tensor(np.ones(2, complex))


def test_backward_needs_a_scalar_or_a_gradient():
    y = leaf(2, 3) * 2
    with pytest.raises(mg.BackwardError, match=r"the tensor has shape \(2, 3\); without a "
                       r"`grad` argument backward\(\) needs a scalar.*t\.sum\(\)"):
        y.backward()
    with pytest.raises(mg.BackwardError, match=r"`grad` has shape \(3,\) but the tensor has "
                       r"shape \(2, 3\)"):
        y.backward(np.ones(3))


def test_backward_on_a_tensor_without_graph():
    with pytest.raises(mg.BackwardError, match="does not require grad.*requires_grad=True"):
        (mg.ones(3) * 2).sum().backward()
    w = leaf(3)
    with mg.no_grad():
        y = (w * 2).sum()
    with pytest.raises(mg.BackwardError, match="no_grad"):
        y.backward()


def test_index_out_of_range():
    with pytest.raises(IndexError, match=r"getitem: index 5 does not fit a tensor of shape "
                       r"\(3,\).*from -n to n-1"):
        leaf(3)[5]


def test_log_of_non_positive_values_under_detect_anomaly():
    x = mg.tensor([1.0, 0.0, 2.0], requires_grad=True)
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match=r"log produced -inf in its "
                                            r"forward pass.*log is only defined for positive"):
        x.log()


def test_requires_grad_only_changes_on_leaves():
    y = leaf(2) * 2
    with pytest.raises(ValueError, match="only be changed on leaf tensors.*made by 'mul'"):
        y.requires_grad = False


def test_contributions_errors():
    w = leaf(2)
    with pytest.raises(mg.BackwardError, match=r"none recorded.*backward\(contributions=True\)"):
        mg.contributions(w)
    with pytest.raises(ValueError, match="for leaf tensors"):
        mg.contributions(w * 2)
    with pytest.raises(ValueError, match="non-empty string without '/'"):
        mg.scope("a/b")


def test_item_and_truth_value():
    with pytest.raises(ValueError, match=r"item\(\): the tensor has 3 elements"):
        leaf(3).item()
    with pytest.raises(ValueError, match="truth value of a tensor with 3 elements"):
        bool(leaf(3))


def test_gradcheck_insists_on_float64():
    x = mg.tensor(np.ones(2, np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="gradcheck: input 0 has dtype float32"):
        mg.gradcheck(lambda x: x * 2, [x])
