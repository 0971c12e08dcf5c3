"""Reductions: sum, mean, max, min and logsumexp over ``axis`` (None, int or tuple)."""

import numpy as np

from minigrad import grad_mode
from minigrad.ops.arith import div, mul, sub
from minigrad.ops.base import kept_shape, norm_axis
from minigrad.ops.shape import broadcast_to, reshape
from minigrad.ops.unary import exp
from minigrad.tensor import const, record


def _spread(gy, x, axes):
    """dy of a reduction over ``axes`` copied back over x's shape."""
    return broadcast_to(reshape(gy, kept_shape(x.data.shape, axes)), x.data.shape)


def sum(x, axis=None, keepdims=False):
    """y = sum of x over ``axis``; dy/dx = 1 (dy is copied over the summed axes)."""
    axes = norm_axis(axis, x.data.ndim)
    y = x.data.sum(axis=axes, keepdims=keepdims)

    def backward(gy):
        return (_spread(gy, x, axes),)

    return record(y, "sum", (x,), backward)


def mean(x, axis=None, keepdims=False):
    """y = mean of x over ``axis``; dy/dx = 1/n for the n averaged elements."""
    axes = norm_axis(axis, x.data.ndim)
    y = x.data.mean(axis=axes, keepdims=keepdims)
    n = x.data.size // y.size if y.size else 1

    def backward(gy):
        return (div(_spread(gy, x, axes), n),)

    return record(y, "mean", (x,), backward)


def _extreme(x, axis, keepdims, fn, name):
    axes = norm_axis(axis, x.data.ndim)
    if x.data.size == 0:
        raise ValueError(f"{name}: cannot reduce an empty tensor of shape {x.shape}")
    yk = fn(x.data, axis=axes, keepdims=True)
    y = yk if keepdims else yk.reshape([n for i, n in enumerate(yk.shape) if i not in axes])

    def backward(gy):
        hit = x.data == yk
        share = hit / hit.sum(axis=axes, keepdims=True)
        return (mul(_spread(gy, x, axes), const(share.astype(x.data.dtype))),)

    return record(y, name, (x,), backward)


def max(x, axis=None, keepdims=False):
    """y = max of x over ``axis``; dy goes to the maxima, split evenly between ties."""
    return _extreme(x, axis, keepdims, np.max, "max")


def min(x, axis=None, keepdims=False):
    """y = min of x over ``axis``; dy goes to the minima, split evenly between ties."""
    return _extreme(x, axis, keepdims, np.min, "min")


def logsumexp(x, axis=None, keepdims=False):
    """y = log(sum(exp(x))) over ``axis``, shifted by the max so nothing overflows;
    dy/dx = softmax(x) = exp(x - m) / sum(exp(x - m))."""
    axes = norm_axis(axis, x.data.ndim)
    m = np.max(x.data, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(x.data - m)
    s = e.sum(axis=axes, keepdims=True)
    yk = np.log(s) + m
    y = yk if keepdims else yk.reshape([n for i, n in enumerate(yk.shape) if i not in axes])

    def backward(gy):
        if grad_mode.enabled:  # create_graph: softmax as a graph node of x
            p = exp(sub(x, logsumexp(x, axis, True)))
        else:  # e / s is exact even where y itself rounds (e.g. 1000 + log 2 in float32)
            p = const(e / s)
        return (mul(_spread(gy, x, axes), p),)

    return record(y, "logsumexp", (x,), backward)
