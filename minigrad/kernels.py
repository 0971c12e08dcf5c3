"""Compiled kernels: the loops NumPy can only do in several passes over memory, compiled by
numba (the `fast` extra) the first time they are needed and cached on disk.

Each kernel is one speed trick with its benchmark row, and each caller keeps its NumPy form
for inputs the kernel does not take (float64, which gradcheck uses) and for installations
without numba, except the bfloat16 rounding, which "medium" needs a compiled pass to pay for
(without numba it keeps float32 products):

- `round_bits`, float32 to bfloat16 for `minigrad.precision` (the rounding rows of
  `benchmarks/bench_matmul_precision.py`);
- `bn_relu_forward` and `bn_relu_backward`, training-mode batch normalisation of a float32
  `(N, C)` batch, with the ReLU after it or without, for `F.batch_norm` and
  `F.batch_norm_relu` (the row "BatchNorm + ReLU" of `benchmarks/bench_epoch_phases.py`).

`import minigrad` does not import numba; `compiled()` does, once.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np

__all__ = ["compiled"]


@functools.cache
def compiled() -> SimpleNamespace | None:
    """The kernels as attributes of one namespace, or None without numba."""
    try:
        import numba
    except ImportError:
        return None
    jit = numba.njit(nogil=True, cache=True)

    @jit
    def round_bits(bits: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover (compiled)
        """bits (n,) uint32 of float32 numbers -> out (n,) uint16 of their bfloat16: round
        to nearest, ties to even, as PyTorch: the upper half of `bits + 0x7FFF + (bit 16 of
        bits)`; past the largest bfloat16 this gives infinity, as it should, and a NaN gives
        PyTorch's NaN, 0x7FC0."""
        for i in range(bits.size):
            b = bits[i]
            up = np.uint32(b + np.uint32(0x7FFF) + ((b >> np.uint32(16)) & np.uint32(1)))
            nan = (b & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000)
            out[i] = np.uint16(0x7FC0) if nan else np.uint16(up >> np.uint32(16))

    @jit
    def bn_relu_forward(
        x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float, relu: bool, y: np.ndarray,
        stats: np.ndarray,
    ) -> None:  # pragma: no cover (compiled)  # fmt: skip
        """x, y (N, C) float32; w, b (C,) float32. y = (x - mean) * w / sqrt(var + eps) + b
        over the batch (biased var), then max(y, 0) if `relu`. stats (4, C) float32 gets
        mean, var, 1 / sqrt(var + eps) and the scale w / sqrt(var + eps). The sums are
        float64; three passes over x."""
        n, c = x.shape
        s = np.zeros(c, np.float64)
        for i in range(n):
            for j in range(c):
                s[j] += x[i, j]
        mean = stats[0]
        for j in range(c):
            mean[j] = s[j] / n
            s[j] = 0.0
        for i in range(n):
            for j in range(c):
                d = np.float64(x[i, j] - mean[j])
                s[j] += d * d
        for j in range(c):
            stats[1, j] = s[j] / n
            stats[2, j] = np.float32(1.0) / np.sqrt(stats[1, j] + np.float32(eps))
            stats[3, j] = stats[2, j] * w[j]
        scale = stats[3]
        zero = np.float32(0.0)
        for i in range(n):
            for j in range(c):
                v = (x[i, j] - mean[j]) * scale[j] + b[j]
                y[i, j] = max(v, zero) if relu else v

    @jit
    def bn_relu_backward(
        gy: np.ndarray, y: np.ndarray, x: np.ndarray, stats: np.ndarray, relu: bool,
        gx: np.ndarray, sums: np.ndarray,
    ) -> None:  # pragma: no cover (compiled)  # fmt: skip
        """The gradients of `bn_relu_forward`: with g = gy, or gy where y > 0 and 0 elsewhere
        (`relu`), sums (2, C) float64 gets sum(g) and sum(g * (x - mean)) over the batch, and
        gx (N, C) float32 (unless empty) g * scale - (x - mean) * scale * inv**2 *
        sum(g * (x - mean)) / N - scale * sum(g) / N. Two passes."""
        n, c = x.shape
        mean, inv, scale = stats[0], stats[2], stats[3]
        zero = np.float32(0.0)
        for i in range(n):
            for j in range(c):
                g = gy[i, j] if not relu or y[i, j] > zero else zero
                sums[0, j] += g
                sums[1, j] += np.float64(g) * np.float64(x[i, j] - mean[j])
        if gx.size == 0:
            return
        k1 = np.empty(c, np.float32)
        k2 = np.empty(c, np.float32)
        for j in range(c):
            k1[j] = scale[j] * inv[j] * inv[j] * np.float32(sums[1, j] / n)
            k2[j] = scale[j] * np.float32(sums[0, j] / n)
        for i in range(n):
            for j in range(c):
                g = gy[i, j] if not relu or y[i, j] > zero else zero
                gx[i, j] = g * scale[j] - (x[i, j] - mean[j]) * k1[j] - k2[j]

    return SimpleNamespace(
        round_bits=round_bits, bn_relu_forward=bn_relu_forward, bn_relu_backward=bn_relu_backward
    )
