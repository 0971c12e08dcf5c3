"""Elementwise functions of one tensor: exp, sqrt, abs, tanh, sigmoid, relu, clip.

At kinks the derivative follows PyTorch: relu'(0) = 0, abs'(0) = 0, and ``clip`` passes the
gradient where ``lo <= x <= hi`` (bounds included).
"""

import numpy as np

from minigrad.ops.arith import div, mul, sub
from minigrad.ops.base import reuse
from minigrad.tensor import const, record


def exp(x):
    """y = exp(x); dy/dx = y."""
    y = np.exp(x.data)

    def backward(gy):
        return (mul(gy, reuse(y, exp, x)),)

    return record(y, "exp", (x,), backward)


def sqrt(x):
    """y = sqrt(x); dy/dx = 1 / (2 y)."""
    y = np.sqrt(x.data)

    def backward(gy):
        return (div(mul(gy, 0.5), reuse(y, sqrt, x)),)

    return record(y, "sqrt", (x,), backward)


def abs(x):
    """y = |x|; dy/dx = sign(x), taken as 0 at x = 0."""

    def backward(gy):
        return (mul(gy, const(np.sign(x.data))),)

    return record(np.abs(x.data), "abs", (x,), backward)


def _local_grad(gy, x, name, d, derivatives):
    """gx = gy * f'(x) as one node, with f'(x) = ``d`` already computed in NumPy from saved
    values, so a first-order backward of f costs one op.

    The node's own backward (second and higher orders) needs f' and f'' as graph nodes of x:
    ``derivatives(x)`` returns them. d(gx)/d(gy) = f'(x), d(gx)/dx = gy * f''(x)."""

    def backward(g):
        d1, d2 = derivatives(x)
        g_gy = mul(g, d1) if gy.requires_grad else None
        g_x = mul(mul(g, gy), d2) if x.requires_grad else None
        return g_gy, g_x

    return record(gy.data * d, name, (gy, x), backward)


def _tanh_derivatives(x):
    t = tanh(x)
    d1 = sub(1.0, mul(t, t))
    return d1, mul(d1, mul(t, -2.0))


def tanh(x):
    """y = tanh(x); dy/dx = 1 - y**2 (exactly 0 once tanh saturates at +-1);
    d2y/dx2 = -2 y (1 - y**2)."""
    y = np.tanh(x.data)

    def backward(gy):
        return (_local_grad(gy, x, "tanh_backward", 1 - y * y, _tanh_derivatives),)

    return record(y, "tanh", (x,), backward)


def _sigmoid(x):
    # exp of a non-positive number only: no overflow at +-1000 in float32 or float64.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _sigmoid_derivatives(x):
    s = sigmoid(x)
    d1 = mul(s, sub(1.0, s))
    return d1, mul(d1, sub(1.0, mul(s, 2.0)))


def sigmoid(x):
    """y = 1 / (1 + exp(-x)), computed without overflow; dy/dx = y (1 - y);
    d2y/dx2 = y (1 - y) (1 - 2y)."""
    y = _sigmoid(x.data)

    def backward(gy):
        return (_local_grad(gy, x, "sigmoid_backward", y * (1 - y), _sigmoid_derivatives),)

    return record(y, "sigmoid", (x,), backward)


def relu(x):
    """y = max(x, 0); dy/dx = 1 where x > 0, else 0 (0 at x = 0)."""
    y = np.maximum(x.data, 0)

    def backward(gy):
        return (mul(gy, const(x.data > 0)),)

    return record(y, "relu", (x,), backward)


def clip(x, lo=None, hi=None):
    """y = x limited to [lo, hi]; dy/dx = 1 where lo <= x <= hi, else 0."""
    if lo is None and hi is None:
        raise ValueError("clip: give at least one of lo and hi")
    y = np.clip(x.data, lo, hi)

    def backward(gy):
        inside = np.ones(x.data.shape, dtype=bool)
        if lo is not None:
            inside &= x.data >= lo
        if hi is not None:
            inside &= x.data <= hi
        return (mul(gy, const(inside)),)

    return record(y.astype(x.data.dtype, copy=False), "clip", (x,), backward)
