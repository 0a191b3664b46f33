"""Solutions to the exercises of notebook 03, vanishing and exploding gradients. Load
one into a cell with ``%load solutions/03_vanishing_exploding.py`` once you have tried."""
import numpy as np


def scale_to_radius(W, rho):
    """W times rho / (W's spectral radius): the eigenvalues scale, the eigenvectors stay."""
    return W * (rho / np.max(np.abs(np.linalg.eigvals(W))))


def jacobian_product(W, states, t):
    """∂s_T/∂s_t = Π_{k=T..t+1} diag(1 - s_k²) W (later steps on the left)."""
    T = len(states)
    J = np.eye(W.shape[0])
    for k in range(t + 1, T + 1):
        s_k = states[k - 1]                     # states[0] is s_1
        J = np.diag(1 - s_k ** 2) @ W @ J
    return J


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_step_backward(params, x, h_prev, c_prev, dh, dc):
    """One LSTM step backward (gates i, f, g, o), given dL/dh_t = dh and dL/dc_t = dc."""
    U, W, b = params["U"], params["W"], params["b"]
    H = len(h_prev)
    z = U @ x + W @ h_prev + b                          # the forward step again
    i, f, o = sigmoid(z[:H]), sigmoid(z[H:2 * H]), sigmoid(z[3 * H:])
    g = np.tanh(z[2 * H:3 * H])
    c = f * c_prev + i * g
    dc = dc + dh * o * (1 - np.tanh(c) ** 2)            # c_t reaches L directly and through h_t
    do = dh * np.tanh(c)                                # h_t = o ⊙ tanh(c_t)
    di, dg, df = dc * g, dc * i, dc * c_prev            # c_t = f ⊙ c_(t-1) + i ⊙ g
    dz = np.concatenate([di * i * (1 - i), df * f * (1 - f),    # σ' = σ (1 - σ)
                         dg * (1 - g ** 2), do * o * (1 - o)])   # tanh' = 1 - tanh²
    return {"U": np.outer(dz, x), "W": np.outer(dz, h_prev), "b": dz,
            "h_prev": W.T @ dz, "c_prev": dc * f}


# Exercise 3, the question after it: dL/dc_(t-1) = (dc + dh ⊙ o ⊙ (1 - tanh²(c_t))) ⊙ f_t.
# Along the cell state the only factor is the forget gate f_t: no W and no squashing slope.
# With f_t ≈ 1 (a forget-gate bias of 1 to 3) the gradient passes almost unchanged.


def discussion_4():
    """Exercise 4: ||∂s_T/∂s_1||_2 against ρ(W)^(T-1) and ||W||_2^(T-1).

    Answer (T = 30, this notebook's RNNs with 16 units and biases):

        ρ(W)   ||∂s_T/∂s_1||   ρ^(T-1)    ||W||_2^(T-1)
        0.5    7.5e-10         1.9e-09    3.3e-03
        1.0    6.6e-03         1.0        1.8e+06
        1.5    1.2             1.3e+05    2.2e+11

    ||W||_2^(T-1) is a bound: each factor diag(1 - s_k²) W has norm at most ||W||_2,
    because 0 < 1 - s_k² <= 1, and the norm of a product is at most the product of the
    norms. It is a loose one: ||W||_2 is larger than ρ(W) for a non-symmetric W (0.82
    against 0.5 here), and the bound ignores the slopes. ρ(W)^(T-1) is a good guess only
    while the states stay in tanh's linear range (at ρ = 0.5, the same order of magnitude);
    it is not a bound in general, and with saturation (ρ = 1.0 and 1.5 here, see the
    comparison with the README's figure) the true product is orders of magnitude below it.
    """
    import rnn
    rng = np.random.default_rng(0)
    T = 30
    xs = rng.normal(size=(T, 1)) * 0.1
    for rho in (0.5, 1.0, 1.5):
        model = rnn.RNN(1, 16, 1, rng=0)
        model.W.data = model.W.data * (rho / rnn.spectral_radius(model.W))
        states = [s.data for s in model.unroll(xs).states]
        J = jacobian_product(model.W.data, states, 1)
        norm_W = np.linalg.norm(model.W.data, 2)
        print(f"ρ = {rho}: ||∂s_T/∂s_1|| = {np.linalg.norm(J, 2):.1e}, ρ^(T-1) = "
              f"{rho ** (T - 1):.1e}, ||W||^(T-1) = {norm_W ** (T - 1):.1e}")
