"""Solutions to the exercises of notebook 05, learning online. Load one into a cell with
``%load solutions/05_learning_online.py`` once you have tried."""
import numpy as np


def rtrl_step(M_prev, gp, W, z):
    """M_t = D_t M_{t-1} + M̄_t, D_t = diag(g') W, M̄_t[i, j, k] = g'_i δ_ij z_k."""
    H = len(gp)
    carried = gp[:, None, None] * np.einsum("il,ljk->ijk", W, M_prev)
    immediate = np.eye(H)[:, :, None] * (gp[:, None] * z[None, :])[None, :, :]
    return carried + immediate


def snap1_step(J_prev, gp, W, z):
    """J_t[j, k] = g'_j W_jj J_{t-1}[j, k] + g'_j z_k (M_t kept where i = j)."""
    return (gp * np.diag(W))[:, None] * J_prev + gp[:, None] * z[None, :]
