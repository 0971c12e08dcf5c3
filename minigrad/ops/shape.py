"""Ops that move or select elements: reshape, transpose, broadcast, index, join, astype; and
PyTorch's spellings of them (`flatten`, `unsqueeze`, `squeeze`, `permute`, `t`, `expand`,
`repeat`), written with them.

Each op is its body (see `minigrad.ops.base`): the forward in NumPy, the backward closure
beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad.axes import normalized_axes, numpy_or_torch, sum_to, summed_axes
from minigrad.ops.base import unary
from minigrad.tensor import Backward, Tensor, const, record

__all__ = [
    "astype",
    "broadcast_to",
    "cat",
    "concatenate",
    "expand",
    "flatten",
    "getitem",
    "index_add",
    "permute",
    "repeat",
    "reshape",
    "squeeze",
    "stack",
    "sum_to",
    "summed_axes",
    "swap_last",
    "t",
    "transpose",
    "unsqueeze",
]


def _shape_arg(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """`f(2, 3)` and `f((2, 3))` alike: the shape or axes as one tuple."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], tuple | list) else args


@unary
def reshape(x: Tensor, *shape: Any) -> tuple[np.ndarray, Backward]:
    """y = x with a new shape of the same size (`reshape(x, 2, 3)` or `(2, 3)`);
    dx = dy reshaped back."""
    x_shape, shape = x.shape, _shape_arg(shape)
    try:
        y = x.data.reshape(shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape shape {x_shape} into {shape}") from None

    def backward(gy: Any, x: Any) -> tuple[Any]:
        return (gy.reshape(x_shape),)

    return y, backward


view = reshape  # PyTorch's name (minigrad does not share storage between views)


@unary
def transpose(x: Tensor, *axes: Any) -> tuple[np.ndarray, Backward]:
    """y = x with its axes permuted; dx = dy permuted back.

    `transpose(x)` reverses the axes (`.T`); `transpose(x, a, b)` swaps axes a and b, as
    PyTorch does; `transpose(x, (2, 0, 1))` is the permutation, as NumPy's `axes`.
    """
    ndim = x.ndim
    if len(axes) == 2 and all(isinstance(a, int) for a in axes):
        order = list(range(ndim))
        a, b = normalized_axes(axes, ndim) if axes[0] != axes[1] else axes[:1] * 2
        order[a], order[b] = order[b], order[a]
        axes = tuple(order)
    elif not axes or axes == (None,):
        axes = tuple(range(ndim - 1, -1, -1))
    else:
        axes = _shape_arg(axes)
    back = tuple(np.argsort(axes).tolist())

    def backward(gy: Any, x: Any) -> tuple[Any]:
        return (gy.transpose(back),)

    return x.data.transpose(axes), backward


def permute(x: Any, *axes: Any) -> Any:
    """The axes reordered: output axis i is input axis `axes[i]` (`permute(x, 2, 0, 1)` or
    `permute(x, (2, 0, 1))`)."""
    axes, ndim = _shape_arg(axes), np.ndim(x)
    if sorted(a % max(ndim, 1) for a in axes) != list(range(ndim)):
        raise ValueError(
            f"permute: {axes} is not a permutation of the {ndim} axes of a tensor of shape "
            f"{np.shape(x)}"
        )
    return transpose(x, axes)


def t(x: Any) -> Any:
    """The transpose of a matrix (a vector or a scalar as it is), PyTorch's `t()`."""
    if np.ndim(x) > 2:
        raise ValueError(
            f"t: expects at most 2 dims, got shape {np.shape(x)}; use transpose(a, b) or "
            "permute(...) for more"
        )
    return transpose(x)


def swap_last(x: Any) -> Any:
    """Swap the last two axes (the matrix transpose of a batch of matrices)."""
    n = np.ndim(x)
    return x.transpose(tuple(range(n - 2)) + (n - 1, n - 2))


@unary
def broadcast_to(x: Tensor, shape: tuple[int, ...]) -> tuple[np.ndarray, Backward]:
    """y = x repeated along broadcast axes; dx = dy summed back to x's shape."""
    x_shape = x.shape

    def backward(gy: Any, x: Any) -> tuple[Any]:
        return (sum_to(gy, x_shape),)

    return np.broadcast_to(x.data, shape), backward


def flatten(
    x: Any, start_axis: int = 0, end_axis: int = -1, *, start_dim: Any = None, end_dim: Any = None
) -> Any:
    """Merge the axes `start_axis` to `end_axis` (PyTorch: `start_dim`, `end_dim`) into one:
    (N, C, H, W) -> (N, C*H*W) for `start_axis=1`."""
    start = numpy_or_torch("flatten", ("start_axis", "start_dim"), start_axis, start_dim, 0)
    end = numpy_or_torch("flatten", ("end_axis", "end_dim"), end_axis, end_dim, -1)
    shape = np.shape(x)
    if not shape:
        return reshape(x, 1)
    start, end = (a % len(shape) for a in (start, end))
    return reshape(x, shape[:start] + (-1,) + shape[end + 1 :])


def unsqueeze(x: Any, dim: int) -> Any:
    """A new axis of length 1 at `dim` (in -ndim-1 .. ndim), as PyTorch."""
    shape = list(np.shape(x))
    if not -len(shape) - 1 <= dim <= len(shape):
        raise IndexError(f"unsqueeze: dim {dim} is out of range for {len(shape)} dims")
    shape.insert(dim % (len(shape) + 1), 1)
    return reshape(x, shape)


def squeeze(x: Any, dim: Any = None) -> Any:
    """Drop axes of length 1: all of them, or those of `dim` (an int or tuple) that have
    length 1 (others are left as they are, as in PyTorch)."""
    shape = np.shape(x)
    drop = normalized_axes(dim, len(shape))
    return reshape(x, tuple(n for i, n in enumerate(shape) if not (i in drop and n == 1)))


def expand(x: Any, *sizes: Any) -> Any:
    """x broadcast to `sizes` (new axes in front; -1 keeps an axis), PyTorch's `expand`;
    dx = dy summed over the broadcast axes."""
    sizes, shape = _shape_arg(sizes), np.shape(x)
    lead = len(sizes) - len(shape)
    if lead < 0 or any(n == -1 for n in sizes[:lead]):
        raise ValueError(
            f"expand: sizes {sizes} must give every axis of shape {shape} "
            "(-1 keeps an axis; new leading axes need a size)"
        )
    new = tuple(shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    try:
        return broadcast_to(x, new)
    except ValueError:
        raise ValueError(
            f"expand: shape {shape} cannot expand to {new} (only axes of length 1 stretch; use "
            "repeat to tile)"
        ) from None


def repeat(x: Any, *sizes: Any) -> Any:
    """x tiled `sizes[i]` times along axis i (new axes in front), PyTorch's `repeat` (NumPy's
    `np.tile`); dx = dy summed over the copies."""
    sizes, shape = _shape_arg(sizes), np.shape(x)
    if len(sizes) < len(shape):
        raise ValueError(f"repeat: give at least one count per axis of shape {shape}, got {sizes}")
    shape = (1,) * (len(sizes) - len(shape)) + shape
    spread = reshape(x, tuple(d for n in shape for d in (1, n)))
    tiled = broadcast_to(spread, tuple(d for r, n in zip(sizes, shape) for d in (r, n)))
    return reshape(tiled, tuple(r * n for r, n in zip(sizes, shape)))


def _may_repeat(index: Any) -> bool:
    """True if the index holds an integer array, which can select an element twice."""
    items = index if isinstance(index, tuple) else (index,)
    for i in items:
        if isinstance(i, list) or (isinstance(i, np.ndarray) and i.dtype.kind in "iu"):
            return True
    return False


def getitem(x: Any, index: Any) -> Any:
    """y = x[index] (slices, integer arrays, boolean masks); dx = dy scattered back,
    adding where an integer index repeats an element."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return _getitem(x, index)


@unary
def _getitem(x: Tensor, index: Any) -> tuple[np.ndarray, Backward]:
    """y = x[index]; dx = dy scattered back (`index_add`)."""
    x_shape = x.shape
    try:
        y = x.data[index]
    except IndexError as e:
        raise IndexError(f"getitem: bad index for a tensor of shape {x_shape}: {e}") from None

    def backward(gy: Any, x: Any) -> tuple[Any]:
        return (index_add(gy, index, x_shape),)

    return y, backward


@unary
def index_add(g: Tensor, index: Any, shape: tuple[int, ...]) -> tuple[np.ndarray, Backward]:
    """y = zeros(shape) with `g` added at `index` (the adjoint of `getitem`); dg = dy[index]."""
    y = np.zeros(shape, dtype=g.dtype)
    if _may_repeat(index):
        np.add.at(y, index, g.data)
    else:
        y[index] = g.data

    def backward(gy: Any, g: Any) -> tuple[Any]:
        return (gy[index],)

    return y, backward


def _join(fn: Any, name: str, seq: Sequence[Any], axis: int) -> Tensor | np.ndarray:
    """`np.concatenate` or `np.stack` (`fn`) of `seq` along `axis` as the op `name`: the
    shapes named on failure; each dx is dy's part of that input (a slice, or an index)."""
    tensors = tuple(t if isinstance(t, Tensor) else const(np.asarray(t)) for t in seq)
    try:
        y = fn([t.data for t in tensors], axis=axis)
    except ValueError as e:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ValueError(f"{name}: cannot join shapes {shapes} on axis {axis}: {e}") from None
    if not any(isinstance(t, Tensor) for t in seq):
        return y
    lead = (slice(None),) * normalized_axes(axis, y.ndim)[0]
    if fn is np.stack:
        parts = [lead + (i,) for i in range(len(tensors))]
    else:
        bounds = np.cumsum([0] + [t.shape[len(lead)] for t in tensors]).tolist()
        parts = [lead + (slice(a, b),) for a, b in zip(bounds, bounds[1:])]

    def backward(gy: Any, *xs: Any) -> tuple[Any, ...]:
        return tuple(gy[part] for part in parts)

    return record(y, name, tensors, backward)


def concatenate(seq: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Any:
    """y = the tensors of `seq` joined along `axis` (PyTorch: `dim`); each dx is its slice
    of dy. `mg.cat` is the same function, under PyTorch's name."""
    axis = numpy_or_torch("concatenate", ("axis", "dim"), axis, dim, 0)
    return _join(np.concatenate, "concatenate", seq, axis)


def stack(seq: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Any:
    """y = the tensors of `seq` stacked along a new `axis` (PyTorch: `dim`);
    dx_i = dy[..., i, ...]."""
    axis = numpy_or_torch("stack", ("axis", "dim"), axis, dim, 0)
    return _join(np.stack, "stack", seq, axis)


cat = concatenate


@unary
def astype(x: Tensor, dtype: Any) -> tuple[np.ndarray, Backward]:
    """y = x converted to `dtype`; dx = dy converted back to x's dtype."""
    x_dtype = x.dtype

    def backward(gy: Any, x: Any) -> tuple[Any]:
        return (gy.astype(x_dtype),)

    return x.data.astype(dtype), backward
