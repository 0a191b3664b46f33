"""Modules: objects that own parameters.

A :class:`Module` finds its parameters by looking at its attributes: every
:class:`Parameter` and sub-module, also inside plain lists, tuples and
dicts, and inside :class:`ModuleList` and :class:`ParameterList`.  A
parameter stored as ``self.W`` gets the name ``"W"``, one stored as
``self.Ws = [P0, P1]`` the names ``"Ws.0"`` and ``"Ws.1"``, unless it
already has a name.
"""

from __future__ import annotations

import numpy as np

from .functional import linear
from .tensor import DEFAULT_DTYPE, Tensor, as_generator

__all__ = ["Parameter", "Module", "ModuleList", "ParameterList", "Linear"]


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

    ``named_parameters()`` looks through the attributes.  It finds every
    :class:`Parameter` and every sub-module (its parameters named
    ``"sub.name"``), and it also looks inside plain lists, tuples and dicts,
    nested too: ``self.Ws = [W0, W1]`` gives ``"Ws.0"`` and ``"Ws.1"``,
    ``self.gates = {"i": Wi}`` gives ``"gates.i"``.  PyTorch skips
    parameters kept in plain containers without a word, so the optimizer
    never trains them; here nothing that holds a parameter is skipped
    silently: plain containers are searched, and a set, whose order would
    change the parameters' order, is an error.  ``ModuleList`` and
    ``ParameterList`` work as in PyTorch and say what they hold.

    >>> import minigrad as mg
    >>> class Affine(mg.nn.Module):
    ...     def __init__(self):
    ...         self.W = mg.nn.Parameter(np.eye(2))
    ...         self.b = mg.nn.Parameter(np.zeros(2))
    ...         self.extra = [mg.nn.Parameter([1.0])]
    ...     def forward(self, x):
    ...         return (x @ self.W.T + self.b) * self.extra[0]
    >>> [name for name, _ in Affine().named_parameters()]
    ['W', 'b', 'extra.0']

    An attribute that holds a Parameter takes only another Parameter (or
    None): ``model.W = model.W - lr * model.W.grad`` would put a plain Tensor
    there, which ``named_parameters()`` does not list, so the optimizer would
    go on training the old W and the new one would never get a gradient.  It
    is an error that shows the two ways to do what was meant: update W in
    place (``with mg.no_grad(): model.W -= lr * model.W.grad``, or
    ``model.W.data = values``), or replace it by a new Parameter.

    >>> model = Affine()
    >>> with mg.no_grad():
    ...     model.W -= 0.5 * model.W            # in place: the same Parameter
    >>> model.W.tolist()
    [[0.5, 0.0], [0.0, 0.5]]
    >>> model.W = model.W * 2
    Traceback (most recent call last):
    TypeError: Affine.W is a Parameter; assigning a Tensor (not a Parameter) would ...
    """

    def __setattr__(self, name, value):
        old = self.__dict__.get(name)
        if isinstance(old, Parameter) and value is not None and not isinstance(value, Parameter):
            raise TypeError(
                f"{type(self).__name__}.{name} is a Parameter; assigning a "
                f"{type(value).__name__} (not a Parameter) would replace it by something "
                f"named_parameters() does not list, so optimizers would keep training the old "
                f"{name} and no gradient would reach the new one. Fix: update it in place, "
                f"`with mg.no_grad(): model.{name} -= lr * model.{name}.grad` or "
                f"model.{name}.data = values; or assign a new mg.nn.Parameter(values).")
        for path, p in _parameters_in(value, name, set(), into_modules=False):
            if p.name is None:
                p.name = path
        if isinstance(value, ParameterList):
            object.__setattr__(value, "_label", name)   # names parameters appended later
        object.__setattr__(self, name, value)

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def named_parameters(self, prefix=""):
        """Yield (name, parameter) pairs, sub-modules' as ``"sub.name"``; each once."""
        seen = set()
        for name, p in self._named_parameters(prefix, set()):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _named_parameters(self, prefix, visited):
        for name, value in vars(self).items():
            yield from _parameters_in(value, prefix + name, visited)

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


def _parameters_in(value, path, visited, into_modules=True):
    """(path, parameter) pairs held by an attribute's value, in order.

    A Parameter is itself; a Module gives its own (unless ``into_modules``
    is False); lists and tuples give "path.i", dicts "path.key".  Each
    container or module is entered once (``visited``), so cycles end.
    """
    if isinstance(value, Parameter):
        yield path, value
    elif isinstance(value, Module):
        if id(value) in visited or not (into_modules or isinstance(value, ParameterList)):
            return
        visited.add(id(value))
        yield from value._named_parameters(path + ".", visited)
    elif isinstance(value, (list, tuple, dict)):
        if id(value) in visited:
            return
        visited.add(id(value))
        for key, item in (value.items() if isinstance(value, dict) else enumerate(value)):
            yield from _parameters_in(item, f"{path}.{key}", visited, into_modules)
    elif isinstance(value, (set, frozenset)) and any(
            isinstance(item, (Parameter, Module)) for item in value):
        raise TypeError(
            f"Module: '{path}' is a set holding parameters or modules; a set has no order, "
            f"so the parameters would change order from run to run. Fix: keep them in a "
            f"list, or in mg.nn.ParameterList / mg.nn.ModuleList.")


class ModuleList(Module):
    """A list of sub-modules, as PyTorch's: their parameters are named ``"layers.0.weight"``.

    Indexing (also negative, and slices, which give a ModuleList), ``len``,
    iteration, ``append``, ``extend``, ``insert``, ``+=`` and ``del``.  It
    holds Modules only.  (A plain list of modules works too; see
    :class:`Module`.)

    >>> import minigrad as mg
    >>> class Stack(mg.nn.Module):
    ...     def __init__(self):
    ...         self.layers = mg.nn.ModuleList([mg.nn.Linear(2, 2, rng=i) for i in range(2)])
    ...     def forward(self, x):
    ...         for layer in self.layers:
    ...             x = layer(x).tanh()
    ...         return x
    >>> model = Stack()
    >>> len(model.layers), [name for name, _ in model.named_parameters()][:2]
    (2, ['layers.0.weight', 'layers.0.bias'])
    """

    def __init__(self, modules=()):
        object.__setattr__(self, "_modules", [])
        self.extend(modules)

    @staticmethod
    def _checked(module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList holds Modules, got {type(module).__name__} "
                            f"{module!r:.60}. Fix: keep parameters in mg.nn.ParameterList.")
        return module

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(self._modules[index])
        return self._modules[index]

    def __setitem__(self, index, module):
        self._modules[index] = self._checked(module)

    def __delitem__(self, index):
        del self._modules[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, module):
        return any(module is m for m in self._modules)

    def append(self, module):
        """Add one module at the end; returns the list."""
        self._modules.append(self._checked(module))
        return self

    def extend(self, modules):
        """Add the modules at the end; returns the list."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert a module before ``index``."""
        self._modules.insert(index, self._checked(module))

    def __iadd__(self, modules):
        return self.extend(modules)

    def _named_parameters(self, prefix, visited):
        for i, module in enumerate(self._modules):
            yield from _parameters_in(module, f"{prefix}{i}", visited)

    def __repr__(self):
        return "ModuleList(" + ", ".join(repr(m) for m in self._modules) + ")"


class ParameterList(Module):
    """A list of parameters, as PyTorch's: named ``"Ws.0"``, ``"Ws.1"``, ... in the model.

    Indexing (slices give a ParameterList), ``len``, iteration, ``append``,
    ``extend``, ``+=``; it can be handed to an optimizer as it is.  Unlike
    PyTorch's, it takes only Parameters: PyTorch wraps a tensor in a new
    Parameter that shares its memory, but here the wrapper would be a
    copy, and the tensor you hold would silently stop being the one trained.

    >>> import minigrad as mg
    >>> class Deep(mg.nn.Module):
    ...     def __init__(self, n):
    ...         self.Ws = mg.nn.ParameterList(mg.nn.Parameter(np.eye(2)) for _ in range(n))
    >>> model = Deep(3)
    >>> [name for name, _ in model.named_parameters()], model.Ws[1].name
    (['Ws.0', 'Ws.1', 'Ws.2'], 'Ws.1')
    """

    def __init__(self, values=()):
        object.__setattr__(self, "_parameters", [])
        object.__setattr__(self, "_label", None)
        self.extend(values)

    def _checked(self, value, index):
        if not isinstance(value, Parameter):
            raise TypeError(
                f"ParameterList holds Parameters, got {type(value).__name__} {value!r:.60}. "
                f"Fix: wrap the values, mg.nn.Parameter(values), and use that Parameter.")
        if value.name is None and self._label is not None:
            value.name = f"{self._label}.{index}"
        return value

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ParameterList(self._parameters[index])
        return self._parameters[index]

    def __setitem__(self, index, value):
        index = range(len(self._parameters))[index]        # -1 -> the last index (or IndexError)
        self._parameters[index] = self._checked(value, index)

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, value):
        return any(value is p for p in self._parameters)

    def append(self, value):
        """Add one Parameter at the end; returns the list."""
        self._parameters.append(self._checked(value, len(self._parameters)))
        return self

    def extend(self, values):
        """Add the Parameters at the end; returns the list."""
        for value in values:
            self.append(value)
        return self

    def __iadd__(self, values):
        return self.extend(values)

    def _named_parameters(self, prefix, visited):
        for i, p in enumerate(self._parameters):
            yield f"{prefix}{i}", p

    def __repr__(self):
        return "ParameterList(" + ", ".join(f"{tuple(p.shape)}" for p in self._parameters) + ")"


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
