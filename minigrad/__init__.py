"""minigrad: a small, fast, correct reverse-mode autodiff framework over NumPy arrays.

``import minigrad as mg`` needs NumPy only; optional packages (graphviz, matplotlib, tqdm)
are imported inside the functions that use them.
"""

from minigrad import viz
from minigrad.autograd import grad
from minigrad.creation import (
    arange,
    eye,
    full,
    linspace,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    zeros,
    zeros_like,
)
from minigrad.dtypes import get_default_dtype, set_default_dtype
from minigrad.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from minigrad.model_gradcheck import check_model_gradients
from minigrad.ops import cat, concatenate, stack
from minigrad.public_ops import (
    abs,
    clamp,
    clip,
    exp,
    log,
    logsumexp,
    matmul,
    maximum,
    minimum,
    mm,
    norm,
    prod,
    relu,
    sigmoid,
    sqrt,
    std,
    tanh,
    var,
    where,
)
from minigrad.random import manual_seed
from minigrad.serialization import load, save
from minigrad.tensor import Tensor, tensor

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Tensor",
    "abs",
    "arange",
    "cat",
    "check_model_gradients",
    "clamp",
    "clip",
    "concatenate",
    "enable_grad",
    "exp",
    "eye",
    "full",
    "get_default_dtype",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "is_grad_enabled",
    "linspace",
    "load",
    "log",
    "logsumexp",
    "manual_seed",
    "matmul",
    "maximum",
    "minimum",
    "mm",
    "no_grad",
    "norm",
    "numerical_grad",
    "ones",
    "ones_like",
    "prod",
    "rand",
    "randint",
    "randn",
    "relu",
    "save",
    "set_default_dtype",
    "set_grad_enabled",
    "sigmoid",
    "sqrt",
    "stack",
    "std",
    "tanh",
    "tensor",
    "var",
    "viz",
    "where",
    "zeros",
    "zeros_like",
]
