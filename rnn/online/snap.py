"""SnAp-n: the sparse n-step approximation of RTRL (Menick et al., ICLR 2021).

Keep the influence matrix only where a parameter can reach a unit within n
steps, and drop the rest after every step (the paper's SnAp-n definition)::

    M_t = (D_t M_{t-1} + M̄_t) ⊙ P_n,        ∂L/∂Θ ≈ Σ_t c_t M_t

Θ_jk feeds unit j directly, so P_1 keeps only i = j: the H × K numbers
ds_{t,j}/dΘ_jk.  Then D_t M_{t-1} needs only D_t's diagonal,
g'(a_t)_j W_jj, and SnAp-1 is::

    J_t[j, k] = g'(a_t)_j W_jj J_{t-1}[j, k] + g'(a_t)_j z_{t,k}

O(H K) = O(H²) per step, no more than one step of BPTT.  SnAp-n keeps
P_n[i, j] = 1 when unit i is reached from unit j within n - 1 steps through
W's non-zero entries: (I + [W ≠ 0])^(n-1) > 0.  For a dense W, P_2 is all
ones and SnAp-2 is already exact RTRL; SnAp-n pays off for sparse W, which
is the paper's setting.  A diagonal W (no unit feeds another) makes even
SnAp-1 exact.  Both facts are tests.
"""

import numpy as np

from .base import OnlineRule


class SnAp(OnlineRule):
    """SnAp-n.  n = 1 stores H × K numbers (O(H²) per step); n >= 2 the masked M_t.

    >>> import numpy as np, rnn
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> xs, ys = np.ones((5, 2)), np.zeros((5, 1))
    >>> g = rnn.online.online_gradient(model, xs, ys, rnn.online.SnAp(1)).grads
    >>> g["W"].shape
    (3, 3)
    """

    def __init__(self, n=1):
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"SnAp: n must be a positive integer (steps of influence kept), "
                             f"got {n!r}")
        self.n = int(n)
        self.name = f"snap-{self.n}"

    def start(self, params, B, rng):
        W, D = params["W"], params["U"].shape[1]
        H, K = W.shape[0], W.shape[0] + D + 1
        if self.n == 1:
            self.J = np.zeros((B, H, K))                  # J[b, j, k] = ds_j / dΘ_jk
        else:
            self.pattern = reach(W, self.n)[None, :, :, None]
            self.eye = np.eye(H)
            self.M = np.zeros((B, H, H, K))

    def update(self, step):
        if self.n == 1:                                   # J_t = g' W_jj J_{t-1} + g' z
            self.J = (step.gp * np.diag(step.W))[:, :, None] * self.J + step.immediate_rows()
            return np.einsum("bj,bjk->jk", step.credit, self.J)
        M_bar = np.einsum("ij,bjk->bijk", self.eye, step.immediate_rows())
        self.M = (step.jacobian_times(self.M) + M_bar) * self.pattern
        return np.einsum("bi,bijk->jk", step.credit, self.M)


def reach(W, n):
    """P_n[i, j]: True if unit i is reached from unit j within n - 1 steps of W.

    >>> reach(np.array([[1.0, 0.0], [2.0, 0.0]]), 2).astype(int).tolist()
    [[1, 0], [1, 1]]
    """
    step = (np.eye(len(W)) + (W != 0)) > 0
    pattern = np.eye(len(W), dtype=bool)
    for _ in range(n - 1):
        pattern = (step.astype(int) @ pattern.astype(int)) > 0
    return pattern
