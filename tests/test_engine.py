"""The engine's promises: accumulation, deep graphs, scopes, contributions, modes."""

import gc
import sys

import numpy as np
import pytest

import minigrad as mg


def test_a_tensor_used_twice_gets_both_gradients():
    a = mg.tensor(3.0, requires_grad=True)
    (a + a).backward()
    assert a.grad == 2.0
    b = mg.tensor(2.0, requires_grad=True)
    (b * b * b).backward()             # d(b^3)/db = 3 b^2
    assert b.grad == 12.0


def test_shared_weight_collects_the_sum_of_its_uses():
    rng = np.random.default_rng(0)
    W = mg.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    xs = [rng.standard_normal(3) for _ in range(4)]
    (sum((W @ x).tanh().sum() for x in xs)).backward()
    expected = sum(np.outer(1 - np.tanh(W.data @ x) ** 2, x) for x in xs)
    np.testing.assert_allclose(W.grad, expected, rtol=1e-13)


def test_a_chain_of_100_000_ops_runs_forward_and_backward():
    assert sys.getrecursionlimit() < 100_000       # so recursion would have failed
    x = mg.tensor(1.0, requires_grad=True)
    y = x
    for i in range(50_000):
        y = y * 1.00001
        y = y + 0.5
    y.backward()
    assert x.grad == pytest.approx(1.00001 ** 50_000, rel=1e-10)


def test_graph_survives_backward_and_a_second_backward_adds_again():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    assert w.grad.tolist() == [2.0, 4.0]
    assert loss.node is not None and loss.node.inputs      # still there to be drawn
    loss.backward()
    assert w.grad.tolist() == [4.0, 8.0]


def test_backward_with_an_explicit_gradient():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * 2).backward(np.array([1.0, 0.0, -1.0]))
    assert x.grad.tolist() == [2.0, 0.0, -2.0]


def test_intermediate_gradients_on_request():
    x = mg.tensor([1.0, -2.0], requires_grad=True)
    h = (x * 3).retain_grad()
    y = h * h
    loss = y.sum()
    loss.backward()
    assert h.grad.tolist() == [6.0, -12.0]
    assert y.grad is None                          # not asked for
    loss.backward(retain_grads=True)
    assert y.grad.tolist() == [1.0, 1.0] and loss.grad == 1.0


def test_the_walk_visits_each_node_once_after_all_its_users_have_sent_their_gradients():
    # a feeds three later ops.  Visited too early, a would send on part of its gradient
    # and be visited again: the sum would survive (backward is linear in g), but its
    # recorded .grad would be a part, and the work could grow exponentially with depth.
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    a = x * 3.0
    b = a * a
    c = a + b
    loss = (c * a + b).sum()
    visits = []
    for node in (a.node, b.node, c.node):        # log each call of their vjps
        node.vjps = tuple(lambda *args, f=f, n=node: (visits.append(n), f(*args))[1]
                          for f in node.vjps)
    loss.backward(retain_grads=True)
    a_val = 3.0 * np.array([1.0, 2.0])
    # dL/da = (c + a dc/da) + db/da = (a + a²) + a (1 + 2a) + 2a
    assert a.grad.tolist() == (a_val + a_val ** 2 + a_val * (1 + 2 * a_val)
                               + 2 * a_val).tolist()
    assert [n.op for n in dict.fromkeys(visits)] == ["add", "mul", "mul"]   # c, b, a
    assert len(visits) == 2 + 2 + 1          # each node's vjps once: c's 2, b's 2, a's 1


def test_no_grad_and_detach_cut_the_graph():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.no_grad():
        y = w * 2
    assert not y.requires_grad and y.node is None
    assert mg.is_grad_enabled()
    z = (w * 3).detach()
    assert z.is_leaf and not z.requires_grad
    loss = (w * z).sum()
    loss.backward()
    assert w.grad.tolist() == [3.0, 6.0]           # no gradient through z
    with mg.no_grad(), mg.enable_grad():
        assert (w * 1).requires_grad


# Each expression of x = [1, 2] with the number 2 or the array a = [10, 20], on either
# side: its value and its derivative d(sum of the value)/dx, both worked out by hand.
LN2 = np.log(2.0)
MIXED = [
    ("2 + x", lambda x, a: 2 + x, [3.0, 4.0], [1.0, 1.0]),
    ("x + 2", lambda x, a: x + 2, [3.0, 4.0], [1.0, 1.0]),
    ("2 - x", lambda x, a: 2 - x, [1.0, 0.0], [-1.0, -1.0]),
    ("x - 2", lambda x, a: x - 2, [-1.0, 0.0], [1.0, 1.0]),
    ("2 * x", lambda x, a: 2 * x, [2.0, 4.0], [2.0, 2.0]),
    ("x * 2", lambda x, a: x * 2, [2.0, 4.0], [2.0, 2.0]),
    ("2 / x", lambda x, a: 2 / x, [2.0, 1.0], [-2.0, -0.5]),              # -2 / x²
    ("x / 2", lambda x, a: x / 2, [0.5, 1.0], [0.5, 0.5]),
    ("2 ** x", lambda x, a: 2 ** x, [2.0, 4.0], [2 * LN2, 4 * LN2]),      # 2^x ln 2
    ("x ** 2", lambda x, a: x ** 2, [1.0, 4.0], [2.0, 4.0]),              # 2 x
    ("a + x", lambda x, a: a + x, [11.0, 22.0], [1.0, 1.0]),
    ("x * a", lambda x, a: x * a, [10.0, 40.0], [10.0, 20.0]),
    ("a @ x", lambda x, a: a @ x, 50.0, [10.0, 20.0]),                    # 10·1 + 20·2
    ("x @ a", lambda x, a: x @ a, 50.0, [10.0, 20.0]),
    ("a - x", lambda x, a: a - x, [9.0, 18.0], [-1.0, -1.0]),
    ("a / x", lambda x, a: a / x, [10.0, 10.0], [-10.0, -5.0]),           # -a / x²
    ("a ** x", lambda x, a: a ** x, [10.0, 400.0], [10 * np.log(10), 400 * np.log(20)]),
]


@pytest.mark.parametrize("expression, f, value, grad", MIXED, ids=[m[0] for m in MIXED])
def test_python_numbers_and_arrays_mix_on_either_side(expression, f, value, grad):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = f(x, np.array([10.0, 20.0]))
    assert isinstance(y, mg.Tensor), expression
    np.testing.assert_allclose(y.data, value, rtol=1e-15, err_msg=expression)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, grad, rtol=1e-15, err_msg=expression)


def test_float32_stays_float32():
    x = mg.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    W = mg.tensor(np.full((4, 3), 0.5, np.float32), requires_grad=True)
    y = (mg.linear(x, W) * 2.0 + 1).tanh()
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and W.grad.dtype == np.float32
    assert mg.zeros(2).dtype == np.float64 and mg.tensor([1.5]).dtype == np.float64


def test_grads_into_float32_leaves_come_back_float32_even_when_promoted():
    x = mg.tensor(np.ones(3, np.float32), requires_grad=True)
    (x * np.ones(3)).sum().backward()              # float64 array promotes the product
    assert x.grad.dtype == np.float32


def test_factories():
    assert mg.zeros(2, 3).shape == (2, 3) and mg.ones((4,)).data.sum() == 4
    assert mg.eye(3).data.trace() == 3
    assert mg.arange(5).tolist() == [0, 1, 2, 3, 4]
    rng = np.random.default_rng(5)
    a = mg.randn(3, rng=rng)
    assert a.shape == (3,) and mg.randn(3, rng=7).tolist() == mg.randn(3, rng=7).tolist()
    t = mg.tensor([[1.0, 2.0]], requires_grad=True, name="W")
    assert (t.shape, t.ndim, t.dtype, t.name) == ((1, 2), 2, np.float64, "W")
    assert t.T.shape == (2, 1) and t.numpy() is t.data and t.sum().item() == 3.0
    assert "requires_grad=True" in repr(t) and "'W'" in repr(t)
    assert "op='mul'" in repr(t * 2)


def test_scopes_nest_and_label_nodes():
    x = mg.tensor(1.0, requires_grad=True)
    with mg.scope("lstm"):
        with mg.scope("t=3"):
            y = x * 2
            assert mg.current_scope() == "lstm/t=3"
        z = y + 1
    assert y.node.scope == "lstm/t=3" and z.node.scope == "lstm"
    assert mg.current_scope() == ""


def test_contributions_sum_to_grad_for_a_parameter_used_under_50_scopes():
    rng = np.random.default_rng(0)
    W = mg.tensor(rng.standard_normal((4, 4)) * 0.5, requires_grad=True, name="W")
    s = mg.zeros(4)
    loss = 0
    for t in range(50):
        with mg.scope(f"t={t}"):
            s = (W @ s + rng.standard_normal(4)).tanh()
            loss = loss + (s * s).sum()
    loss.backward(contributions=True)
    parts = mg.contributions(W)
    assert list(parts) == [f"t={t}" for t in range(50)]
    np.testing.assert_allclose(sum(parts.values()), W.grad, rtol=1e-12, atol=1e-14)
    assert not np.allclose(parts["t=0"], parts["t=49"])


def test_contributions_file_unscoped_ops_under_the_top_level_and_follow_grad():
    w = mg.tensor(2.0, requires_grad=True)
    with mg.scope("a"):
        y = w * 3
    (y + w).backward(contributions=True)
    assert {k: float(v) for k, v in mg.contributions(w).items()} == {"a": 3.0, "": 1.0}
    (y + w).backward(contributions=True)           # a second backward adds up
    assert float(sum(mg.contributions(w).values())) == w.grad == 8.0
    (y + w).backward()                             # .grad changes without them...
    with pytest.raises(mg.BackwardError, match="contributions=True"):
        mg.contributions(w)                        # ...so they are gone, not stale


def test_detect_anomaly_names_the_op_scope_and_shapes():
    x = mg.tensor([1.0, -1.0], requires_grad=True)
    with mg.detect_anomaly(), mg.scope("t=2"):
        with pytest.raises(mg.AnomalyError, match=r"log produced NaN in its forward pass "
                           r"\(scope 't=2', input shapes \(2,\)\)"):
            x.log()
    y = mg.tensor([0.0, 1.0], requires_grad=True)
    loss = y.sqrt().sum()                          # fine forward: sqrt(0) = 0
    with mg.detect_anomaly():
        with pytest.raises(mg.AnomalyError, match="sqrt produced inf in its backward pass"):
            loss.backward()


def test_memory_is_released_with_the_graph():
    """Nodes keep only what backward needs; dropping the loss frees the graph."""
    import tracemalloc
    tracemalloc.start()
    x = mg.tensor(np.ones(100_000), requires_grad=True)
    before = tracemalloc.get_traced_memory()[0]
    loss = ((x + 1) + 2).sum()          # the two adds save nothing for backward
    kept = tracemalloc.get_traced_memory()[0] - before
    del loss
    gc.collect()
    after = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert kept < 200_000 and after < 10_000    # an array of 1e5 floats is 800 kB


def test_keep_values_lets_nodes_remember_their_output():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.keep_values():
        y = x * 2
    z = y * 2
    assert y.node.value.tolist() == [2.0, 4.0] and z.node.value is None


def test_a_node_lists_its_inputs_in_order_whatever_their_number():
    w = mg.tensor([[1.0, 2.0]], requires_grad=True)
    x = mg.tensor([3.0, 4.0], requires_grad=True)
    h = (x * 2).tanh()                                  # one input: mul's node
    (made_by,) = h.node.inputs
    assert made_by.op == "mul" and made_by.inputs[0] is x
    p = h * w                                           # two: a node, then a leaf
    assert len(p.node.inputs) == 2
    assert p.node.inputs[0] is h.node and p.node.inputs[1] is w
    b = mg.tensor([0.5])
    y = mg.linear((x, h), (w, w), b)                    # five: x, h, w, w, b
    assert [id(i) for i in y.node.inputs] == [id(x), id(h.node), id(w), id(w), id(b)]
