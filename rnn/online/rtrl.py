"""Exact RTRL as an online rule: the whole influence matrix, carried forward.

Williams and Zipser (1989), the recursion for their sensitivities p^k_ij;
in the notation of Marschall, Cho and Savin (2020)::

    M_t = D_t M_{t-1} + M̄_t,        M_0 = 0
    ∂L/∂Θ ≈ Σ_t c_t M_t             (exact: equal to BPTT's gradient)

M_t holds ds_{t,i}/dΘ_jk for every i, j, k: H · H · K numbers, and D_t M_{t-1}
costs H · (H · H · K) multiplications, O(H⁴) per step.  This is the
reference the approximations below are measured against.
(``rnn.rtrl.rtrl_jvp`` computes the same M_t for any cell by forward mode.)
"""

import numpy as np

from .base import OnlineRule


class RTRL(OnlineRule):
    """Exact RTRL: M_t = D_t M_{t-1} + M̄_t, gradient c_t M_t.  O(H⁴) time, O(H³) memory.

    >>> import numpy as np, rnn
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> xs, ys = np.ones((5, 2)), np.zeros((5, 1))
    >>> online = rnn.online.online_gradient(model, xs, ys, "rtrl").grads
    >>> exact = rnn.bptt(model, xs, ys).grads
    >>> all(np.linalg.norm(online[k] - exact[k]) <= 1e-12 * np.linalg.norm(exact[k])
    ...     for k in exact)
    True
    """

    name = "rtrl"
    exact = True

    def start(self, params, B, rng):
        H, D = params["W"].shape[0], params["U"].shape[1]
        self.eye = np.eye(H)
        self.M = np.zeros((B, H, H, H + D + 1))          # M[b, i, j, k] = ds_i / dΘ_jk

    def update(self, step):
        M_bar = np.einsum("ij,bjk->bijk", self.eye, step.immediate_rows())    # g'_i δ_ij z_k
        self.M = step.jacobian_times(self.M) + M_bar                          # D_t M_{t-1} + M̄_t
        return np.einsum("bi,bijk->jk", step.credit, self.M)                  # c_t M_t
