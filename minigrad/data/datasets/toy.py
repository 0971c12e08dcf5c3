"""Small synthetic 2-d classification sets for teaching, generated from a seed."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["make_spiral", "make_blobs", "make_moons"]


def make_spiral(
    n_per_class: int = 100,
    n_classes: int = 3,
    noise: float = 0.2,
    seed: int | np.random.Generator = 0,
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Interleaved spiral arms, one per class, as in the cs231n notes (neural network case study).

    Arm `j` has radius `r = linspace(0, 1)`, angle `t = linspace(4j, 4(j+1)) + noise * N(0, 1)`
    and points `(r sin t, r cos t)`. Not linearly separable: a linear classifier stays near 50%
    (3 classes), a small MLP reaches ~99%.

    Args:
        seed: int or `np.random.Generator`.
    Returns:
        `x` (n_per_class * n_classes, 2) float32, `y` (same N,) int64, grouped by class.
    """
    rng = np.random.default_rng(seed)
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    y = np.repeat(np.arange(n_classes), n_per_class)
    start = np.linspace(0.0, 4.0, n_per_class)
    t = 4.0 * y + np.tile(start, n_classes) + rng.standard_normal(len(y)) * noise
    x = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    return x.astype(np.float32), y.astype(np.int64)


def make_blobs(
    n_per_class: int = 100,
    n_classes: int = 3,
    std: float = 0.5,
    seed: int | np.random.Generator = 0,
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Gaussian blobs with centres evenly spaced on a circle of radius 2.

    Returns:
        `x` (n_per_class * n_classes, 2) float32, `y` int64.
    """
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    y = np.repeat(np.arange(n_classes), n_per_class)
    x = centres[y] + std * rng.standard_normal((len(y), 2))
    return x.astype(np.float32), y.astype(np.int64)


def make_moons(
    n_per_class: int = 100, noise: float = 0.1, seed: int | np.random.Generator = 0
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Two interleaving half circles (classes 0 and 1) plus Gaussian noise.

    Returns:
        `x` (2 * n_per_class, 2) float32, `y` int64.
    """
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, np.pi, n_per_class)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    x = np.concatenate([upper, lower]) + noise * rng.standard_normal((2 * n_per_class, 2))
    y = np.repeat(np.arange(2), n_per_class)
    return x.astype(np.float32), y.astype(np.int64)
