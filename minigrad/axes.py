"""Axis arguments: normalising them, and NumPy's or PyTorch's names for them.

minigrad takes NumPy's names (`axis`, `keepdims`) and, wherever PyTorch has the same
function, PyTorch's too (`dim`, `keepdim`). And the broadcast rule run backwards (`sum_to`),
which the engine and the ops share.
"""

import functools
from typing import Any, TypeVar

T = TypeVar("T", bound=Any)  # an ndarray or a Tensor: whatever has `sum` and `reshape`


def normalized_axes(axis: int | tuple[int, ...] | list[int] | None, ndim: int) -> tuple[int, ...]:
    """`axis` (None, int or tuple, possibly negative) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dims")
        out.append(a % max(ndim, 1))
    return tuple(sorted(out))


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of a reduction over `axes` with keepdims=True."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def numpy_or_torch(
    where: str, names: tuple[str, str], value: Any, torch_value: Any, default: Any = None
) -> Any:
    """One argument spelled NumPy's way or PyTorch's (`axis`/`dim`,
    `keepdims`/`keepdim`): PyTorch's when given, else NumPy's; both given is an error."""
    if torch_value is None:
        return value
    if value is not default and value != default:
        raise TypeError(
            f"{where}: got {names[0]}={value!r} and {names[1]}={torch_value!r}; "
            f"give one of them ({names[0]} is NumPy's name, {names[1]} PyTorch's)"
        )
    return torch_value


def reduce_args(
    where: str, axis: Any, keepdims: bool, dim: Any, keepdim: bool | None
) -> tuple[Any, bool]:
    """`(axis, keepdims)` from NumPy's names or PyTorch's (`dim`, `keepdim`)."""
    if dim is None and keepdim is None:
        return axis, keepdims
    axis = numpy_or_torch(where, ("axis", "dim"), axis, dim)
    return axis, numpy_or_torch(where, ("keepdims", "keepdim"), keepdims, keepdim, False)


@functools.lru_cache(maxsize=1024)
def summed_axes(from_shape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast rule, backwards: the axes of `from_shape` to sum over to get `shape`, i.e.
    the leading ones broadcasting added and the size-1 ones it stretched.

    Memoised, since a network has few shape pairs: a bias broadcast over rows then costs one
    lookup (the row "100 mixed ops on 4x4" of `benchmarks/run_all.py`)."""
    lead = len(from_shape) - len(shape)
    stretched = (i + lead for i, n in enumerate(shape) if n == 1 and from_shape[i + lead] != 1)
    return tuple(range(lead)) + tuple(stretched)


def sum_to(g: T, shape: tuple[int, ...]) -> T:
    """`g` summed over the axes that broadcasting added or stretched, giving `shape`.

    The one place a broadcast gradient is reduced back to its input's shape (the engine calls
    it for every gradient of the wrong shape). It uses only `g.sum(axis, keepdims)` and
    `g.reshape`, which an ndarray and a Tensor both have: on an ndarray it is NumPy, on a
    Tensor (under `create_graph`) it records, and its own derivative is a broadcast.
    """
    axes = summed_axes(g.shape, shape)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if g.ndim != len(shape) else g
