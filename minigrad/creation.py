"""Tensors made from scratch: zeros, ones, full, eye, arange, linspace, randn, rand,
randint, from_numpy and the *_like forms, with PyTorch's dtypes (integer ranges and fills are int64,
anything else the default float dtype).

Random tensors draw from an explicit `np.random.Generator` or seed (`rng=`); without
one, from the default generator that `mg.manual_seed` seeds. The global `np.random`
state is never touched.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.dtypes import get_default_dtype
from minigrad.random import generator
from minigrad.tensor import Tensor


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _dtype(dtype: Any) -> np.dtype[Any]:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros, e.g. `mg.zeros(2, 3)` or `mg.zeros((2, 3))`."""
    return Tensor(np.zeros(_shape(shape), _dtype(dtype)), requires_grad=requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return Tensor(np.ones(_shape(shape), _dtype(dtype)), requires_grad=requires_grad)


def full(size: Any, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `fill_value` shaped `size`; its dtype follows the value as in PyTorch:
    bool, int64 for an int, else the default float dtype."""
    if dtype is None and isinstance(fill_value, (bool, np.bool_)):
        dtype = np.bool_
    elif dtype is None and isinstance(fill_value, (int, np.integer)):
        dtype = np.int64
    return Tensor(np.full(_shape((size,)), fill_value, _dtype(dtype)), requires_grad=requires_grad)


def eye(n: int, m: int | None = None, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The (n, m) identity matrix (m = n by default)."""
    return Tensor(np.eye(n, m, dtype=_dtype(dtype)), requires_grad=requires_grad)


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """`start, start + step, ...` below `end` (`arange(n)`: 0 .. n-1), as PyTorch:
    int64 when every argument is an int, else the default float dtype."""
    if end is None:
        start, end = 0, start
    if dtype is None and all(isinstance(v, (int, np.integer)) for v in (start, end, step)):
        dtype = np.int64
    data = np.arange(start, end, step, dtype=_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)


def linspace(
    start: Any, end: Any, steps: int, *, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """`steps` evenly spaced values from `start` to `end`, both included."""
    data = np.linspace(start, end, steps, dtype=_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and, by default, dtype) of `t`."""
    data = t.data if isinstance(t, Tensor) else np.asarray(t)
    return Tensor(np.zeros_like(data, dtype=dtype), requires_grad=requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and, by default, dtype) of `t`."""
    data = t.data if isinstance(t, Tensor) else np.asarray(t)
    return Tensor(np.ones_like(data, dtype=dtype), requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing `array`'s memory (not a copy, as `torch.from_numpy`)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}")
    return Tensor(array)


def randn_like(t: Any, dtype: Any = None, rng: Any = None, requires_grad: bool = False) -> Tensor:
    """`randn` with the shape (and, by default, the floating dtype) of `t`."""
    return _like(randn, t, dtype, rng, requires_grad)


def rand_like(t: Any, dtype: Any = None, rng: Any = None, requires_grad: bool = False) -> Tensor:
    """`rand` with the shape (and, by default, the floating dtype) of `t`."""
    return _like(rand, t, dtype, rng, requires_grad)


def _like(fn: Any, t: Any, dtype: Any, rng: Any, requires_grad: bool) -> Tensor:
    data = t.data if isinstance(t, Tensor) else np.asarray(t)
    if dtype is None and data.dtype.kind == "f":
        dtype = data.dtype
    return fn(*data.shape, rng=rng, dtype=dtype, requires_grad=requires_grad)


def randn(*shape: Any, rng: Any = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples drawn from `rng` (a `np.random.Generator` or a seed)."""
    rng = generator(rng)
    data = rng.standard_normal(_shape(shape)).astype(_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape: Any, rng: Any = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) drawn from `rng` (a `np.random.Generator` or a seed)."""
    rng = generator(rng)
    data = rng.random(_shape(shape)).astype(_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)


def randint(
    low: int, high: Any = None, size: Any = None, *, rng: Any = None, dtype: Any = None
) -> Tensor:
    """Integers drawn uniformly from [low, high) (int64), shaped `size`: PyTorch's
    `randint(low, high, size)` and `randint(high, size)`."""
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint: give a size, e.g. mg.randint(0, 10, (3,))")
    if high is None:
        low, high = 0, low
    data = generator(rng).integers(low, high, _shape((size,)), dtype=np.int64)
    return Tensor(data if dtype is None else data.astype(dtype))
