"""Activations: relu, leaky_relu, sigmoid, tanh (from the core ops), softmax, log_softmax.

softmax and log_softmax are fused, max-shifted ops: no overflow for logits of any size.
"""

import numpy as np

from minigrad import grad_mode
from minigrad.functions import relu, sigmoid, tanh
from minigrad.ops.base import norm_axis
from minigrad.tensor import as_tensor, record

__all__ = ["leaky_relu", "log_softmax", "relu", "sigmoid", "softmax", "tanh"]


def _shifted(x, axis):
    """x - max(x) along ``axis`` (a fresh array) and log(sum(exp(.))) of it, kept dims."""
    z = x - x.max(axis=axis, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=axis, keepdims=True))
    return z, lse


def softmax(x, axis=-1):
    """y = exp(x) / sum(exp(x)) along ``axis``, shifted by the max.

    dx = y * (dy - sum(dy * y, axis)).
    """
    x = as_tensor(x)
    axis = norm_axis(axis, x.data.ndim)
    z, lse = _shifted(x.data, axis)
    y = np.exp(z - lse)

    def backward(gy, x):
        s = softmax(x, axis) if grad_mode.enabled else y
        return (s * (gy - (gy * s).sum(axis=axis, keepdims=True)),)

    return record(y, "softmax", (x,), backward)


def log_softmax(x, axis=-1):
    """y = x - logsumexp(x) along ``axis``, shifted by the max.

    dx = dy - softmax(x) * sum(dy, axis).
    """
    x = as_tensor(x)
    axis = norm_axis(axis, x.data.ndim)
    z, lse = _shifted(x.data, axis)
    z -= lse

    def backward(gy, x):
        s = softmax(x, axis) if grad_mode.enabled else np.exp(z)
        return (gy - s * gy.sum(axis=axis, keepdims=True),)

    return record(z, "log_softmax", (x,), backward)


def leaky_relu(x, negative_slope=0.01):
    """y = x where x > 0, else negative_slope * x; dy/dx = 1 or negative_slope (at 0)."""
    x = as_tensor(x)
    positive = x.data > 0
    y = np.where(positive, x.data, x.data * negative_slope).astype(x.data.dtype, copy=False)

    def backward(gy, x):
        return (gy * np.where(positive, 1.0, negative_slope).astype(gy.dtype),)

    return record(y, "leaky_relu", (x,), backward)
