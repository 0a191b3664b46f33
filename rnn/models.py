"""Recurrent networks, unrolled in time on minigrad.

The vanilla RNN is the one of the course notes::

    s_t = g(U x_t + W s_{t-1} + b)        s_0 = 0
    o_t = h(V s_t + c)

for t = 1..T.  The notes write s_{t+1} = g(U x_t + W s_t): the same model,
with the state's index shifted by one.  U, W and V are *shared*: every time
step uses the same three matrices, so unrolling T steps makes T copies of
the cell that all point at the same parameter tensors.

In code, a batch is a stack of row vectors, so U x_t is ``x_t @ U.T``
(``minigrad.linear``).  Inputs are time-major, ``xs[t - 1]`` is x_t, unless
you pass ``batch_first=True`` (then xs is (B, T, D), as in PyTorch; see
``rnn.layout``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import minigrad as mg
from minigrad import ShapeError
from minigrad.nn import Module, Parameter
from minigrad.tensor import as_generator

from . import layout

__all__ = ["RNN", "LSTM", "GRU", "Unrolled", "from_torch", "ACTIVATIONS"]

# The elementwise nonlinearities g (and h) a model can use.
ACTIVATIONS = {
    "tanh": mg.tanh,
    "relu": mg.relu,
    "sigmoid": mg.sigmoid,
    "identity": lambda a: a,
}


def _activation(kind, value, allow_none=False):
    if value is None and allow_none:
        return None
    if value not in ACTIVATIONS:
        choices = sorted(ACTIVATIONS) + (["None"] if allow_none else [])
        raise ValueError(f"{kind} must be one of {choices}, got {value!r}")
    return value


def _size(name, value):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


@dataclass
class Unrolled:
    """What ``model.unroll`` returns.

    ``outputs[t - 1]`` is o_t and ``states[t - 1]`` is s_t for t = 1..T;
    ``initial_state`` is s_0.  For an LSTM each state is a pair (h_t, c_t).
    """
    outputs: list
    states: list
    initial_state: object

    @property
    def final_state(self):
        """s_T: pass it (detached) as ``s0`` to continue the sequence."""
        return self.states[-1] if self.states else self.initial_state


class Recurrent(Module):
    """What every recurrent model shares: the output layer and the unrolling loop.

    Subclasses define ``step(x_t, s_prev) -> s_t``, ``zero_state(batch)`` and
    ``hidden(s_t)`` (the part of the state the output layer reads).
    """

    output_name = "o_t"      # what drawings call the output (an LSTM's o_t is a gate)
    output_bias_name = "c"   # and the output layer's bias (an LSTM's c_t is its cell state)

    input_size: int
    hidden_size: int
    output_size: int

    def _init_recurrent_weights(self, input_size, hidden_size, output_size, gates, bias, rng,
                                dtype):
        """Sizes, then U (gates·H, D), W (gates·H, H) and b (gates·H,), drawn in that order
        uniform in ±1/sqrt(H) like PyTorch's; returns the random generator for what follows."""
        self.input_size = _size("input_size", input_size)
        self.hidden_size = H = _size("hidden_size", hidden_size)
        self.output_size = _size("output_size", output_size)
        rng = as_generator(rng)
        bound = 1 / np.sqrt(H)
        self.U = Parameter(rng.uniform(-bound, bound, (gates * H, self.input_size)), dtype=dtype)
        self.W = Parameter(rng.uniform(-bound, bound, (gates * H, H)), dtype=dtype)
        self.b = Parameter(rng.uniform(-bound, bound, gates * H), dtype=dtype) if bias else None
        return rng

    def _init_output_layer(self, rng, bias, dtype, output_activation):
        self.output_activation = _activation("output_activation", output_activation,
                                             allow_none=True)
        bound = 1 / np.sqrt(self.hidden_size)
        self.V = Parameter(rng.uniform(-bound, bound, (self.output_size, self.hidden_size)),
                           dtype=dtype)
        self.c = (Parameter(rng.uniform(-bound, bound, self.output_size), dtype=dtype,
                            name=self.output_bias_name) if bias else None)

    def output(self, s):
        """o_t = h(V s_t + c)."""
        o = mg.linear(self.hidden(s), self.V, self.c)
        h = self.output_activation
        o = o if h is None else ACTIVATIONS[h](o)
        o.name = self.output_name                 # named for drawings
        return o

    def hidden(self, s):
        return s

    def unroll(self, xs, s0=None, first_step=1, batch_first=False):
        """Run the network over a sequence, one recorded step per time step.

        Parameters
        ----------
        xs : array_like or Tensor, shape (T, B, D) or (T, D)
            Time-major inputs; ``xs[t - 1]`` is x_t.  With ``batch_first=True``
            a batch is (B, T, D) instead, as in PyTorch.
        s0 : optional
            The initial state s_0 (default: zeros), (B, H) or (H,): an array or
            a Tensor, for an LSTM the pair (h0, c0).  Pass a previous run's
            ``final_state`` (detached) to carry the state across calls.
        first_step : int
            The t of the first step, for continuing a sequence (scope labels).
        batch_first : bool
            Whether the batch axis of a 3-D ``xs`` comes first.

        Returns
        -------
        Unrolled
            Step t is recorded under ``minigrad.scope(f"t={t}")``; the outputs
            and states are the same whatever the layout of ``xs``.

        >>> import rnn
        >>> model = rnn.RNN(3, 5, 2, rng=0)
        >>> run = model.unroll(np.zeros((4, 3)))
        >>> len(run.outputs), run.outputs[0].shape, run.states[-1].shape
        (4, (2,), (5,))
        >>> run = model.unroll(np.zeros((8, 4, 3)), batch_first=True)    # B = 8, T = 4
        >>> len(run.outputs), run.outputs[0].shape
        (4, (8, 2))
        """
        where = f"{type(self).__name__}.unroll"
        xs = self.check_inputs(xs, batch_first, where)
        s = self.check_state(s0, xs.shape[1:-1], where, layout.given_shape(xs.shape, batch_first),
                             batch_first)
        return self.run(xs, s, first_step)

    def run(self, xs, s, first_step=1):
        """:meth:`unroll` on inputs already checked: ``xs`` a time-major Tensor and ``s``
        a state, as :meth:`check_inputs` and :meth:`check_state` return them.

        >>> import rnn
        >>> model = rnn.GRU(2, 4, 1, rng=0)
        >>> xs = model.check_inputs(np.ones((8, 5, 2)), batch_first=True)    # -> (5, 8, 2)
        >>> len(model.run(xs, model.check_state(None, (8,))).outputs)
        5
        """
        inputs = _time_slices(xs, first_step)
        outputs, states = [], []
        initial = s
        for t, x_t in enumerate(inputs, start=first_step):
            with mg.scope(f"t={t}"):
                s = self.step(x_t, s)
                outputs.append(self.output(s))
            states.append(s)
        return Unrolled(outputs, states, initial)

    def check_inputs(self, xs, batch_first=False, where=None):
        """``xs`` as a time-major Tensor, (T, B, D) or (T, D), or a clear error.

        With ``batch_first=True`` a 3-D ``xs`` is (B, T, D) and comes back
        transposed.  An ndarray is copied once (unless nobody can write into
        it), like every op's ndarray inputs, so you may fill your array again
        before ``backward()``.  Inputs take the model's dtype: integers,
        booleans and floats of another precision are converted (a Tensor that
        requires grad by a recorded ``astype``, so dL/dxs reaches it).
        ``where`` names the caller in the errors.

        >>> import rnn, minigrad as mg
        >>> rnn.RNN(2, 3, 1).check_inputs(mg.tensor([[1, 0], [0, 1]])).dtype
        dtype('float64')
        """
        where = where or f"{type(self).__name__}.unroll"
        dtype = self.V.dtype
        if isinstance(xs, mg.Tensor):
            if xs.dtype != dtype:
                xs = xs.astype(dtype) if xs.requires_grad else mg.tensor(xs._data, dtype=dtype)
        elif not (isinstance(xs, np.ndarray) and xs.dtype == dtype):
            xs = mg.tensor(xs, dtype=dtype)
        shape = tuple(xs.shape)
        if len(shape) not in (2, 3):
            raise ShapeError(f"{where}: xs must have shape "
                             f"{'(B, T, D)' if batch_first else '(T, B, D)'} or, for one "
                             f"unbatched sequence, (T, D) (batch_first={batch_first}), got "
                             f"shape {shape}. Fix: reshape xs, e.g. xs[:, None] for a series "
                             f"of one feature per step")
        if shape[-1] != self.input_size:
            raise ShapeError(f"{where}: xs has {shape[-1]} features (shape {shape}) but the "
                             f"model's input_size is {self.input_size}; features are the last "
                             f"axis in either layout")
        batched = len(shape) == 3
        if shape[layout.time_axis(batched, batch_first)] == 0:
            raise ValueError(f"{where}: the sequence is empty (T = 0): "
                             f"{layout.describe(shape, batch_first)}")
        if not (batched and batch_first):
            return mg.as_tensor(xs)
        if isinstance(xs, mg.Tensor) and xs.requires_grad:
            return xs.transpose(1, 0, 2)          # recorded: dL/dxs reaches xs
        array = xs._data if isinstance(xs, mg.Tensor) else xs
        return mg.as_tensor(np.swapaxes(array, 0, 1))     # copied to (T, B, D) unless read-only

    def check_state(self, s0, batch=(), where=None, xs_shape=None, batch_first=False):
        """The initial state as Tensors (zeros if ``s0`` is None), or a clear error.

        RNN and GRU take one state of shape batch + (H,); an LSTM takes the
        pair (h0, c0), each of that shape.  Arrays are converted, and a state
        without a name is named s0 (h0 for a GRU; h0, c0 for an LSTM), so that
        drawings write it into the equations.  ``xs_shape`` (as the caller gave
        xs) lets a batch mismatch say where B was read.

        >>> import rnn
        >>> h0, c0 = rnn.LSTM(2, 4, 1).check_state((np.ones((3, 4)), np.zeros((3, 4))), (3,))
        >>> h0.shape, type(c0).__name__
        ((3, 4), 'Tensor')
        >>> rnn.LSTM(2, 4, 1).check_state(np.ones((3, 4)), (3,))
        Traceback (most recent call last):
        ValueError: LSTM.unroll: an LSTM's state is the pair (h0, c0), each of shape (3, 4) ...
        """
        batch = tuple(batch)
        if s0 is None:
            return self.zero_state(batch)
        where = where or f"{type(self).__name__}.unroll"
        name = type(self).__name__
        expected = batch + (self.hidden_size,)
        paired = isinstance(self, LSTM)
        if paired and not (isinstance(s0, tuple) and len(s0) == 2):
            raise ValueError(f"{where}: an LSTM's state is the pair (h0, c0), each of shape "
                             f"{expected} (batch + hidden_size), but s0 is {_what(s0)}. Fix: "
                             f"pass s0=(h0, c0) as a tuple, e.g. model.zero_state({batch}) or "
                             f"a previous run's final_state")
        if not paired and isinstance(s0, tuple):
            raise ValueError(f"{where}: a {name}'s state is one array s0 of shape {expected} "
                             f"(batch + hidden_size), but s0 is {_what(s0)}; only an LSTM's "
                             f"state is a pair (h0, c0). Fix: pass one array or Tensor "
                             f"(np.asarray(s0) if the tuple holds its numbers)")
        parts = s0 if paired else (s0,)
        parts = tuple(p if isinstance(p, mg.Tensor) else mg.tensor(p, dtype=self.V.dtype)
                      for p in parts)
        for label, p in zip(("h0", "c0") if paired else ("s0",), parts):
            if p.name is None:                       # drawn as s0 (h0, c0), not as "x"
                p.name = label if paired else f"{self.state_name}0"
            if p.shape != expected:
                origin = ("" if xs_shape is None or len(xs_shape) != 3 else
                          f"; B is read from xs: {layout.describe(xs_shape, batch_first)}")
                raise ShapeError(f"{where}: the initial state {label} has shape {p.shape}, "
                                 f"expected {expected} (batch {batch} + hidden_size "
                                 f"{self.hidden_size}){origin}")
        return parts if paired else parts[0]

    state_name = "s"            # what the equations call the state: s_t, or h_t (GRU)

    def zero_state(self, batch=()):
        """s_0 = 0 (the encyclopedia article's zero vector)."""
        return mg.Tensor(np.zeros(tuple(batch) + (self.hidden_size,), self.V.dtype),
                         name=f"{self.state_name}0")


def _what(s0):
    """A few words for what was passed as a state."""
    if isinstance(s0, (tuple, list)):
        return f"a {type(s0).__name__} of {len(s0)}"
    shape = s0.shape if isinstance(s0, mg.Tensor) else np.shape(s0)
    return f"one {type(s0).__name__} of shape {shape}"


def _time_slices(xs, first_step):
    """x_t for every step, as tensors (``mg.unbind``): views of xs's data, or
    recorded slices if xs needs a gradient, so that the gradient reaches it."""
    slices = mg.unbind(xs)
    if not xs.requires_grad:
        for t, x_t in enumerate(slices, start=first_step):
            x_t.name = f"x{t}"
    return slices


class RNN(Recurrent):
    """The vanilla (Elman) RNN of the course notes.

        s_t = g(U x_t + W s_{t-1} + b),    o_t = h(V s_t + c)

    Parameters: U (H, D), W (H, H), V (O, H), and with ``bias=True`` also
    b (H,) and c (O,).  ``activation`` is g (tanh, relu, sigmoid or
    identity); ``output_activation`` is h (None for none).  Weights start
    uniform in ±1/sqrt(H), like PyTorch's.

    >>> import rnn
    >>> model = rnn.RNN(input_size=3, hidden_size=4, output_size=2, rng=0)
    >>> [(name, p.shape) for name, p in model.named_parameters()]
    [('U', (4, 3)), ('W', (4, 4)), ('b', (4,)), ('V', (2, 4)), ('c', (2,))]
    """

    def __init__(self, input_size, hidden_size, output_size, bias=True, activation="tanh",
                 output_activation=None, rng=None, dtype=np.float64):
        rng = self._init_recurrent_weights(input_size, hidden_size, output_size, 1, bias, rng,
                                           dtype)
        self.activation = _activation("activation", activation)
        self._init_output_layer(rng, bias, dtype, output_activation)

    def step(self, x, s):
        """s_t = g(a_t) with a_t = U x_t + W s_{t-1} + b: two recorded ops."""
        a = mg.linear((x, s), (self.U, self.W), self.b)
        a.name = "a_t"                           # names for drawings (Tensor.name)
        s = ACTIVATIONS[self.activation](a)
        s.name = "s_t"
        return s


class LSTM(Recurrent):
    """Long short-term memory, with exactly PyTorch's equations and gate order (i, f, g, o).

        [i, f, g, o] = [σ, σ, tanh, σ](U x_t + W h_{t-1} + b)
        c_t = f ⊙ c_{t-1} + i ⊙ g          (c_t: the cell state)
        h_t = o ⊙ tanh(c_t)
        out_t = h(V h_t + c)               (c: the output bias, drawn as b_y)

    Parameters: U (4H, D), W (4H, H), b (4H,), V (O, H), c (O,).  The rows
    of U, W and b are the four gates in the order i, f, g, o, as in PyTorch's
    ``weight_ih_l0``.  PyTorch has two biases, b_ih and b_hh; they only ever
    appear as their sum, which is ``b`` here (so dL/db equals PyTorch's
    b_ih.grad and b_hh.grad).  The state is the pair (h_t, c_t).
    """

    output_name = "out_t"    # o_t is the output gate
    output_bias_name = "b_y"  # c_t is the cell state: out_t = V h_t + b_y

    def __init__(self, input_size, hidden_size, output_size, bias=True,
                 output_activation=None, rng=None, dtype=np.float64):
        rng = self._init_recurrent_weights(input_size, hidden_size, output_size, 4, bias, rng,
                                           dtype)                 # gates i, f, g, o
        self._init_output_layer(rng, bias, dtype, output_activation)

    def zero_state(self, batch=()):
        h = super().zero_state(batch)
        cell = super().zero_state(batch)
        h.name, cell.name = "h0", "c0"
        return (h, cell)

    def hidden(self, s):
        return s[0]

    def step(self, x, s):
        h, cell = s
        H = self.hidden_size
        z = mg.linear((x, h), (self.U, self.W), self.b)      # all four gates' inputs
        z_i, z_f, z_g, z_o = (z[..., k * H:(k + 1) * H] for k in range(4))
        i, f, g, o = z_i.sigmoid(), z_f.sigmoid(), z_g.tanh(), z_o.sigmoid()
        cell = f * cell + i * g
        h = o * cell.tanh()
        for t, name in ((z, "z_t"), (z_i, "z_i,t"), (z_f, "z_f,t"), (z_g, "z_g,t"),
                        (z_o, "z_o,t"), (i, "i_t"), (f, "f_t"), (g, "g_t"), (o, "o_t"),
                        (cell, "c_t"), (h, "h_t")):
            t.name = name                        # names for drawings (Tensor.name)
        return (h, cell)


class GRU(Recurrent):
    """Gated recurrent unit, with exactly PyTorch's equations and gate order (r, z, n).

        r = σ(U_r x_t + b_r + W_r h_{t-1})
        z = σ(U_z x_t + b_z + W_z h_{t-1})
        n = tanh(U_n x_t + b_n + r ⊙ (W_n h_{t-1} + b_hn))
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
        o_t = h(V h_t + c)

    Parameters: U (3H, D), W (3H, H), b (3H,), b_hn (H,), V (O, H), c (O,);
    rows in the order r, z, n as in PyTorch's ``weight_ih_l0``.  PyTorch's
    hidden bias b_hn sits *inside* the reset product, so it is its own
    parameter; the other hidden biases (b_hr, b_hz) only appear summed with
    the input biases, and ``b`` holds those sums: b = [b_ir + b_hr, b_iz + b_hz, b_in].
    """

    def __init__(self, input_size, hidden_size, output_size, bias=True,
                 output_activation=None, rng=None, dtype=np.float64):
        rng = self._init_recurrent_weights(input_size, hidden_size, output_size, 3, bias, rng,
                                           dtype)                 # gates r, z, n
        H, bound = self.hidden_size, 1 / np.sqrt(self.hidden_size)
        self.b_hn = Parameter(rng.uniform(-bound, bound, H), dtype=dtype) if bias else None
        self._init_output_layer(rng, bias, dtype, output_activation)

    state_name = "h"

    def step(self, x, h):
        H = self.hidden_size
        xu = mg.linear(x, self.U, self.b)
        hw = mg.linear(h, self.W)
        a_r = xu[..., 0 * H:1 * H] + hw[..., 0 * H:1 * H]
        a_z = xu[..., 1 * H:2 * H] + hw[..., 1 * H:2 * H]
        r, z = a_r.sigmoid(), a_z.sigmoid()
        hn = hw[..., 2 * H:3 * H] if self.b_hn is None else hw[..., 2 * H:3 * H] + self.b_hn
        a_n = xu[..., 2 * H:3 * H] + r * hn
        n = a_n.tanh()
        h = (1 - z) * n + z * h
        for t, name in ((a_r, "a_r,t"), (a_z, "a_z,t"), (a_n, "a_n,t"), (r, "r_t"),
                        (z, "z_t"), (n, "n_t"), (h, "h_t")):
            t.name = name                        # names for drawings (Tensor.name)
        return h


def from_torch(torch_cell, torch_linear=None):
    """A model with the weights of a PyTorch ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU``.

    The cell must have one layer and one direction.  ``torch_linear`` (an
    ``nn.Linear``) becomes the output layer V, c; without it, V is the
    identity and c = 0, so the outputs o_t are PyTorch's hidden states.
    The dtype is PyTorch's (call ``.double()`` first to compare in float64).
    PyTorch is imported only here.

    Example (needs PyTorch; tests/test_rnn_models.py does this for every cell)::

        import torch, rnn
        cell = torch.nn.GRU(3, 5).double()
        model = rnn.from_torch(cell, torch.nn.Linear(5, 2).double())
    """
    import torch

    kinds = {torch.nn.RNN: RNN, torch.nn.LSTM: LSTM, torch.nn.GRU: GRU}
    cls = kinds.get(type(torch_cell))
    if cls is None:
        raise TypeError(f"from_torch: expected torch.nn.RNN, LSTM or GRU, got "
                        f"{type(torch_cell).__name__}")
    if torch_cell.num_layers != 1 or torch_cell.bidirectional:
        raise ValueError(f"from_torch: only one layer, one direction is supported; this "
                         f"{type(torch_cell).__name__} has num_layers="
                         f"{torch_cell.num_layers}, bidirectional={torch_cell.bidirectional}")
    if getattr(torch_cell, "proj_size", 0):
        raise ValueError("from_torch: LSTMs with proj_size > 0 are not supported")

    def array(t):
        return t.detach().cpu().numpy()          # assigning to p.data copies it

    D, H = torch_cell.input_size, torch_cell.hidden_size
    bias = torch_cell.bias
    dtype = array(torch_cell.weight_ih_l0).dtype
    O = H if torch_linear is None else torch_linear.out_features
    if torch_linear is not None and torch_linear.in_features != H:
        raise ValueError(f"from_torch: the Linear layer takes {torch_linear.in_features} "
                         f"inputs but the cell's hidden_size is {H}")
    if torch_linear is not None and torch_linear.bias is not None and not bias:
        raise ValueError("from_torch: the cell has no biases but the Linear layer has one; "
                         "minigrad's models have biases on both or on neither")
    if cls is RNN:
        model = RNN(D, H, O, bias=bias, activation=torch_cell.nonlinearity, dtype=dtype)
    else:
        model = cls(D, H, O, bias=bias, dtype=dtype)

    model.U.data = array(torch_cell.weight_ih_l0)
    model.W.data = array(torch_cell.weight_hh_l0)
    if bias:
        b_ih, b_hh = array(torch_cell.bias_ih_l0), array(torch_cell.bias_hh_l0)
        if cls is GRU:        # b_hn stays inside r ⊙ (W_n h + b_hn)
            model.b.data = b_ih + np.concatenate([b_hh[:2 * H], np.zeros(H, dtype)])
            model.b_hn.data = b_hh[2 * H:]
        else:
            model.b.data = b_ih + b_hh
    if torch_linear is None:
        model.V.data = np.eye(H, dtype=dtype)
        if model.c is not None:
            model.c.data = np.zeros(O, dtype)
    else:
        model.V.data = array(torch_linear.weight)
        if model.c is not None:
            model.c.data = (np.zeros(O, dtype) if torch_linear.bias is None else
                            array(torch_linear.bias))
    return model
