"""Vectorised augmentation and normalisation of whole image batches.

Every function takes a batch `x` either as images `(N, C, H, W)` or flattened `(N, C*H*W)`
(channel planes, then rows, as CIFAR-10 stores them; pass `shape=(C, H, W)`), and returns
the same layout. Randomness comes from an explicit `np.random.Generator`.

The classes (`RandomCrop`, `RandomHorizontalFlip`, `RandomAffine`, `Normalize`, `Compose`)
are callables `t(x, rng) -> x`, the signature `DataLoader(transform=...)` expects:

    mean, std = channel_stats(x_train)
    augment = Compose([RandomCrop(padding=4), RandomHorizontalFlip(), Normalize(mean, std)])
    loader = DataLoader(TensorDataset(x_train, y_train), 256, shuffle=True, transform=augment)

A crop and a flip that follow each other are fused into one gather. `random_affine`
(`RandomAffine`) adds a random rotation and scaling to the crop and the flip, in one
resampling.

Regularised ZCA whitening, done once before training, is in `minigrad.data.whitening`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "as_images",
    "channel_stats",
    "normalize",
    "random_crop",
    "random_flip",
    "random_crop_flip",
    "random_affine",
    "translate",
    "RandomCrop",
    "RandomAffine",
    "RandomHorizontalFlip",
    "Normalize",
    "Compose",
]

CIFAR_SHAPE = (3, 32, 32)


def as_images(x: NDArray[Any], shape: Sequence[int] | None) -> NDArray[Any]:
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
    x: NDArray[Any],
    rng: np.random.Generator,
    padding: int = 4,
    flip_p: float = 0.5,
    shape: Sequence[int] | None = None,
) -> NDArray[Any]:
    """Random crop of the zero-padded images, then a random horizontal flip, in one gather.

    Image `n` becomes `pad(x)[n, :, dy:dy+H, dx:dx+W]` with `dy, dx` uniform in `[0, 2*padding]`,
    mirrored left-right with probability `flip_p`.

    Args:
        x: `(N, C, H, W)` or `(N, C*H*W)` batch, any dtype (kept).
        rng: the generator drawing offsets and flips.
    Returns:
        an array of `x`'s shape and dtype.
    """
    imgs = as_images(x, shape)
    n, c, h, w = imgs.shape
    padded = np.zeros((n, c, h + 2 * padding, w + 2 * padding), imgs.dtype)
    padded[:, :, padding : padding + h, padding : padding + w] = imgs
    # windows[n, c, dy, dx] is the (h, w) crop at offset (dy, dx): a view, nothing copied yet.
    windows = sliding_window_view(padded, (h, w), axis=(2, 3))
    dy, dx, flip = _crop_flip_draws(rng, n, padding, flip_p)
    out = np.empty_like(imgs)
    for mask, view in ((~flip, windows), (flip, windows[..., ::-1])):
        rows = np.flatnonzero(mask)
        out[rows] = view[rows, :, dy[rows], dx[rows]]
    return out.reshape(np.shape(x))


def _crop_flip_draws(
    rng: np.random.Generator, n: int, padding: int, flip_p: float
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    """`(dy, dx, flip)` of `n` images: crop offsets uniform in `[0, 2*padding]` and the flips,
    drawn in this order by `random_crop_flip` and `random_affine` alike."""
    dy = rng.integers(0, 2 * padding + 1, size=(n,))
    dx = rng.integers(0, 2 * padding + 1, size=(n,))
    return dy, dx, rng.random(n) < flip_p


def random_affine(
    x: NDArray[Any],
    rng: np.random.Generator,
    degrees: float,
    scale: float,
    padding: int = 4,
    flip_p: float = 0.5,
    shape: Sequence[int] | None = None,
) -> NDArray[Any]:
    """`random_crop_flip` with a random rotation and scaling: one bilinear resampling per image.

    Image `n` draws, in this order, the crop offsets `dy, dx` uniform in `[0, 2*padding]` and
    the flip (probability `flip_p`) as `random_crop_flip` does, then an angle `a` uniform in
    `[-degrees, degrees]` and a scale `s` uniform in `[1 - scale, 1 + scale]`. Output pixel
    `(i, j)` is `x` sampled bilinearly at

        (sy, sx) = (cy + dy - padding, cx + dx - padding) + R(a) @ (i - cy, j' - cx) / s

    with `(cy, cx) = ((H-1)/2, (W-1)/2)` the image centre, `j' = W-1-j` if flipped else `j`,
    and `R(a) = [[cos a, sin a], [-sin a, cos a]]` acting on (row, column): the crop window,
    turned counterclockwise by `a` and magnified `s` times about its centre, then mirrored.
    Samples outside the image read zeros. With `degrees = scale = 0` every sample lands on a
    pixel and the result is `random_crop_flip(x, rng, padding, flip_p)`'s, bit for bit.

    Bilinear (four gathers) rather than nearest-neighbour, which duplicates and drops whole
    pixels of a 32x32 image turned by a few degrees and saved only 15%: a batch of 512
    float32 3x32x32 images took 9.4 ms (nearest neighbour 8.0 ms, `random_crop_flip` 6.8 ms),
    best of 60 alternating calls on two cores busy training other models,
    `python benchmarks/bench_affine.py --repeats 60`. The images go through in chunks of
    `_CHUNK`, whose arrays stay in a core's cache (the whole batch at once: 23 ms).

    Args:
        x: `(N, C, H, W)` or `(N, C*H*W)` batch; float dtypes are kept, integer ones rounded
            back to theirs.
        rng: the generator drawing offsets, flips, angles and scales.
        degrees: largest rotation, >= 0.
        scale: largest relative change of size, in [0, 1).
    Returns:
        a new array of `x`'s shape and dtype.
    """
    _check_affine(degrees, scale, padding)
    imgs = as_images(x, shape)
    n, c, h, w = imgs.shape
    rows, cols = _affine_coordinates(rng, imgs.shape, degrees, scale, padding, flip_p)
    kind = imgs.dtype if imgs.dtype.kind == "f" else np.dtype(np.float32)
    out = np.empty((n, c, h, w), kind)
    padded = np.zeros((min(n, _CHUNK), c, h + 3, w + 3), kind)
    for start in range(0, n, _CHUNK):
        part = slice(start, start + _CHUNK)
        padded[: len(out[part]), :, 1 : h + 1, 1 : w + 1] = imgs[part]
        _bilinear(padded, rows[:, part] + cols[:, part], out[part])
    if kind != imgs.dtype:
        info = np.iinfo(imgs.dtype)
        out = np.clip(np.rint(out), info.min, info.max).astype(imgs.dtype)
    return out.reshape(np.shape(x))


def _check_affine(degrees: float, scale: float, padding: int) -> None:
    if not degrees >= 0:
        raise ValueError(f"degrees must be >= 0 (the largest rotation), got {degrees}")
    if not 0 <= scale < 1:
        raise ValueError(f"scale must lie in [0, 1) (sizes 1 - scale to 1 + scale), got {scale}")
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")


def _affine_coordinates(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    degrees: float,
    scale: float,
    padding: int,
    flip_p: float,
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Draw `random_affine`'s parameters for images of `shape (N, C, H, W)`; return float32
    `rows (2, N, H, 1)` and `cols (2, N, 1, W)` whose sum is the source (row, column) of
    each pixel in the frame of the image padded by one pixel."""
    n, _, h, w = shape
    dy, dx, flip = _crop_flip_draws(rng, n, padding, flip_p)
    dy, dx, mirror = dy - padding, dx - padding, np.where(flip, -1.0, 1.0)
    angle = np.deg2rad(rng.uniform(-degrees, degrees, n))
    zoom = rng.uniform(1 - scale, 1 + scale, n)
    cos, sin = np.cos(angle) / zoom, np.sin(angle) / zoom
    # sy[n, i, j] = rows_y[n, i] + cols_y[n, j], sx alike: one addition per pixel, exact in
    # float32 when every sample lands on a pixel.
    u, v = np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2
    rows_y = ((h + 1) / 2 + dy)[:, None] + cos[:, None] * u
    rows_x = ((w + 1) / 2 + dx)[:, None] - sin[:, None] * u
    cols_y, cols_x = (mirror * sin)[:, None] * v, (mirror * cos)[:, None] * v
    rows = np.stack([rows_y, rows_x]).astype(np.float32)[..., None]
    cols = np.stack([cols_y, cols_x]).astype(np.float32)[:, :, None, :]
    return rows, cols


_CHUNK = 32  # images resampled at a time by random_affine (16 to 32 the same speed)


def _bilinear(padded: NDArray[Any], coords: NDArray[Any], out: NDArray[Any]) -> None:
    """`out[n, c, i, j]` = `padded[n, c]` sampled bilinearly at row `coords[0, n, i, j]`,
    column `coords[1, n, i, j]`, for the first `len(out)` images. `padded (K, C, H+3, W+3)`:
    images with a zero border of 1 pixel above and left, 2 below and right. `coords` is
    overwritten."""
    m, c, hp, wp = len(out), padded.shape[1], padded.shape[2], padded.shape[3]
    fy, fx = coords
    np.clip(fy, 0, hp - 2, out=fy)  # farther out reads zeros as well
    np.clip(fx, 0, wp - 2, out=fx)
    row, column = np.floor(fy), np.floor(fx)
    fy -= row
    fx -= column
    row *= wp
    row += column
    index = row.astype(np.intp)
    index += (np.arange(m) * (c * hp * wp)).reshape(m, 1, 1)
    flat = padded.ravel()
    top, right, low = np.empty((3, *index.shape), padded.dtype)
    # The indices are in range; take's mode="clip" writes `out` directly ("raise" buffers it,
    # about 15% slower in all).
    for channel in range(c):
        at = channel * hp * wp
        np.take(flat[at:], index, out=top, mode="clip")
        np.take(flat[at + 1 :], index, out=right, mode="clip")
        right -= top
        right *= fx
        top += right  # the upper row interpolated across
        np.take(flat[at + wp :], index, out=low, mode="clip")
        np.take(flat[at + wp + 1 :], index, out=right, mode="clip")
        right -= low
        right *= fx
        low += right  # the lower row
        low -= top
        low *= fy
        np.add(top, low, out=out[:, channel])


def random_crop(
    x: NDArray[Any],
    rng: np.random.Generator,
    padding: int = 4,
    shape: Sequence[int] | None = None,
) -> NDArray[Any]:
    """Random crop of each zero-padded image (see `random_crop_flip`); no flip."""
    return random_crop_flip(x, rng, padding=padding, flip_p=0.0, shape=shape)


def random_flip(
    x: NDArray[Any], rng: np.random.Generator, p: float = 0.5, shape: Sequence[int] | None = None
) -> NDArray[Any]:
    """Mirror each image left-right with probability `p`. `x`: `(N, C, H, W)` or flat."""
    imgs = as_images(x, shape)
    out = imgs.copy()
    flip = np.flatnonzero(rng.random(len(imgs)) < p)
    out[flip] = imgs[flip, ..., ::-1]
    return out.reshape(np.shape(x))


def translate(
    x: NDArray[Any], dy: int, dx: int, shape: Sequence[int] | None = None
) -> NDArray[Any]:
    """Images moved `dy` pixels down and `dx` right (negative: up, left), zero-filled: the
    crop at offset `(p - dy, p - dx)` of the image zero-padded by `p` pixels.

    Args:
        x: `(N, C, H, W)` or `(N, C*H*W)` batch, any dtype (kept).
    """
    imgs = as_images(x, shape)
    h, w = imgs.shape[2:]
    out = np.zeros_like(imgs)
    out[:, :, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = imgs[
        :, :, max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out.reshape(np.shape(x))


def channel_stats(
    x: NDArray[Any], shape: Sequence[int] | None = None, chunk: int = 4096
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Per-channel mean and standard deviation of a training set, in float64, chunk by chunk.

    Args:
        x: `(N, C, H, W)` or `(N, C*H*W)` images (e.g. uint8 CIFAR-10).
    Returns:
        `(mean, std)`, each of shape `(C,)` float32.
    """
    imgs = as_images(x, shape)
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


def normalize(
    x: NDArray[Any], mean: ArrayLike, std: ArrayLike, shape: Sequence[int] | None = None
) -> NDArray[Any]:
    """`(x - mean[c]) / std[c]` per channel, as float32, in `x`'s layout.

    Args:
        x: `(N, C, H, W)` or `(N, C*H*W)` batch.
        mean, std: `(C,)` per-channel statistics (see `channel_stats`).
    """
    imgs = as_images(x, shape)
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

    def __call__(self, x: NDArray[Any], rng: np.random.Generator) -> NDArray[Any]:
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

    def __call__(self, x: NDArray[Any], rng: np.random.Generator) -> NDArray[Any]:
        return random_flip(x, rng, self.p, self.shape)

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class RandomAffine:
    """`t(x, rng)`: `random_affine` (crop, rotation, scaling and flip in one resampling)."""

    def __init__(
        self,
        degrees: float,
        scale: float,
        padding: int = 4,
        p: float = 0.5,
        shape: Sequence[int] | None = None,
    ):
        _check_affine(degrees, scale, padding)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must lie in [0, 1], got {p}")
        self.degrees, self.scale, self.padding, self.p = float(degrees), float(scale), padding, p
        self.shape = shape

    def __call__(self, x: NDArray[Any], rng: np.random.Generator) -> NDArray[Any]:
        return random_affine(x, rng, self.degrees, self.scale, self.padding, self.p, self.shape)

    def __repr__(self) -> str:
        return f"RandomAffine(degrees={self.degrees:g}, scale={self.scale:g}, p={self.p})"


class Normalize:
    """`t(x, rng=None)`: per-channel `(x - mean) / std` as float32; `rng` is ignored."""

    def __init__(self, mean: ArrayLike, std: ArrayLike, shape: Sequence[int] | None = None) -> None:
        self.mean = np.asarray(mean, np.float32).ravel()
        self.std = np.asarray(std, np.float32).ravel()
        if np.any(self.std <= 0):
            raise ValueError(f"std must be positive, got {self.std}")
        self.shape = shape

    def __call__(self, x: NDArray[Any], rng: np.random.Generator | None = None) -> NDArray[Any]:
        return normalize(x, self.mean, self.std, self.shape)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class Compose:
    """`t(x, rng)`: apply `transforms` in order, all drawing from the same `rng`.

    A `RandomCrop` directly followed by a `RandomHorizontalFlip` runs as one fused gather.
    """

    def __init__(self, transforms: Sequence):
        self.transforms = list(transforms)

    def __call__(self, x: NDArray[Any], rng: np.random.Generator) -> NDArray[Any]:
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
