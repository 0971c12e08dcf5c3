"""Reductions over `axis` (None, int or tuple): sum, mean, max, min, logsumexp, prod, var,
std and norm, argmax and argmin; and softmax and log_softmax, which normalise along an axis
with the same logsumexp.

Each op is its body (see `minigrad.ops.base`) or a composition of ops (prod, var, std, norm).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from minigrad.axes import kept_shape, normalized_axes, numpy_or_torch, reduce_args
from minigrad.ops.arith import div, mul, pow, sub
from minigrad.ops.base import saved_or_recomputed, unary
from minigrad.ops.shape import broadcast_to, concatenate, getitem, reshape, transpose
from minigrad.ops.unary import abs, exp, root_zero_grad_at_zero
from minigrad.tensor import Backward, Tensor, const

# What x.max(dim=d) and x.min(dim=d) return, as torch.return_types.max does
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _spread(gy: Any, shape: tuple[int, ...], axes: tuple[int, ...]) -> Any:
    """dy of a reduction over `axes` copied back over the input's `shape`."""
    return broadcast_to(gy.reshape(kept_shape(shape, axes)), shape)


def _drop(yk: Any, axes: tuple[int, ...]) -> Any:
    """A keepdims result with the reduced `axes` removed."""
    return yk.reshape([n for i, n in enumerate(yk.shape) if i not in axes])


@unary
def sum(
    x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
) -> tuple[Any, Backward]:
    """y = sum of x over `axis`; dy/dx = 1 (dy is copied over the summed axes).
    `dim`/`keepdim` are PyTorch's names for `axis`/`keepdims`."""
    axis, keepdims = reduce_args("sum", axis, keepdims, dim, keepdim)
    shape = x.shape
    axes = normalized_axes(axis, len(shape))

    def backward(gy: Any, x: Any) -> tuple[Any]:
        return (_spread(gy, shape, axes),)

    return x.data.sum(axis=axes, keepdims=keepdims), backward


@unary
def mean(
    x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
) -> tuple[Any, Backward]:
    """y = mean of x over `axis`; dy/dx = 1/n for the n averaged elements."""
    axis, keepdims = reduce_args("mean", axis, keepdims, dim, keepdim)
    shape = x.shape
    axes = normalized_axes(axis, len(shape))
    y = x.data.mean(axis=axes, keepdims=keepdims)
    n = x.data.size // np.size(y) if np.size(y) else 1

    def backward(gy: Any, x: Any) -> tuple[Any]:
        return (_spread(gy, shape, axes) / n,)

    return y, backward


def max(
    x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """y = max of x over `axis`; dy goes to the maxima, split evenly between ties.

    With PyTorch's `dim=` (one int) it returns `(values, indices)` as PyTorch does, and
    dy goes to the first maximum only, as there.
    """
    keepdims = numpy_or_torch("max", ("keepdims", "keepdim"), keepdims, keepdim, False)
    if dim is not None:
        axis = numpy_or_torch("max", ("axis", "dim"), axis, dim)
        return _along_dim(x, axis, keepdims, np.argmax, "max")
    return _max(x, axis, keepdims)


def min(
    x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """y = min of x over `axis`; dy goes to the minima, split evenly between ties.

    With PyTorch's `dim=` (one int) it returns `(values, indices)` as PyTorch does, and
    dy goes to the first minimum only, as there.
    """
    keepdims = numpy_or_torch("min", ("keepdims", "keepdim"), keepdims, keepdim, False)
    if dim is not None:
        axis = numpy_or_torch("min", ("axis", "dim"), axis, dim)
        return _along_dim(x, axis, keepdims, np.argmin, "min")
    return _min(x, axis, keepdims)


def amax(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """The max over `dim`, PyTorch's `amax`: the values only, ties sharing dy."""
    return max(x, dim, keepdim)


def amin(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """The min over `dim`, PyTorch's `amin`: the values only, ties sharing dy."""
    return min(x, dim, keepdim)


@unary
def _max(x: Tensor, axis: Any, keepdims: bool) -> tuple[Any, Backward]:
    """y = max of x over `axis`; dy goes to the maxima, split evenly between ties."""
    return _extremum(x, axis, keepdims, np.max, "max")


@unary
def _min(x: Tensor, axis: Any, keepdims: bool) -> tuple[Any, Backward]:
    """y = min of x over `axis`; dy goes to the minima, split evenly between ties."""
    return _extremum(x, axis, keepdims, np.min, "min")


def _extremum(x: Tensor, axis: Any, keepdims: bool, fn: Any, name: str) -> tuple[Any, Backward]:
    """The body of `max` or `min` (`fn`, `name`): dy goes to the elements equal to the
    result, split evenly between ties."""
    x_data = x.data
    axes = normalized_axes(axis, x_data.ndim)
    if x_data.size == 0:
        raise ValueError(f"{name}: cannot reduce an empty tensor of shape {x.shape}")
    yk = fn(x_data, axis=axes, keepdims=True)

    def backward(gy: Any, x: Any) -> tuple[Any]:
        hit = x_data == yk
        share = (hit / hit.sum(axis=axes, keepdims=True)).astype(x_data.dtype)
        return (_spread(gy, x_data.shape, axes) * share,)

    return yk if keepdims else _drop(yk, axes), backward


def _along_dim(x: Any, dim: Any, keepdim: bool, arg: Any, name: str) -> ValuesIndices:
    """PyTorch's `x.max(dim)`/`x.min(dim)`: the values and their indices along `dim`;
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


def argmax(
    x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """Indices of the maxima along `axis` (of the flattened tensor if None), as an int64
    tensor that carries no graph; the first one among ties."""
    axis, keepdims = reduce_args("argmax", axis, keepdims, dim, keepdim)
    return const(np.asarray(np.argmax(np.asarray(x), axis=axis, keepdims=keepdims), np.int64))


def argmin(
    x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """Indices of the minima along `axis`, as `argmax`."""
    axis, keepdims = reduce_args("argmin", axis, keepdims, dim, keepdim)
    return const(np.asarray(np.argmin(np.asarray(x), axis=axis, keepdims=keepdims), np.int64))


def stable_logsumexp(x: np.ndarray, axes: tuple[int, ...]) -> tuple[Any, Any, Any]:
    """The one numerically stable logsumexp, in parts, on an ndarray (reduced axes kept).

    Returns `z = x - m`, `lse = log(sum(exp(z)))` and `m`, the max over `axes` (0
    where it is not finite). Then logsumexp(x) = m + lse, log_softmax(x) = z - lse and
    softmax(x) = exp(z - lse): exp never overflows (z <= 0), and z - lse keeps the precision
    that x - logsumexp(x) loses for large x (1000 + log 2 rounds in float32).
    """
    m = np.max(x, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    z = x - m
    lse = np.log(np.exp(z).sum(axis=axes, keepdims=True))
    return z, lse, m


@unary
def logsumexp(
    x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
) -> tuple[Any, Backward]:
    """y = log(sum(exp(x))) over `axis`, computed without overflow;
    dy/dx = softmax(x) = exp(x - y)."""
    axis, keepdims = reduce_args("logsumexp", axis, keepdims, dim, keepdim)
    axes = normalized_axes(axis, x.ndim)
    z, lse, m = stable_logsumexp(x.data, axes)
    yk = lse + m

    def backward(gy: Any, x: Any) -> tuple[Any]:
        p = saved_or_recomputed(np.exp(z - lse), softmax, x, axes)
        return (_spread(gy, z.shape, axes) * p,)

    return yk if keepdims else _drop(yk, axes), backward


@unary
def softmax(x: Tensor, axis: Any = -1, *, dim: Any = None) -> tuple[Any, Backward]:
    """y = exp(x) / sum(exp(x)) along `axis` (PyTorch: `dim`), computed as
    exp(x - logsumexp(x)); dx = y * (dy - sum(dy * y, axis))."""
    axis = numpy_or_torch("softmax", ("axis", "dim"), axis, dim, -1)
    axes = normalized_axes(axis, x.ndim)
    z, lse, _ = stable_logsumexp(x.data, axes)
    y = np.exp(z - lse)

    def backward(gy: Any, x: Any) -> tuple[Any]:
        s = saved_or_recomputed(y, softmax, x, axes)
        return (s * (gy - (gy * s).sum(axis=axes, keepdims=True)),)

    return y, backward


@unary
def log_softmax(x: Tensor, axis: Any = -1, *, dim: Any = None) -> tuple[Any, Backward]:
    """y = x - logsumexp(x) along `axis` (PyTorch: `dim`);
    dx = dy - softmax(x) * sum(dy, axis)."""
    axis = numpy_or_torch("log_softmax", ("axis", "dim"), axis, dim, -1)
    axes = normalized_axes(axis, x.ndim)
    z, lse, _ = stable_logsumexp(x.data, axes)
    y = z - lse

    def backward(gy: Any, x: Any) -> tuple[Any]:
        s = exp(saved_or_recomputed(y, log_softmax, x, axes))
        return (gy - s * gy.sum(axis=axes, keepdims=True),)

    return y, backward


def prod(
    x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """y = product of x over `axis`; dy/dx_i = product of the other elements.

    Computed as a tree of pairwise products (the reduced elements moved to a last axis,
    its halves multiplied until one is left), so the gradient never divides by x: it is
    exact where x holds zeros, as PyTorch's, and differentiable to any order.
    """
    axis, keepdims = reduce_args("prod", axis, keepdims, dim, keepdim)
    if not isinstance(x, Tensor):
        return np.prod(x, axis=normalized_axes(axis, np.ndim(x)), keepdims=keepdims)
    shape = x.data.shape
    axes = normalized_axes(axis, len(shape))
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    n = int(np.prod([shape[i] for i in axes]))
    y = reshape(transpose(x, kept + axes), tuple(shape[i] for i in kept) + (n,))
    if n == 0:
        y = sum(y, -1, keepdims=True) + 1  # the empty product; its gradient has no elements
    while y.shape[-1] > 1:
        half = y.shape[-1] // 2
        pairs = mul(y[..., :half], y[..., half : 2 * half])
        y = concatenate([pairs, y[..., 2 * half :]], -1) if y.shape[-1] % 2 else pairs
    return reshape(y, kept_shape(shape, axes) if keepdims else y.shape[:-1])


def var(
    x: Any,
    axis: Any = None,
    unbiased: bool | None = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: Any = None,
    correction: int | None = None,
    ddof: int | None = None,
) -> Any:
    """y = sum((x - mean(x))**2) / (n - correction) over `axis`, n the number of elements
    reduced; dy/dx = 2 (x - mean(x)) / (n - correction).

    PyTorch's default, the unbiased estimate (correction = 1), which NumPy's `np.var` does
    not take (ddof = 0): `unbiased=False`, `correction=0` or NumPy's name `ddof=0`
    give the population variance. A bool in place of `axis` is `unbiased`, as in
    PyTorch's `x.var(False)`. With n <= correction the estimate is undefined: PyTorch
    returns NaN, minigrad raises a ValueError.
    """
    if isinstance(axis, bool):
        axis, unbiased = None, axis
    axis, keepdims = reduce_args("var", axis, keepdims, dim, keepdim)
    correction = numpy_or_torch("var", ("ddof", "correction"), ddof, correction)
    if unbiased is not None and correction is not None:
        raise TypeError("var: give unbiased or correction (ddof), not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    axes = normalized_axes(axis, data.ndim)
    n = int(np.prod([data.shape[i] for i in axes]))
    if n - correction <= 0:
        raise ValueError(
            f"var: {n} element(s) over axis {axis} with correction={correction} leave no "
            "degrees of freedom (PyTorch would give NaN); pass unbiased=False (correction=0) "
            "for the population variance, or reduce over more elements"
        )
    d = sub(x, mean(x, axes, keepdims=True))
    return div(sum(mul(d, d), axes, keepdims), n - correction)


def std(
    x: Any,
    axis: Any = None,
    unbiased: bool | None = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: Any = None,
    correction: int | None = None,
    ddof: int | None = None,
) -> Any:
    """y = sqrt(var(x)) over `axis` (the same arguments and default as `var`: unbiased);
    dy/dx = (x - mean(x)) / ((n - correction) y), taken as 0 where y = 0, as PyTorch."""
    v = var(x, axis, unbiased, keepdims, dim=dim, keepdim=keepdim, correction=correction, ddof=ddof)
    return root_zero_grad_at_zero(v, 2)


def norm(
    x: Any,
    p: Any = "fro",
    dim: Any = None,
    keepdim: Any = None,
    *,
    axis: Any = None,
    keepdims: bool = False,
) -> Any:
    """The p-norm of x over `dim` (all elements by default), PyTorch's `x.norm()`.

    p = 2 or "fro": y = sqrt(sum(x**2)), dy/dx = x / y; p = 1: y = sum(|x|), dy/dx =
    sign(x); p = inf: y = max(|x|), dy goes to the largest |x| (split between ties);
    other p >= 1: y = sum(|x|**p) ** (1/p), dy/dx = sign(x) |x|**(p-1) / y**(p-1). The
    gradient is 0 where the norm is 0, as in PyTorch. `axis`/`keepdims` are NumPy's
    names for `dim`/`keepdim`.
    """
    axis, keepdims = reduce_args("norm", axis, keepdims, dim, keepdim)
    if p == "fro":
        p = 2
    if isinstance(p, str) or not p >= 1:
        raise ValueError(f"norm: p must be 'fro', a number >= 1 or inf, got {p!r}")
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    axes = normalized_axes(axis, data.ndim)
    if p == np.inf:
        return max(abs(x), axes, keepdims)
    if p == 1:
        return sum(abs(x), axes, keepdims)
    if p == 2:
        return root_zero_grad_at_zero(sum(mul(x, x), axes, keepdims), 2)
    return root_zero_grad_at_zero(sum(pow(abs(x), float(p)), axes, keepdims), p)
