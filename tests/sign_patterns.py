"""The exact expectation of a rule that draws random signs (UORO, KF-RTRL): its
estimate averaged over every sign pattern it could draw, each equally likely."""

import itertools

import numpy as np


class ScriptedSigns:
    """Stands in for the random generator: hands the rule the signs it is given, one
    draw (``rng.choice([-1, 1], size)``) at a time."""

    def __init__(self, signs):
        self.signs = iter(signs)

    def choice(self, options, size):
        return np.array(next(self.signs), dtype=float).reshape(size)


def mean_over_every_sign_pattern(run, signs_per_draw, draws):
    """({name: mean of run(rng)[name]}, number of patterns) over all
    2^(signs_per_draw · draws) sign patterns; ``run`` takes the scripted generator
    and returns the rule's gradients by name."""
    per_draw = list(itertools.product([-1.0, 1.0], repeat=signs_per_draw))
    total, runs = None, 0
    for sequence in itertools.product(per_draw, repeat=draws):
        grads = run(ScriptedSigns(sequence))
        total = dict(grads) if total is None else {k: total[k] + grads[k] for k in total}
        runs += 1
    return {k: v / runs for k, v in total.items()}, runs
