"""The errors minigrad raises.  Each message says what happened, where, and the fix."""


class ShapeError(ValueError):
    """An op got inputs whose shapes don't fit together."""


class BackwardError(RuntimeError):
    """``backward()`` cannot run."""


class AnomalyError(FloatingPointError):
    """Raised inside ``detect_anomaly()`` by the first op that makes a NaN or inf."""


class GradcheckError(AssertionError):
    """Autograd and finite differences disagree, or a checked input is not
    behind the output at all; ``.report`` has the details."""

    def __init__(self, report):
        super().__init__(str(report))
        self.report = report
