"""Where the time axis is: time-major (the default) or batch-first.

Every function that takes a sequence takes ``batch_first``, exactly as
PyTorch's ``nn.RNN`` does:

    batch_first=False   xs (T, B, D),  ys (T, B, O) or class targets (T, B)
    batch_first=True    xs (B, T, D),  ys (B, T, O) or class targets (B, T)

One unbatched sequence, xs (T, D) and ys (T, O) or (T,), reads the same
either way (PyTorch ignores ``batch_first`` for it too).  Inside, everything
runs time-major: batch-first arrays are transposed once, on the way in, so
a batch-first call gives exactly the numbers of the time-major call on the
transposed arrays.  Errors about the time axis say which layout they assumed.

>>> import numpy as np
>>> from rnn import layout
>>> print(layout.describe((3, 7, 2), batch_first=False))
xs has shape (3, 7, 2); with batch_first=False the time axis is axis 0 (T=3) and the
batch axis is axis 1 (B=7); pass batch_first=True if your batch comes first
>>> layout.to_time_major(np.zeros((7, 3, 2)), batched=True, batch_first=True).shape
(3, 7, 2)
"""

from __future__ import annotations

import numpy as np

__all__ = ["time_axis", "to_time_major", "given_shape", "describe", "fix"]


def time_axis(batched, batch_first):
    """The axis that holds time: 1 for a batch-first batch, else 0."""
    return 1 if batched and batch_first else 0


def to_time_major(array, batched, batch_first):
    """A batch-first batch (B, T, ...) as (T, B, ...) (a view); anything else as it is."""
    return np.swapaxes(array, 0, 1) if batched and batch_first else array


def given_shape(time_major_shape, batch_first):
    """The shape the caller gave, from the time-major shape (the inverse of the transpose)."""
    shape = tuple(time_major_shape)
    return (shape[1], shape[0]) + shape[2:] if len(shape) == 3 and batch_first else shape


def fix(batch_first):
    """The other layout, as advice."""
    return ("pass batch_first=False if your time axis comes first" if batch_first else
            "pass batch_first=True if your batch comes first")


def describe(shape, batch_first, name="xs"):
    """Where ``name``'s time (and batch) axis is, as the caller gave the array, and the fix."""
    shape = tuple(shape)
    if len(shape) == 3:
        t = time_axis(True, batch_first)
        return (f"{name} has shape {shape}; with batch_first={batch_first} the time axis is "
                f"axis {t} (T={shape[t]}) and the batch axis is axis {1 - t} "
                f"(B={shape[1 - t]}); {fix(batch_first)}")
    if len(shape) == 2:
        return (f"{name} has shape {shape}: one unbatched sequence, time on axis 0 "
                f"(T={shape[0]}) whatever batch_first says")
    return (f"{name} has shape {shape}; with batch_first={batch_first} it must be "
            f"{'(B, T, D)' if batch_first else '(T, B, D)'}, or (T, D) for one unbatched "
            f"sequence")
