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
