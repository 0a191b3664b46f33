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


def discussion_3():
    """Exercise 3: a diagonal W, and the echo task with 16 hidden units over 6000 steps.

    Answer. With W diagonal, SnAp-1's bias falls from 0.65 to 2e-16, and its alignment is
    1.0000: SnAp-1 becomes exact. D_t = diag(g') W is then diagonal, so D_t M_(t-1) never
    moves an entry off the pattern i = j, and M̄_t lives on it too: RTRL's influence matrix
    stays exactly on SnAp-1's sparsity pattern, and dropping the rest drops nothing.
    (TBPTT-4's bias also falls, to 5e-3, since a diagonal W with these weights forgets fast;
    UORO and RFLO stay biased or noisy.)
    Echo task, 16 units, 6000 steps, seed 0, mean loss over the last 500 steps: RTRL 0.491,
    TBPTT-9 0.494, SnAp-1 0.632, TBPTT-2 0.658, UORO 0.661. Against the levels (neither
    0.662, lag 3 only 0.519, both 0.454), RTRL and TBPTT-9 now get below "lag 3 only", so
    they use part of lag 8 as well, but none reaches "both" in 6000 steps; SnAp-1, UORO
    and TBPTT-2 stay near "neither". Measure before you conclude: these depend on the seed,
    the size and the length of training.
    """
    import minigrad as mg
    import rnn
    from rnn.online import train_online
    from rnn.online.echo import echo_data

    rng = np.random.default_rng(0)
    xs, ys = rng.normal(size=(12, 2)), rng.normal(size=(12, 1))
    model = rnn.RNN(input_size=2, hidden_size=4, output_size=1, rng=0)
    model.W.data = np.diag(np.diag(model.W.data))
    print(rnn.compare_online(model, xs, ys, rules=("rtrl", "snap-1", "uoro", "kf-rtrl",
                                                   "rflo", "tbptt-4"), seeds=range(16)))
    stream_x, stream_y, mask = echo_data(6000, batch=8, rng=0)
    for rule in ("rtrl", "snap-1", "uoro", "tbptt-2", "tbptt-9"):
        model = rnn.RNN(1, 16, 2, rng=0)
        run = train_online(model, stream_x, stream_y, rule,
                           mg.optim.Adam(model.parameters(), lr=0.01), loss="cross_entropy",
                           mask=mask, update_every=4, rng=0)
        print(f"{rule:8s} loss over the last 500 steps: {run.losses[-500:].mean():.3f}")
