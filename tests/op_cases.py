"""What the op tests share: shapes to draw, inputs suited to each op, and the ops.

Used by test_ops_gradcheck.py (reverse mode) and test_forward_mode.py (forward
mode), so the two check the same ops on the same kinds of input.
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
two_broadcasting = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                     max_side=3)


def values(rng, shape, domain="real"):
    """float64 values suited to an op: "real", "positive" (log, sqrt, pow's base, divisors)
    or "nonzero" (abs and relu away from their kink)."""
    if domain == "real":
        return rng.standard_normal(shape)
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "nonzero":
        return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    raise ValueError(domain)


# name: (function, domain of a, domain of b)
BINARY = {
    "add": (lambda a, b: a + b, "real", "real"),
    "sub": (lambda a, b: a - b, "real", "real"),
    "mul": (lambda a, b: a * b, "real", "real"),
    "div": (lambda a, b: a / b, "real", "positive"),
    "pow": (lambda a, b: a ** b, "positive", "real"),
}

# name: (function, domain)
UNARY = {
    "neg": (lambda a: -a, "real"),
    "exp": (mg.exp, "real"),
    "log": (mg.log, "positive"),
    "sqrt": (mg.sqrt, "positive"),
    "abs": (mg.abs, "nonzero"),
    "tanh": (mg.tanh, "real"),
    "sigmoid": (mg.sigmoid, "real"),
    "relu": (mg.relu, "nonzero"),
    "transpose": (lambda a: a.T, "real"),
    "astype": (lambda a: a.astype(np.float64) * 1.0, "real"),
}
