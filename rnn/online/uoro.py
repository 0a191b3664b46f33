"""UORO: unbiased online recurrent optimisation (Tallec and Ollivier, ICLR 2018).

Keep M_t only as a rank-one product s̃_t θ̃_tᵀ (H + H·K numbers instead of
H · H · K).  At every step draw ν with independent random signs, so that
E[ν νᵀ] = I, and update (the paper's Algorithm 1)::

    s̃_t = ρ0 D_t s̃_{t-1} + ρ1 ν
    θ̃_t = θ̃_{t-1} / ρ0 + (νᵀ M̄_t) / ρ1
    ∂L/∂Θ ≈ Σ_t (c_t · s̃_t) θ̃_t

Then s̃_t θ̃_tᵀ = D_t s̃ θ̃ᵀ + ν νᵀ M̄_t + (two cross terms with one factor ν),
whose mean over ν is D_t M_{t-1} + M̄_t: by induction E[s̃_t θ̃_tᵀ] = M_t, so
the gradient estimate is unbiased (the paper's central claim).  The
positive scalars ρ0 = √(‖θ̃‖/‖D_t s̃‖), ρ1 = √(‖νᵀ M̄_t‖/‖ν‖) balance the
two factors to reduce the variance (the paper's variance reduction); they do not depend on ν's signs (‖ν‖ = √H, ‖νᵀ M̄_t‖ =
‖g'(a_t)‖ ‖z_t‖), so unbiasedness survives them.

Cost per step: one Jacobian-vector product D_t s̃ (O(H²)) and an outer
product (O(H K)): O(H²), like one step of BPTT.  The price is variance.
"""

import numpy as np

from .base import OnlineRule


class UORO(OnlineRule):
    """The rank-one unbiased estimate s̃ θ̃ᵀ of M_t.  O(H²) per step; stochastic.

    ``eps`` keeps ρ0 and ρ1 finite when a factor is 0 (at the first step).

    >>> import numpy as np, rnn
    >>> model = rnn.RNN(2, 3, 1, rng=0)
    >>> xs, ys = np.ones((5, 2)), np.zeros((5, 1))
    >>> g = rnn.online.online_gradient(model, xs, ys, "uoro", rng=0).grads
    >>> sorted(g), g["W"].shape
    (['U', 'V', 'W', 'b', 'c'], (3, 3))
    """

    name = "uoro"
    stochastic = True

    def __init__(self, eps=1e-7):
        self.eps = eps

    def start(self, params, B, rng):
        H, D = params["W"].shape[0], params["U"].shape[1]
        self.rng = rng
        self.s_tilde = np.zeros((B, H))
        self.theta_tilde = np.zeros((B, H, H + D + 1))

    def update(self, step):
        B, H = step.gp.shape
        nu = self.rng.choice([-1.0, 1.0], size=(B, H))                   # E[ν νᵀ] = I
        Ds = step.jacobian_times(self.s_tilde[:, :, None])[:, :, 0]       # D_t s̃_{t-1}
        nu_M = (nu * step.gp)[:, :, None] * step.z[:, None, :]           # νᵀ M̄_t, (B, H, K)
        rho0 = np.sqrt((_norm(self.theta_tilde) + self.eps) / (_norm(Ds) + self.eps))
        rho1 = np.sqrt((_norm(nu_M) + self.eps) / (_norm(nu) + self.eps))
        self.s_tilde = rho0[:, None] * Ds + rho1[:, None] * nu
        self.theta_tilde = (self.theta_tilde / rho0[:, None, None]
                            + nu_M / rho1[:, None, None])
        weight = (step.credit * self.s_tilde).sum(axis=1)                 # c_t · s̃_t
        return np.einsum("b,bjk->jk", weight, self.theta_tilde)


def _norm(a):
    """The norm of each batch row's array."""
    return np.sqrt((a.reshape(len(a), -1) ** 2).sum(axis=1))
