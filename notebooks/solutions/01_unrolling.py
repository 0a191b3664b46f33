"""Solutions to the exercises of notebook 01, unrolling. Load one into a cell with
``%load solutions/01_unrolling.py`` once you have tried it yourself."""
import numpy as np


def rnn_forward(params, xs):
    """s_t = tanh(U x_t + W s_{t-1}), s_0 = 0;  o_t = V s_t."""
    U, W, V = params["U"], params["W"], params["V"]
    s = np.zeros(W.shape[0])                 # s_0
    states, outputs = [], []
    for x in xs:                             # t = 1..T
        s = np.tanh(U @ x + W @ s)
        states.append(s)
        outputs.append(V @ s)
    return states, outputs


def sequence_loss(outputs, ys):
    """L = Σ_t ||o_t - y_t||²."""
    return float(np.sum((outputs - ys) ** 2))
