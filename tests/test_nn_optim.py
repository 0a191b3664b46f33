"""Modules, optimizers and clipping, checked against their formulas and PyTorch."""

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


def test_sgd_momentum_adam_and_adagrad_follow_their_formulas(torch):
    rng = np.random.default_rng(0)
    start = rng.standard_normal(5)
    grads = [rng.standard_normal(5) for _ in range(4)]

    def run_ours(make):
        p = mg.tensor(start, requires_grad=True)
        opt = make([p])
        for g in grads:
            opt.zero_grad()
            p.grad = g
            opt.step()
        return p.data

    def run_torch(make):
        p = torch.tensor(start, requires_grad=True)
        opt = make([p])
        for g in grads:
            opt.zero_grad()
            p.grad = torch.tensor(g)
            opt.step()
        return p.detach().numpy()

    assert_close(run_ours(lambda ps: mg.optim.SGD(ps, lr=0.1, momentum=0.9)),
                 run_torch(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)), what="SGD")
    assert_close(run_ours(lambda ps: mg.optim.Adam(ps, lr=0.01)),
                 run_torch(lambda ps: torch.optim.Adam(ps, lr=0.01)), what="Adam")

    # Adagrad as in min-char-rnn: eps inside the square root
    memory, expected = np.zeros(5), start.copy()
    for g in grads:
        memory += g * g
        expected -= 0.1 * g / np.sqrt(memory + 1e-8)
    assert_close(run_ours(lambda ps: mg.optim.Adagrad(ps, lr=0.1)), expected, what="Adagrad")


def test_clip_grad_norm_is_pascanus_rule():
    a, b = mg.tensor([3.0], requires_grad=True), mg.tensor([4.0], requires_grad=True)
    a.grad, b.grad = np.array([3.0]), np.array([4.0])
    assert mg.optim.clip_grad_norm_([a, b], 10.0) == 5.0
    assert a.grad.tolist() == [3.0]                    # under the threshold: untouched
    assert mg.optim.clip_grad_norm_([a, b], 1.0) == 5.0
    assert np.allclose([a.grad[0], b.grad[0]], [0.6, 0.8])
    b.grad = np.array([np.inf])
    with pytest.raises(FloatingPointError, match="gradient norm is inf"):
        mg.optim.clip_grad_norm_([a, b], 1.0)


def test_clip_grad_value():
    a = mg.tensor([0.0, 0.0, 0.0], requires_grad=True)
    a.grad = np.array([-9.0, 0.5, 7.0])
    mg.optim.clip_grad_value_([a], 5.0)
    assert a.grad.tolist() == [-5.0, 0.5, 5.0]


def test_optimizer_argument_errors():
    with pytest.raises(ValueError, match="lr must be a positive number, got -1"):
        mg.optim.SGD([mg.tensor([1.0], requires_grad=True)], lr=-1)
    with pytest.raises(TypeError, match="leaf Tensor with requires_grad=True"):
        mg.optim.Adam([mg.tensor([1.0])])
    with pytest.raises(ValueError, match="got no parameters"):
        mg.optim.Adam([])


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
