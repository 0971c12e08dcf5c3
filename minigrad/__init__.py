"""minigrad: a small, fast, correct reverse-mode autodiff framework over NumPy arrays.

`import minigrad as mg` needs NumPy only; optional packages (graphviz, matplotlib, tqdm)
are imported inside the functions that use them. Its functions are the ops of `minigrad.ops`
(see the table in `minigrad/public_ops.py`, which also makes them Tensor methods).
"""

import numpy as np

from minigrad import viz
from minigrad.autograd import grad
from minigrad.creation import (
    arange,
    eye,
    from_numpy,
    full,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    zeros,
    zeros_like,
)
from minigrad.dtypes import get_default_dtype, set_default_dtype
from minigrad.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from minigrad.model_gradcheck import check_model_gradients
from minigrad.ops import cat, concatenate, stack
from minigrad.precision import (
    get_float32_matmul_precision,
    matmul_backend,
    set_float32_matmul_precision,
)
from minigrad.public_ops import (
    abs,
    argmax,
    argmin,
    clamp,
    clip,
    exp,
    flatten,
    log,
    log_softmax,
    logsumexp,
    matmul,
    maximum,
    mean,
    minimum,
    mm,
    norm,
    permute,
    pow,
    prod,
    relu,
    reshape,
    sigmoid,
    softmax,
    sqrt,
    squeeze,
    std,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from minigrad.random import manual_seed
from minigrad.serialization import load, save
from minigrad.tensor import Tensor, is_tensor, tensor
from minigrad.tensor_methods import missing_attribute as __getattr__  # noqa: F401 (on a miss)

# NumPy's dtypes under the names PyTorch users type (torch.float32, torch.long)
float32, float64, int32, int64 = np.float32, np.float64, np.int32, np.int64
long = int64

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Tensor",
    "abs",
    "arange",
    "argmax",
    "argmin",
    "cat",
    "check_model_gradients",
    "clamp",
    "clip",
    "concatenate",
    "enable_grad",
    "exp",
    "eye",
    "flatten",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "get_default_dtype",
    "get_float32_matmul_precision",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "int32",
    "int64",
    "is_grad_enabled",
    "is_tensor",
    "linspace",
    "load",
    "log",
    "log_softmax",
    "logsumexp",
    "long",
    "manual_seed",
    "matmul_backend",
    "matmul",
    "maximum",
    "mean",
    "minimum",
    "mm",
    "no_grad",
    "norm",
    "numerical_grad",
    "ones",
    "ones_like",
    "permute",
    "pow",
    "prod",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "relu",
    "reshape",
    "save",
    "set_default_dtype",
    "set_float32_matmul_precision",
    "set_grad_enabled",
    "sigmoid",
    "softmax",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sum",
    "tanh",
    "tensor",
    "transpose",
    "unsqueeze",
    "var",
    "viz",
    "where",
    "zeros",
    "zeros_like",
]
