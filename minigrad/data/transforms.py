"""Vectorised augmentation and normalisation of whole image batches.

Every function takes a batch `x` either as images `(N, C, H, W)` or flattened `(N, C*H*W)`
(channel planes, then rows, as CIFAR-10 stores them; pass `shape=(C, H, W)`), and returns
the same layout. Randomness comes from an explicit `np.random.Generator`.

The classes (`RandomCrop`, `RandomHorizontalFlip`, `Normalize`, `Compose`) are callables
`t(x, rng) -> x`, the signature `DataLoader(transform=...)` expects:

    mean, std = channel_stats(x_train)
    augment = Compose([RandomCrop(padding=4), RandomHorizontalFlip(), Normalize(mean, std)])
    loader = DataLoader(TensorDataset(x_train, y_train), 256, shuffle=True, transform=augment)

A crop and a flip that follow each other are fused into one gather.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "channel_stats",
    "normalize",
    "random_crop",
    "random_flip",
    "random_crop_flip",
    "RandomCrop",
    "RandomHorizontalFlip",
    "Normalize",
    "Compose",
]

CIFAR_SHAPE = (3, 32, 32)


def _as_images(x: np.ndarray, shape: Sequence[int] | None) -> np.ndarray:
    """View `x` as `(N, C, H, W)`: 4-d input as is, 2-d input reshaped with `shape`."""
    x = np.asarray(x)
    if x.ndim == 4:
        return x
    if x.ndim == 2:
        shape = tuple(shape or CIFAR_SHAPE)
        if len(shape) != 3 or int(np.prod(shape)) != x.shape[1]:
            raise ValueError(f"flat batch of shape {x.shape} does not match shape={shape}")
        return x.reshape(len(x), *shape)
    raise ValueError(f"expected a batch (N, C, H, W) or (N, C*H*W), got shape {x.shape}")


def random_crop_flip(
    x: np.ndarray,
    rng: np.random.Generator,
    padding: int = 4,
    flip_p: float = 0.5,
    shape: Sequence[int] | None = None,
) -> np.ndarray:
    """Random crop of the zero-padded images, then a random horizontal flip, in one gather.

    Image `n` becomes `pad(x)[n, :, dy:dy+H, dx:dx+W]` with `dy, dx` uniform in `[0, 2*padding]`,
    mirrored left-right with probability `flip_p`.

    Args:
        x: `(N, C, H, W)` or `(N, C*H*W)` batch, any dtype (kept).
        rng: the generator drawing offsets and flips.
    Returns:
        an array of `x`'s shape and dtype.
    """
    imgs = _as_images(x, shape)
    n, c, h, w = imgs.shape
    padded = np.zeros((n, c, h + 2 * padding, w + 2 * padding), imgs.dtype)
    padded[:, :, padding : padding + h, padding : padding + w] = imgs
    # windows[n, c, dy, dx] is the (h, w) crop at offset (dy, dx): a view, nothing copied yet.
    windows = sliding_window_view(padded, (h, w), axis=(2, 3))
    dy = rng.integers(0, 2 * padding + 1, size=n)
    dx = rng.integers(0, 2 * padding + 1, size=n)
    flip = rng.random(n) < flip_p
    out = np.empty_like(imgs)
    for mask, view in ((~flip, windows), (flip, windows[..., ::-1])):
        rows = np.flatnonzero(mask)
        out[rows] = view[rows, :, dy[rows], dx[rows]]
    return out.reshape(np.shape(x))


def random_crop(x, rng, padding: int = 4, shape=None) -> np.ndarray:
    """Random crop of each zero-padded image (see `random_crop_flip`); no flip."""
    return random_crop_flip(x, rng, padding=padding, flip_p=0.0, shape=shape)


def random_flip(x, rng, p: float = 0.5, shape=None) -> np.ndarray:
    """Mirror each image left-right with probability `p`. `x`: `(N, C, H, W)` or flat."""
    imgs = _as_images(x, shape)
    out = imgs.copy()
    flip = np.flatnonzero(rng.random(len(imgs)) < p)
    out[flip] = imgs[flip, ..., ::-1]
    return out.reshape(np.shape(x))


def channel_stats(
    x: np.ndarray, shape: Sequence[int] | None = None, chunk: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of a training set, in float64, chunk by chunk.

    Args:
        x: `(N, C, H, W)` or `(N, C*H*W)` images (e.g. uint8 CIFAR-10).
    Returns:
        `(mean, std)`, each of shape `(C,)` float32.
    """
    imgs = _as_images(x, shape)
    total = np.zeros(imgs.shape[1])
    total_sq = np.zeros(imgs.shape[1])
    for start in range(0, len(imgs), chunk):
        part = imgs[start : start + chunk].astype(np.float64)
        total += part.sum(axis=(0, 2, 3))
        total_sq += np.square(part).sum(axis=(0, 2, 3))
    count = imgs.size // imgs.shape[1]
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - mean**2, 0.0))
    return mean.astype(np.float32), std.astype(np.float32)


def normalize(x: np.ndarray, mean, std, shape: Sequence[int] | None = None) -> np.ndarray:
    """`(x - mean[c]) / std[c]` per channel, as float32, in `x`'s layout.

    Args:
        x: `(N, C, H, W)` or `(N, C*H*W)` batch.
        mean, std: `(C,)` per-channel statistics (see `channel_stats`).
    """
    imgs = _as_images(x, shape)
    mean = np.asarray(mean, np.float32).reshape(1, -1, 1, 1)
    inv_std = (1.0 / np.asarray(std, np.float32)).reshape(1, -1, 1, 1)
    if mean.shape[1] != imgs.shape[1] or inv_std.shape[1] != imgs.shape[1]:
        raise ValueError(
            f"mean/std have {mean.shape[1]}/{inv_std.shape[1]} entries for {imgs.shape[1]} channels"
        )
    out = imgs.astype(np.float32)
    out -= mean
    out *= inv_std
    return out.reshape(np.shape(x))


class RandomCrop:
    """`t(x, rng)`: random crop from the image zero-padded by `padding` pixels on each side."""

    def __init__(self, padding: int = 4, shape: Sequence[int] | None = None):
        if padding < 0:
            raise ValueError(f"padding must be >= 0, got {padding}")
        self.padding = int(padding)
        self.shape = shape

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return random_crop(x, rng, self.padding, self.shape)

    def __repr__(self) -> str:
        return f"RandomCrop(padding={self.padding})"


class RandomHorizontalFlip:
    """`t(x, rng)`: mirror each image left-right with probability `p`."""

    def __init__(self, p: float = 0.5, shape: Sequence[int] | None = None):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must lie in [0, 1], got {p}")
        self.p = float(p)
        self.shape = shape

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return random_flip(x, rng, self.p, self.shape)

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class Normalize:
    """`t(x, rng=None)`: per-channel `(x - mean) / std` as float32; `rng` is ignored."""

    def __init__(self, mean, std, shape: Sequence[int] | None = None):
        self.mean = np.asarray(mean, np.float32).ravel()
        self.std = np.asarray(std, np.float32).ravel()
        if np.any(self.std <= 0):
            raise ValueError(f"std must be positive, got {self.std}")
        self.shape = shape

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        return normalize(x, self.mean, self.std, self.shape)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class Compose:
    """`t(x, rng)`: apply `transforms` in order, all drawing from the same `rng`.

    A `RandomCrop` directly followed by a `RandomHorizontalFlip` runs as one fused gather.
    """

    def __init__(self, transforms: Sequence):
        self.transforms = list(transforms)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        steps = self.transforms
        i = 0
        while i < len(steps):
            step, nxt = steps[i], steps[i + 1] if i + 1 < len(steps) else None
            if isinstance(step, RandomCrop) and isinstance(nxt, RandomHorizontalFlip):
                x = random_crop_flip(x, rng, step.padding, nxt.p, step.shape or nxt.shape)
                i += 2
            else:
                x = step(x, rng)
                i += 1
        return x

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"
