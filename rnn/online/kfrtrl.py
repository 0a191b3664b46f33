"""KF-RTRL: Kronecker-factored RTRL (Mujika, Meier and Steger, NeurIPS 2018).

For an RNN whose parameters act on one vector, a_t = Θ z_t with
z_t = [s_{t-1}; x_t; 1], the immediate influence is itself a Kronecker
product: M̄_t[i, j, k] = g'(a_t)_i δ_ij z_{t,k}, that is diag(g'(a_t)) ⊗ z_t.
KF-RTRL keeps M_t as one such product, M_t[i, j, k] ≈ A_t[i, j] u_t[k]
(A: H × H, u: K numbers; H² + K instead of RTRL's H·H·K).  The RTRL
recursion M_t = D_t M_{t-1} + M̄_t then gives a sum of two products::

    D_t M_{t-1} + M̄_t ≈ (D_t A_{t-1}) ⊗ u_{t-1} + diag(g'(a_t)) ⊗ z_t

and the paper turns the sum back into one product with two random signs
σ0, σ1 (independent, ±1 with probability ½ each)::

    A_t = σ0 (D_t A_{t-1}) / ρ0 + σ1 diag(g'(a_t)) / ρ1
    u_t = σ0 ρ0 u_{t-1}       + σ1 ρ1 z_t
    ∂L/∂Θ ≈ Σ_t (c_t A_t) ⊗ u_t

Multiplied out, A_t ⊗ u_t is the sum above plus two cross terms with the
factor σ0 σ1, whose mean is 0: by induction E[A_t ⊗ u_t] = M_t, so the
estimate is unbiased.  ρ0 = √(‖D_t A_{t-1}‖ / ‖u_{t-1}‖) and
ρ1 = √(‖g'(a_t)‖ / ‖z_t‖) balance each term's two factors, which makes the
cross terms, and so the variance, as small as the signs allow.  The paper
shows this variance is much smaller than UORO's (a test here measures it).

Cost per step: D_t A_{t-1} is an H × H by H × H product: O(H³) time and
O(H²) memory, between UORO (O(H²), noisier) and RTRL (O(H⁴), exact).
"""

import numpy as np

from .base import OnlineRule


class KFRTRL(OnlineRule):
    """The Kronecker-factored unbiased estimate A_t ⊗ u_t of M_t.  O(H³) per step.

    ``eps`` keeps ρ0 and ρ1 finite when a factor is 0 (at the first step).

    >>> import numpy as np, rnn
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> xs, ys = np.ones((5, 2)), np.zeros((5, 1))
    >>> g = rnn.online.online_gradient(model, xs, ys, "kf-rtrl", rng=0).grads
    >>> sorted(g), g["W"].shape
    (['U', 'V', 'W', 'b', 'c'], (3, 3))
    """

    name = "kf-rtrl"
    stochastic = True

    def __init__(self, eps=1e-7):
        self.eps = eps

    def start(self, params, B, rng):
        H, D = params["W"].shape[0], params["U"].shape[1]
        self.rng = rng
        self.A = np.zeros((B, H, H))                      # M_0 = 0
        self.u = np.zeros((B, H + D + 1))

    def update(self, step):
        B, H = step.gp.shape
        sigma = self.rng.choice([-1.0, 1.0], size=(B, 2))               # σ0, σ1 per sequence
        carried = step.jacobian_times(self.A)                             # D_t A_{t-1}
        fresh = step.gp[:, :, None] * np.eye(H)                           # diag(g'(a_t))
        rho0 = np.sqrt((_norm(carried) + self.eps) / (_norm(self.u) + self.eps))
        rho1 = np.sqrt((_norm(fresh) + self.eps) / (_norm(step.z) + self.eps))
        s0, s1 = sigma[:, 0], sigma[:, 1]
        self.A = ((s0 / rho0)[:, None, None] * carried
                  + (s1 / rho1)[:, None, None] * fresh)
        self.u = (s0 * rho0)[:, None] * self.u + (s1 * rho1)[:, None] * step.z
        credit_A = np.einsum("bi,bij->bj", step.credit, self.A)          # c_t A_t
        return np.einsum("bj,bk->jk", credit_A, self.u)                  # Σ_b (c_t A_t) ⊗ u_t


def _norm(a):
    """The (Frobenius) norm of each batch row's array."""
    return np.sqrt((a.reshape(len(a), -1) ** 2).sum(axis=1))
