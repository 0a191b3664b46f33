"""The record of operations, and the reverse walk over it.

Every op on tensors that need a gradient leaves behind one :class:`Node`:
which op it was, where its inputs came from, the op's table of small
functions, one per input (vector-Jacobian products, *vjps*), that turn the
gradient of the op's output into the gradient of that input, and the few
arrays those functions need.  ``Tensor.backward()`` calls :func:`backward`,
which visits the nodes newest first and applies the chain rule::

    dL/d(input) += vjp(dL/d(output), *saved)

A node keeps only what its vjps need (for ``tanh`` that is its output, for
``+`` nothing at all), so a long unrolled graph costs about as much memory
as the hand-written backward pass that stores the same states.

This module also holds the recording switches: :func:`no_grad`,
:func:`scope` (labels such as ``"t=3"`` that ``viz`` draws as clusters and
that :func:`contributions` groups gradients by) and :func:`detect_anomaly`.
"""

from __future__ import annotations

import functools
import inspect
import itertools
from heapq import heappop, heappush

import numpy as np

from .errors import AnomalyError, BackwardError

__all__ = [
    "Node", "TangentNode", "no_grad", "enable_grad", "current_seq",
    "is_grad_enabled", "scope", "current_scope", "detect_anomaly",
    "keep_values", "backward", "reverse_walk", "contributions", "unbroadcast",
]


# Recording state.  Module globals, read on every op; not thread-safe.
_grad_enabled = True     # False inside no_grad(): ops record nothing
_scope = ""              # the current scope path, e.g. "lstm/t=3"; "" is the top level
_detect_anomaly = False  # True inside detect_anomaly(): check every result
_keep_values = False     # True inside keep_values(): nodes keep their output for drawing
_for_tangents = False    # True while forward mode (forward.py) runs f: see TangentNode
_next_seq = itertools.count().__next__   # creation order of nodes


def current_seq():
    """A number for "now" on the nodes' clock (``Node.seq``): every node recorded
    before has a smaller ``seq``, every node recorded after a larger one.

    It takes one number from the counter, so no node ever has exactly this one.
    ``Tensor._changed_at`` is set from it.

    >>> import minigrad as mg
    >>> w = mg.tensor(1.0, requires_grad=True)
    >>> before = (w * 2).node
    >>> now = mg.graph.current_seq()
    >>> before.seq < now < (w * 3).node.seq
    True
    """
    return _next_seq()


class Node:
    """The record of one operation.

    Attributes
    ----------
    op : str
        The op's name, e.g. ``"tanh"``.
    inputs : tuple
        One entry per input of the op: the input's own ``Node`` if an op made
        it, else the input ``Tensor`` itself (a leaf: a parameter or a constant).
    vjps : tuple of callables
        The op's table of vector-Jacobian products, one per input:
        ``vjps[i](g, *saved)`` is the gradient for ``inputs[i]`` given ``g``,
        the gradient of this op's output.  Only called for inputs that need a
        gradient.  The table belongs to the op and is shared by all its nodes.
    saved : tuple
        What the vjps need from the forward pass (for ``tanh``: its output).
    seq : int
        Creation order.  Every input was made before the ops that use it, so
        visiting nodes by decreasing ``seq`` is a valid reverse topological order.
    scope : str
        The :func:`scope` path active when the op ran ("" at the top level).
    shape : tuple
        Of the op's output.
    grad : ndarray or None
        dL/d(output), kept after ``backward()`` only when asked for
        (``backward(retain_grads=True)`` or ``Tensor.retain_grad()``).
    value : ndarray or None
        The output itself, kept only inside :func:`keep_values` (for drawings).
    name : str or None
        What the output is called, set through ``Tensor.name`` (e.g. ``"s_t"``);
        drawings show it.
    """

    # Where the inputs live.  Most ops have one or two inputs, and they sit in
    # the node's own slots; only ops with more (linear, stack) keep a tuple.
    # A graph lives long enough for Python's cyclic garbage collector to move
    # it to its oldest generation, and every full collection then walks each
    # object in it: a tuple per node was half of those objects (README,
    # "Benchmarks").  ``inputs`` builds the tuple when asked.
    __slots__ = ("op", "_first", "_second", "_more", "vjps", "saved", "seq", "scope",
                 "shape", "grad", "keep_grad", "value", "name")

    def __init__(self, op, inputs, vjps, saved, data):
        self.op = op                           # inputs: the op's input Tensors
        if len(inputs) > 2:
            self._first = self._second = None
            self._more = tuple([t.node or t for t in inputs])
        else:
            first = inputs[0]
            self._first = first.node or first
            if len(inputs) == 2:
                second = inputs[1]
                self._second = second.node or second
            else:
                self._second = None
            self._more = None
        self.vjps = vjps
        self.saved = saved
        self.seq = _next_seq()
        self.scope = _scope
        shape = data.shape
        self.shape = _SHAPES.setdefault(shape, shape)       # one tuple per distinct shape
        self.grad = None
        self.keep_grad = False
        self.value = data if _keep_values else None
        self.name = None

    @property
    def inputs(self):
        if self._more is not None:
            return self._more
        if self._second is None:
            return (self._first,)
        return (self._first, self._second)

    def __repr__(self):
        where = f" in {self.scope!r}" if self.scope else ""
        return f"<Node {self.op} #{self.seq} -> {self.shape}{where}>"


_SHAPES = {}


class TangentNode(Node):
    """The record of an op that forward mode needs but reverse mode must not see.

    PyTorch's ``no_grad`` stops reverse mode only: forward mode (``torch.func.jvp``)
    pushes tangents through it.  minigrad's forward mode walks the recorded graph, so
    while it runs ``f`` (``minigrad.forward``), ops that no_grad (or a constant
    input) would leave unrecorded are recorded as TangentNodes.  ``backward()`` treats
    a TangentNode as a constant (``_requires_grad`` is False and ``type(inp) is Node``
    fails for it), exactly as it treats a tensor computed under no_grad.
    """

    __slots__ = ()
    _requires_grad = False


def record(op, data, inputs, vjps, saved=()):
    """Wrap ``data`` (an op's result) in a Tensor and record how it was made.

    ``inputs`` are the op's input Tensors, ``vjps`` the op's table of
    vector-Jacobian products (one per input) and ``saved`` what they need.
    Nothing is recorded when no input needs a gradient or inside
    ``no_grad()``.  This is the one function every op calls.
    """
    out = Tensor._wrap(data)
    if _detect_anomaly:
        _check_finite(op, "forward", out._data, inputs)
    if _grad_enabled:
        for t in inputs:
            if t._requires_grad:          # someone needs a gradient: record the op
                out._requires_grad = True
                out.node = Node(op, inputs, vjps, saved, out._data)
                out._held = True          # brand new: the mark alone protects it
                for t in inputs:
                    if not t._held:       # may have other names: read-only as well
                        hold(t)
                return out
    if _for_tangents and any(t.node is not None or t._requires_grad for t in inputs):
        out.node = TangentNode(op, inputs, vjps, saved, out._data)    # forward mode only
        out._held = True
        for t in inputs:
            if not t._held:
                hold(t)
        return out
    if data.base is not None:             # a view (x[1:], x.T) shares its input's memory,
        out._held = any(t._held for t in inputs)      # so it is held if that is
    return out


def records(tensor):
    """True if an op on ``tensor`` would be recorded (for reverse or forward mode)."""
    if tensor._requires_grad and _grad_enabled:
        return True
    return _for_tangents and (tensor._requires_grad or tensor.node is not None)


class _Switch:
    """A context manager that turns on one of the recording switches above (the module
    global named ``switch``) inside its block, and puts it back as it found it."""

    switch = None

    def __init__(self):
        self._outer = []                  # a stack: one saved switch per active `with`

    def __enter__(self):
        self._outer.append(globals()[self.switch])
        globals()[self.switch] = True

    def __exit__(self, *exc):
        globals()[self.switch] = self._outer.pop()


class recording_for_tangents(_Switch):
    """Context manager for forward mode: inside, ops are recorded for the tangents
    even under ``no_grad`` (as :class:`TangentNode`), as PyTorch's forward mode
    ignores no_grad.  ``minigrad.forward.linearize`` runs ``f`` inside it."""

    switch = "_for_tangents"


# Held arrays.  A node saves its inputs' arrays, its output and arrays it
# made itself, and backward() needs them unchanged.  So every tensor whose
# array a node may read is marked ``_held``: reading ``t.data`` then hands
# out a copy, and the library writes new arrays (optimizers, gradcheck),
# never into old ones.  An input's array may already have other names (you
# took ``w.data`` before, or it views your array), so it is also made
# read-only: writing through such a name raises instead of changing the
# graph.  An array with no other name (an op's output, a private copy that
# ``as_tensor`` made) needs only the mark.  Marks and read-only flags cost
# little; reading the flags on every op cost 10% on the L benchmark.

def hold(tensor):
    """Mark ``tensor``'s array as held by a graph and make it read-only.

    ``record`` does this for every input the first time it enters a graph.
    Code that cuts one array into many tensors (``minigrad.unbind``) holds
    the whole array once instead of each piece.
    """
    tensor._held = True
    _freeze(tensor._data)


def _freeze(array):
    """Make ``array`` read-only, and the arrays it is a view of."""
    while isinstance(array, np.ndarray):
        array.flags.writeable = False
        array = array.base


# ---------------------------------------------------------------- the walk

def backward(tensor, grad=None, *, retain_grads=False, contributions=False):
    """Reverse-mode differentiation: add dL/dp into ``p.grad`` for every leaf p.

    Implements ``Tensor.backward``; see its docstring for the rules.

    The walk visits nodes newest first.  Every input was made before the ops
    that use it, so creation order (``seq``) is a topological order, and by
    the time the walk reaches a node, every op that used it has sent its
    gradient.  The nodes that have a gradient waiting sit in a heap keyed by
    ``-seq`` (PyTorch's engine orders its ready queue the same way): a node
    joins it when its first gradient arrives, and the newest leaves it next.
    No recursion and no sorting, so a graph of any depth works.
    """
    grad = _seed_gradient(tensor, grad)
    if tensor.node is None:               # backward() on a leaf itself: dL/dL = grad
        _store_leaf_grads({tensor: grad}, {tensor: {"": (0, grad)}}, contributions)
        return

    leaf_grads, per_scope = _walk(tensor.node, grad, retain_grads, contributions)
    _store_leaf_grads(leaf_grads, per_scope, contributions)


def reverse_walk(tensor, visit, grad=None):
    """Walk the graph behind ``tensor`` as ``backward()`` does, storing nothing.

    ``visit(node, g, sent)`` is called for each node in the walk's order, newest
    first: ``g`` is dL/d(the node's output), complete, and ``sent`` lists
    ``(input, g_input)`` in the order of the node's inputs: the gradient it sends
    to each input that needs one (an input is a Node, or a leaf Tensor).  No ``.grad`` changes, so a drawing can replay
    the walk of a graph whose gradients are already stored.

    >>> import minigrad as mg
    >>> w = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> reverse_walk((w * w).sum(), lambda node, g, sent: print(node.op, len(sent)))
    sum 1
    mul 2
    >>> w.grad is None
    True
    """
    grad = _seed_gradient(tensor, grad)
    if tensor.node is not None:
        _walk(tensor.node, grad, False, False, visit)


def _walk(root, grad, retain_grads, contributions, visit=None):
    """The walk of :func:`backward` from ``root`` with dL/d(root) = ``grad``.

    Returns ({leaf: dL/d(leaf)}, the per-scope parts or None).  ``visit`` (see
    :func:`reverse_walk`) is told about each node as it is processed."""
    pending = {root: grad}                # node -> dL/d(its output), summed over its uses
    waiting = [(-root.seq, root)]         # a heap of the nodes in `pending`, newest on top
    leaf_grads = {}                       # leaf tensor -> dL/d(leaf), summed over its uses
    per_scope = {} if contributions else None
    check = _detect_anomaly

    while waiting:
        node = heappop(waiting)[1]        # the newest node that has a gradient waiting
        g = pending.pop(node)             # complete: every op that used this node came later
        if retain_grads or node.keep_grad:
            node.grad = g
        saved = node.saved
        sent = [] if visit is not None else None
        for inp, vjp in zip(node.inputs, node.vjps):
            if type(inp) is Node:
                g_in = vjp(g, *saved)
                if g_in.shape != inp.shape:
                    g_in = unbroadcast(g_in, inp.shape)
                if check:
                    _check_finite(node.op, "backward", g_in, node.inputs, node.scope)
                earlier = pending.get(inp)
                if earlier is None:           # its first gradient: it joins the heap
                    pending[inp] = g_in
                    heappush(waiting, (-inp.seq, inp))
                else:
                    pending[inp] = earlier + g_in
            elif inp._requires_grad:      # a leaf that wants its gradient
                g_in = vjp(g, *saved)
                if g_in.shape != inp._data.shape:
                    g_in = unbroadcast(g_in, inp._data.shape)
                if check:
                    _check_finite(node.op, "backward", g_in, node.inputs, node.scope)
                if inp in leaf_grads:
                    leaf_grads[inp] += g_in          # our own buffer (copied below)
                else:
                    leaf_grads[inp] = np.array(g_in, dtype=inp._data.dtype)
                if per_scope is not None:
                    _add_contribution(per_scope, inp, node, g_in)
            else:
                continue                  # a constant input; nobody needs its gradient
            if sent is not None:
                sent.append((inp, g_in))
        if visit is not None:
            visit(node, g, sent)
    return leaf_grads, per_scope


def _seed_gradient(tensor, grad):
    """Check that backward can start at ``tensor`` and return dL/d(tensor)."""
    if not tensor.requires_grad:
        raise BackwardError(
            "backward(): this tensor does not require grad, so there is no graph "
            "behind it. Either none of its inputs had requires_grad=True, or it was "
            "computed inside no_grad() or from detached tensors. Fix: create the "
            "parameters with requires_grad=True (or use minigrad.nn.Parameter).")
    shape = tensor._data.shape
    if grad is None:
        if tensor._data.size != 1:
            raise BackwardError(
                f"backward(): the tensor has shape {shape}; without a `grad` argument "
                f"backward() needs a scalar (one element). Fix: reduce it first "
                f"(t.sum() or t.mean()), or pass grad=<array of shape {shape}>.")
        return np.ones(shape, dtype=tensor._data.dtype)
    grad = np.asarray(grad._data if isinstance(grad, Tensor) else grad)
    if grad.shape != shape:
        raise BackwardError(
            f"backward(): `grad` has shape {grad.shape} but the tensor has shape "
            f"{shape}; they must match exactly. Fix: pass an array of shape {shape}.")
    return np.array(grad, dtype=tensor._data.dtype)   # our own copy, in the tensor's dtype


def _store_leaf_grads(leaf_grads, per_scope, record_contributions):
    """Add each leaf's gradient into ``.grad`` (and its contributions, if recorded)."""
    for leaf, g in leaf_grads.items():
        leaf._grad = g if leaf._grad is None else leaf._grad + g
        if record_contributions:
            mapping = _in_forward_order(per_scope.get(leaf, {}))
            if leaf._contributions is not None:     # a second backward adds to the first
                for key, part in leaf._contributions.items():
                    mapping[key] = mapping[key] + part if key in mapping else part
            leaf._contributions = mapping
        else:
            leaf._contributions = None     # .grad changed without them: they'd be stale


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting.

    If an op broadcast an input of shape ``shape`` up to ``grad.shape``, every
    copy of an input element got its own gradient; the element's gradient is
    their sum.  This is the only place in minigrad that undoes broadcasting.

    >>> unbroadcast(np.ones((4, 2, 3)), (2, 1)).tolist()
    [[12.0], [12.0]]
    """
    lead = grad.ndim - len(shape)          # axes that broadcasting added in front
    if lead < 0:
        raise AssertionError(f"internal: gradient {grad.shape} smaller than input {shape}")
    if lead:
        grad = grad.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:
        raise AssertionError(f"internal: gradient {grad.shape} does not reduce to {shape}")
    return grad


# ------------------------------------------------------- per-copy gradients

def _add_contribution(per_scope, leaf, node, g_in):
    """Remember that ``g_in`` reached ``leaf`` through an op in ``node.scope``."""
    parts = per_scope.setdefault(leaf, {})
    key = node.scope
    if key in parts:
        seq, part = parts[key]
        parts[key] = (min(seq, node.seq), part + g_in)
    else:
        parts[key] = (node.seq, g_in)      # never modified in place, so no copy needed


def _in_forward_order(parts):
    """{scope: (first seq, grad)} -> {scope: grad}, scopes in the order they ran."""
    return {key: part for key, (seq, part) in sorted(parts.items(), key=lambda kv: kv[1][0])}


def contributions(param):
    """The part of ``param.grad`` that flowed in through each scope.

    After ``loss.backward(contributions=True)``, returns a dict from scope path
    to array, in the order the scopes ran.  The arrays sum to ``param.grad``
    (up to rounding).  For an unrolled RNN this is dL/dW split into the terms
    of the T copies of the cell: dL/dW = sum over t of (dL/dW through copy t).
    Ops outside any scope are filed under ``""``.

    >>> import minigrad as mg
    >>> w = mg.tensor(2.0, requires_grad=True)
    >>> with mg.scope("t=1"):
    ...     a = w * 3.0
    >>> with mg.scope("t=2"):
    ...     b = w * 5.0
    >>> (a + b).backward(contributions=True)
    >>> {k: float(v) for k, v in mg.contributions(w).items()}
    {'t=1': 3.0, 't=2': 5.0}
    """
    if not isinstance(param, Tensor):
        raise TypeError(f"contributions() takes a Tensor, got {type(param).__name__}")
    if param.node is not None:
        raise ValueError(
            f"contributions() is for leaf tensors (parameters); this tensor was made by "
            f"'{param.node.op}'. Pass the parameter itself, e.g. model.W.")
    if param._contributions is None:
        raise BackwardError(
            "contributions(): none recorded for this tensor. Fix: run "
            "loss.backward(contributions=True) (after zero_grad(), so that every "
            "backward that added to .grad recorded them).")
    return dict(param._contributions)


# -------------------------------------------------------- recording switches

class no_grad:
    """Ops inside record nothing (for evaluation and updates): a context
    manager, or a decorator for a whole function, as in PyTorch.

    >>> import minigrad as mg
    >>> w = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> with mg.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    >>> @mg.no_grad()                 # or @mg.no_grad, without the brackets
    ... def evaluate(w):
    ...     return (w * w).sum()
    >>> evaluate(w).requires_grad
    False

    Blocks nest, and one instance may be entered again while it is active:
    each ``with`` puts back the switch as it found it.  A decorated function
    enters a fresh instance on every call, so it may call itself.
    """

    _enabled = False                  # what the switch is inside the block

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        self._outer = []              # a stack: one saved switch per active `with`
        if fn is None:
            return self
        return self(fn)               # @no_grad without brackets: decorate at once

    def __enter__(self):
        global _grad_enabled
        self._outer.append(_grad_enabled)
        _grad_enabled = self._enabled

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._outer.pop()

    def __call__(self, fn):
        """Decorate ``fn``: every call runs inside its own ``with type(self)():``."""
        if not callable(fn):
            raise TypeError(f"{type(self).__name__}(): decorates a function, got "
                            f"{type(fn).__name__}. Use @{type(self).__name__}() above a "
                            f"def, or `with {type(self).__name__}():` around a block.")
        switch = type(self)
        if inspect.iscoroutinefunction(fn):
            raise TypeError(
                f"{switch.__name__}(): cannot decorate the coroutine function "
                f"{fn.__name__!r}: its body runs after the call has returned, outside "
                f"the block. Fix: put `with mg.{switch.__name__}():` inside it.")
        if inspect.isgeneratorfunction(fn):
            return _switch_each_resumption(fn, switch)

        @functools.wraps(fn)
        def run_with_switch(*args, **kwargs):
            with switch():
                return fn(*args, **kwargs)
        return run_with_switch


def _switch_each_resumption(fn, switch):
    """A decorated generator function: its body runs under ``switch`` at every
    resumption, and the caller's code between two ``next()`` does not (as in PyTorch)."""

    @functools.wraps(fn)
    def generator_with_switch(*args, **kwargs):
        inner = fn(*args, **kwargs)
        resume, arg = inner.send, None
        while True:
            try:
                with switch():
                    value = resume(arg)          # run the body up to its next yield
            except StopIteration as stop:
                return stop.value
            try:
                arg = yield value                # the caller's turn, switch as it was
                resume = inner.send
            except GeneratorExit:
                with switch():
                    inner.close()
                raise
            except BaseException as err:         # thrown in by the caller: pass it on
                resume, arg = inner.throw, err
    return generator_with_switch


class enable_grad(no_grad):
    """Record ops again, even inside ``no_grad()``: a context manager or a
    decorator, as in PyTorch.

    >>> import minigrad as mg
    >>> w = mg.tensor(2.0, requires_grad=True)
    >>> with mg.no_grad(), mg.enable_grad():
    ...     (w * w).requires_grad
    True
    """

    _enabled = True


def is_grad_enabled():
    """True unless inside ``no_grad()``."""
    return _grad_enabled


class scope:
    """Context manager: label every op recorded inside with ``name``.

    Scopes nest into paths: ``scope("lstm")`` around ``scope("t=3")`` gives
    ``"lstm/t=3"``.  ``viz`` draws one cluster per scope, and
    :func:`contributions` splits gradients by scope.

    >>> import minigrad as mg
    >>> with mg.scope("lstm"), mg.scope("t=3"):
    ...     mg.current_scope()
    'lstm/t=3'
    """

    __slots__ = ("name",)

    def __init__(self, name):
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(
                f"scope(): the name must be a non-empty string without '/', got {name!r}; "
                f"nest scopes to make paths: with scope('a'), scope('b'): ...")
        self.name = name

    def __enter__(self):
        global _scope
        _scope = _scope + "/" + self.name if _scope else self.name
        return self

    def __exit__(self, *exc):
        global _scope
        _scope = _scope.rpartition("/")[0]     # names have no '/': drop the last one


def current_scope():
    """The scope path that ops recorded now would get ("" at the top level)."""
    return _scope


class detect_anomaly:
    """Context manager: stop at the first op that produces NaN or inf.

    Every op's output, and every gradient computed by ``backward()`` inside
    the block, is checked.  The error names the op, its scope and the shapes
    of its inputs.  NumPy's own floating-point warnings are silenced inside,
    since the error says more.

    >>> import minigrad as mg
    >>> x = mg.tensor([1.0, 0.0], requires_grad=True)
    >>> with mg.detect_anomaly():
    ...     x.log()
    Traceback (most recent call last):
    ...
    minigrad.errors.AnomalyError: log produced -inf in its forward pass ...
    """

    def __init__(self):
        self._outer = []                  # a stack of (switch, errstate), one per `with`

    def __enter__(self):
        global _detect_anomaly
        errstate = np.errstate(all="ignore")
        errstate.__enter__()
        self._outer.append((_detect_anomaly, errstate))
        _detect_anomaly = True

    def __exit__(self, *exc):
        global _detect_anomaly
        _detect_anomaly, errstate = self._outer.pop()
        errstate.__exit__(*exc)


class keep_values(_Switch):
    """Context manager: nodes recorded inside keep their output, so drawings can show values.

    Off by default because it keeps every intermediate array alive.
    """

    switch = "_keep_values"


_HINTS = {
    "log": "log is only defined for positive inputs",
    "div": "a divisor is zero",
    "sqrt": "sqrt of a negative input, or its gradient at 0",
    "pow": "a negative base with a fractional exponent, or 0 to a negative power",
    "exp": "exp overflows above about 709 in float64 (88 in float32)",
}


def _check_finite(op, phase, data, inputs, where=None):
    if data.dtype.kind != "f" or np.isfinite(data).all():
        return
    bad = "NaN" if np.isnan(data).any() else ("-inf" if np.isneginf(data).any() else "inf")
    where = _scope if where is None else where
    shapes = ", ".join(str(getattr(t, "shape", "?")) for t in inputs)
    hint = f" Likely cause: {_HINTS[op]}." if op in _HINTS else ""
    raise AnomalyError(
        f"{op} produced {bad} in its {phase} pass (scope {where or '<top level>'!r}, "
        f"input shapes {shapes}).{hint}")


from .tensor import Tensor  # noqa: E402  (tensor.py needs this module first)
