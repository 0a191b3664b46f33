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


def discussion_3():
    """Exercise 3: which copies contribute most to dL/dW at T = 12?

    Answer. Copy 1's term is always exactly zero: it is δ_1 s_0ᵀ and s_0 = 0. Beyond that
    there is no steady trend on this model (seed 0): the sizes go up and down with the data,
    e.g. 0.034, 0.39, 0.11, 0.84, ... 0.33 for t = 2 .. 12. A copy's term δ_t s_(t-1)ᵀ is
    large when the state entering it and its error δ_t are. δ_t collects the errors of step t
    and of every later step, each carried back through the product of Jacobians
    diag(1 - s_k²) W; with ρ(W) ≈ 0.89 here, an error from many steps later arrives faded, so
    each copy is driven mostly by its own and the next few steps' errors. Notebook 3 makes
    this fading the subject: with a smaller ρ(W) the early copies hear almost nothing from the
    late costs, with a larger one (before saturation) they hear more.
    """
    import rnn
    model = rnn.RNN(input_size=2, hidden_size=3, output_size=1, bias=False, rng=0)
    rng = np.random.default_rng(0)
    T = 12
    xs, ys = rng.normal(size=(T, 2)), rng.normal(size=(T, 1))
    result = rnn.bptt(model, xs, ys, contributions=True)
    for step, term in result.contributions["W"].items():
        print(f"{step:5s} ||term of dL/dW|| = {np.linalg.norm(term):.3f}")
    print(f"spectral radius of W: {rnn.spectral_radius(model.W):.2f}")
