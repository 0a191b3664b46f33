"""Every optimizer and clipping function against its PyTorch namesake, float64, to 1e-12.

The optimizers are compared over whole trajectories: the gradient of each
step is computed (in NumPy) from that engine's own current parameters, so a
difference in one step would grow in the next ones.  Some parameters have
no gradient on some steps, and one gets its first gradient late; PyTorch
skips them (values and state, step count included), and so must we.
"""

import numpy as np
import pytest

import minigrad as mg
from conftest import assert_close

SHAPES = [(3, 4), (4,), (2, 3, 2), (1,)]
STEPS = 7


def gradients(values, k, seed):
    """The gradients at step k: nonlinear in the parameters, and None on some steps."""
    rng = np.random.default_rng([seed, k])
    scale = 3.0 if k % 3 == 0 else 0.2          # shrinking gradients exercise AMSGrad's max
    grads = []
    for i, w in enumerate(values):
        noise = rng.standard_normal(w.shape)
        if (i + k) % 4 == 3 or (i == 3 and k < 2):
            grads.append(None)                   # no gradient this step: skipped
        else:
            grads.append((scale * (np.tanh(2 * w) + 0.5 * w * w + noise)).astype(w.dtype))
    return grads


def trajectory(params, opt, set_grad, values, seed):
    """Run STEPS steps; the parameters' values after each."""
    path = []
    for k in range(STEPS):
        opt.zero_grad()
        for p, g in zip(params, gradients(values(), k, seed)):
            set_grad(p, g)
        opt.step()
        path.append([v.copy() for v in values()])
    return path


def run_ours(name, kwargs, starts, seed):
    params = [mg.tensor(s, requires_grad=True) for s in starts]
    opt = getattr(mg.optim, name)(params, **kwargs)

    def set_grad(p, g):
        p.grad = g
    return trajectory(params, opt, set_grad, lambda: [np.array(p.data) for p in params], seed)


def run_torch(torch, name, kwargs, starts, seed):
    params = [torch.tensor(s, requires_grad=True) for s in starts]
    opt = getattr(torch.optim, name)(params, **kwargs)

    def set_grad(p, g):
        p.grad = None if g is None else torch.tensor(g)
    return trajectory(params, opt, set_grad,
                      lambda: [p.detach().numpy().copy() for p in params], seed)


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.5, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2,
                     eps=1e-6)),
    ("Adagrad", dict(lr=0.3, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.05, betas=(0.5, 0.75), weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.02, alpha=0.8, eps=1e-4, weight_decay=0.1, momentum=0.5,
                     centered=True, maximize=True)),
]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{kw}" for n, kw in CASES])
def test_optimizer_trajectory_matches_torch(torch, name, kwargs, seed):
    rng = np.random.default_rng(seed)
    starts = [rng.standard_normal(shape) for shape in SHAPES]
    ours = run_ours(name, kwargs, starts, seed)
    theirs = run_torch(torch, name, kwargs, starts, seed)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        for i, (w_ours, w_torch) in enumerate(zip(a, b)):
            assert_close(w_ours, w_torch, what=f"{name}{kwargs} step {k + 1}, param {i}")
    moved = [not np.array_equal(w, s) for w, s in zip(ours[-1], starts)]
    assert all(moved), "every parameter had a gradient on some step and must have moved"


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "Adam", "AdamW", "RMSprop"])
def test_defaults_are_torchs(torch, name):
    """The same call with no hyperparameters at all gives the same numbers."""
    rng = np.random.default_rng(5)
    starts = [rng.standard_normal(shape) for shape in SHAPES]
    for a, b in zip(run_ours(name, {}, starts, 5), run_torch(torch, name, {}, starts, 5)):
        for w_ours, w_torch in zip(a, b):
            assert_close(w_ours, w_torch, what=f"{name} with its defaults")


@pytest.mark.parametrize("name, kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                          ("Adam", dict(lr=0.05, amsgrad=True)),
                                          ("RMSprop", dict(centered=True, momentum=0.5))])
def test_float32_parameters_stay_float32_and_follow_torch(torch, name, kwargs):
    rng = np.random.default_rng(2)
    starts = [rng.standard_normal(shape).astype(np.float32) for shape in SHAPES]
    ours = run_ours(name, kwargs, starts, 2)
    theirs = run_torch(torch, name, kwargs, starts, 2)
    for w_ours, w_torch in zip(ours[-1], theirs[-1]):
        assert w_ours.dtype == np.float32
        assert_close(w_ours, w_torch, rtol=1e-5, what=f"{name} float32")


def test_training_a_model_end_to_end_matches_torch(torch):
    """Both engines compute the loss and its gradients; clip, then step, five times."""
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    for make_ours, make_torch in [
            (lambda ps: mg.optim.SGD(ps, lr=0.2, momentum=0.9, nesterov=True),
             lambda ps: torch.optim.SGD(ps, lr=0.2, momentum=0.9, nesterov=True)),
            (lambda ps: mg.optim.AdamW(ps, lr=0.05, amsgrad=True),
             lambda ps: torch.optim.AdamW(ps, lr=0.05, amsgrad=True))]:
        layer = mg.nn.Linear(3, 2, rng=0)
        W = torch.tensor(layer.weight.data, requires_grad=True)
        b = torch.tensor(layer.bias.data, requires_grad=True)
        ours, theirs = make_ours(layer.parameters()), make_torch([W, b])
        for _ in range(5):
            ours.zero_grad()
            loss = mg.mse_loss(layer(x).tanh(), mg.tensor(y))
            loss.backward()
            norm = mg.optim.clip_grad_norm_(layer.parameters(), 0.5)
            ours.step()

            theirs.zero_grad()
            loss_t = ((torch.tanh(torch.tensor(x) @ W.T + b) - torch.tensor(y)) ** 2).mean()
            loss_t.backward()
            norm_t = torch.nn.utils.clip_grad_norm_([W, b], 0.5)
            theirs.step()

            assert_close(loss.item(), loss_t.item(), what="loss")
            assert_close(norm, norm_t.item(), what="gradient norm")
        assert_close(layer.weight.data, W.detach().numpy(), what="W after 5 steps")
        assert_close(layer.bias.data, b.detach().numpy(), what="b after 5 steps")


# ---------------------------------------------------------------- clipping

def grads_of(rng, with_none=True):
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5) * 10, None,
             np.array([0.0, -2.5, 0.0])]
    return grads if with_none else [g for g in grads if g is not None]


def clip_both(torch, grads, fn, *args, **kwargs):
    ours = [mg.tensor(np.zeros_like(g) if g is not None else np.zeros(2), requires_grad=True)
            for g in grads]
    theirs = [torch.zeros(o.shape, dtype=torch.float64, requires_grad=True) for o in ours]
    for o, t, g in zip(ours, theirs, grads):
        o.grad = None if g is None else g.copy()
        t.grad = None if g is None else torch.tensor(g)
    result = getattr(mg.optim, fn)(ours, *args, **kwargs)
    result_t = getattr(torch.nn.utils, fn)(theirs, *args, **kwargs)
    return (result, [o.grad for o in ours],
            result_t, [None if t.grad is None else t.grad.numpy() for t in theirs])


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, 0.5, float("inf"), "inf", float("-inf"), 0])
@pytest.mark.parametrize("max_norm", [0.1, 3.0, 1e4, float("inf")])
def test_clip_grad_norm_matches_torch(torch, norm_type, max_norm):
    grads = grads_of(np.random.default_rng(0))
    norm, ours, norm_t, theirs = clip_both(torch, grads, "clip_grad_norm_", max_norm,
                                           norm_type=norm_type)
    assert_close(norm, norm_t.item(), what=f"norm of order {norm_type}")
    assert norm.item() == float(norm)                   # a float with .item(), like torch's
    for a, b, g in zip(ours, theirs, grads):
        if g is None:
            assert a is None and b is None
        else:
            assert_close(a, b, what=f"gradient clipped at {max_norm}, order {norm_type}")


def test_clip_grad_norm_with_no_gradients_returns_zero_as_torch(torch):
    norm, _, norm_t, _ = clip_both(torch, [None, None], "clip_grad_norm_", 1.0)
    assert norm == norm_t.item() == 0.0


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_clip_grad_norm_nonfinite(torch, bad):
    grads = grads_of(np.random.default_rng(1), with_none=False)
    grads[1][2] = bad
    # error_if_nonfinite=False: PyTorch's numbers exactly (zeros and NaNs)
    norm, ours, norm_t, theirs = clip_both(torch, grads, "clip_grad_norm_", 1.0,
                                           error_if_nonfinite=False)
    np.testing.assert_equal(float(norm), norm_t.item())
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)              # NaN where torch has NaN
    # error_if_nonfinite=True: both raise a RuntimeError
    with pytest.raises(RuntimeError):
        clip_both(torch, grads, "clip_grad_norm_", 1.0, error_if_nonfinite=True)
    p = mg.tensor(np.zeros(5), requires_grad=True)
    p.grad = grads[1]
    with pytest.raises(RuntimeError, match="gradient norm is"):
        mg.optim.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    # our default raises (on purpose unlike torch), and leaves the gradient as it was
    with pytest.raises(FloatingPointError, match=r"gradient norm is (inf|nan).*"
                                                 r"error_if_nonfinite=False"):
        mg.optim.clip_grad_norm_([p], 1.0)
    np.testing.assert_array_equal(p.grad, grads[1])


@pytest.mark.parametrize("clip_value", [0.0, 0.5, 4.0, float("inf")])
def test_clip_grad_value_matches_torch(torch, clip_value):
    grads = grads_of(np.random.default_rng(2))
    grads[0][0, :2] = [np.nan, -np.inf]
    result, ours, result_t, theirs = clip_both(torch, grads, "clip_grad_value_", clip_value)
    assert result is None and result_t is None
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)


def test_clip_functions_take_one_tensor_as_torch_does(torch):
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    w.grad = np.array([3.0, 4.0])
    assert mg.optim.clip_grad_norm_(w, 1.0) == 5.0
    mg.optim.clip_grad_value_(w, 0.5)
    t = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    t.grad = torch.tensor([3.0, 4.0], dtype=torch.float64)
    torch.nn.utils.clip_grad_norm_(t, 1.0)
    torch.nn.utils.clip_grad_value_(t, 0.5)
    assert_close(w.grad, t.grad.numpy(), what="one tensor")
