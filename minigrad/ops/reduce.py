"""Reductions over ``axis`` (None, int or tuple): sum, mean, max, min and logsumexp; and
softmax and log_softmax, which normalise along an axis with the same logsumexp.

Given a plain ndarray (as inside a first-order backward), each returns NumPy's result.
"""

from collections import namedtuple

import numpy as np

from minigrad.axes import kept_shape, normalized_axes, numpy_or_torch, reduce_args
from minigrad.ops.base import saved_output
from minigrad.ops.shape import broadcast_to, getitem, reshape
from minigrad.ops.unary import exp
from minigrad.tensor import Tensor, const, record

# What x.max(dim=d) and x.min(dim=d) return, as torch.return_types.max does
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _spread(gy, shape, axes):
    """dy of a reduction over ``axes`` copied back over the input's ``shape``."""
    return broadcast_to(gy.reshape(kept_shape(shape, axes)), shape)


def _drop(yk, axes):
    """A keepdims result with the reduced ``axes`` removed."""
    return yk.reshape([n for i, n in enumerate(yk.shape) if i not in axes])


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """y = sum of x over ``axis``; dy/dx = 1 (dy is copied over the summed axes).
    ``dim``/``keepdim`` are PyTorch's names for ``axis``/``keepdims``."""
    axis, keepdims = reduce_args("sum", axis, keepdims, dim, keepdim)
    if not isinstance(x, Tensor):
        return np.sum(x, axis=normalized_axes(axis, np.ndim(x)), keepdims=keepdims)
    shape = x.data.shape
    axes = normalized_axes(axis, len(shape))
    y = x.data.sum(axis=axes, keepdims=keepdims)

    def backward(gy, x):
        return (_spread(gy, shape, axes),)

    return record(y, "sum", (x,), backward)


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """y = mean of x over ``axis``; dy/dx = 1/n for the n averaged elements."""
    axis, keepdims = reduce_args("mean", axis, keepdims, dim, keepdim)
    if not isinstance(x, Tensor):
        return np.mean(x, axis=normalized_axes(axis, np.ndim(x)), keepdims=keepdims)
    shape = x.data.shape
    axes = normalized_axes(axis, len(shape))
    y = x.data.mean(axis=axes, keepdims=keepdims)
    n = x.data.size // y.size if y.size else 1

    def backward(gy, x):
        return (_spread(gy, shape, axes) / n,)

    return record(y, "mean", (x,), backward)


def _max_or_min(x, axis, keepdims, dim, keepdim, name):
    """``max`` or ``min`` (``name``), either spelling: NumPy's reduction, or with ``dim=``
    PyTorch's ``(values, indices)``."""
    fn, arg = (np.max, np.argmax) if name == "max" else (np.min, np.argmin)
    keepdims = numpy_or_torch(name, ("keepdims", "keepdim"), keepdims, keepdim, False)
    if dim is not None:
        return _along_dim(x, numpy_or_torch(name, ("axis", "dim"), axis, dim), keepdims, arg, name)
    if not isinstance(x, Tensor):
        return fn(x, axis=normalized_axes(axis, np.ndim(x)), keepdims=keepdims)
    x_data = x.data
    axes = normalized_axes(axis, x_data.ndim)
    if x_data.size == 0:
        raise ValueError(f"{name}: cannot reduce an empty tensor of shape {x.shape}")
    yk = fn(x_data, axis=axes, keepdims=True)

    def backward(gy, x):
        hit = x_data == yk
        share = (hit / hit.sum(axis=axes, keepdims=True)).astype(x_data.dtype)
        return (_spread(gy, x_data.shape, axes) * share,)

    return record(yk if keepdims else _drop(yk, axes), name, (x,), backward)


def _along_dim(x, dim, keepdim, arg, name):
    """PyTorch's ``x.max(dim)``/``x.min(dim)``: the values and their indices along ``dim``;
    dy goes to the one element the index names (the first among ties), as in PyTorch."""
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if not isinstance(dim, int) or data.size == 0:
        raise ValueError(f"{name}: dim must be one int and the tensor not empty, got {dim!r}")
    (axis,) = normalized_axes(dim, data.ndim)
    index = arg(data, axis=axis, keepdims=True)
    grid = list(np.indices(index.shape, sparse=True))
    grid[axis] = index
    values = getitem(x, tuple(grid))
    if not keepdim:
        index = index.squeeze(axis)
        values = reshape(values, index.shape)
    return ValuesIndices(values, const(index) if isinstance(x, Tensor) else index)


def max(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """y = max of x over ``axis``; dy goes to the maxima, split evenly between ties.

    With PyTorch's ``dim=`` (one int) it returns ``(values, indices)`` as PyTorch does, and
    dy goes to the first maximum only, as there.
    """
    return _max_or_min(x, axis, keepdims, dim, keepdim, "max")


def min(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """y = min of x over ``axis``; dy goes to the minima, split evenly between ties.

    With PyTorch's ``dim=`` (one int) it returns ``(values, indices)`` as PyTorch does, and
    dy goes to the first minimum only, as there.
    """
    return _max_or_min(x, axis, keepdims, dim, keepdim, "min")


def stable_logsumexp(x, axes):
    """The one numerically stable logsumexp, in parts, on an ndarray (reduced axes kept).

    Returns ``z = x - m``, ``lse = log(sum(exp(z)))`` and ``m``, the max over ``axes`` (0
    where it is not finite). Then logsumexp(x) = m + lse, log_softmax(x) = z - lse and
    softmax(x) = exp(z - lse): exp never overflows (z <= 0), and z - lse keeps the precision
    that x - logsumexp(x) loses for large x (1000 + log 2 rounds in float32).
    """
    m = np.max(x, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    z = x - m
    lse = np.log(np.exp(z).sum(axis=axes, keepdims=True))
    return z, lse, m


def logsumexp(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """y = log(sum(exp(x))) over ``axis``, computed without overflow;
    dy/dx = softmax(x) = exp(x - y)."""
    axis, keepdims = reduce_args("logsumexp", axis, keepdims, dim, keepdim)
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    axes = normalized_axes(axis, data.ndim)
    z, lse, m = stable_logsumexp(data, axes)
    yk = lse + m
    y = yk if keepdims else _drop(yk, axes)
    if not isinstance(x, Tensor):
        return y

    def backward(gy, x):
        p = saved_output(np.exp(z - lse), softmax, x, axes)
        return (_spread(gy, z.shape, axes) * p,)

    return record(y, "logsumexp", (x,), backward)


def softmax(x, axis=-1, *, dim=None):
    """y = exp(x) / sum(exp(x)) along ``axis`` (PyTorch: ``dim``), computed as
    exp(x - logsumexp(x)); dx = y * (dy - sum(dy * y, axis))."""
    axis = numpy_or_torch("softmax", ("axis", "dim"), axis, dim, -1)
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    axes = normalized_axes(axis, data.ndim)
    z, lse, _ = stable_logsumexp(data, axes)
    y = np.exp(z - lse)
    if not isinstance(x, Tensor):
        return y

    def backward(gy, x):
        s = saved_output(y, softmax, x, axes)
        return (s * (gy - (gy * s).sum(axis=axes, keepdims=True)),)

    return record(y, "softmax", (x,), backward)


def log_softmax(x, axis=-1, *, dim=None):
    """y = x - logsumexp(x) along ``axis`` (PyTorch: ``dim``);
    dx = dy - softmax(x) * sum(dy, axis)."""
    axis = numpy_or_torch("log_softmax", ("axis", "dim"), axis, dim, -1)
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    axes = normalized_axes(axis, data.ndim)
    z, lse, _ = stable_logsumexp(data, axes)
    y = z - lse
    if not isinstance(x, Tensor):
        return y

    def backward(gy, x):
        s = exp(saved_output(y, log_softmax, x, axes))
        return (gy - s * gy.sum(axis=axes, keepdims=True),)

    return record(y, "log_softmax", (x,), backward)
