"""minigrad: a small reverse-mode autodiff engine over NumPy arrays.

Tensors record the operations that made them; ``backward()`` walks that
record in reverse and applies the chain rule.  Read it in this order:

1. ``tensor.py``     the Tensor: data plus the record of the op that made it
2. ``graph.py``      the record (``Node``) and the reverse walk (``backward``)
3. ``ops.py``        every primitive op: its forward, its backward (vjp) and its jvp side by side
4. ``functional.py`` linear, softmax, losses: each one op with its own backward
5. ``nn.py``, ``optim.py``, ``gradcheck.py``
6. ``forward.py``    forward mode: ``jvp`` pushes a tangent through the same record

>>> import minigrad as mg
>>> x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
array([2., 4., 6.])
"""

from . import graph  # noqa: F401, I001  (graph before tensor: tensor.py builds on it)
from .tensor import Detached, Tensor, arange, eye, ones, randn, tensor, zeros
from .errors import AnomalyError, BackwardError, GradcheckError, ShapeError
from .graph import (Node, contributions, current_scope, detect_anomaly, enable_grad,
                    is_grad_enabled, keep_values, no_grad, scope)
from .ops import (abs, add, as_tensor, astype, concat, div, exp, getitem, log, matmul, max,
                  mean, mul, neg, pow, relu, reshape, sigmoid, sqrt, stack, sub, sum, tanh,
                  transpose, unbind)
from .functional import cross_entropy, linear, log_softmax, mse_loss, softmax
from .gradcheck import GradcheckReport, gradcheck
from .forward import Linearized, jvp, linearize
from . import nn, optim

__version__ = "0.1.0"

__all__ = [
    "Tensor", "Detached", "tensor", "zeros", "ones", "randn", "arange", "eye", "as_tensor",
    "Node", "no_grad", "enable_grad", "is_grad_enabled", "scope", "current_scope",
    "detect_anomaly", "keep_values", "contributions",
    "add", "sub", "mul", "div", "pow", "neg", "matmul", "exp", "log", "sqrt", "abs",
    "tanh", "sigmoid", "relu", "sum", "mean", "max", "reshape", "transpose", "getitem",
    "concat", "stack", "unbind", "astype",
    "linear", "softmax", "log_softmax", "cross_entropy", "mse_loss",
    "gradcheck", "GradcheckReport",
    "jvp", "linearize", "Linearized",
    "ShapeError", "BackwardError", "AnomalyError", "GradcheckError",
    "nn", "optim",
]
