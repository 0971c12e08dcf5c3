"""Ops that move or select elements: reshape, transpose, broadcast, index, join, astype.

Given a plain ndarray (as inside a first-order backward), reshape, transpose, broadcast_to,
sum_to, getitem, index_add and astype return NumPy's result and record nothing.
"""

import functools

import numpy as np

from minigrad.axes import normalized_axes, numpy_or_torch
from minigrad.tensor import Tensor, record


def reshape(x, shape):
    """y = x with a new shape of the same size; dx = dy reshaped back."""
    if not isinstance(x, Tensor):
        return np.reshape(x, shape)
    x_shape = x.data.shape
    try:
        y = x.data.reshape(shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape shape {x_shape} into {shape}") from None

    def backward(gy, x):
        return (gy.reshape(x_shape),)

    return record(y, "reshape", (x,), backward)


def transpose(x, axes=None):
    """y = x with axes permuted (reversed when ``axes`` is None); dx = dy permuted back."""
    if not isinstance(x, Tensor):
        return np.transpose(x, axes)
    if axes is None:
        axes = tuple(range(x.data.ndim - 1, -1, -1))
    y = x.data.transpose(axes)
    back = tuple(np.argsort(axes).tolist())

    def backward(gy, x):
        return (transpose(gy, back),)

    return record(y, "transpose", (x,), backward)


def swap_last(x):
    """Swap the last two axes (the matrix transpose of a batch of matrices)."""
    n = np.ndim(x)
    return transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))


def broadcast_to(x, shape):
    """y = x repeated along broadcast axes; dx = dy summed back to x's shape."""
    if not isinstance(x, Tensor):
        return np.broadcast_to(x, shape)
    x_shape = x.data.shape
    y = np.broadcast_to(x.data, shape)

    def backward(gy, x):
        return (sum_to(gy, x_shape),)

    return record(y, "broadcast_to", (x,), backward)


@functools.lru_cache(maxsize=1024)
def summed_axes(from_shape, shape):
    """The broadcast rule, backwards: the axes of ``from_shape`` to sum over to get
    ``shape``, i.e. the leading ones broadcasting added and the size-1 ones it stretched.
    Memoised, since a network has few shape pairs: a bias broadcast over rows then costs one
    lookup (the row "100 mixed ops on 4x4" of benchmarks/run_all.py)."""
    lead = len(from_shape) - len(shape)
    stretched = (i + lead for i, n in enumerate(shape) if n == 1 and from_shape[i + lead] != 1)
    return tuple(range(lead)) + tuple(stretched)


def _sum_to(a, shape):
    axes = summed_axes(a.shape, shape)
    out = a.sum(axis=axes, keepdims=True) if axes else a
    return out.reshape(shape) if len(out.shape) != len(shape) else out


def sum_to(x, shape):
    """Sum x over the axes that broadcasting added or stretched, giving ``shape``.

    This is the one place where a broadcast gradient is reduced back to its input's shape;
    the engine calls it. Its backward is ``broadcast_to``.
    """
    if not isinstance(x, Tensor):
        return _sum_to(x, shape)
    x_shape = x.data.shape
    y = _sum_to(x.data, shape)

    def backward(gy, x):
        return (broadcast_to(gy, x_shape),)

    return record(y, "sum_to", (x,), backward)


def _plain_index(index):
    """``index`` with Tensors replaced by arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _may_repeat(index):
    """True if the index holds an integer array, which can select an element twice."""
    items = index if isinstance(index, tuple) else (index,)
    for i in items:
        if isinstance(i, list) or (isinstance(i, np.ndarray) and i.dtype.kind in "iu"):
            return True
    return False


def getitem(x, index):
    """y = x[index] (slices, integer arrays, boolean masks); dx = dy scattered back,
    adding where an integer index repeats an element."""
    index = _plain_index(index)
    if not isinstance(x, Tensor):
        return x[index]
    x_shape = x.data.shape
    try:
        y = x.data[index]
    except IndexError as e:
        raise IndexError(f"getitem: bad index for a tensor of shape {x_shape}: {e}") from None

    def backward(gy, x):
        return (index_add(gy, index, x_shape),)

    return record(y, "getitem", (x,), backward)


def index_add(g, index, shape):
    """y = zeros(shape) with ``g`` added at ``index`` (the adjoint of ``getitem``)."""
    g_data = g.data if isinstance(g, Tensor) else np.asarray(g)
    y = np.zeros(shape, dtype=g_data.dtype)
    if _may_repeat(index):
        np.add.at(y, index, g_data)
    else:
        y[index] = g_data
    if not isinstance(g, Tensor):
        return y

    def backward(gy, g):
        return (gy[index],)

    return record(y, "index_add", (g,), backward)


def _join(fn, name, seq, axis):
    """Run ``np.concatenate``/``np.stack`` on the data of ``seq``; name the shapes on failure."""
    seq = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in seq)
    try:
        y = fn([t.data for t in seq], axis=axis)
    except ValueError as e:
        shapes = ", ".join(str(t.shape) for t in seq)
        raise ValueError(f"{name}: cannot join shapes {shapes} on axis {axis}: {e}") from None
    return seq, y, normalized_axes(axis, y.ndim)[0]


def concatenate(seq, axis=0, *, dim=None):
    """y = the tensors of ``seq`` joined along ``axis`` (PyTorch: ``dim``); each dx is its
    slice of dy. ``mg.cat`` is the same function, under PyTorch's name."""
    axis = numpy_or_torch("concatenate", ("axis", "dim"), axis, dim, 0)
    seq, y, ax = _join(np.concatenate, "concatenate", seq, axis)
    bounds = np.cumsum([0] + [t.data.shape[ax] for t in seq])

    def backward(gy, *xs):
        lead = (slice(None),) * ax
        return tuple(gy[lead + (slice(a, b),)] for a, b in zip(bounds, bounds[1:]))

    return record(y, "concatenate", seq, backward)


def stack(seq, axis=0, *, dim=None):
    """y = the tensors of ``seq`` stacked along a new ``axis`` (PyTorch: ``dim``);
    dx_i = dy[..., i, ...]."""
    axis = numpy_or_torch("stack", ("axis", "dim"), axis, dim, 0)
    seq, y, ax = _join(np.stack, "stack", seq, axis)

    def backward(gy, *xs):
        lead = (slice(None),) * ax
        return tuple(gy[lead + (i,)] for i in range(len(seq)))

    return record(y, "stack", seq, backward)


cat = concatenate


def astype(x, dtype):
    """y = x converted to ``dtype``; dx = dy converted back to x's dtype."""
    if not isinstance(x, Tensor):
        return np.asarray(x).astype(dtype)
    x_dtype = x.data.dtype
    y = x.data.astype(dtype)

    def backward(gy, x):
        return (gy.astype(x_dtype),)

    return record(y, "astype", (x,), backward)
