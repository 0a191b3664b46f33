"""Modules: objects that own parameters.

A :class:`Module` finds its parameters by looking at its attributes: every
:class:`Parameter`, every sub-module, and every list or tuple of
sub-modules.  A parameter stored as ``self.W`` gets the name ``"W"``
unless it already has one.
"""

from __future__ import annotations

import numpy as np

from .functional import linear
from .tensor import DEFAULT_DTYPE, Tensor, as_generator

__all__ = ["Parameter", "Module", "Linear"]


class Parameter(Tensor):
    """A Tensor that a Module trains: ``requires_grad=True`` by default.

    >>> import minigrad as mg
    >>> W = mg.nn.Parameter([[0.5, -0.5]], name="W")
    >>> W.requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True, name=None, dtype=None):
        super().__init__(data, requires_grad=requires_grad, name=name, dtype=dtype)

    def __repr__(self):
        return "Parameter" + super().__repr__()[len("Tensor"):]


class Module:
    """Base class for models.  Subclasses set parameters and sub-modules as attributes.

    >>> import minigrad as mg
    >>> class Affine(mg.nn.Module):
    ...     def __init__(self):
    ...         self.W = mg.nn.Parameter(np.eye(2))
    ...         self.b = mg.nn.Parameter(np.zeros(2))
    ...     def forward(self, x):
    ...         return x @ self.W.T + self.b
    >>> [name for name, _ in Affine().named_parameters()]
    ['W', 'b']
    """

    def __setattr__(self, name, value):
        if isinstance(value, Parameter) and value.name is None:
            value.name = name
        object.__setattr__(self, name, value)

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def named_parameters(self, prefix=""):
        """Yield (name, parameter) pairs, sub-modules' as ``"sub.name"``; each once."""
        seen = set()
        for name, p in self._named_parameters(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _named_parameters(self, prefix):
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
            elif isinstance(value, Module):
                yield from value._named_parameters(f"{prefix}{name}.")
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield from item._named_parameters(f"{prefix}{name}.{i}.")

    def parameters(self):
        """The parameters, in the order they were set."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self):
        """Forget all gradients (set every ``.grad`` to None)."""
        for p in self.parameters():
            p.grad = None

    def state_dict(self):
        """{name: copy of the parameter's array}."""
        return {name: p._data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state, strict=True):
        """Set the parameters to the arrays in ``state`` (copied).

        With ``strict``, the names must match exactly; shapes must always match.
        """
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing {missing}, unexpected {unexpected}; "
                           f"this {type(self).__name__} has {list(own)}")
        for name, value in state.items():
            if name not in own:
                continue
            value = np.asarray(value._data if isinstance(value, Tensor) else value)
            p = own[name]
            if value.shape != p.shape:
                raise ValueError(f"load_state_dict: '{name}' has shape {value.shape} in the "
                                 f"state but {p.shape} in the model")
            p.data = value                  # a new array: recorded graphs keep the old one

    def __repr__(self):
        params = ", ".join(f"{n}{tuple(p.shape)}" for n, p in self.named_parameters())
        return f"{type(self).__name__}({params})"


class Linear(Module):
    """y = x Wᵀ + b, with W of shape (out_features, in_features).

    Initialised like PyTorch: uniform in ±1/sqrt(in_features).

    >>> import minigrad as mg
    >>> layer = mg.nn.Linear(3, 2, rng=0)
    >>> layer(mg.ones(5, 3)).shape
    (5, 2)
    """

    def __init__(self, in_features, out_features, bias=True, rng=None, dtype=DEFAULT_DTYPE):
        rng = as_generator(rng)
        bound = 1 / np.sqrt(in_features)
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)),
                                dtype=dtype)
        self.bias = (Parameter(rng.uniform(-bound, bound, out_features), dtype=dtype)
                     if bias else None)

    def forward(self, x):
        return linear(x, self.weight, self.bias)
