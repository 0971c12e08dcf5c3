"""Deterministic random splits of equally long arrays, drawn from a seed."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

Seed = int | np.random.Generator

__all__ = ["split_indices", "train_val_split", "train_val_test_split"]


def _count(size: float, n: int, name: str) -> int:
    """`size` as a number of samples: an int as is, a float in (0, 1) as a fraction of `n`."""
    if isinstance(size, bool) or not isinstance(size, numbers.Real):
        raise TypeError(f"{name} must be an int count or a float fraction, got {size!r}")
    if isinstance(size, numbers.Integral):
        count = int(size)
    elif 0.0 < size < 1.0:
        count = int(round(size * n))
    else:
        raise ValueError(f"{name} as a fraction must lie in (0, 1), got {size}")
    if not 0 <= count < n:
        raise ValueError(f"{name}={size} leaves no training samples out of {n}")
    return count


def split_indices(n: int, sizes: Sequence[float], seed: Seed = 0) -> list[NDArray[np.intp]]:
    """Shuffle `range(n)` with `seed` and cut it into parts of `sizes` plus the rest (first).

    Returns `[rest, part_1, part_2, ...]`, index arrays that partition `range(n)`, each
    sorted so a split keeps the original order of samples.
    """
    counts = [_count(s, n, "size") for s in sizes]
    if sum(counts) >= n:
        raise ValueError(f"split sizes {list(sizes)} leave no training samples out of {n}")
    order = np.random.default_rng(seed).permutation(n)
    bounds = np.cumsum([n - sum(counts), *counts])[:-1]
    return [np.sort(part) for part in np.split(order, bounds)]


def _check_lengths(arrays: Sequence[NDArray[Any]]) -> int:
    if not arrays:
        raise ValueError("give at least one array to split")
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) != 1:
        raise ValueError(f"arrays to split have different lengths: {lengths}")
    return lengths[0]


def train_val_split(
    *arrays: NDArray[Any], val_size: float = 0.1, seed: Seed = 0
) -> tuple[tuple[NDArray[Any], ...], tuple[NDArray[Any], ...]]:
    """Split arrays `(N, ...)` into a training and a validation part, the same rows for each.

    Args:
        val_size: number of validation samples (int) or a fraction of N (float).
        seed: int or Generator; the same seed always gives the same split.
    Returns:
        `(train, val)`, each a tuple with one array per input,
        e.g. `(x_tr, y_tr), (x_va, y_va) = train_val_split(x, y, val_size=5000)`.
    """
    n = _check_lengths(arrays)
    train, val = split_indices(n, [_count(val_size, n, "val_size")], seed)
    return tuple(a[train] for a in arrays), tuple(a[val] for a in arrays)


def train_val_test_split(
    *arrays: NDArray[Any], val_size: float = 0.1, test_size: float = 0.2, seed: Seed = 0
) -> tuple[tuple[NDArray[Any], ...], ...]:
    """Like `train_val_split` with a third, test, part: returns `(train, val, test)`."""
    n = _check_lengths(arrays)
    sizes = [_count(val_size, n, "val_size"), _count(test_size, n, "test_size")]
    train, val, test = split_indices(n, sizes, seed)
    return tuple(tuple(a[idx] for a in arrays) for idx in (train, val, test))
