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
