"""minigrad against PyTorch autograd in float64: values and gradients to 1e-12.

Hypothesis writes small random programs over a shared op vocabulary; each
program runs once on minigrad tensors and once on torch tensors with the
same data, and the loss and every input's gradient must agree.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from conftest import assert_close

B, N = 3, 4      # every intermediate value in a program has shape (B, N)


def vocabulary(lib, torch=None):
    """The same ops for both libraries, as functions of (B, N) tensors."""
    if torch is None:
        F = dict(tanh=mg.tanh, sigmoid=mg.sigmoid, exp=mg.exp, log=mg.log, sqrt=mg.sqrt,
                 relu=mg.relu, abs=mg.abs, softmax=lambda a: mg.softmax(a, axis=1),
                 log_softmax=lambda a: mg.log_softmax(a, axis=1),
                 rowmax=lambda a: a.max(axis=1, keepdims=True),
                 colmean=lambda a: a.mean(axis=0), linear=mg.linear,
                 concat_halves=lambda a: mg.concat([a[:, 2:], a[:, :2]], axis=1),
                 stack_sum=lambda a, b: mg.stack([a, b]).sum(axis=0))
    else:
        F = dict(tanh=torch.tanh, sigmoid=torch.sigmoid, exp=torch.exp, log=torch.log,
                 sqrt=torch.sqrt, relu=torch.relu, abs=torch.abs,
                 softmax=lambda a: torch.softmax(a, dim=1),
                 log_softmax=lambda a: torch.log_softmax(a, dim=1),
                 rowmax=lambda a: a.amax(dim=1, keepdim=True),
                 colmean=lambda a: a.mean(dim=0),
                 linear=torch.nn.functional.linear,
                 concat_halves=lambda a: torch.cat([a[:, 2:], a[:, :2]], dim=1),
                 stack_sum=lambda a, b: torch.stack([a, b]).sum(dim=0))
    return {
        "add": lambda a, b, w: a + b,
        "sub": lambda a, b, w: a - 0.5 * b,
        "mul": lambda a, b, w: a * b,
        "div": lambda a, b, w: a / (b * b + 1.0),
        "pow": lambda a, b, w: (a * a + 0.5) ** (0.5 * b),
        "rpow": lambda a, b, w: 1.5 ** a,
        "tanh": lambda a, b, w: F["tanh"](a),
        "sigmoid": lambda a, b, w: F["sigmoid"](a) - 0.5,
        "exp": lambda a, b, w: F["exp"](0.5 * a),
        "log": lambda a, b, w: F["log"](a * a + 1.0),
        "sqrt": lambda a, b, w: F["sqrt"](a * a + 0.1),
        "relu": lambda a, b, w: F["relu"](a) + 0.1 * a,
        "abs": lambda a, b, w: F["abs"](a) - 0.5,
        "neg_rsub": lambda a, b, w: 1.0 - (-a),
        "matmul": lambda a, b, w: a @ w,
        "matmul_T": lambda a, b, w: (w @ a.T).T,
        "linear": lambda a, b, w: F["linear"](a, w),
        "softmax": lambda a, b, w: F["softmax"](a),
        "log_softmax": lambda a, b, w: F["log_softmax"](a),
        "rowmax": lambda a, b, w: a - F["rowmax"](a),
        "colmean": lambda a, b, w: a * F["colmean"](b),
        "reshape": lambda a, b, w: a.reshape(N, B).reshape(B, N),
        "getitem": lambda a, b, w: a[[2, 0, 0], :] * 1.0 + b,
        "concat": lambda a, b, w: F["concat_halves"](a),
        "stack": lambda a, b, w: F["stack_sum"](a, b),
    }


programs = st.lists(st.tuples(st.sampled_from(sorted(vocabulary(None))),
                              st.integers(0, 10**6), st.integers(0, 10**6)),
                    min_size=1, max_size=6)


def run(program, lib_ops, inputs, w, final):
    values = list(inputs)
    for name, i, j in program:
        a, b = values[i % len(values)], values[j % len(values)]
        values.append(lib_ops[name](a, b, w))
    return final(values[-1])


@given(program=programs, seed=st.integers(0, 2**32 - 1))
def test_random_programs_match_torch(torch, program, seed):
    rng = np.random.default_rng(seed)
    data = [rng.standard_normal((B, N)) for _ in range(2)] + [rng.standard_normal((N, N))]

    ours = [mg.tensor(d, requires_grad=True) for d in data]
    loss = run(program, vocabulary(None), ours[:2], ours[2], lambda v: (v * v).sum())
    loss.backward()

    theirs = [torch.tensor(d, requires_grad=True) for d in data]
    ref = run(program, vocabulary(None, torch), theirs[:2], theirs[2], lambda v: (v * v).sum())
    ref.backward()

    assert_close(loss.item(), ref.item(), what=f"loss of {program}")
    for k, (a, b) in enumerate(zip(ours, theirs)):
        expected = np.zeros(b.shape) if b.grad is None else b.grad.numpy()
        actual = np.zeros(a.shape) if a.grad is None else a.grad
        assert_close(actual, expected, what=f"grad of input {k} in {program}")


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_losses_match_torch(torch, reduction):
    rng = np.random.default_rng(1)
    logits, pred, target = rng.standard_normal((5, 7)), rng.standard_normal((5, 3)), \
        rng.standard_normal((5, 3))
    classes = rng.integers(0, 7, 5)

    z = mg.tensor(logits, requires_grad=True)
    p = mg.tensor(pred, requires_grad=True)
    loss = mg.cross_entropy(z, classes, reduction) + mg.mse_loss(p, target, reduction)
    loss.backward()

    tz = torch.tensor(logits, requires_grad=True)
    tp = torch.tensor(pred, requires_grad=True)
    F = torch.nn.functional
    ref = F.cross_entropy(tz, torch.tensor(classes), reduction=reduction) + \
        F.mse_loss(tp, torch.tensor(target), reduction=reduction)
    ref.backward()
    assert_close(loss.item(), ref.item(), what="loss")
    assert_close(z.grad, tz.grad.numpy(), what="dlogits")
    assert_close(p.grad, tp.grad.numpy(), what="dpred")


def test_batched_matmul_matches_torch(torch):
    rng = np.random.default_rng(2)
    shapes = [((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,)), ((4,), (4,))]
    for sa, sb in shapes:
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        x, y = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
        (x @ y).tanh().sum().backward()
        tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        (tx @ ty).tanh().sum().backward()
        assert_close(x.grad, tx.grad.numpy(), what=f"{sa} @ {sb}: dA")
        assert_close(y.grad, ty.grad.numpy(), what=f"{sa} @ {sb}: dB")
