"""rnn: recurrent networks unrolled in time on minigrad, and their gradients four ways.

    s_t = g(U x_t + W s_{t-1} + b),   o_t = h(V s_t + c),   L = Σ_t E(o_t, y_t)

* ``models``     RNN, LSTM, GRU; ``model.unroll(xs)`` records step t in scope "t=<t>"
* ``losses``     E_t and how the steps combine (sum or mean)
* ``bptt``       full BPTT by autograd; per-copy gradient terms; gradient flow
* ``truncated``  TBPTT(k1, k2) and the article's sliding window
* ``manual``     the same gradients by hand: the backward recursion in NumPy
* ``rtrl``       the same gradients forward in time (real-time recurrent learning)
* ``compare``    all of them side by side, with finite differences as referee
* ``tasks``, ``train``   small problems to learn, and a training loop

>>> import rnn
>>> model = rnn.RNN(input_size=2, hidden_size=4, output_size=1, rng=0)
>>> xs, ys = np.ones((6, 2)), np.zeros((6, 1))
>>> print(rnn.compare_gradients(model, xs, ys).ok())
True
"""

import numpy as np  # noqa: F401  (used by the doctests)

from . import manual, rtrl, tasks
from .bptt import BPTTResult, GradientFlow, bptt, gradient_flow, spectral_radius
from . import revolve
from .checkpoint import Policy, checkpoint_policy, revolve_policy, sqrt_policy
from .compare import GradientReport, compare_gradients
from .losses import LOSSES, REDUCTIONS, sequence_loss, step_loss
from .models import ACTIVATIONS, GRU, LSTM, RNN, Unrolled, from_torch
from .train import TrainResult, train
from .truncated import TBPTTResult, Update, sliding_window_bptt, tbptt
from . import online  # noqa: E402  (online learning rules: UORO, SnAp, RFLO, ...)
from .online import compare_online  # noqa: E402

__all__ = [
    "RNN", "LSTM", "GRU", "Unrolled", "from_torch", "ACTIVATIONS",
    "sequence_loss", "step_loss", "LOSSES", "REDUCTIONS",
    "bptt", "BPTTResult", "gradient_flow", "GradientFlow", "spectral_radius",
    "checkpoint_policy", "sqrt_policy", "revolve_policy", "revolve", "Policy",
    "tbptt", "sliding_window_bptt", "TBPTTResult", "Update",
    "manual", "rtrl", "compare_gradients", "GradientReport",
    "tasks", "train", "TrainResult",
]
__all__ += ["online", "compare_online"]
from . import exercises  # noqa: E402  (checkers for the notebooks' exercises)
from .tables import contribution_table  # noqa: E402  (also: rnn.tables, Jupyter's HTML tables)
__all__ += ["exercises", "contribution_table"]
