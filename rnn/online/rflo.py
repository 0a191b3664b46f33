"""RFLO: random-feedback local online learning (Murray, eLife 2019).

Two local simplifications of RTRL (Murray's weight update and its
eligibility trace; RFLO in Marschall, Cho and Savin 2020):

1. The Jacobian D_t = diag(g'(a_t)) W is replaced by a constant leak
   (1 - α) I, so the influence of Θ_jk stays on unit j, and decays:
   an *eligibility trace* of the pre- and postsynaptic activity::

       P_t[j, k] = (1 - α) P_{t-1}[j, k] + α g'(a_t)_j z_{t,k}

2. The credit c_t = Vᵀ e_t (e_t: the output error) is replaced by B e_t
   with a fixed random matrix B (random feedback, "feedback alignment")::

       ∂L/∂Θ ≈ Σ_t (B e_t)_j P_t[j, k] / α

   (dividing by α makes the newest term count once, as it does in RTRL:
   P_t / α = Σ_τ (1 - α)^τ g'(a_{t-τ})_j z_{t-τ,k}).

Murray's network is leaky, s_t = (1 - α) s_{t-1} + α g(a_t), and there
(1 - α) I is the leak's own part of D_t.  Our RNN has no leak (α = 1 in
that equation), so here α is a free time constant of the trace; α = 1
keeps only the immediate influence (like TBPTT(1) with random feedback).
The rule is biased by design: it is local in space and time, and cheap,
O(H K) per step.  ``feedback="symmetric"`` uses B = Vᵀ, which isolates the
bias of dropping D_t.
"""

import numpy as np

from .base import OnlineRule, positive_number


class RFLO(OnlineRule):
    """Eligibility trace with leak α and random feedback.  O(H²) per step.

    >>> import numpy as np, rnn
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> xs, ys = np.ones((5, 2)), np.zeros((5, 1))
    >>> rnn.online.online_gradient(model, xs, ys, rnn.online.RFLO(alpha=0.5), rng=0).grads["W"].shape
    (3, 3)
    """

    def __init__(self, alpha=0.5, feedback="random"):
        alpha = positive_number("RFLO", "alpha", alpha, "a number in (0, 1] (the trace keeps "
                                "1 - alpha of itself per step)", at_most=1.0)
        if feedback not in ("random", "symmetric"):
            raise ValueError(f"RFLO: feedback must be 'random' or 'symmetric', got {feedback!r}")
        self.alpha, self.feedback = alpha, feedback
        self.name = "rflo" if feedback == "random" else "rflo-symmetric"
        self.stochastic = feedback == "random"           # B is drawn at random

    def start(self, params, B, rng):
        V = params["V"]
        H, D = params["W"].shape[0], params["U"].shape[1]
        self.feedback_matrix = (None if self.feedback == "symmetric"               # V itself
                                else rng.normal(0.0, 1.0 / np.sqrt(H), size=V.shape))
        self.P = np.zeros((B, H, H + D + 1))

    def update(self, step):
        self.P = (1 - self.alpha) * self.P + self.alpha * step.immediate_rows()
        B = step.V if self.feedback_matrix is None else self.feedback_matrix
        credit = step.error @ B                                                    # B e_t
        return np.einsum("bj,bjk->jk", credit, self.P) / self.alpha
