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

from .base import RandomFactorRule, balance


class KFRTRL(RandomFactorRule):
    """The Kronecker-factored unbiased estimate A_t ⊗ u_t of M_t.  O(H³) per step.

    >>> import numpy as np, rnn
    >>> model = rnn.RNN(3, 4, 2, rng=1)
    >>> result = rnn.online.online_gradient(model, np.ones((6, 3)), np.zeros((6, 2)),
    ...                                     rnn.online.KFRTRL(), rng=2)
    >>> result.rule, result.grads["U"].shape
    ('kf-rtrl', (4, 3))
    """

    name = "kf-rtrl"

    def start(self, params, B, rng):
        H = params["W"].shape[0]
        self.rng = rng
        self.A = np.zeros((B, H, H))                      # M_0 = 0
        self.u = np.zeros((B, H + params["U"].shape[1] + 1))

    def update(self, step):
        B, H = step.gp.shape
        sigma = self.rng.choice([-1.0, 1.0], size=(B, 2))               # σ0, σ1 per sequence
        carried = step.jacobian_times(self.A)                             # D_t A_{t-1}
        fresh = step.gp[:, :, None] * np.eye(H)                           # diag(g'(a_t))
        rho0 = balance(carried, self.u, self.eps)                      # ‖ρ0 u‖ = ‖DA / ρ0‖
        rho1 = balance(fresh, step.z, self.eps)
        s0, s1 = sigma[:, 0], sigma[:, 1]
        self.A = ((s0 / rho0)[:, None, None] * carried
                  + (s1 / rho1)[:, None, None] * fresh)
        self.u = (s0 * rho0)[:, None] * self.u + (s1 * rho1)[:, None] * step.z
        credit_A = np.einsum("bi,bij->bj", step.credit, self.A)          # c_t A_t
        return np.einsum("bj,bk->jk", credit_A, self.u)                  # Σ_b (c_t A_t) ⊗ u_t

