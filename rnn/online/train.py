"""Learning online: update the weights while the rule runs, without going back.

:func:`train_online` runs one long stream (a batch of B streams in
parallel).  At every step the rule adds its estimate of ∂(κ_t E_t)/∂θ;
every ``update_every`` steps the optimizer applies the sum.  The state and
the rule's carried quantities (RTRL's M_t, UORO's s̃ and θ̃, SnAp's J_t)
continue across updates, as in Williams and Zipser's "real-time" learning:
they were computed with slightly older weights, which is the usual
approximation of online learning.
"""

from dataclasses import dataclass

import numpy as np

from minigrad.optim import Optimizer

from ..manual import _check_names, _initial_state, _sequence, _step_weights, model_arrays
from . import make_rule
from .base import one_step

__all__ = ["train_online", "OnlineTraining"]


@dataclass
class OnlineTraining:
    """``losses[t - 1]``: E_t averaged over the batch (unweighted), for every step t."""
    losses: np.ndarray
    rule: str
    updates: int


def train_online(model, xs, ys, rule, optimizer, loss="mse", mask=None, update_every=1,
                 rng=None, s0=None, batch_first=False):
    """Train an ``rnn.RNN`` online with ``rule`` over the stream ``xs``, ``ys``.

    >>> import numpy as np, minigrad as mg, rnn
    >>> from rnn.online.echo import echo_data
    >>> model = rnn.RNN(1, 4, 2, rng=0)
    >>> xs, ys, mask = echo_data(50, batch=4, rng=0)
    >>> run = rnn.online.train_online(model, xs, ys, "snap-1", mg.optim.Adam(model.parameters(),
    ...                               lr=0.01), loss="cross_entropy", mask=mask)
    >>> run.losses.shape, run.updates
    ((50,), 42)
    """
    from ..models import RNN

    where = "rnn.online.train_online"
    if not isinstance(model, RNN):
        raise TypeError(f"{where}: the online rules here are written for the vanilla rnn.RNN "
                        f"(closed-form D_t and M̄_t), got {type(model).__name__}. Fix: for "
                        f"an LSTM or GRU, train with rnn.train (truncated BPTT), or measure "
                        f"'rtrl' and 'uoro' with rnn.online.online_gradient")
    if (isinstance(update_every, (bool, np.bool_))
            or not isinstance(update_every, (int, np.integer)) or update_every < 1):
        raise ValueError(f"{where}: update_every must be a whole number of steps >= 1, got "
                         f"{update_every!r}")
    rule = make_rule(rule)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{where}: optimizer must be a minigrad optimizer that applies the "
                        f"rule's gradients, got {type(optimizer).__name__}. Fix: e.g. "
                        f"mg.optim.SGD(model.parameters(), lr=0.01)")
    _check_names(where, loss, "sum", model.activation, model.output_activation)
    xs, ys, mask, batched = _sequence(where, xs, ys, loss, mask, batch_first,
                                      model.input_size, model.output_size)
    T, B = xs.shape[:2]
    kappa = _step_weights(T, "sum", mask)
    s = _initial_state(where, s0, B, model.hidden_size, batched)[0]
    named = list(model.named_parameters())
    params = model_arrays(model)
    rule.start(params, B, np.random.default_rng(rng))
    total = {name: np.zeros_like(a) for name, a in params.items()}
    losses, updates, pending = np.zeros(T), 0, 0
    for t in range(1, T + 1):
        E_t, s, grads = one_step(rule, params, s, xs[t - 1], ys[t - 1], kappa[t], loss,
                                 model.activation, model.output_activation)
        losses[t - 1] = E_t / B
        if kappa[t]:
            pending += 1
            for name in total:
                total[name] = total[name] + grads[name]
        if pending and (pending == update_every or t == T):
            for name, p in named:
                p.grad = total[name].astype(p.dtype)
            optimizer.step()
            optimizer.zero_grad()
            params = model_arrays(model)                   # the new weights, from now on
            total = {name: np.zeros_like(a) for name, a in params.items()}
            updates, pending = updates + 1, 0
    return OnlineTraining(losses, rule.name, updates)
