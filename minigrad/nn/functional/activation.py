"""Activations: relu, sigmoid, tanh, softmax and log_softmax (the core ops, which accept
arrays too), and leaky_relu.

softmax and log_softmax are fused ops built on the one max-shifted logsumexp of
``minigrad.ops.reduce``: no overflow for logits of any size.
"""

import numpy as np

from minigrad.public_ops import log_softmax, relu, sigmoid, softmax, tanh
from minigrad.tensor import as_tensor, record

__all__ = ["leaky_relu", "log_softmax", "relu", "sigmoid", "softmax", "tanh"]


def leaky_relu(x, negative_slope=0.01):
    """y = x where x > 0, else negative_slope * x; dy/dx = 1 or negative_slope (at 0)."""
    x = as_tensor(x)
    positive = x.data > 0
    y = np.where(positive, x.data, x.data * negative_slope).astype(x.data.dtype, copy=False)

    def backward(gy, x):
        return (gy * np.where(positive, 1.0, negative_slope).astype(gy.dtype),)

    return record(y, "leaky_relu", (x,), backward)
