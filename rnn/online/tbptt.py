"""Online truncated BPTT: the baseline every online rule is compared with.

At every step t, back-propagate E_t alone through the last k steps (the
encyclopedia's sliding window with the error taken at the window's end,
``rnn.sliding_window_bptt``; Williams and Peng 1990 call it BPTT(k))::

    δ_t = c_t,    δ_{τ-1} = W ᵀ (g'(a_τ) ⊙ δ_τ)      for τ = t, ..., t - k + 1
    ∂L/∂Θ ≈ Σ_t Σ_{τ = t-k+1..t} (g'(a_τ) ⊙ δ_τ) z_τᵀ

It stores the last k inputs z_τ and slopes g'(a_τ) (O(k H) memory) and
costs O(k H²) per step: the same per-step order as BPTT's.  With k >= T it
is exact; with k < T it is biased, blind to dependencies longer than k.
"""

from collections import deque

import numpy as np

from .base import OnlineRule


class OnlineTBPTT(OnlineRule):
    """E_t back-propagated through the last k steps, at every step.  O(k H²) per step.

    >>> import numpy as np, rnn
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> xs, ys = np.ones((5, 2)), np.zeros((5, 1))
    >>> online = rnn.online.online_gradient(model, xs, ys, rnn.online.OnlineTBPTT(5)).grads
    >>> exact = rnn.bptt(model, xs, ys).grads                       # k >= T: exact
    >>> bool(np.linalg.norm(online["W"] - exact["W"]) <= 1e-12 * np.linalg.norm(exact["W"]))
    True
    """

    def __init__(self, k=8):
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"OnlineTBPTT: k must be a positive integer (steps back), got {k!r}")
        self.k = int(k)
        self.name = f"tbptt-{self.k}"

    def start(self, params, B, rng):
        self.window = deque(maxlen=self.k)      # (z_τ, g'(a_τ), W at τ) of the last k steps

    def update(self, step):
        self.window.append((step.z, step.gp, step.W))
        delta, grad = step.credit, 0.0
        for z, gp, W in reversed(self.window):           # τ = t, t-1, ..., t-k+1
            delta_a = gp * delta                          # ∂E_t/∂a_τ
            grad = grad + delta_a.T @ z                   # its share of ∂E_t/∂Θ
            delta = delta_a @ W                           # ∂E_t/∂s_{τ-1} = Wᵀ (g' ⊙ δ)
        return grad
