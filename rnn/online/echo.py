"""The two-lag echo task, whose best losses are known in closed form.

From the TensorFlow-era RNN tutorials (R2RT, "Recurrent neural networks in
TensorFlow I", 2016).  Inputs are coin flips and the target echoes two of
them, at lags 3 and 8::

    X_t ~ Bernoulli(0.5),        P(Y_t = 1) = 0.5 + 0.5 X_{t-3} - 0.25 X_{t-8}

A model can only do as well as what it knows of the past.  The best
cross-entropy (in nats) of a predictor that knows

* neither lag:  H(E[p]) = H(0.625)                               ≈ 0.6616
* only X_{t-3}: E_{X_{t-3}} H(E[p | X_{t-3}])                    ≈ 0.5192
* both lags:    E H(p)                                           ≈ 0.4545

with H(p) = -p log p - (1 - p) log(1 - p).  :func:`echo_levels` computes
them by enumerating the four equally likely (X_{t-3}, X_{t-8}).  A model
whose loss settles at 0.66 has learnt nothing, at 0.52 the short lag only.

``rnn.tasks.EchoTask`` wraps it for ``rnn.train`` and ``bptt train --task echo``,
with these levels as the loss curve's lines.
"""

import numpy as np

__all__ = ["LAGS", "echo_probability", "echo_data", "echo_levels"]

LAGS = (3, 8)


def echo_probability(x_lag3, x_lag8):
    """P(Y_t = 1 | X_{t-3}, X_{t-8}) = 0.5 + 0.5 X_{t-3} - 0.25 X_{t-8}."""
    return 0.5 + 0.5 * np.asarray(x_lag3) - 0.25 * np.asarray(x_lag8)


def echo_data(T, batch=1, rng=None):
    """B streams of T steps: xs (T, B, 1) floats in {0, 1}, ys (T, B) classes in {0, 1},
    and the mask (T,) that drops the first 8 steps (their X_{t-8} came before the stream).

    >>> xs, ys, mask = echo_data(12, batch=2, rng=0)
    >>> xs.shape, ys.shape, mask.sum()
    ((12, 2, 1), (12, 2), np.int64(4))
    """
    rng = np.random.default_rng(rng)
    lag3, lag8 = LAGS
    X = rng.integers(0, 2, size=(T, batch))
    p = np.zeros((T, batch))
    p[lag8:] = echo_probability(X[lag8 - lag3:T - lag3], X[:T - lag8])
    Y = (rng.random((T, batch)) < p).astype(np.int64)
    return X[:, :, None].astype(np.float64), Y, np.arange(T) >= lag8


def _entropy(p):
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = -p * np.log(p) - (1 - p) * np.log(1 - p)
    return np.nan_to_num(terms)                       # 0 log 0 = 0


def echo_levels():
    """The three closed-form cross-entropies (nats), by enumeration.

    >>> {k: round(v, 4) for k, v in echo_levels().items()}
    {'neither': 0.6616, 'lag 3 only': 0.5192, 'both': 0.4545}
    """
    x3, x8 = np.meshgrid([0, 1], [0, 1], indexing="ij")     # four equally likely cases
    p = echo_probability(x3, x8)                              # p[x3, x8]
    return {"neither": float(_entropy(p.mean())),
            "lag 3 only": float(_entropy(p.mean(axis=1)).mean()),
            "both": float(_entropy(p).mean())}
