"""The bundled UCI handwritten digits: 1,797 8x8 images, no network needed."""

from __future__ import annotations

import gzip
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minigrad.data.splits import train_val_test_split

__all__ = ["load_digits", "load_digits_split"]


def load_digits() -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """The UCI "Optical Recognition of Handwritten Digits" test set shipped with minigrad.

    E. Alpaydin and C. Kaynak (1998), CC BY 4.0; see `minigrad/data/_bundled/README.md`.

    Returns:
        `x` (1797, 64) float32 pixel counts in [0, 16] (8x8 images, row-major),
        `y` (1797,) int64 labels 0..9.
    """
    source = resources.files("minigrad.data") / "_bundled" / "digits.csv.gz"
    with source.open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.int64)
    return table[:, :64].astype(np.float32), table[:, 64].astype(np.int64)


def load_digits_split(
    val_size: float = 0.15, test_size: float = 0.2, seed: int | np.random.Generator = 0
) -> tuple[tuple[NDArray[Any], ...], ...]:
    """The digits cut into `(train, val, test)` pairs `(x, y)`, the same for the same seed.

    With the defaults: 1,168 training, 270 validation and 359 test samples. Sizes are
    int counts or float fractions, as in `train_val_test_split`.
    """
    x, y = load_digits()
    return train_val_test_split(x, y, val_size=val_size, test_size=test_size, seed=seed)
