"""The default floating dtype used for Python data (float32 unless changed)."""

from __future__ import annotations

from typing import Any

import numpy as np

_default = np.dtype(np.float32)


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype that Python floats and lists become (np.float32 or np.float64)."""
    global _default
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default = dtype


def get_default_dtype() -> np.dtype[Any]:
    """Return the dtype that Python floats and lists become."""
    return _default


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Turn `data` into an ndarray without copying ndarrays.

    Python floats (and lists of them) take the default dtype; Python ints stay integers;
    NumPy arrays and NumPy scalars keep their dtype unless `dtype` is given.
    """
    if isinstance(data, np.ndarray):
        return data if dtype is None else data.astype(dtype, copy=False)
    if isinstance(data, np.generic):
        return np.asarray(data, dtype=dtype)
    arr = np.asarray(data, dtype=dtype)
    if dtype is None and arr.dtype == np.float64:
        arr = arr.astype(_default, copy=False)
    return arr
