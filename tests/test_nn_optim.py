"""Modules, optimizers and clipping, checked against their formulas and PyTorch."""

import re

import numpy as np
import pytest

import minigrad as mg
from conftest import assert_close


class TwoLayer(mg.nn.Module):
    def __init__(self):
        self.first = mg.nn.Linear(3, 4, rng=0)
        self.layers = [mg.nn.Linear(4, 2, rng=1)]
        self.scale = mg.nn.Parameter([1.5])

    def forward(self, x):
        return self.layers[0](self.first(x).tanh()) * self.scale


def test_module_finds_parameters_in_order_with_names():
    model = TwoLayer()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["first.weight", "first.bias", "layers.0.weight", "layers.0.bias", "scale"]
    assert model.scale.name == "scale" and len(model.parameters()) == 5
    assert "TwoLayer(first.weight(4, 3)" in repr(model)


def test_zero_grad_and_state_dict_round_trip():
    model = TwoLayer()
    model(mg.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())

    state = model.state_dict()
    other = TwoLayer()
    other.first.weight.data[...] = 0
    other.load_state_dict(state)
    assert all(np.array_equal(a.data, b.data) for a, b in zip(model.parameters(),
                                                               other.parameters()))
    state["first.weight"][...] = 99          # a copy, not the model's own array
    assert not (model.first.weight.data == 99).any()


def test_load_state_dict_errors():
    model = TwoLayer()
    with pytest.raises(KeyError, match=r"missing \['scale'\]"):
        model.load_state_dict({k: v for k, v in model.state_dict().items() if k != "scale"})
    bad = model.state_dict()
    bad["scale"] = np.ones(3)
    with pytest.raises(ValueError, match=r"'scale' has shape \(3,\) in the state but \(1,\)"):
        model.load_state_dict(bad)


def run(opt_factory, start, grads):
    """Give the optimizer these gradients, one per step; the values after the last."""
    p = mg.tensor(start, requires_grad=True)
    opt = opt_factory([p])
    for g in grads:
        opt.zero_grad()
        p.grad = g
        opt.step()
    return p.data


def test_optimizers_follow_their_docstring_formulas():
    """Written out by hand from the formulas (PyTorch's documented algorithms); the
    comparison with PyTorch itself is in test_optim_against_torch.py."""
    rng = np.random.default_rng(0)
    start = rng.standard_normal(5)
    grads = [rng.standard_normal(5) for _ in range(4)]

    w, b = start.copy(), None                     # SGD, Nesterov, weight decay
    for g in grads:
        g = g + 0.1 * w
        b = g.copy() if b is None else 0.9 * b + g
        w = w - 0.05 * (g + 0.9 * b)
    assert_close(run(lambda ps: mg.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True,
                                             weight_decay=0.1), start, grads), w, what="SGD")

    w, b = start.copy(), None                     # SGD, dampening
    for g in grads:
        b = g.copy() if b is None else 0.9 * b + 0.25 * g
        w = w - 0.05 * b
    assert_close(run(lambda ps: mg.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.75),
                     start, grads), w, what="SGD with dampening")

    w, s = start.copy(), np.full(5, 0.5)          # Adagrad: eps outside the square root
    for k, g in enumerate(grads, 1):
        s = s + g * g
        w = w - 0.1 / (1 + (k - 1) * 0.2) * g / (np.sqrt(s) + 1e-10)
    assert_close(run(lambda ps: mg.optim.Adagrad(ps, lr=0.1, lr_decay=0.2,
                                                 initial_accumulator_value=0.5),
                     start, grads), w, what="Adagrad")

    for amsgrad in (False, True):                 # Adam and AdamW
        for decoupled in (False, True):
            w, m, v, vmax = start.copy(), 0, 0, 0
            for k, g in enumerate(grads, 1):
                if decoupled:
                    w = w * (1 - 0.01 * 0.3)
                else:
                    g = g + 0.3 * w
                m = 0.8 * m + 0.2 * g
                v = 0.9 * v + 0.1 * g * g
                vmax = np.maximum(vmax, v) if amsgrad else v
                w = w - 0.01 / (1 - 0.8 ** k) * m / (np.sqrt(vmax / (1 - 0.9 ** k)) + 1e-8)
            kind = mg.optim.AdamW if decoupled else mg.optim.Adam
            assert_close(run(lambda ps: kind(ps, lr=0.01, betas=(0.8, 0.9), weight_decay=0.3,
                                             amsgrad=amsgrad), start, grads), w,
                         what=f"{kind.__name__}, amsgrad={amsgrad}")

    for centered in (False, True):                # RMSprop
        w, v, mean, b = start.copy(), 0, 0, 0
        for g in grads:
            v = 0.9 * v + 0.1 * g * g
            mean = 0.9 * mean + 0.1 * g
            d = np.sqrt(v - mean ** 2 if centered else v) + 1e-8
            b = 0.5 * b + g / d
            w = w - 0.01 * b
        assert_close(run(lambda ps: mg.optim.RMSprop(ps, lr=0.01, alpha=0.9, momentum=0.5,
                                                     centered=centered), start, grads),
                     w, what=f"RMSprop, centered={centered}")


def test_a_parameter_without_gradient_is_skipped_with_its_state():
    """As PyTorch: no gradient, no step, and its own step count does not advance."""
    a, b = mg.tensor([1.0], requires_grad=True), mg.tensor([1.0], requires_grad=True)
    opt = mg.optim.Adam([a, b], lr=0.1)
    for k in range(3):
        opt.zero_grad()
        a.grad = np.array([2.0])
        b.grad = np.array([2.0]) if k == 2 else None
        opt.step()
    assert [s["step"] for s in opt.state] == [3, 1]
    assert b.data[0] == pytest.approx(1 - 0.1, rel=1e-8)     # a first step: lr·sign(g)


# one of each kind, with every option that keeps state or changes the gradient
OPTIMIZERS = [
    lambda ps: mg.optim.SGD(ps, lr=0.1),
    lambda ps: mg.optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: mg.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    lambda ps: mg.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5, maximize=True),
    lambda ps: mg.optim.Adagrad(ps, lr=0.1, lr_decay=0.1, weight_decay=0.1),
    lambda ps: mg.optim.Adam(ps, lr=0.1, weight_decay=0.1, amsgrad=True),
    lambda ps: mg.optim.AdamW(ps, lr=0.1),
    lambda ps: mg.optim.RMSprop(ps, lr=0.1, momentum=0.9, centered=True, weight_decay=0.1),
]


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_a_step_leaves_the_recorded_graph_and_the_gradients_as_they_were(make):
    """backward(); step(); zero_grad(); backward() gives the same gradients, bit for bit."""
    model = TwoLayer()
    loss = (model(np.linspace(-1, 1, 6).reshape(2, 3)) ** 2).sum()
    loss.backward()
    first = [p.grad for p in model.parameters()]
    first_copies = [g.copy() for g in first]
    before = [p.data.copy() for p in model.parameters()]
    opt = make(model.parameters())
    opt.step()
    opt.step()                                    # twice: momentum buffers are updated in place
    assert all(not np.array_equal(p.data, w) for p, w in zip(model.parameters(), before))
    for g, copy in zip(first, first_copies):      # the gradient arrays were not written into
        assert g.tobytes() == copy.tobytes()
    opt.zero_grad()
    loss.backward()
    for p, copy in zip(model.parameters(), first_copies):
        assert p.grad.tobytes() == copy.tobytes()


@pytest.mark.parametrize("clip", [lambda ps: mg.optim.clip_grad_norm_(ps, 1e-3),
                                  lambda ps: mg.optim.clip_grad_norm_(ps, 1e-3, norm_type="inf"),
                                  lambda ps: mg.optim.clip_grad_value_(ps, 1e-3)])
def test_clipping_leaves_the_recorded_graph_and_the_gradients_as_they_were(clip):
    model = TwoLayer()
    loss = (model(np.linspace(-1, 1, 6).reshape(2, 3)) ** 2).sum()
    loss.backward()
    first = [p.grad for p in model.parameters()]
    first_copies = [g.copy() for g in first]
    clip(model.parameters())
    assert all(np.abs(p.grad).max() <= 1e-3 for p in model.parameters())
    for g, copy in zip(first, first_copies):
        assert g.tobytes() == copy.tobytes()
    mg.optim.SGD(model.parameters(), lr=0.1).step()
    model.zero_grad()
    loss.backward()
    for p, copy in zip(model.parameters(), first_copies):
        assert p.grad.tobytes() == copy.tobytes()


def test_float32_parameters_stay_float32():
    for make in OPTIMIZERS:
        w = mg.nn.Parameter(np.ones(3), dtype=np.float32)
        w.grad = np.full(3, 0.5, dtype=np.float32)
        make([w]).step()
        assert w.dtype == np.float32, make
    w.grad = np.full(3, 10.0, dtype=np.float32)
    mg.optim.clip_grad_norm_([w], 1.0)
    mg.optim.clip_grad_value_([w], 0.1)
    assert w.grad.dtype == np.float32


def test_clip_grad_norm_is_pascanus_rule_with_torchs_epsilon():
    a, b = mg.tensor([3.0], requires_grad=True), mg.tensor([4.0], requires_grad=True)
    a.grad, b.grad = np.array([3.0]), np.array([4.0])
    kept = a.grad
    assert mg.optim.clip_grad_norm_([a, b], 10.0) == 5.0
    assert a.grad is kept                              # under the threshold: untouched
    assert mg.optim.clip_grad_norm_([a, b], 1.0) == 5.0
    assert [a.grad[0], b.grad[0]] == [3 / (5 + 1e-6), 4 / (5 + 1e-6)]
    assert mg.optim.clip_grad_norm_([a, b], 1.0, norm_type=float("inf")) == 4 / (5 + 1e-6)
    b.grad = np.array([np.inf])
    with pytest.raises(FloatingPointError, match="gradient norm is inf"):
        mg.optim.clip_grad_norm_([a, b], 1.0)


def test_clip_grad_value():
    a = mg.tensor([0.0, 0.0, 0.0], requires_grad=True)
    a.grad = np.array([-9.0, 0.5, 7.0])
    assert mg.optim.clip_grad_value_([a], 5.0) is None
    assert a.grad.tolist() == [-5.0, 0.5, 5.0]


def params():
    return [mg.tensor([1.0], requires_grad=True)]


def test_numpy_scalars_are_numbers():
    w = mg.tensor([1.0], requires_grad=True)
    opt = mg.optim.SGD([w], lr=np.float32(0.5), momentum=np.float64(0.9),
                       weight_decay=np.int64(0))
    assert opt.lr == float(np.float32(0.5)) and type(opt.lr) is float
    w.grad = np.array([2.0])
    opt.step()
    assert w.data.tolist() == [0.0]
    assert mg.optim.Adam(params(), lr=np.array(0.01), betas=(np.float32(0.5), 0.9)).betas == (
        0.5, 0.9)
    assert mg.optim.Adagrad(params(), lr=mg.tensor(0.25)).lr == 0.25
    mg.optim.clip_grad_norm_(params(), np.float32(1.0), norm_type=np.float64(2))


HYPERPARAMETERS = [(mg.optim.SGD, "lr"), (mg.optim.SGD, "momentum"),
                   (mg.optim.SGD, "dampening"), (mg.optim.SGD, "weight_decay"),
                   (mg.optim.Adagrad, "lr"), (mg.optim.Adagrad, "lr_decay"),
                   (mg.optim.Adagrad, "weight_decay"),
                   (mg.optim.Adagrad, "initial_accumulator_value"), (mg.optim.Adagrad, "eps"),
                   (mg.optim.Adam, "lr"), (mg.optim.Adam, "eps"), (mg.optim.Adam, "weight_decay"),
                   (mg.optim.AdamW, "lr"), (mg.optim.AdamW, "weight_decay"),
                   (mg.optim.RMSprop, "lr"), (mg.optim.RMSprop, "alpha"),
                   (mg.optim.RMSprop, "eps"), (mg.optim.RMSprop, "weight_decay"),
                   (mg.optim.RMSprop, "momentum")]


@pytest.mark.parametrize("kind, arg", HYPERPARAMETERS)
@pytest.mark.parametrize("value", [-1, float("nan"), float("inf"), "0.1", None, True])
def test_bad_hyperparameters_name_the_optimizer_the_argument_and_the_value(kind, arg, value):
    with pytest.raises(ValueError, match=rf"^{kind.__name__}: {arg} must be a number .*, "
                                         rf"got {re.escape(repr(value))}"):
        kind(params(), **{arg: value})


def test_other_argument_errors():
    with pytest.raises(ValueError, match=r"Adam: betas\[1\] must be a number in \[0, 1\), got 1"):
        mg.optim.Adam(params(), betas=(0.9, 1.0))
    with pytest.raises(ValueError, match=r"Adam: betas must be a pair"):
        mg.optim.Adam(params(), betas=0.9)
    with pytest.raises(ValueError, match=r"RMSprop: alpha must be a number in \[0, 1\], got 1.5"):
        mg.optim.RMSprop(params(), alpha=1.5)
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0 and dampening = 0"):
        mg.optim.SGD(params(), lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0 and dampening = 0"):
        mg.optim.SGD(params(), lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)
    with pytest.raises(ValueError, match="clip_grad_norm_: max_norm must be a number >= 0"):
        mg.optim.clip_grad_norm_(params(), -1.0)
    with pytest.raises(ValueError, match="clip_grad_norm_: norm_type must be a number or inf"):
        mg.optim.clip_grad_norm_(params(), 1.0, norm_type="two")
    with pytest.raises(ValueError, match="clip_grad_value_: clip_value must be a number >= 0"):
        mg.optim.clip_grad_value_(params(), float("nan"))


@pytest.mark.parametrize("kind", [mg.optim.SGD, mg.optim.Adagrad, mg.optim.Adam,
                                  mg.optim.AdamW, mg.optim.RMSprop])
def test_a_module_or_a_tensor_instead_of_its_parameters(kind):
    model = TwoLayer()
    with pytest.raises(TypeError, match=r"got a Module \(TwoLayer\).*pass model.parameters\(\)"):
        kind(model)
    with pytest.raises(TypeError, match=r"got a single Tensor.*pass model.parameters\(\)"):
        kind(model.scale)
    with pytest.raises(TypeError, match=r"got a Module \(TwoLayer\).*pass model.parameters\(\)"):
        mg.optim.clip_grad_norm_(model, 1.0)


def test_parameters_errors():
    with pytest.raises(TypeError, match="leaf Tensor with requires_grad=True"):
        mg.optim.Adam([mg.tensor([1.0])])
    w = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="can't optimize a tensor made by 'mul'"):
        mg.optim.Adam([w * 2])
    with pytest.raises(ValueError, match="got no parameters"):
        mg.optim.Adam([])
    with pytest.raises(TypeError, match="parameter groups"):
        mg.optim.SGD([{"params": [w], "lr": 0.1}])
    with pytest.raises(TypeError, match="every parameter must be a Tensor; got ndarray"):
        mg.optim.SGD([np.ones(2)])
    with pytest.raises(TypeError, match="params must be an iterable of tensors, got int"):
        mg.optim.SGD(3)


def test_generators_duplicates_and_parameter_lists():
    model = TwoLayer()
    opt = mg.optim.SGD((p for p in model.parameters()), lr=0.1)
    assert opt.params == model.parameters()
    w, v = mg.tensor([1.0], requires_grad=True), mg.tensor([1.0], requires_grad=True)
    opt = mg.optim.SGD([w, v, w], lr=0.5)
    assert len(opt.params) == 2
    w.grad = v.grad = np.array([1.0])
    opt.step()
    assert w.data.tolist() == [0.5]               # one step, not two
    Ws = mg.nn.ParameterList([mg.nn.Parameter([1.0]), mg.nn.Parameter([2.0])])
    assert mg.optim.Adam(Ws).params == list(Ws)


def test_training_a_linear_layer_reduces_the_loss():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    layer = mg.nn.Linear(3, 1, rng=0)
    opt = mg.optim.SGD(layer.parameters(), lr=0.1, momentum=0.5)
    losses = []
    for _ in range(100):
        opt.zero_grad()
        loss = mg.mse_loss(layer(x), mg.tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-3 * losses[0]


# ---------------------------------------------------------------- containers of parameters

class Containers(mg.nn.Module):
    """Parameters kept every way a student might keep them."""

    def __init__(self):
        self.in_list = [mg.nn.Parameter([1.0]), mg.nn.Parameter([2.0])]
        self.in_tuple = (mg.nn.Parameter([3.0]),)
        self.in_dict = {"a": mg.nn.Parameter([4.0]), "b": [mg.nn.Parameter([5.0])]}
        self.Ws = mg.nn.ParameterList([mg.nn.Parameter([6.0])])
        self.layers = mg.nn.ModuleList([mg.nn.Linear(1, 1, rng=0)])
        self.sizes = [1, 2, 3]                     # no parameters: nothing to find
        self.Ws.append(mg.nn.Parameter([7.0]))     # appended after it was set: still named

    def forward(self, x):
        out = self.layers[0](x)
        for p in [*self.in_list, *self.in_tuple, self.in_dict["a"], self.in_dict["b"][0],
                  *self.Ws]:
            out = out * p
        return out


def test_parameters_in_plain_containers_and_lists_are_found_and_named():
    model = Containers()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["in_list.0", "in_list.1", "in_tuple.0", "in_dict.a", "in_dict.b.0",
                     "Ws.0", "Ws.1", "layers.0.weight", "layers.0.bias"]
    assert [p.name for p in model.parameters()][:7] == names[:7]
    assert model.layers[0].weight.name == "weight"
    state = model.state_dict()
    assert list(state) == names
    Containers().load_state_dict(state)


def test_a_training_step_changes_the_parameters_in_containers():
    model = Containers()
    before = [p.data.copy() for p in model.parameters()]
    opt = mg.optim.SGD(model.parameters(), lr=0.01)
    model(mg.ones(2, 1)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    opt.step()
    assert all(not np.array_equal(p.data, b) for p, b in zip(model.parameters(), before))


def test_a_set_of_parameters_is_an_error_not_skipped():
    class Bad(mg.nn.Module):
        def __init__(self):
            self.W = mg.nn.Parameter([1.0])
            self.others = {mg.nn.Parameter([2.0])}
    with pytest.raises(TypeError, match="'others' is a set holding parameters.*ParameterList"):
        Bad().parameters()


def test_module_list_behaves_like_a_list():
    a, b, c = (mg.nn.Linear(1, 1, rng=i) for i in range(3))
    layers = mg.nn.ModuleList([a])
    layers.append(b)
    layers.insert(0, c)
    assert list(layers) == [c, a, b] and len(layers) == 3
    assert layers[-1] is b and a in layers and mg.nn.Linear(1, 1) not in layers
    assert list(layers[1:]) == [a, b] and isinstance(layers[1:], mg.nn.ModuleList)
    layers[0] = b
    del layers[0]
    layers += [c]
    assert list(layers) == [a, b, c]
    assert [n for n, _ in layers.named_parameters()][:2] == ["0.weight", "0.bias"]
    with pytest.raises(TypeError, match="ModuleList holds Modules, got Parameter.*ParameterList"):
        layers.append(mg.nn.Parameter([1.0]))


def test_parameter_list_behaves_like_a_list():
    P = [mg.nn.Parameter([float(i)]) for i in range(4)]
    Ws = mg.nn.ParameterList(P[:2])
    Ws.extend([P[2]])
    Ws += [P[3]]
    assert list(Ws) == P and len(Ws) == 4 and Ws[-1] is P[3] and P[1] in Ws
    assert list(Ws[::2]) == [P[0], P[2]]
    Ws[-1] = mg.nn.Parameter([9.0])
    assert [n for n, _ in Ws.named_parameters()] == ["0", "1", "2", "3"]
    with pytest.raises(TypeError, match=r"ParameterList holds Parameters, got Tensor.*"
                                        r"mg.nn.Parameter\(values\)"):
        Ws.append(mg.tensor([1.0], requires_grad=True))
    with pytest.raises(IndexError):
        Ws[4] = mg.nn.Parameter([1.0])
