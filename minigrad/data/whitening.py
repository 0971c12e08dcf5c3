"""Regularised ZCA whitening: decorrelate the pixels of a training set once, before training.

    mean, eigenvalues, eigenvectors = zca_statistics(x_train)       # one eigendecomposition
    matrix = zca_matrix(eigenvalues, eigenvectors, eps=0.1)
    x_white = whiten(x_train, mean, matrix)                           # float32, same layout
    augment = Compose([RandomCrop(padding=4), RandomHorizontalFlip()])  # on whitened images

(`Compose`, `RandomCrop` and `RandomHorizontalFlip` are in `minigrad.data.transforms`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minigrad.data.transforms import as_images

__all__ = ["zca_statistics", "zca_matrix", "whiten"]


def zca_statistics(
    x: NDArray[Any], shape: Sequence[int] | None = None, scale: float = 1 / 255, chunk: int = 2048
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    """Pixel means and the eigendecomposition of the pixel covariance of images `x` together
    with their mirror images, for `zca_matrix`.

    Counting every image twice, as it is and mirrored left-right, makes the covariance
    invariant under the flip, so the whitening commutes with it: a whitened image flipped is
    the flipped image whitened, and flips can be done after whitening (augmentation, test-time
    flips). The products are summed in float32 chunk by chunk (centred first, so nothing
    cancels), the totals in float64. With fewer images than pixels the covariance has a
    smaller rank, and its eigenvectors come from the images' Gram matrix instead.

    Args:
        x: `(N, C, H, W)` or `(N, C*H*W)` images, e.g. uint8 CIFAR-10.
        scale: multiplies the pixel values first (`1/255`: values in [0, 1]).
    Returns:
        `(mean (D,), eigenvalues (R,) ascending, eigenvectors (D, R) as columns)`, float64,
        of the scaled pixels; `D = C*H*W`, `R = D` unless `2N < D` (then `R = 2N`).
    """
    imgs = as_images(x, shape)
    n, c, h, w = imgs.shape
    d = c * h * w
    mirror = np.arange(d).reshape(c, h, w)[:, :, ::-1].ravel()
    if 2 * n < d:
        both = imgs.reshape(n, d)[:, np.r_[np.arange(d), mirror].reshape(2, d)].swapaxes(0, 1)
        both = both.reshape(2 * n, d) * scale
        mean = both.mean(axis=0)
        both -= mean
        eigenvalues, vectors = np.linalg.eigh(both @ both.T / (2 * n))
        eigenvalues = np.maximum(eigenvalues, 0.0)
        basis = both.T @ vectors
        basis /= np.maximum(np.linalg.norm(basis, axis=0), 1e-300)
        return mean, eigenvalues, basis
    shift = imgs[:chunk].reshape(-1, d).mean(axis=0, dtype=np.float64) * scale
    shift = ((shift + shift[mirror]) / 2).astype(np.float32)
    total, products = np.zeros(d), np.zeros((d, d))
    for start in range(0, n, chunk):
        part = imgs[start : start + chunk].reshape(-1, d).astype(np.float32) * np.float32(scale)
        part -= shift
        total += part.sum(axis=0, dtype=np.float64)
        products += part.T @ part
    offset, second = total / n, products / n
    offset = (offset + offset[mirror]) / 2
    second = (second + second[np.ix_(mirror, mirror)]) / 2
    eigenvalues, eigenvectors = np.linalg.eigh(second - np.outer(offset, offset))
    return shift + offset, np.maximum(eigenvalues, 0.0), eigenvectors


def zca_matrix(eigenvalues: NDArray[Any], eigenvectors: NDArray[Any], eps: float) -> NDArray[Any]:
    """The regularised ZCA whitening matrix `W = U diag(1 / sqrt(lam + eps)) U^T / s`.

    `eps` damps the directions of small variance (`lam << eps`), where full whitening
    (`eps -> 0`) would blow noise up to the size of the image's main structure; it is on the
    scale of the pixel variances `lam` (about 0.06 in all for CIFAR-10 in [0, 1]). `s` scales
    the whitened pixels to unit variance on average. `W` is symmetric. Directions missing
    from a thin basis `U (D, R)` have variance 0 (gain `1 / sqrt(eps)`).

    Returns:
        `(D, D)` float32.
    """
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    d = len(eigenvectors)
    gains = 1.0 / np.sqrt(eigenvalues + eps)
    floor = 1.0 / np.sqrt(eps)
    matrix = (eigenvectors * (gains - floor)) @ eigenvectors.T
    matrix[np.diag_indices(d)] += floor
    mean_variance = np.sum(eigenvalues * gains**2) / d
    return (matrix / np.sqrt(mean_variance)).astype(np.float32)


def whiten(
    x: NDArray[Any],
    mean: NDArray[Any],
    matrix: NDArray[Any],
    scale: float = 1 / 255,
    chunk: int = 4096,
) -> NDArray[Any]:
    """`(x * scale - mean) @ matrix` as float32, in `x`'s layout, chunk by chunk (so a
    training set needs no float copy besides the result).

    Args:
        x: `(N, C, H, W)` or `(N, D)` batch; `mean (D,)` and `matrix (D, D)` from
            `zca_statistics` and `zca_matrix`.
    """
    x = np.asarray(x)
    flat = x.reshape(len(x), -1)
    if flat.shape[1] != len(mean):
        raise ValueError(f"whiten: {flat.shape[1]} values per sample for a mean of {len(mean)}")
    mean = np.asarray(mean, np.float32)
    out = np.empty(flat.shape, np.float32)
    for start in range(0, len(flat), chunk):
        part = flat[start : start + chunk].astype(np.float32) * np.float32(scale)
        part -= mean
        np.matmul(part, matrix, out=out[start : start + chunk])
    return out.reshape(x.shape)
