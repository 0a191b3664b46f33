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

from .base import RandomFactorRule, balance


class UORO(RandomFactorRule):
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
        rho0 = balance(self.theta_tilde, Ds, self.eps)
        rho1 = balance(nu_M, nu, self.eps)
        self.s_tilde = rho0[:, None] * Ds + rho1[:, None] * nu
        self.theta_tilde = (self.theta_tilde / rho0[:, None, None]
                            + nu_M / rho1[:, None, None])
        weight = (step.credit * self.s_tilde).sum(axis=1)                 # c_t · s̃_t
        return np.einsum("b,bjk->jk", weight, self.theta_tilde)


# ------------------------------------------------- UORO for any cell, by the engine

def uoro_any_cell(model, xs, ys, loss, reduction, s0, mask, rng, eps=1e-7):
    """UORO for any cell (RNN, LSTM, GRU), from one jvp and one vjp of the step per step.

    The closed form above needs D_t and M̄_t of the vanilla RNN.  UORO itself
    only needs two products, which the engine gives for any cell (this is how
    Tallec and Ollivier present it, "computationally as costly as truncated
    BPTT" for general models):

    * D_t s̃_{t-1}: forward mode, ``Linearized.push`` with tangent s̃ on the state;
    * νᵀ M̄_t = νᵀ ∂s_t/∂θ: reverse mode, ``backward()`` of Σ ν ⊙ s_t to θ.

    An LSTM's state is (h_t, c_t), so s̃ and ν have both parts.  The ρ's
    may now depend on ν's signs (a parameter of unit i moves both h_i and
    c_i), but only through ‖νᵀ M̄_t‖, which is the same for ν and -ν, so
    the cross terms still average to zero and the estimate stays unbiased
    (tests/test_online_uoro.py averages every sign pattern of a small LSTM).

    ``xs`` (T, B, D) is checked and time-major (``rnn.bptt.check_sequence``);
    each sequence of the batch runs with its own draws.  Returns (L, grads).
    """
    import minigrad as mg

    from ..losses import step_loss
    from ..manual import _step_weights
    from ..rtrl import READOUT

    paired = isinstance(s0, tuple)
    pack = (lambda parts: tuple(parts)) if paired else (lambda parts: parts[0])
    names = [n for n, _ in model.named_parameters() if n not in READOUT]
    params = [getattr(model, n) for n in names]
    readout = [n for n in READOUT if getattr(model, n, None) is not None]
    kappa = _step_weights(len(xs._data), reduction, mask)
    grads = {n: np.zeros_like(getattr(model, n)._data) for n in names + readout}
    L = 0.0
    batched = xs._data.ndim == 3
    rows = range(xs._data.shape[1]) if batched else [None]
    for b in rows:
        state = [(p._data if b is None else p._data[b]) for p in (s0 if paired else (s0,))]
        s_tilde = [np.zeros_like(part) for part in state]
        theta_tilde = [np.zeros_like(p._data) for p in params]
        for t in range(1, len(xs._data) + 1):
            x_t = mg.tensor(xs._data[t - 1] if b is None else xs._data[t - 1, b])
            step = mg.linearize(lambda *a: model.step(x_t, pack(a[:len(state)])),
                                state + params)
            outs = step.outputs
            Ds = step.push(s_tilde + [None] * len(params))              # D_t s̃ (jvp)
            Ds = list(Ds) if paired else [Ds]
            nu = [rng.choice([-1.0, 1.0], size=part.shape) for part in state]
            model.zero_grad()
            mg.stack([(o * n).sum() for o, n in zip(outs, nu)]).sum().backward()
            nu_M = [np.zeros_like(p._data) if p.grad is None else p.grad for p in params]
            rho0 = np.sqrt((_total_norm(theta_tilde) + eps) / (_total_norm(Ds) + eps))
            rho1 = np.sqrt((_total_norm(nu_M) + eps) / (_total_norm(nu) + eps))
            s_tilde = [rho0 * d + rho1 * n for d, n in zip(Ds, nu)]
            theta_tilde = [th / rho0 + m / rho1 for th, m in zip(theta_tilde, nu_M)]
            state = [o._data for o in outs]

            if kappa[t]:                                   # c_t, and the readout's own part
                y_t = ys[t - 1] if b is None else ys[t - 1, b]
                leaves = [mg.tensor(part, requires_grad=True) for part in state]
                model.zero_grad()
                E_t = step_loss(model.output(pack(leaves)), y_t, loss) * kappa[t]
                E_t.backward()
                L += E_t.item()
                weight = sum(float(np.vdot(leaf.grad, st)) for leaf, st in zip(leaves, s_tilde)
                             if leaf.grad is not None)                 # c_t · s̃_t
                for n, th in zip(names, theta_tilde):
                    grads[n] = grads[n] + weight * th
                for n in readout:
                    p = getattr(model, n)
                    if p.grad is not None:
                        grads[n] = grads[n] + p.grad
    model.zero_grad()
    return L, grads


def _total_norm(arrays):
    return np.sqrt(sum(float((a ** 2).sum()) for a in arrays))
