"""The Tensor: a NumPy array that remembers which op made it.

A Tensor holds ``data`` (an ndarray).  If an op made it from tensors that
need gradients, ``node`` is that op's record (see ``graph.py``); tensors
you create yourself are *leaves* and have ``node = None``.

A recorded graph stays true.  Nothing ever writes into an array that a
recorded node needs (the tensor is marked ``_held``): an optimizer step, or
your own ``w.data[0] = 10``, writes into a fresh copy that becomes the
tensor's data (copy-on-write), while the graph keeps the values its forward
pass used.  Ops read the array itself, ``t._data``; ``t.data`` is the door
for everyone else.

The operators (``+``, ``*``, ``@``, ``-=``, ...) are in the class below, and
each one only calls its op in ``ops.py``, where the op's forward and backward
sit side by side.  Methods such as ``.tanh()`` or ``.sum()`` are the ops
themselves, attached in ``ops.py`` and ``functional.py``.
"""

from __future__ import annotations

import numpy as np

from . import graph

__all__ = ["Tensor", "Detached", "tensor", "zeros", "ones", "randn", "arange", "eye"]

DEFAULT_DTYPE = np.float64


def _to_array(data, dtype):
    """A fresh ndarray of real numbers (float64 for Python floats)."""
    try:
        array = np.array(data, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"Tensor: cannot turn {type(data).__name__} into an array of numbers ({err}). "
            f"Pass a number, a (nested) list of numbers or an ndarray.") from None
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"Tensor: dtype {array.dtype} is not supported; minigrad works with real "
            f"numbers (float64 by default, float32, integers and booleans).")
    return array


class Tensor:
    """An n-dimensional array that records the operations made from it.

    Parameters
    ----------
    data : array_like
        Numbers.  The data is copied.  Python floats become float64; integers
        stay integers (use them for class targets and indices).
    requires_grad : bool
        If True, ``backward()`` fills in ``.grad`` for this tensor.  Only
        floating-point tensors can require gradients.
    name : str, optional
        Shown by ``repr`` and in drawings, e.g. ``"W"``.
    dtype : optional
        Any NumPy float or integer dtype; default: inferred (float64 for floats).

    Examples
    --------
    >>> import minigrad as mg
    >>> W = mg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="W")
    >>> s = mg.Tensor([1.0, -1.0])
    >>> loss = (W @ s).tanh().sum()
    >>> loss.backward()
    >>> W.grad.round(4)
    array([[ 0.42, -0.42],
           [ 0.42, -0.42]])

    In place
    --------
    ``p -= x``, ``p += x``, ``p *= x`` and ``p /= x`` change a *leaf* (a
    parameter, an input, a constant) in place when nothing is recorded: the
    update step of a training loop, under ``no_grad``::

        with mg.no_grad():
            for p in model.parameters():
                p -= lr * p.grad

    The tensor keeps its shape and dtype (a result that broadcasts to another
    shape, or ints divided into floats, is an error), and a graph recorded
    before the update still back-propagates the values it recorded
    (copy-on-write, as for ``.data``).  The other cases, as in PyTorch where
    that is sensible:

    * a leaf that requires grad, with grad mode on: an error, PyTorch's
      "a leaf Variable that requires grad is being used in an in-place
      operation" (the update would be recorded into W's own graph);
    * a result that must be recorded (grad mode on, and ``x`` requires
      grad), or a tensor made by an op (not a leaf): ``y -= x`` is
      ``y = y - x``, a new tensor bound to the name ``y``.  Other names for
      the old tensor keep its values.  (PyTorch changes the tensor object
      itself; minigrad never changes a value that a graph recorded.)

    When the data changes
    ---------------------
    Two attributes tell a drawing that a tensor changed after a graph used
    it.  When the array of a *held* tensor (one that a recorded graph reads)
    is replaced or updated (``.data = ...``, ``.data[i] = ...`` (reading
    ``.data`` hands out the copy you may write into), an optimizer step, an
    in-place operator, ``load_state_dict``), the tensor records:

    * ``_changed_at``: :func:`minigrad.graph.current_seq` at that moment.
      Every node recorded before has a smaller ``seq``, every node recorded
      after a larger one; so a node with ``seq < t._changed_at`` read the
      older values.
    * ``_recorded_data``: the array it had just before, the one the graphs
      recorded until then read (only the most recent one: after a second
      change of a held tensor it is the array of the second);
    * ``_recorded_since``: when that array became the tensor's data (None: it
      was the data from the start), so the nodes that read it are exactly
      those with ``_recorded_since < seq < _changed_at``;
    * ``_data_since``: when the present array became the data (None: from the
      start).

    All are None until the first such change; creating a tensor or running
    an op costs nothing for them.  Reading ``.data`` of a held tensor counts
    as a change (nothing can tell whether you will write into the copy), so
    a drawing that must know whether the values differ compares
    ``_recorded_data`` with ``_data``.

    >>> w = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> loss = (w * w).sum()
    >>> with mg.no_grad():
    ...     w -= 0.5 * w                    # in place, copy-on-write
    >>> w.data, w._recorded_data            # the graph still holds [1, 2]
    (array([0.5, 1. ]), array([1., 2.]))
    >>> loss.node.seq < w._changed_at
    True
    """

    __slots__ = ("_data", "_held", "node", "_name", "_requires_grad", "_grad", "_contributions",
                 "_changed_at", "_recorded_data", "_recorded_since", "_data_since",
                 "__weakref__")
    # ``==`` compares values elementwise (ops.py), so hash by identity, as PyTorch
    # does: tensors are dict keys and set members throughout the library.
    __hash__ = object.__hash__

    def __getattr__(self, name):
        """Only called when an attribute is missing: ``_changed_at`` and
        ``_recorded_data`` are set on the first change (see above), None before."""
        if name in ("_changed_at", "_recorded_data", "_recorded_since", "_data_since"):
            return None
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __init__(self, data, requires_grad=False, name=None, dtype=None):
        if isinstance(data, Tensor):
            data = data._data
        self._data = _to_array(data, dtype)
        self._held = False        # True while a recorded node may read _data
        self.node = None
        self._name = name
        self._requires_grad = False
        self._grad = None
        self._contributions = None
        self.requires_grad = requires_grad

    @classmethod
    def _wrap(cls, data):
        """A new tensor around ``data`` without copying or checks (for ops)."""
        if type(data) is not np.ndarray:      # NumPy returns scalars for 0-d results
            data = np.asarray(data)
        t = object.__new__(cls)
        t._data = data
        t._held = False
        t.node = None
        t._name = None
        t._requires_grad = False
        t._grad = None
        t._contributions = None
        return t

    # ------------------------------------------------------------ the name

    @property
    def name(self):
        """What drawings and messages call this tensor, e.g. ``"W"`` or ``"h_t"`` (or None).

        Naming an op's result names its graph node too (``node.name``), so a
        drawing of the graph shows the name: the models name what each step
        computes (``a_t``, ``s_t``; an LSTM's gates ``i_t`` … ``h_t``).  In a
        drawing, a trailing ``_t`` becomes the step's number (``h_t`` at
        t=3 reads ``h3``).

        >>> import minigrad as mg
        >>> x = mg.tensor([1.0, 2.0], requires_grad=True, name="x")
        >>> h = (x * 2).tanh()
        >>> h.name = "h_t"
        >>> h.node.name
        'h_t'
        """
        return self._name

    @name.setter
    def name(self, value):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"Tensor.name must be a string or None, got "
                            f"{type(value).__name__}")
        self._name = value
        if self.node is not None:
            self.node.name = value

    # ------------------------------------------------------------ the data

    @property
    def data(self):
        """The values, as an ndarray you may read and change.

        If a recorded graph may still read this tensor's array (the tensor
        is *held*, see ``graph.hold``), you get a writable copy, which becomes
        the tensor's data from now on (copy-on-write).  So ``w.data[0] = 10`` and
        ``w.data -= lr * w.grad`` change ``w`` for every later op, and a
        graph recorded before still differentiates the values it used.

        >>> import minigrad as mg
        >>> w = mg.tensor([1.0, 2.0], requires_grad=True)
        >>> loss = (w * w).sum()          # records w's array [1, 2]
        >>> w.data[0] = 10.0              # writes into w's new copy
        >>> loss.backward()
        >>> w.grad                        # d(w·w)/dw at the recorded w = [1, 2]
        array([2., 4.])
        >>> w.data
        array([10.,  2.])

        An array you took from ``.data`` *before* the op was recorded is the
        recorded array itself; writing into it raises NumPy's
        ``ValueError: assignment destination is read-only``.  Take ``.data``
        again after the forward pass, or assign a new array.
        """
        array = self._data
        if self._held or not array.flags.writeable:     # a graph may read it: copy
            array = array.copy()
            self._replace_data(array)
        return array

    @data.setter
    def data(self, values):
        """``t.data = array``: new values of the same shape (copied, cast to t's dtype)."""
        array = values._data if isinstance(values, Tensor) else np.asarray(values)
        if array is self._data:                  # `t.data -= x` hands back our own array
            return
        old = self._data
        if array.shape != old.shape:
            raise ValueError(
                f"Tensor.data = ...: the new values have shape {array.shape}, but "
                f"{_called(self)} has shape {old.shape}. A tensor keeps its shape: graphs "
                f"recorded from it and optimizers' state depend on it. Fix: assign values "
                f"of shape {old.shape}, or make a new tensor, "
                f"mg.tensor(values, requires_grad=True).")
        if not np.can_cast(array.dtype, old.dtype, "same_kind"):
            raise TypeError(
                f"Tensor.data = ...: cannot store {array.dtype} values in {_called(self)}, "
                f"whose dtype is {old.dtype}. Fix: convert them first, e.g. "
                f"values.astype({str(old.dtype)!r}).")
        self._replace_data(np.array(array, dtype=old.dtype))     # our own copy

    def _replace_data(self, array):
        """Make ``array`` this tensor's data.  If a recorded graph holds the old array,
        remember it and when it changed (``_recorded_data``, ``_changed_at``)."""
        now = graph.current_seq()
        if self._held:
            self._recorded_data, self._recorded_since = self._data, self._data_since
            self._changed_at = now
        self._data, self._data_since = array, now
        self._held = False

    # ------------------------------------------------------------ gradients

    @property
    def requires_grad(self):
        """True if ``backward()`` computes a gradient for this tensor."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if self.node is not None:
            raise ValueError(
                f"requires_grad can only be changed on leaf tensors; this one was made "
                f"by '{self.node.op}'. Fix: use t.detach() for a leaf copy.")
        if flag and self._data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad=True needs floating-point data, but this tensor has dtype "
                f"{self._data.dtype} (gradients of integers are not defined). Fix: pass "
                f"floats, e.g. Tensor([1.0, 2.0]), or dtype='float64'.")
        self._requires_grad = bool(flag)

    @property
    def grad(self):
        """dL/d(this tensor) after ``backward()``, as an ndarray, or None.

        Leaves always get it.  Tensors made by ops get it only after
        ``retain_grad()`` or ``backward(retain_grads=True)``.
        """
        return self._grad if self.node is None else self.node.grad

    @grad.setter
    def grad(self, value):
        value = None if value is None else np.asarray(value)
        if value is not None and value.shape != self._data.shape:
            raise ValueError(f"grad: shape {value.shape} does not match the tensor's "
                             f"shape {self._data.shape}")
        if self.node is None:
            self._grad = value
            self._contributions = None
        else:
            self.node.grad = value

    @property
    def is_leaf(self):
        """True for tensors you made (parameters, inputs); False for op results."""
        return self.node is None

    def retain_grad(self):
        """Keep this intermediate tensor's gradient in ``.grad`` after backward."""
        if self.node is not None:
            self.node.keep_grad = True
        return self

    def backward(self, grad=None, *, retain_grads=False, contributions=False):
        """Compute dL/dp for every leaf p behind this tensor L; add it to ``p.grad``.

        The chain rule runs over the recorded graph in reverse, newest op first,
        without recursion, so graphs of any depth work.  A tensor used several
        times (like the shared W of an unrolled RNN) receives the sum of the
        gradients of all its uses.

        Parameters
        ----------
        grad : array_like, optional
            dL/d(this tensor).  Needed unless this tensor has one element.
        retain_grads : bool
            Keep the gradient of every intermediate result too (``viz`` draws them).
        contributions : bool
            Also record, for every leaf, which part of its gradient came through
            which scope; read it with :func:`minigrad.contributions`.

        Notes
        -----
        The graph is kept after backward, so it can be drawn, and calling
        ``backward()`` again walks it again and *adds* the same gradients to
        ``.grad`` a second time.  Call ``zero_grad()`` between steps.

        >>> import minigrad as mg
        >>> a = mg.tensor(3.0, requires_grad=True)
        >>> (a + a).backward()
        >>> a.grad
        array(2.)
        """
        graph.backward(self, grad, retain_grads=retain_grads, contributions=contributions)

    def detach(self):
        """A leaf tensor sharing this data, cut from the graph (no gradient flows back).

        The result is a :class:`Detached` tensor, so drawings can show the cut.
        """
        t = Detached._wrap(self._data)
        t._held = self._held                 # the same array: as held as ours
        t.name = self.name
        return t

    # ------------------------------------------------------------ array-like

    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def size(self):
        return self._data.size

    @property
    def dtype(self):
        return self._data.dtype

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item(): the tensor has {self._data.size} elements (shape "
                             f"{self._data.shape}); item() needs exactly one. "
                             f"Fix: reduce it first, e.g. t.sum().item().")
        return self._data.item()

    def numpy(self):
        """The data as an ndarray, the same array as ``t.data``."""
        return self.data

    def tolist(self):
        return self._data.tolist()

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise ValueError(f"the truth value of a tensor with {self._data.size} elements "
                             f"is ambiguous; use (t > 0).any() or .all()")
        return bool(self._data)

    # ------------------------------------------------------------ operators
    # Each operator runs its op from ops.py, where the op's forward and backward
    # are written side by side.  A number or an ndarray may stand on either side.

    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __getitem__(self, index):
        return ops.getitem(self, index)

    @property
    def T(self):
        """The transpose (all axes reversed)."""
        return ops.transpose(self)

    # Comparisons give NumPy bool arrays (masks) and record nothing: ops._compare.
    def __lt__(self, other):
        return ops._compare(self, "<", other)

    def __le__(self, other):
        return ops._compare(self, "<=", other)

    def __gt__(self, other):
        return ops._compare(self, ">", other)

    def __ge__(self, other):
        return ops._compare(self, ">=", other)

    def __eq__(self, other):
        return ops._compare(self, "==", other)

    def __ne__(self, other):
        return ops._compare(self, "!=", other)

    # NumPy hands its functions on tensors to these: `ndarray + tensor` runs
    # minigrad's add; np.tanh(tensor) and np.sum(tensor) are refused with a hint.
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return ops._array_ufunc(self, ufunc, method, *inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return ops._array_function(self, func, types, args, kwargs)

    # ------------------------------------------------------------ in place
    # See "In place" in the class docstring.

    def __iadd__(self, other):
        return self._in_place("+=", ops.add, other)

    def __isub__(self, other):
        return self._in_place("-=", ops.sub, other)

    def __imul__(self, other):
        return self._in_place("*=", ops.mul, other)

    def __itruediv__(self, other):
        return self._in_place("/=", ops.div, other)

    def _in_place(self, symbol, op, other):
        """``self <symbol> other``: written into this leaf if nothing is recorded,
        else a new tensor (``self = op(self, other)``)."""
        if self.node is not None:                  # made by an op: never rewritten
            return op(self, other)
        p = self.name or "p"                       # what the messages call it
        if self._requires_grad and graph.is_grad_enabled():
            raise RuntimeError(
                f"{p} {symbol} ...: a leaf Variable that requires grad is being used in an "
                f"in-place operation (PyTorch's words). With grad mode on, the update would "
                f"be recorded into the graph of the tensor it updates. Fix: update "
                f"parameters under no_grad, `with mg.no_grad(): {p} {symbol} lr * {p}.grad`, "
                f"or let an optimizer do it (mg.optim.SGD).")
        result = op(self, other)
        if result.node is not None:                # `other` requires grad: recorded
            return result
        values = result._data
        if values.shape != self._data.shape:
            raise ValueError(
                f"{p} {symbol} ...: the result has shape {values.shape} (broadcast), but an "
                f"in-place operator keeps the tensor's shape {self._data.shape}. Fix: give "
                f"the other side a shape that broadcasts to {self._data.shape}, or write "
                f"{p} = {p} {symbol[0]} ... for a new tensor.")
        if not np.can_cast(values.dtype, self._data.dtype, "same_kind"):
            raise TypeError(
                f"{p} {symbol} ...: the result has dtype {values.dtype}, which cannot be "
                f"stored in place in {p}'s dtype {self._data.dtype} (PyTorch refuses it too). "
                f"Fix: {p} = {p}.astype('float64') first, or write {p} = {p} {symbol[0]} ... "
                f"for a new tensor.")
        if self._held or not self._data.flags.writeable:   # a graph reads the old values
            self._replace_data(values.astype(self._data.dtype, copy=False))
        else:                                      # ours alone: write into it
            self._data[...] = values
        return self

    def __repr__(self):
        body = np.array2string(self._data, precision=4, separator=", ", threshold=50,
                               prefix="Tensor(")
        extras = []
        if self.name:
            extras.append(f"name={self.name!r}")
        if self.node is not None:
            extras.append(f"op={self.node.op!r}")
            if self.node.scope:
                extras.append(f"scope={self.node.scope!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        if self._data.dtype != DEFAULT_DTYPE:
            extras.append(f"dtype={self._data.dtype}")
        return "Tensor(" + ", ".join([body] + extras) + ")"


def _called(t):
    """How an error message names a tensor: "tensor 'W'" or "this tensor"."""
    return f"tensor {t.name!r}" if t.name else "this tensor"


class Detached(Tensor):
    """A leaf made by ``detach()``: a cut in a graph, such as a truncation
    boundary of truncated BPTT.  It behaves like any constant tensor."""

    __slots__ = ()


# ---------------------------------------------------------------- factories

def tensor(data, requires_grad=False, name=None, dtype=None):
    """Make a Tensor; same as ``Tensor(data, ...)``.

    >>> import minigrad as mg
    >>> mg.tensor([1.0, 2.0], requires_grad=True)
    Tensor([1., 2.], requires_grad=True)
    """
    return Tensor(data, requires_grad=requires_grad, name=name, dtype=dtype)


def _shape_arg(shape):
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    for n in shape:
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"shape {tuple(shape)}: sizes must be non-negative integers")
    return tuple(int(n) for n in shape)


def zeros(*shape, dtype=DEFAULT_DTYPE, requires_grad=False, name=None):
    """A tensor of zeros.  ``zeros(2, 3)`` or ``zeros((2, 3))``.

    >>> import minigrad as mg
    >>> mg.zeros(2, 3).shape
    (2, 3)
    """
    return Tensor(np.zeros(_shape_arg(shape), dtype), requires_grad, name)


def ones(*shape, dtype=DEFAULT_DTYPE, requires_grad=False, name=None):
    """A tensor of ones.  ``ones(2, 3)`` or ``ones((2, 3))``."""
    return Tensor(np.ones(_shape_arg(shape), dtype), requires_grad, name)


def as_generator(rng):
    """``None``, a seed or a ``numpy.random.Generator`` -> a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"expected a seed (int) or a numpy.random.Generator, got {type(rng).__name__}")


def randn(*shape, rng=None, scale=1.0, dtype=DEFAULT_DTYPE, requires_grad=False, name=None):
    """Normal random numbers with mean 0 and standard deviation ``scale``.

    ``rng`` is a seed or a ``numpy.random.Generator``; the same seed gives the same tensor.

    >>> import minigrad as mg
    >>> bool((mg.randn(2, 3, rng=0).data == mg.randn(2, 3, rng=0).data).all())
    True
    """
    data = as_generator(rng).standard_normal(_shape_arg(shape)) * scale
    return Tensor(data, requires_grad, name, dtype=dtype)


def arange(start, stop=None, step=1, dtype=None, requires_grad=False, name=None):
    """Evenly spaced values, like ``numpy.arange``.

    >>> import minigrad as mg
    >>> mg.arange(3)
    Tensor([0, 1, 2], dtype=int64)
    """
    return Tensor(np.arange(start, stop, step, dtype=dtype), requires_grad, name)


def eye(n, m=None, dtype=DEFAULT_DTYPE, requires_grad=False, name=None):
    """The identity matrix (n x m, default n x n)."""
    return Tensor(np.eye(n, m, dtype=dtype), requires_grad, name)


from . import ops  # noqa: E402  (ops.py builds on Tensor: the operators above call it)
