"""Solutions to the exercises of notebook 04, truncated BPTT and a character RNN. Load
one into a cell with ``%load solutions/04_truncation_and_text.py`` once you have tried."""
import numpy as np


def tbptt_schedule(T, k1, k2):
    """TBPTT(k1, k2): an update every k1 steps (a shorter last block ends at T); its
    losses are the block's, its gradient flows through the last k2 steps."""
    updates = []
    for start in range(0, T, k1):
        end = min(start + k1, T)            # the block is start+1 .. end
        w = max(0, end - k2)                # the window is w+1 .. end
        updates.append(((start + 1, end), (w + 1, end)))
    return updates


def softmax_temperature(logits, temperature):
    """p = softmax(logits / τ), computed stably."""
    z = logits / temperature
    e = np.exp(z - z.max())
    return e / e.sum()


def clip_by_norm(grads, max_norm):
    """g ← g · max_norm / ||g|| when ||g|| > max_norm, ||g|| the norm of all gradients."""
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    scale = min(1.0, max_norm / norm)
    return {name: g * scale for name, g in grads.items()}


def torch_tbptt(cell, linear, xs, ys, k, lr):
    """TBPTT(k, k) in PyTorch: chunks of k steps, the state carried over and detached."""
    import torch

    optimizer = torch.optim.SGD([*cell.parameters(), *linear.parameters()], lr=lr)
    h = torch.zeros(1, cell.hidden_size, dtype=xs.dtype)          # s_0 = 0
    losses = []
    for start in range(0, len(xs), k):
        states, h = cell(xs[start:start + k], h)                  # this chunk's s_t
        loss = ((linear(states) - ys[start:start + k]) ** 2).sum()   # Σ_t ||o_t - y_t||²
        optimizer.zero_grad()
        loss.backward()                                           # back through this chunk only
        optimizer.step()
        h = h.detach()              # the cut: the next chunk starts from this value, not its graph
        losses.append(loss.item())
    return losses


# Exercise 4, the questions: one pass of the loop is one update of TBPTT(k, k), k1 = k2 = k:
# the chunk is both the block (its losses count) and the window (the gradient stops at its
# start, where detach() cut the graph). With k2 > k1 the gradient must reach back past the
# previous update's cut, so the window's earlier steps have to be run again from a state
# stored k2 steps back, with the current weights, as rnn.tbptt does; detach() alone only cuts.


def discussion_5(task):
    """Exercise 5: the echo task at delay 6, and the character model with k2 = 5.

    Run it in the notebook, after the echo task's cell: discussion_5(Echo(delay=6)).

    Answer (measured, seed 0, 1000 updates with k1 = 2; final loss, mean of the last 50):
    k2 = 2: 0.63, k2 = 4: 0.69, k2 = 6: 0.70 (the baseline of predicting 0 is 0.70, and a
    little below it comes from the first d steps, whose target is 0); k2 = 7: 0.012,
    k2 = 8: 0.012, k2 = 10: 0.007. The smallest k2 that learns is 7 = d + 1: the window of
    the update at step t covers t - k2 + 1 .. t, and the gradient of E_t must reach the copy
    that read x_(t-d), so t - d >= t - k2 + 1.
    The character model with k1 = 25, k2 = 5 ends at 2.22 nats per character (mean of the
    last 100 of 2500 updates), against 1.73 with k2 = 25: no, it does not reach the same
    level. The gradient of each character's loss reaches back at most 5 characters, so the
    network cannot learn to keep what it saw earlier (within a word, or across words),
    although the state itself still carries it.
    """
    import rnn

    for k2 in (2, 4, 6, 7, 8, 10):
        run = rnn.train(rnn.RNN(1, 16, 1, rng=0), task, k1=2, k2=k2, updates=1000,
                        progress=False)
        print(f"delay {task.delay}, k2 = {k2}: {np.mean(run.losses[-50:]):.3f} (baseline {task.baseline:.2f})")
    text = rnn.tasks.CharText(seq_len=25)
    for k2 in (25, 5):
        model = rnn.RNN(text.input_size, 64, text.output_size, rng=0)
        run = rnn.train(model, text, k1=25, k2=k2, updates=2500, progress=False)
        print(f"characters, k1 = 25, k2 = {k2}: {np.mean(run.losses[-100:]):.3f} nats")
