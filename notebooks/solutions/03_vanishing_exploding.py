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
