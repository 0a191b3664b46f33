"""Optimizers and gradient clipping.

Every optimizer gives each parameter a new array, ``p._data = p._data - step``,
computed from ``p.grad``; parameters without a gradient are left alone.  The
old array is never written into, so a graph recorded before the step still
differentiates the weights its forward pass used.  Call ``step()`` after
``backward()``.
"""

from __future__ import annotations

import math

import numpy as np

from .tensor import Tensor

__all__ = ["Optimizer", "SGD", "Adagrad", "Adam", "clip_grad_norm_", "clip_grad_value_"]


def _check_params(params, who):
    params = list(params)
    if not params:
        raise ValueError(f"{who}: got no parameters to optimize")
    unique = []
    for p in params:
        if not isinstance(p, Tensor) or not p.requires_grad or not p.is_leaf:
            raise TypeError(f"{who}: every parameter must be a leaf Tensor with "
                            f"requires_grad=True; got {p!r:.80}")
        if all(p is not q for q in unique):
            unique.append(p)
    return unique


def _positive(who, name, value, allow_zero=False):
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0 or (
            value == 0 and not allow_zero):
        raise ValueError(f"{who}: {name} must be a {'non-negative' if allow_zero else 'positive'}"
                         f" number, got {value!r}")
    return float(value)


class Optimizer:
    """Holds the parameters; subclasses implement ``step()``."""

    def __init__(self, params, lr):
        who = type(self).__name__
        self.params = _check_params(params, who)
        self.lr = _positive(who, "lr", lr)

    def zero_grad(self):
        """Set every parameter's ``.grad`` to None."""
        for p in self.params:
            p.grad = None

    def step(self):
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent with optional momentum (PyTorch's form).

        v ← μ v + g        p ← p - lr v        (μ = momentum; v = g when μ = 0)

    >>> import minigrad as mg
    >>> w = mg.tensor([1.0], requires_grad=True)
    >>> opt = mg.optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data
    array([0.8])
    """

    def __init__(self, params, lr=0.01, momentum=0.0):
        super().__init__(params, lr)
        self.momentum = _positive("SGD", "momentum", momentum, allow_zero=True)
        self.velocity = [np.zeros_like(p._data) for p in self.params]

    def step(self):
        for p, v in zip(self.params, self.velocity):
            if p.grad is None:
                continue
            if self.momentum:
                v *= self.momentum
                v += p.grad
                p._data = p._data - self.lr * v
            else:
                p._data = p._data - self.lr * p.grad


class Adagrad(Optimizer):
    """Adagrad as in min-char-rnn: each weight's step shrinks with its gradient history.

        m ← m + g²        p ← p - lr g / sqrt(m + eps)

    (PyTorch's Adagrad puts eps outside the square root: lr g / (sqrt(m) + eps).)
    """

    def __init__(self, params, lr=0.1, eps=1e-8):
        super().__init__(params, lr)
        self.eps = _positive("Adagrad", "eps", eps)
        self.memory = [np.zeros_like(p._data) for p in self.params]

    def step(self):
        for p, m in zip(self.params, self.memory):
            if p.grad is None:
                continue
            m += p.grad * p.grad
            p._data = p._data - self.lr * p.grad / np.sqrt(m + self.eps)


class Adam(Optimizer):
    """Adam (Kingma and Ba 2015), with bias correction, as in PyTorch.

        m ← β1 m + (1-β1) g        v ← β2 v + (1-β2) g²
        p ← p - lr (m / (1-β1^k)) / (sqrt(v / (1-β2^k)) + eps)      at step k
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr)
        self.beta1, self.beta2 = (float(b) for b in betas)
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise ValueError(f"Adam: betas must be in [0, 1), got {betas}")
        self.eps = _positive("Adam", "eps", eps)
        self.m = [np.zeros_like(p._data) for p in self.params]
        self.v = [np.zeros_like(p._data) for p in self.params]
        self.k = 0

    def step(self):
        self.k += 1
        correct1 = 1 - self.beta1 ** self.k
        correct2 = 1 - self.beta2 ** self.k
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            g = p.grad
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p._data = p._data - self.lr * (m / correct1) / (np.sqrt(v / correct2) + self.eps)


def clip_grad_norm_(params, max_norm):
    """Rescale the gradients so that their joint L2 norm is at most ``max_norm``.

    Pascanu, Mikolov and Bengio (2013): if ||g|| > threshold, g ← (threshold / ||g||) g.
    The direction is kept; only the length shrinks.  Returns the norm before clipping.

    >>> import minigrad as mg
    >>> w = mg.tensor([3.0, 4.0], requires_grad=True)
    >>> w.grad = np.array([3.0, 4.0])
    >>> mg.optim.clip_grad_norm_([w], 1.0)
    5.0
    >>> w.grad
    array([0.6, 0.8])
    """
    max_norm = _positive("clip_grad_norm_", "max_norm", max_norm)
    params = [p for p in params if p.grad is not None]
    total = math.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in params))
    if not math.isfinite(total):
        raise FloatingPointError(
            f"clip_grad_norm_: the gradient norm is {total}; clipping cannot rescale it. "
            f"The gradients overflowed: lower the learning rate, or find the op with "
            f"minigrad.detect_anomaly().")
    if total > max_norm:
        scale = max_norm / total
        for p in params:
            p.grad = p.grad * scale
    return total


def clip_grad_value_(params, clip_value):
    """Clip every gradient element into [-clip_value, clip_value] (min-char-rnn uses 5)."""
    clip_value = _positive("clip_grad_value_", "clip_value", clip_value)
    for p in params:
        if p.grad is not None:
            p.grad = np.clip(p.grad, -clip_value, clip_value)
