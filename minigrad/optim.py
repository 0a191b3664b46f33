"""Optimizers and gradient clipping, with PyTorch's names, arguments and numbers.

``SGD``, ``Adagrad``, ``Adam``, ``AdamW`` and ``RMSprop`` compute what
``torch.optim`` computes, step by step, and ``clip_grad_norm_`` and
``clip_grad_value_`` what ``torch.nn.utils`` computes; the tests hold each
one to PyTorch float64 within 1e-12.  Each docstring gives its formula, the
algorithm of PyTorch's documentation, with g the gradient, λ the weight
decay and k the parameter's own step count.

A step never writes into an array that a recorded graph may hold.  An
optimizer gives each parameter a new array, ``p._data - step`` (in the
parameter's dtype, through ``Tensor._replace_data``, which notes for drawings
when a graph held the old one), and clipping gives each gradient a new
array, ``p.grad = p.grad * scale``.  So a graph recorded before the step still
differentiates the weights its forward pass used, and ``backward()`` run
again gives the same gradients, bit for bit.  Only the optimizer's own
state (momentum buffers, Adam's m and v, ...) is updated in place.

As in PyTorch, a parameter whose ``.grad`` is None is skipped: its value
and its state, step count included, stay as they were.  Call ``step()``
after ``backward()``, and ``zero_grad()`` before the next ``backward()``
(gradients add up).

Where we differ from PyTorch on purpose:

- a hyperparameter must be a finite number (PyTorch takes ``lr=inf``, and
  any ``dampening``): such values only ever give NaN weights;
- every parameter must require gradients: PyTorch quietly never updates a
  tensor you forgot to mark, which looks like a model that does not learn
  (leave frozen parameters out: ``[p for p in ps if p.requires_grad]``);
- no parameter groups (lists of dicts): make one optimizer per group;
- ``clip_grad_norm_`` raises on a non-finite norm unless told not to
  (its docstring says why).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .nn import Module, ParameterList
from .tensor import Tensor

__all__ = ["Optimizer", "SGD", "Adagrad", "Adam", "AdamW", "RMSprop",
           "clip_grad_norm_", "clip_grad_value_", "NonFiniteNormError"]


# ---------------------------------------------------------------- argument checks

def _number(who, name, value, needs="a number >= 0", ok=lambda x: x >= 0, allow_inf=False):
    """``value`` as a float, or a ValueError naming the function, the argument and the value.

    NumPy scalars (``np.float32(0.1)``) and one-element arrays count as numbers.
    """
    x = value
    if isinstance(x, (Tensor, np.ndarray)) and x.size == 1 and x.dtype.kind in "fiu":
        x = x.item()
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise ValueError(f"{who}: {name} must be {needs}, got {value!r} "
                         f"(a {type(value).__name__}, not a number)")
    x = float(x)
    if math.isnan(x) or (math.isinf(x) and not allow_inf) or not ok(x):
        raise ValueError(f"{who}: {name} must be {needs}, got {value!r}")
    return x


def _tensors(params, who, single_ok):
    """The list of tensors in ``params``; a clear TypeError for a Module or a lone tensor."""
    if isinstance(params, Tensor) and single_ok:
        return [params]
    if isinstance(params, Tensor) or (isinstance(params, Module)
                                      and not isinstance(params, ParameterList)):
        what = ("a single Tensor" if isinstance(params, Tensor)
                else f"a Module ({type(params).__name__})")
        raise TypeError(f"{who}: got {what}, but it takes an iterable of tensors. "
                        f"Fix: pass model.parameters(), or a list such as [w].")
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"{who}: params must be an iterable of tensors, got "
                        f"{type(params).__name__}. Fix: pass model.parameters().") from None
    for p in params:
        if isinstance(p, dict):
            raise TypeError(f"{who}: parameter groups (dicts) are not supported. Fix: make "
                            f"one optimizer per group, each with its own hyperparameters.")
        if not isinstance(p, Tensor):
            raise TypeError(f"{who}: every parameter must be a Tensor; got "
                            f"{type(p).__name__} {p!r:.60}. Fix: pass model.parameters().")
    return params


def _check_params(params, who):
    params = _tensors(params, who, single_ok=False)
    if not params:
        raise ValueError(f"{who}: got no parameters to optimize (an empty list, or a "
                         f"generator that was already used up)")
    unique = []
    for p in params:
        if not p.is_leaf:
            raise TypeError(f"{who}: can't optimize a tensor made by '{p.node.op}': only "
                            f"leaves get updated. Fix: optimize the leaf it was made from.")
        if not p.requires_grad:
            raise TypeError(f"{who}: every parameter must be a leaf Tensor with "
                            f"requires_grad=True; got {p!r:.80}. Fix: create it with "
                            f"requires_grad=True (mg.nn.Parameter does), or leave frozen "
                            f"ones out: [p for p in params if p.requires_grad].")
        if all(p is not q for q in unique):       # each tensor once, as in model.parameters()
            unique.append(p)
    return unique


# ---------------------------------------------------------------- optimizers

class Optimizer:
    """The parameters, their state and the learning rate; subclasses write ``_update``.

    ``params`` is an iterable of leaf tensors that require gradients, such as
    ``model.parameters()``, a list or a generator; a tensor listed twice
    counts once.  ``state[i]`` holds the optimizer's own arrays for
    ``params[i]``, under PyTorch's names, and ``state[i]["step"]`` counts
    the steps in which ``params[i]`` had a gradient.  Hyperparameters are
    plain attributes: ``opt.lr = 0.01`` changes the learning rate.
    """

    def __init__(self, params, lr, maximize=False):
        who = type(self).__name__
        self.params = _check_params(params, who)
        self.lr = _number(who, "lr", lr)
        self.maximize = bool(maximize)
        self.state = [{"step": 0} for _ in self.params]

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: ``.grad = None`` (or new zero arrays, with ``set_to_none=False``)."""
        for p in self.params:
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = np.zeros_like(p.grad)

    def step(self):
        """Update every parameter that has a gradient; skip those whose ``.grad`` is None."""
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            state["step"] += 1
            g = -p.grad if self.maximize else p.grad          # maximize: climb, g ← -g
            new = self._update(p._data, g, state)
            p._replace_data(new.astype(p._data.dtype, copy=False))   # a new array, same dtype

    def _update(self, w, g, state):
        """The parameter's new values (a new array) from its values ``w`` and gradient ``g``."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr:g})"


class SGD(Optimizer):
    """Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay, as PyTorch.

        g ← g + λ w                                  (weight_decay λ)
        b ← g  at the first step,  then  b ← μ b + (1 - τ) g     (momentum μ, dampening τ)
        g ← g + μ b  (nesterov)   or   g ← b         (when μ > 0)
        w ← w - lr g

    Nesterov needs μ > 0 and τ = 0.

    >>> import minigrad as mg
    >>> w = mg.tensor([1.0], requires_grad=True)
    >>> opt = mg.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
    >>> w.data                  # 1 - 0.1·2 = 0.8;  b = 0.9·2 + 1.6 = 3.4,  0.8 - 0.34
    array([0.46])
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        super().__init__(params, lr, maximize)
        self.momentum = _number("SGD", "momentum", momentum)
        self.dampening = _number("SGD", "dampening", dampening)
        self.weight_decay = _number("SGD", "weight_decay", weight_decay)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={momentum!r}, dampening={dampening!r}")

    def _update(self, w, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * w                       # g ← g + λ w
        if self.momentum:
            b = state.get("momentum_buffer")
            if b is None:
                b = state["momentum_buffer"] = np.array(g, copy=True)   # b ← g
            else:
                b *= self.momentum                              # b ← μ b + (1 - τ) g
                b += (1 - self.dampening) * g
            g = g + self.momentum * b if self.nesterov else b
        return w - self.lr * g                                  # w ← w - lr g


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan and Singer 2011), as PyTorch: each weight's step shrinks with its history.

        g ← g + λ w
        lr_k = lr / (1 + (k - 1) lr_decay)
        s ← s + g²                                   (s starts at initial_accumulator_value)
        w ← w - lr_k g / (sqrt(s) + eps)

    eps sits outside the square root, as in PyTorch (min-char-rnn puts 1e-8
    inside it: sqrt(s + 1e-8); the two differ only while s is below ~1e-8).

    >>> import minigrad as mg
    >>> w = mg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = mg.optim.Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data                  # the first step is lr·sign(g), whatever |g|
    array([ 0.9, -1.9])
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False):
        super().__init__(params, lr, maximize)
        self.lr_decay = _number("Adagrad", "lr_decay", lr_decay)
        self.weight_decay = _number("Adagrad", "weight_decay", weight_decay)
        self.initial_accumulator_value = _number("Adagrad", "initial_accumulator_value",
                                                 initial_accumulator_value)
        self.eps = _number("Adagrad", "eps", eps)
        for p, state in zip(self.params, self.state):
            state["sum"] = np.full_like(p._data, self.initial_accumulator_value)

    def _update(self, w, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * w                       # g ← g + λ w
        lr = self.lr / (1 + (state["step"] - 1) * self.lr_decay)
        s = state["sum"]
        s += g * g                                              # s ← s + g²
        return w - lr * (g / (np.sqrt(s) + self.eps))           # w ← w - lr_k g / (√s + eps)


class Adam(Optimizer):
    """Adam (Kingma and Ba 2015), with bias correction and optional AMSGrad, as PyTorch.

        g ← g + λ w                    (or w ← w (1 - lr λ) with decoupled_weight_decay: AdamW)
        m ← β1 m + (1 - β1) g          v ← β2 v + (1 - β2) g²
        v̂ ← max(v̂, v)  with amsgrad,  else  v̂ = v
        w ← w - (lr / (1 - β1^k)) m / (sqrt(v̂) / sqrt(1 - β2^k) + eps)

    >>> import minigrad as mg
    >>> w = mg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = mg.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data                  # the first step is about lr·sign(g)
    array([ 0.9, -1.9])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        super().__init__(params, lr, maximize)
        who = type(self).__name__
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"{who}: betas must be a pair (beta1, beta2) such as "
                             f"(0.9, 0.999), got {betas!r}") from None
        in_01 = dict(needs="a number in [0, 1)", ok=lambda x: 0 <= x < 1)
        self.betas = (_number(who, "betas[0]", beta1, **in_01),
                      _number(who, "betas[1]", beta2, **in_01))
        self.eps = _number(who, "eps", eps)
        self.weight_decay = _number(who, "weight_decay", weight_decay)
        self.amsgrad = bool(amsgrad)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)

    def _update(self, w, g, state):
        beta1, beta2 = self.betas
        if self.weight_decay:
            if self.decoupled_weight_decay:
                w = w * (1 - self.lr * self.weight_decay)       # w ← w (1 - lr λ)
            else:
                g = g + self.weight_decay * w                   # g ← g + λ w
        if "exp_avg" not in state:
            state["exp_avg"], state["exp_avg_sq"] = np.zeros_like(w), np.zeros_like(w)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(w)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - beta1) * (g - m)                              # m ← β1 m + (1 - β1) g
        v *= beta2                                              # v ← β2 v + (1 - β2) g²
        v += (1 - beta2) * g * g
        if self.amsgrad:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        k = state["step"]
        step_size = self.lr / (1 - beta1 ** k)
        denom = np.sqrt(v) / (1 - beta2 ** k) ** 0.5 + self.eps
        return w - step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter 2019), as PyTorch.

        w ← w (1 - lr λ)               (instead of g ← g + λ w; λ = weight_decay, default 0.01)
        then Adam's step, unchanged.

    >>> import minigrad as mg
    >>> w = mg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = mg.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data                  # w·(1 - 0.05) - 0.1·sign(g)
    array([ 0.85, -1.8 ])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), centered (Graves 2013) and with momentum, as PyTorch.

        g ← g + λ w
        v ← α v + (1 - α) g²
        d = sqrt(v - ḡ²) + eps,  ḡ ← α ḡ + (1 - α) g     (centered)
        d = sqrt(v) + eps                                (otherwise)
        b ← μ b + g / d,  w ← w - lr b                   (momentum μ > 0)
        w ← w - lr g / d                                 (otherwise)

    α must be in [0, 1] (PyTorch takes any α >= 0, but α > 1 makes v
    negative and the step NaN).

    >>> import minigrad as mg
    >>> w = mg.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = mg.optim.RMSprop([w], lr=0.01, alpha=0.75)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.data                  # the first step is lr·g/(|g|·√(1-α)) = ±0.02
    array([ 0.98, -1.98])
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        super().__init__(params, lr, maximize)
        self.alpha = _number("RMSprop", "alpha", alpha, needs="a number in [0, 1]",
                             ok=lambda x: 0 <= x <= 1)
        self.eps = _number("RMSprop", "eps", eps)
        self.weight_decay = _number("RMSprop", "weight_decay", weight_decay)
        self.momentum = _number("RMSprop", "momentum", momentum)
        self.centered = bool(centered)

    def _update(self, w, g, state):
        alpha = self.alpha
        if self.weight_decay:
            g = g + self.weight_decay * w                       # g ← g + λ w
        if "square_avg" not in state:
            state["square_avg"] = np.zeros_like(w)
            if self.centered:
                state["grad_avg"] = np.zeros_like(w)
            if self.momentum > 0:
                state["momentum_buffer"] = np.zeros_like(w)
        v = state["square_avg"]
        v *= alpha                                              # v ← α v + (1 - α) g²
        v += (1 - alpha) * g * g
        if self.centered:
            mean = state["grad_avg"]
            mean += (1 - alpha) * (g - mean)                    # ḡ ← α ḡ + (1 - α) g
            d = np.sqrt(v - mean * mean) + self.eps             # d = √(v - ḡ²) + eps
        else:
            d = np.sqrt(v) + self.eps                           # d = √v + eps
        if self.momentum > 0:
            b = state["momentum_buffer"]
            b *= self.momentum                                  # b ← μ b + g / d
            b += g / d
            return w - self.lr * b
        return w - self.lr * (g / d)


# ---------------------------------------------------------------- clipping

class NonFiniteNormError(FloatingPointError, RuntimeError):
    """The gradients' norm is inf or NaN, so clipping cannot rescale them.

    A FloatingPointError, and a RuntimeError as PyTorch raises for
    ``error_if_nonfinite=True``, so either ``except`` catches it.
    """


def _vector_norm(x, p):
    """torch.linalg.vector_norm: (Σ |x|^p)^(1/p); max |x| for p = inf, min |x| for -inf,
    the number of nonzeros for p = 0."""
    a = np.abs(np.asarray(x, dtype=np.float64)).ravel()
    if p == math.inf:
        return float(a.max(initial=0.0))
    if p == -math.inf:
        return float(a.min(initial=math.inf))
    if p == 0:
        return float(np.count_nonzero(a))
    if p == 1:
        return float(a.sum())
    if p == 2:
        return math.sqrt(float(np.dot(a, a)))
    with np.errstate(divide="ignore", over="ignore"):
        return float(np.sum(a ** p) ** (1 / p))


def clip_grad_norm_(params, max_norm, norm_type=2.0, error_if_nonfinite=True):
    """Rescale the gradients so that their joint norm is at most ``max_norm``, as PyTorch.

    Pascanu, Mikolov and Bengio (2013): if ||g|| > threshold, g ← (threshold / ||g||) g;
    the direction is kept, only the length shrinks.  PyTorch's exact rule:

        n = || (||g_1||_p, ||g_2||_p, ...) ||_p      (the norm of all gradients as one vector)
        g_i ← g_i · min(1, max_norm / (n + 1e-6))

    ``norm_type`` is p, any number or ``inf``.  Gradients that are None are
    left out.  Each clipped gradient is a new array (``p.grad = p.grad * c``):
    arrays that a recorded graph or a caller holds are never written into.
    Returns n, the norm before clipping, as a NumPy float64 (a float that has
    ``.item()``, like the 0-d tensor PyTorch returns).

    On purpose unlike PyTorch, ``error_if_nonfinite`` is True by default: an
    inf or NaN norm raises :class:`NonFiniteNormError` (a FloatingPointError
    and a RuntimeError).  PyTorch's default (False) multiplies every gradient
    by max_norm / inf = 0, or by NaN, so the next step silently does nothing
    or turns every weight into NaN.  Pass ``error_if_nonfinite=False`` for
    exactly that behaviour.

    >>> import minigrad as mg
    >>> w = mg.tensor([3.0, 4.0], requires_grad=True)
    >>> w.grad = np.array([3.0, 4.0])
    >>> print(mg.optim.clip_grad_norm_([w], 1.0))
    5.0
    >>> w.grad.round(6)         # (3, 4) · 1 / (5 + 1e-6)
    array([0.6, 0.8])
    """
    params = _tensors(params, "clip_grad_norm_", single_ok=True)
    max_norm = _number("clip_grad_norm_", "max_norm", max_norm, allow_inf=True)
    try:
        p = float(norm_type)
    except (TypeError, ValueError):
        p = math.nan
    if math.isnan(p):
        raise ValueError(f"clip_grad_norm_: norm_type must be a number or inf (2.0 for the "
                         f"Euclidean norm), got {norm_type!r}")
    with_grad = [q for q in params if q.grad is not None]
    total = _vector_norm([_vector_norm(q.grad, p) for q in with_grad], p) if with_grad else 0.0
    if not math.isfinite(total) and error_if_nonfinite:
        raise NonFiniteNormError(
            f"clip_grad_norm_: the gradient norm is {total}; clipping cannot rescale it. "
            f"The gradients overflowed: lower the learning rate, or find the op with "
            f"minigrad.detect_anomaly(). (error_if_nonfinite=False scales them by "
            f"max_norm / {total} as PyTorch does.)")
    clip_coef = max_norm / (total + 1e-6)              # 1e-6: as PyTorch, no 0/0 at n = 0
    if clip_coef < 1.0 or math.isnan(clip_coef):       # min(1, c); multiplying by 1 changes nothing
        with np.errstate(invalid="ignore"):            # inf·0 = NaN, as in PyTorch
            for q in with_grad:
                q.grad = (q.grad * clip_coef).astype(q.grad.dtype, copy=False)
    return np.float64(total)


def clip_grad_value_(params, clip_value):
    """Clip every gradient element into [-clip_value, clip_value], as PyTorch; returns None.

        g ← min(max(g, -c), c)       (min-char-rnn uses c = 5)

    Each clipped gradient is a new array; NaN stays NaN.

    >>> import minigrad as mg
    >>> w = mg.tensor([0.0, 0.0, 0.0], requires_grad=True)
    >>> w.grad = np.array([-9.0, 0.5, 7.0])
    >>> mg.optim.clip_grad_value_([w], 5.0)
    >>> w.grad
    array([-5. ,  0.5,  5. ])
    """
    params = _tensors(params, "clip_grad_value_", single_ok=True)
    c = _number("clip_grad_value_", "clip_value", clip_value, allow_inf=True)
    for q in params:
        if q.grad is not None:
            q.grad = np.clip(q.grad, -c, c).astype(q.grad.dtype, copy=False)
