"""In-place operators: the update step every PyTorch and micrograd student writes.

    with mg.no_grad():
        for p in model.parameters():
            p -= lr * p.grad

changes the parameters themselves (before the fix, ``p -= ...`` bound the name
p to a new tensor and the model never moved).  The rules, in the Tensor
docstring: a leaf changes in place when nothing is recorded; a leaf that
requires grad is refused with grad mode on (PyTorch's error); anything that
must be recorded, or a tensor made by an op, gets a new tensor.  A graph
recorded before an in-place update still back-propagates the values it used,
and the tensor notes the change for drawings (``_changed_at``,
``_recorded_data``).
"""

import inspect

import numpy as np
import pytest

import minigrad as mg
import rnn
from minigrad import graph
from minigrad.tensor import Tensor


def problem(seed=0):
    model = rnn.RNN(2, 3, 1, rng=seed)
    rng = np.random.default_rng(seed)
    return model, rng.normal(size=(5, 2)), rng.normal(size=(5, 1))


def losses_of_manual_updates(model, xs, ys, lr, steps, update):
    losses = []
    for _ in range(steps):
        result = rnn.bptt(model, xs, ys)
        losses.append(result.loss)
        with mg.no_grad():
            update(model, lr)
    return losses


# ------------------------------------------------------- the students' loop

def test_the_manual_update_loop_trains_exactly_like_sgd():
    def by_hand(model, lr):
        for p in model.parameters():
            p -= lr * p.grad

    manual_model, xs, ys = problem()
    manual = losses_of_manual_updates(manual_model, xs, ys, 0.05, 4, by_hand)

    sgd_model, _, _ = problem()
    opt = mg.optim.SGD(sgd_model.parameters(), lr=0.05)

    def sgd_step(model, lr):
        opt.step()

    reference = losses_of_manual_updates(sgd_model, xs, ys, 0.05, 4, sgd_step)
    assert manual == reference                          # bit for bit: the same w - lr g
    assert manual[-1] < manual[0] - 0.1                 # it learns (it used to stay put)
    for (name, p), (_, q) in zip(manual_model.named_parameters(),
                                 sgd_model.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)


def test_updating_an_attribute_keeps_the_parameter_and_its_name():
    model, xs, ys = problem()
    W = model.W
    before = W.data.copy()
    rnn.bptt(model, xs, ys)
    with mg.no_grad():
        model.W -= 0.1 * model.W.grad
    assert model.W is W and isinstance(model.W, mg.nn.Parameter)
    assert [name for name, _ in model.named_parameters()] == ["U", "W", "b", "V", "c"]
    np.testing.assert_array_equal(W.data, before - 0.1 * W.grad)
    assert rnn.bptt(model, xs, ys).grads["W"].shape == (3, 3)     # W still gets its gradient


@pytest.mark.parametrize("symbol", ["-=", "+=", "*=", "/="])
def test_each_operator_updates_a_leaf_in_place_under_no_grad(symbol):
    w = mg.tensor([1.0, 2.0, 4.0], requires_grad=True, name="w")
    other = np.array([0.5, 2.0, -1.0])
    expected = {"-=": w.data - other, "+=": w.data + other,
                "*=": w.data * other, "/=": w.data / other}[symbol]
    same = w
    with mg.no_grad():
        exec(f"w {symbol} other", {}, scope := {"w": w, "other": other})
    assert scope["w"] is same and same.requires_grad and same.is_leaf
    np.testing.assert_array_equal(same.data, expected)


def test_a_leaf_that_requires_grad_is_refused_with_grad_mode_on():
    W = mg.nn.Parameter([[1.0, 2.0]], name="W")
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation.*W -= lr"):
        W -= 0.1
    assert W.data.tolist() == [[1.0, 2.0]]              # untouched


def test_the_torch_loop_gives_torchs_numbers(torch):
    rng = np.random.default_rng(3)
    x, w0 = rng.normal(size=(4, 3)), rng.normal(size=3)
    ours = mg.tensor(w0, requires_grad=True)
    theirs = torch.tensor(w0, requires_grad=True)
    for _ in range(3):
        ours.grad = None
        ((mg.tensor(x) @ ours).tanh() ** 2).sum().backward()
        theirs.grad = None
        ((torch.tensor(x) @ theirs).tanh() ** 2).sum().backward()
        with mg.no_grad():
            ours -= 0.3 * ours.grad
            ours *= 0.9
        with torch.no_grad():
            theirs -= 0.3 * theirs.grad
            theirs *= 0.9
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-13, atol=0)


# ------------------------------------------------ a recorded graph stays true

def test_a_graph_recorded_before_an_in_place_update_back_propagates_its_own_values():
    w = mg.tensor([1.0, -2.0], requires_grad=True)
    loss = (w * w * w).sum()                            # dL/dw = 3 w²
    with mg.no_grad():
        w -= 1.0
    loss.backward()
    assert w.grad.tolist() == [3.0, 12.0]               # at the recorded w = [1, -2]
    assert w.data.tolist() == [0.0, -3.0]


def test_a_constant_whose_array_a_graph_holds_is_copied_not_written():
    # as_tensor's copy of an ndarray is held without being made read-only (nobody
    # else can name it), so only the _held mark protects the graph here
    c = mg.as_tensor(np.array([2.0, 3.0]))
    w = mg.tensor([1.0, 1.0], requires_grad=True)
    loss = (w * c).sum()
    recorded = c._data
    c += 10.0                                           # a constant: in place, grad mode on
    loss.backward()
    assert w.grad.tolist() == [2.0, 3.0]                # the graph's c
    assert c.data.tolist() == [12.0, 13.0] and recorded.tolist() == [2.0, 3.0]


def test_an_array_taken_from_data_sees_an_in_place_update_when_no_graph_holds_it():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    alias = w.data                                      # no graph yet: the array itself
    with mg.no_grad():
        w += 1.0
    assert alias.tolist() == [2.0, 3.0]                 # as in PyTorch: one storage
    assert w._changed_at is None                        # no graph held it: nothing to note


def test_changed_at_and_recorded_data_after_an_optimizer_step():
    model, xs, ys = problem()
    forward_W = model.W.data.copy()
    result = rnn.bptt(model, xs, ys)
    nodes = _nodes(result.loss_tensor)
    assert model.W._changed_at is None and model.W._recorded_data is None
    mg.optim.SGD(model.parameters(), lr=0.1).step()
    assert model.W._changed_at > max(node.seq for node in nodes)
    np.testing.assert_array_equal(model.W._recorded_data, forward_W)
    assert not np.array_equal(model.W.data, forward_W)
    later = (model.W * 1.0).node
    assert later.seq > model.W._changed_at              # recorded after the change


@pytest.mark.parametrize("how", ["in place", "data =", "data[...]", "load_state_dict"])
def test_every_way_of_changing_a_held_tensor_notes_it(how):
    model, xs, ys = problem()
    W = model.W
    before = W.data.copy()
    loss = rnn.bptt(model, xs, ys).loss_tensor
    last_seq = loss.node.seq
    if how == "in place":
        with mg.no_grad():
            W -= 1.0
    elif how == "data =":
        W.data = before + 1.0
    elif how == "data[...]":
        W.data[0, 0] = 7.0
    else:
        model.load_state_dict({**model.state_dict(), "W": before * 2})
    assert W._changed_at > last_seq
    np.testing.assert_array_equal(W._recorded_data, before)
    assert model.U._changed_at is None or how == "load_state_dict"


def test_only_the_latest_held_array_is_kept():
    w = mg.tensor([1.0], requires_grad=True)
    (w * 2).sum()                                       # a graph holds [1]
    w.data = [2.0]
    first = w._changed_at
    w.data = [3.0]                                      # no graph held [2]: not a change to note
    assert w._changed_at == first and w._recorded_data.tolist() == [1.0]
    (w * 2).sum()                                       # a graph holds [3]
    w.data = [4.0]
    assert w._changed_at > first and w._recorded_data.tolist() == [3.0]


def test_current_seq_splits_the_nodes_before_and_after():
    w = mg.tensor(1.0, requires_grad=True)
    before = (w * 2.0).node
    now = graph.current_seq()
    after = (w * 3.0).node
    assert before.seq < now < after.seq
    assert graph.current_seq() > now


# ------------------------------------------------- the cases that are not leaves

def test_a_tensor_made_by_an_op_gets_a_new_tensor_and_keeps_its_graph():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    y = w * w
    first = y
    y += w                                              # recorded: y = y + w
    assert y is not first and first.data.tolist() == [1.0, 4.0]
    y.sum().backward()
    assert w.grad.tolist() == [3.0, 5.0]                # d(w² + w)/dw = 2w + 1


def test_a_tensor_made_by_an_op_under_no_grad_gets_a_new_constant():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    y = w * w
    first = y
    with mg.no_grad():
        y -= 1.0
    assert y is not first and not y.requires_grad and y.data.tolist() == [0.0, 3.0]
    first.sum().backward()                              # the graph is untouched
    assert w.grad.tolist() == [2.0, 4.0]


def test_a_constant_plus_a_tensor_that_requires_grad_is_recorded():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    total = mg.tensor([0.0, 0.0])
    start = total
    total += w * 3.0
    assert total is not start and start.data.tolist() == [0.0, 0.0]
    total.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


def test_a_constant_changes_in_place_with_grad_mode_on():
    c = mg.tensor([1.0, 2.0])
    same = c
    c *= 2.0
    assert c is same and c.data.tolist() == [2.0, 4.0]


def test_in_place_keeps_the_shape_and_the_dtype():
    w = mg.tensor([1.0, 2.0], requires_grad=True, name="w")
    with mg.no_grad(), pytest.raises(ValueError, match=r"w -= .*shape \(2, 2\).*keeps the "
                                                         r"tensor's shape \(2,\)"):
        w -= np.ones((2, 2))
    counts = mg.tensor([1, 2])
    with pytest.raises(TypeError, match=r"/= .*float64.*int64"):
        counts /= 2
    single = mg.tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    with mg.no_grad():
        single -= np.array([0.5, 0.5])                  # float64 values, stored as float32
    assert single.dtype == np.float32 and single.data.tolist() == [0.5, 1.5]


# ------------------------------------------------ Module attributes

def test_assigning_a_plain_tensor_to_a_parameter_attribute_is_an_error():
    model, xs, ys = problem()
    rnn.bptt(model, xs, ys)
    with mg.no_grad(), pytest.raises(TypeError, match=r"RNN.W is a Parameter; assigning a "
                                                      r"Tensor.*model.W -= lr"):
        model.W = model.W - 0.1 * model.W.grad
    with pytest.raises(TypeError, match="assigning a ndarray"):
        model.W = np.zeros((3, 3))
    assert isinstance(model.W, mg.nn.Parameter)
    model.W = mg.nn.Parameter(np.zeros((3, 3)))         # a new Parameter is fine
    model.c = None                                      # and so is removing one
    assert [name for name, _ in model.named_parameters()] == ["U", "W", "b", "V"]


# ------------------------------------------------ where a reader finds them

def test_the_operators_are_written_in_the_tensor_class():
    for name in ("__add__", "__rsub__", "__matmul__", "__isub__", "__iadd__", "__lt__",
                 "__getitem__", "__array_ufunc__"):
        assert name in Tensor.__dict__, name
        assert inspect.getsourcefile(Tensor.__dict__[name]).endswith("tensor.py"), name


def _nodes(tensor):
    seen, stack = {}, [tensor.node]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(i for i in node.inputs if isinstance(i, mg.Node))
    return list(seen.values())
