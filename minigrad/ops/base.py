"""Helpers shared by the ops: lifting constants to tensors and naming shape errors."""

import numpy as np

from minigrad import grad_mode
from minigrad.tensor import _SCALARS, Tensor


def lift(x, like):
    """Make ``x`` a Tensor; a Python number takes ``like``'s dtype (as NumPy would)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        kind = like.data.dtype.kind
        if kind == "f" or (kind in "iu" and isinstance(x, int)):
            return Tensor(np.array(x, dtype=like.data.dtype))
        return Tensor(np.array(x, dtype=np.result_type(like.data.dtype, x)))
    return Tensor(x)


SCALARS = _SCALARS  # exact types: np.float64 and bool take the general path


_OPERANDS = {}  # (number, dtype) -> read-only 0-d array; see operand


def operand(c, x):
    """A Python number ``c`` as a 0-d array of ``x``'s dtype when ``x`` is floating.

    NumPy casts a Python number to a float array's dtype anyway, so results are unchanged,
    but a 0-d array operand skips NumPy's per-call scalar conversion (about half the cost
    of an op on a 4x4 array). The arrays are read-only and memoised per (number, dtype);
    zero is not, since 0.0 and -0.0 are equal keys but different operands."""
    if type(c) is np.ndarray:
        return c
    dtype = x.dtype
    if dtype.kind != "f":
        return c
    key = (c, dtype)
    arr = _OPERANDS.get(key)
    if arr is None:
        arr = np.array(c, dtype)
        if c:
            arr.setflags(write=False)
            if len(_OPERANDS) >= 1024:
                _OPERANDS.clear()  # bounded: NaNs never match themselves, so never hit
            _OPERANDS[key] = arr
    return arr


def pair(a, b):
    """Lift whichever of ``a``, ``b`` is not a Tensor, using the other's dtype."""
    if not isinstance(a, Tensor):
        a = lift(a, b)
    elif not isinstance(b, Tensor):
        b = lift(b, a)
    return a, b


def apply(fn, name, *arrays):
    """Run NumPy's ``fn``; turn a broadcasting failure into an error that names the op."""
    try:
        return fn(*arrays)
    except ValueError as e:
        shapes = " and ".join(str(a.shape) for a in arrays)
        raise ValueError(
            f"{name}: operands with shapes {shapes} cannot be broadcast together ({e})"
        ) from None


def reuse(y, fn, *args):
    """A saved output ``y`` inside a backward: ``y`` itself in a first-order backward, or
    recomputed from ``args`` as a graph node when the backward is being recorded
    (``create_graph``), so that it can be differentiated again."""
    if grad_mode.enabled:
        return fn(*args)
    return y


def norm_axis(axis, ndim):
    """``axis`` (None, int or tuple, possibly negative) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dims")
        out.append(a % max(ndim, 1))
    return tuple(sorted(out))


def kept_shape(shape, axes):
    """The shape of a reduction over ``axes`` with keepdims=True."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))
