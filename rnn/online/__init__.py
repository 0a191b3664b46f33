"""Online learning rules: the gradient at every step, without storing the past.

RTRL (``rnn.rtrl``) carries the whole influence matrix M_t = ds_t/dθ
forward: exact, but O(H⁴) per step.  The rules here trade exactness for
cost, each in its own way, and all under one interface
(:class:`~rnn.online.base.OnlineRule`), one file per rule, each written to
be read beside its paper:

==============  ==========================================  ============  ==============
rule            keeps                                        cost / step   gradient
==============  ==========================================  ============  ==============
``rtrl``        all of M_t (H·H·K)                           O(H⁴)         exact
``uoro``        a rank-one s̃ θ̃ᵀ (H + H·K)                    O(H²)         unbiased, noisy
``kf-rtrl``     a Kronecker product A ⊗ u (H² + K)           O(H³)         unbiased, less noisy
``snap-n``      M_t on the n-step sparsity pattern           O(H²) (n=1)   biased
``rflo``        a decaying local trace; random feedback      O(H²)         biased
``tbptt-k``     the last k steps                             O(k H²)       biased (k < T)
==============  ==========================================  ============  ==============

(H: hidden units, K = H + D + 1 parameters per unit.)  The rules are
written for the vanilla RNN, s_t = g(W s_{t-1} + U x_t + b), in closed
form.  For LSTM and GRU, ``online_gradient`` runs the two rules that need
no closed form: ``"rtrl"`` by forward mode (``rnn.rtrl.rtrl_jvp``) and
``"uoro"`` from one jvp and one vjp per step (``uoro.uoro_any_cell``).
``rnn.compare_online`` measures every rule against the exact gradient.

Citations.  Each rule's file names its paper: Williams and Zipser (1989,
Neural Computation 1(2)) for RTRL, Tallec and Ollivier (ICLR 2018) for UORO,
Mujika, Meier and Steger (NeurIPS 2018) for KF-RTRL,
Menick et al. (ICLR 2021) for SnAp, Murray (eLife 2019, 8:e43299) for RFLO,
Williams and Peng (1990) for online TBPTT, and the notation of Marschall,
Cho and Savin (JMLR 2020) for all of them.  The papers' equation numbers
are not given: they could not be checked against the papers' text when
these files were written, and a wrong number misleads more than none.  Each
docstring instead writes out the recursion it implements, in the shared
notation (M_t, D_t, M̄_t, c_t), so it can be matched against the paper's
definition of the rule (UORO's is the paper's algorithm box).

>>> import numpy as np, rnn
>>> model = rnn.RNN(2, 4, 1, rng=0)
>>> rng = np.random.default_rng(0)
>>> xs, ys = rng.normal(size=(10, 2)), rng.normal(size=(10, 1))
>>> exact = rnn.bptt(model, xs, ys).grads["W"]
>>> snap = rnn.online.online_gradient(model, xs, ys, "snap-1").grads["W"]
>>> bool(np.dot(snap.ravel(), exact.ravel()) > 0)                  # points the same way
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..manual import (_check_names, _initial_state, _sequence, _step_weights, check_params,
                      model_arrays)
from .base import OnlineRule, Step
from .kfrtrl import KFRTRL
from .rflo import RFLO
from .rtrl import RTRL
from .snap import SnAp
from .tbptt import OnlineTBPTT
from .uoro import UORO

__all__ = ["OnlineRule", "Step", "RTRL", "UORO", "KFRTRL", "SnAp", "RFLO", "OnlineTBPTT",
           "make_rule", "online_gradient", "OnlineResult", "RULE_NAMES"]

RULE_NAMES = ("rtrl", "uoro", "kf-rtrl", "snap-<n>", "rflo", "rflo-symmetric", "tbptt-<k>")


def make_rule(rule):
    """A rule from its name ("rtrl", "uoro", "snap-1", "rflo", "tbptt-8", ...) or itself.

    >>> make_rule("snap-2"), make_rule("tbptt-4"), make_rule(UORO())
    (snap-2, tbptt-4, uoro)
    """
    if isinstance(rule, OnlineRule):
        return rule
    if isinstance(rule, str):
        name, _, number = rule.partition("-")
        if rule == "rtrl":
            return RTRL()
        if rule == "uoro":
            return UORO()
        if rule == "kf-rtrl":
            return KFRTRL()
        if rule == "rflo":
            return RFLO()
        if rule == "rflo-symmetric":
            return RFLO(feedback="symmetric")
        if (name in ("snap", "tbptt") and number.isascii() and number.isdigit()
                and int(number) >= 1):
            return SnAp(int(number)) if name == "snap" else OnlineTBPTT(int(number))
    raise ValueError(f"unknown online rule {rule!r}; use one of {', '.join(RULE_NAMES)} "
                     f"(e.g. 'snap-1', 'tbptt-8'), or an OnlineRule instance")


@dataclass
class OnlineResult:
    """The loss over the sequence and the rule's gradient estimate, by parameter name."""
    loss: float
    grads: dict
    rule: str


def online_gradient(model, xs, ys, rule="rtrl", loss="mse", reduction="sum", s0=None,
                    mask=None, batch_first=False, rng=None, engine=False, *, activation=None,
                    output_activation=None):
    """Run an online rule over a sequence with the weights held fixed; return the sum
    of its per-step estimates, to be compared with BPTT's gradient of the same loss.

    ``model`` is an ``rnn.RNN``, or a dict of an RNN's arrays U, W, V (b, c
    optional); the other arguments are those of :func:`rnn.bptt`; ``rng``
    seeds the stochastic rules.  A dict does not say which nonlinearities the
    RNN uses, so with a dict ``activation`` (g: "tanh", "relu", "sigmoid" or
    "identity") is required and ``output_activation`` (h) is None unless
    given, as in :func:`rnn.manual.rnn_bptt`; a model brings its own.

    An LSTM or a GRU takes the rules that are defined for any cell: ``"rtrl"``
    (``rnn.rtrl.rtrl_jvp``, by forward mode) and ``"uoro"``
    (:func:`~rnn.online.uoro.uoro_any_cell`, one jvp and one vjp per step).
    ``engine=True`` runs those engine versions for the vanilla RNN too.

    >>> import numpy as np, rnn
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> result = rnn.online.online_gradient(model, np.ones((4, 2)), np.zeros((4, 1)), "uoro",
    ...                                     rng=1)
    >>> result.rule, sorted(result.grads)
    ('uoro', ['U', 'V', 'W', 'b', 'c'])
    """
    from ..models import RNN
    from .base import run_rule

    where = "rnn.online.online_gradient"
    rule = make_rule(rule)
    if isinstance(model, dict):
        if engine:
            raise TypeError(f"{where}: engine=True runs the rule through a model's own step; "
                            f"pass the rnn.RNN model, not a dict of its arrays")
        if activation is None:
            raise TypeError(f"{where}: a dict of arrays does not say which activation g the "
                            f"RNN uses (s_t = g(W s_{{t-1}} + U x_t + b)). Fix: pass "
                            f"activation='tanh' (or 'relu', 'sigmoid', 'identity'), the one "
                            f"your RNN uses, or pass the rnn.RNN model itself")
        params = check_params(where, model, fix=f"{where}(model, ...)")
    elif engine or not isinstance(model, RNN):
        _same_activations(where, model, activation, output_activation)
        return _by_the_engine(where, model, xs, ys, rule, loss, reduction, s0, mask,
                              batch_first, rng)
    else:
        _same_activations(where, model, activation, output_activation)
        params = model_arrays(model)
        activation, output_activation = model.activation, model.output_activation
    _check_names(where, loss, reduction, activation, output_activation)
    xs, ys, mask, batched = _sequence(where, xs, ys, loss, mask, batch_first,
                                      params["U"].shape[1], params["V"].shape[0])
    s0 = _initial_state(where, s0, xs.shape[1], params["W"].shape[0], batched)[0]
    kappa = _step_weights(len(xs), reduction, mask)
    L, grads = run_rule(rule, params, xs, ys, s0, kappa, loss, activation, output_activation,
                        np.random.default_rng(rng))
    order = [name for name in ("U", "W", "b", "V", "c") if name in params]
    return OnlineResult(L, {name: grads[name] for name in order}, rule.name)


def _same_activations(where, model, activation, output_activation):
    """A model brings its own activations: ``activation=`` may only repeat them."""
    for name, given in (("activation", activation), ("output_activation", output_activation)):
        own = getattr(model, name, None)
        if given is not None and given != own:
            raise ValueError(f"{where}: {name}={given!r}, but the model's {name} is {own!r}; "
                             f"{name}= is for a dict of arrays, a model brings its own")


def _by_the_engine(where, model, xs, ys, rule, loss, reduction, s0, mask, batch_first, rng):
    """RTRL and UORO for any cell, from the engine's jvps (and vjps)."""
    from ..bptt import check_sequence
    from ..models import Recurrent
    from ..rtrl import rtrl_jvp
    from .uoro import uoro_any_cell

    if not isinstance(model, Recurrent):
        raise TypeError(f"{where}: expected an rnn.RNN, LSTM or GRU (or a dict of an RNN's "
                        f"arrays), got {type(model).__name__}")
    if rule.name == "rtrl":
        result = rtrl_jvp(model, xs, ys, loss, reduction, s0, mask, batch_first)
        return OnlineResult(result.loss, result.grads, "rtrl")
    if rule.name == "uoro":
        xs, ys, s0, mask = check_sequence(model, xs, ys, s0, loss, reduction, mask,
                                          batch_first, where)
        L, grads = uoro_any_cell(model, xs, ys, loss, reduction, s0, mask,
                                 np.random.default_rng(rng), rule.eps)
        order = [name for name, _ in model.named_parameters()]
        return OnlineResult(L, {name: grads[name] for name in order}, "uoro")
    raise TypeError(f"{where}: rule {rule.name!r} is written for the vanilla rnn.RNN (it uses "
                    f"the closed-form D_t and M̄_t of s_t = g(W s_{{t-1}} + U x_t + b)); for "
                    f"an {type(model).__name__} use 'rtrl' or 'uoro', which the engine's "
                    f"jvps give for any cell")


from .compare import OnlineReport, RuleStats, compare_online  # noqa: E402  (uses the above)
from .train import OnlineTraining, train_online  # noqa: E402
from . import echo  # noqa: E402

__all__ += ["compare_online", "OnlineReport", "RuleStats", "train_online", "OnlineTraining",
            "echo"]
