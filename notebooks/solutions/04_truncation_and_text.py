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
