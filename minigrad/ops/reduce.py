"""Reductions: sum, mean, max, min and logsumexp over ``axis`` (None, int or tuple).

Given a plain ndarray (as inside a first-order backward), each returns NumPy's result.
"""

import numpy as np

from minigrad import grad_mode
from minigrad.ops.base import kept_shape, norm_axis
from minigrad.ops.shape import broadcast_to
from minigrad.ops.unary import exp
from minigrad.tensor import Tensor, record


def _spread(gy, shape, axes):
    """dy of a reduction over ``axes`` copied back over the input's ``shape``."""
    return broadcast_to(gy.reshape(kept_shape(shape, axes)), shape)


def _drop(yk, axes):
    """A keepdims result with the reduced ``axes`` removed."""
    return yk.reshape([n for i, n in enumerate(yk.shape) if i not in axes])


def sum(x, axis=None, keepdims=False):
    """y = sum of x over ``axis``; dy/dx = 1 (dy is copied over the summed axes)."""
    if not isinstance(x, Tensor):
        return np.sum(x, axis=norm_axis(axis, np.ndim(x)), keepdims=keepdims)
    shape = x.data.shape
    axes = norm_axis(axis, len(shape))
    y = x.data.sum(axis=axes, keepdims=keepdims)

    def backward(gy, x):
        return (_spread(gy, shape, axes),)

    return record(y, "sum", (x,), backward)


def mean(x, axis=None, keepdims=False):
    """y = mean of x over ``axis``; dy/dx = 1/n for the n averaged elements."""
    if not isinstance(x, Tensor):
        return np.mean(x, axis=norm_axis(axis, np.ndim(x)), keepdims=keepdims)
    shape = x.data.shape
    axes = norm_axis(axis, len(shape))
    y = x.data.mean(axis=axes, keepdims=keepdims)
    n = x.data.size // y.size if y.size else 1

    def backward(gy, x):
        return (_spread(gy, shape, axes) / n,)

    return record(y, "mean", (x,), backward)


def _extreme(x, axis, keepdims, fn, name):
    if not isinstance(x, Tensor):
        return fn(x, axis=norm_axis(axis, np.ndim(x)), keepdims=keepdims)
    x_data = x.data
    axes = norm_axis(axis, x_data.ndim)
    if x_data.size == 0:
        raise ValueError(f"{name}: cannot reduce an empty tensor of shape {x.shape}")
    yk = fn(x_data, axis=axes, keepdims=True)

    def backward(gy, x):
        hit = x_data == yk
        share = (hit / hit.sum(axis=axes, keepdims=True)).astype(x_data.dtype)
        return (_spread(gy, x_data.shape, axes) * share,)

    return record(yk if keepdims else _drop(yk, axes), name, (x,), backward)


def max(x, axis=None, keepdims=False):
    """y = max of x over ``axis``; dy goes to the maxima, split evenly between ties."""
    return _extreme(x, axis, keepdims, np.max, "max")


def min(x, axis=None, keepdims=False):
    """y = min of x over ``axis``; dy goes to the minima, split evenly between ties."""
    return _extreme(x, axis, keepdims, np.min, "min")


def _logsumexp(x, axes):
    """log(sum(exp(x))) over ``axes`` (kept dims), shifted by the max m, with exp(x - m)
    and its sum (softmax(x) is their ratio)."""
    m = np.max(x, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(x - m)
    s = e.sum(axis=axes, keepdims=True)
    return np.log(s) + m, e, s


def logsumexp(x, axis=None, keepdims=False):
    """y = log(sum(exp(x))) over ``axis``, shifted by the max so nothing overflows;
    dy/dx = softmax(x) = exp(x - m) / sum(exp(x - m))."""
    if not isinstance(x, Tensor):
        axes = norm_axis(axis, np.ndim(x))
        yk = _logsumexp(x, axes)[0]
        return yk if keepdims else _drop(yk, axes)
    shape = x.data.shape
    axes = norm_axis(axis, len(shape))
    yk, e, s = _logsumexp(x.data, axes)

    def backward(gy, x):
        if grad_mode.enabled:  # create_graph: softmax as a graph node of x
            p = exp(x - logsumexp(x, axis, True))
        else:  # e / s is exact even where y itself rounds (e.g. 1000 + log 2 in float32)
            p = e / s
        return (_spread(gy, shape, axes) * p,)

    return record(yk if keepdims else _drop(yk, axes), "logsumexp", (x,), backward)
