"""Axis arguments: normalising them, and NumPy's or PyTorch's names for them.

minigrad takes NumPy's names (``axis``, ``keepdims``) and, wherever PyTorch has the same
function, PyTorch's too (``dim``, ``keepdim``).
"""


def normalized_axes(axis, ndim):
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


def numpy_or_torch(where, names, value, torch_value, default=None):
    """One argument spelled NumPy's way or PyTorch's (``axis``/``dim``,
    ``keepdims``/``keepdim``): PyTorch's when given, else NumPy's; both given is an error."""
    if torch_value is None:
        return value
    if value is not default and value != default:
        raise TypeError(
            f"{where}: got {names[0]}={value!r} and {names[1]}={torch_value!r}; "
            f"give one of them ({names[0]} is NumPy's name, {names[1]} PyTorch's)"
        )
    return torch_value


def reduce_args(where, axis, keepdims, dim, keepdim):
    """``(axis, keepdims)`` from NumPy's names or PyTorch's (``dim``, ``keepdim``)."""
    if dim is None and keepdim is None:
        return axis, keepdims
    axis = numpy_or_torch(where, ("axis", "dim"), axis, dim)
    return axis, numpy_or_torch(where, ("keepdims", "keepdim"), keepdims, keepdim, False)
