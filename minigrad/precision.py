"""`set_float32_matmul_precision`: float32 matrix products in bfloat16, as PyTorch's.

With `"highest"` (the default) and `"high"`, every product is NumPy's `np.matmul`. With
`"medium"`, a product of two float32 matrices `a (M, K) @ b (K, N)` rounds both operands to
bfloat16 (float32's range, 8 significant bits; round to nearest, ties to even) and sums
the products in float32, as PyTorch does on a CPU with bfloat16 units under the same
setting: the same numbers, bit for bit on the tests' inputs. Everything else, the weights
and every sum outside the products, stays float32; float64 products (gradcheck) never
change. Backward is the same rule, dA = dY @ B.T and dB = A.T @ dY, with these products:
`linear`'s backward reuses the operands its forward rounded.

The gain is speed. On a CPU with Intel AMX the products of a CIFAR-10 training step take
about half of NumPy's float32 time, rounding included (the rows "minigrad" of
`benchmarks/bench_matmul_precision.py`). They come from Intel's oneMKL
(the `mkl` wheel of the `train` and `fast` extras), with the rounding compiled by numba (in
the same extras), and run only on a CPU that lists bfloat16 instructions (`amx_bf16` or
`avx512_bf16`); elsewhere, or without either package, `"medium"` keeps NumPy's float32
products, as PyTorch does where it has no faster kind. `matmul_backend()` says which runs.
MKL takes as many threads as NumPy's OpenBLAS has when the first bfloat16 product loads it
(`OPENBLAS_NUM_THREADS`, or a `threadpoolctl` limit in force then), unless
`MKL_NUM_THREADS` says otherwise.
"""

from __future__ import annotations

import ctypes
import functools
import os
import weakref
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from minigrad import kernels

__all__ = [
    "Rounded",
    "get_float32_matmul_precision",
    "matmul",
    "matmul_backend",
    "rounded",
    "set_float32_matmul_precision",
]

PRECISIONS = ("highest", "high", "medium")
_precision = ["highest"]
_READ_ONLY: dict[int, tuple[weakref.ref, Rounded]] = {}  # id -> (the array, its rounding)
# cblas's enums: row-major layout, no transpose, transpose.
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def set_float32_matmul_precision(precision: str) -> None:
    """Set how float32 matrix products are computed: "highest" or "high" (float32, the
    default), or "medium" (bfloat16 operands, float32 sums, where the CPU has them)."""
    if precision not in PRECISIONS:
        raise ValueError(
            f"float32 matmul precision must be one of {', '.join(PRECISIONS)}, got {precision!r}"
        )
    _precision[0] = precision


def get_float32_matmul_precision() -> str:
    """The setting of `set_float32_matmul_precision` ("highest" unless changed)."""
    return _precision[0]


def matmul_backend() -> str:
    """What computes float32 products now: "numpy (float32)", or "mkl (bfloat16)" under
    "medium" on a CPU and installation that have it."""
    return "mkl (bfloat16)" if _precision[0] == "medium" and _mkl() else "numpy (float32)"


@dataclass(frozen=True)
class Rounded:
    """A float32 matrix rounded to bfloat16 for `matmul`: its bits `(R, C)`, C-ordered
    uint16, read as the matrix itself, or as its transpose `(C, R)` when `trans`."""

    bits: np.ndarray
    trans: bool = False
    ndim = 2  # a class attribute, as ndarray's: the backward of `linear` asks

    @property
    def shape(self) -> tuple[int, int]:
        r, c = self.bits.shape
        return (c, r) if self.trans else (r, c)

    @property
    def T(self) -> Rounded:  # noqa: N802 (as ndarray.T)
        return Rounded(self.bits, not self.trans)


def rounded(a: Any) -> Any:
    """`a` as `matmul` would round it, once, for use in several products: a `Rounded` for
    a float32 matrix under "medium" (where the backend runs), else `a` itself. A read-only
    array is rounded once for good (kept while it lives): the fixed projection of
    `minigrad train --pca`, whose weight the training app makes read-only."""
    if not (_wants_bf16(a) and _mkl()):
        return a
    if a.flags.writeable or a.base is not None:
        return _round(a)
    entry = _READ_ONLY.get(id(a))
    if entry is None or entry[0]() is not a:
        entry = (weakref.ref(a, functools.partial(_forget, id(a))), _round(a))
        _READ_ONLY[id(a)] = entry
    return entry[1]


def _forget(key: int, _: weakref.ref) -> None:
    """Drop the rounding of a read-only array that no longer exists."""
    _READ_ONLY.pop(key, None)


def matmul(a: Any, b: Any) -> Any:
    """`a @ b` as `np.matmul`; under "medium", for float32 matrices `a (M, K)`, `b (K, N)`,
    `bf16(a) @ bf16(b)` summed in float32 (MKL's `cblas_gemm_bf16bf16f32`). Either operand
    may come `rounded` already. Operands that are not arrays (Tensors, when a backward
    builds a graph) go to their `@`, which comes back here with the arrays."""
    if not (isinstance(a, Rounded) or isinstance(b, Rounded)):
        if not (_wants_bf16(a) and _wants_bf16(b) and _mkl()) or a.shape[1] != b.shape[0]:
            return a @ b  # NumPy's product (and its error for misaligned shapes), or a Tensor's
    elif not all(isinstance(x, Rounded) or _wants_bf16(x) for x in (a, b)):
        # a rounded operand with one "medium" leaves alone (float64, a batch): NumPy's
        return np.matmul(*(_float32(x) if isinstance(x, Rounded) else x for x in (a, b)))
    ra, rb = (x if isinstance(x, Rounded) else _round(x) for x in (a, b))
    (m, k), (k2, n) = ra.shape, rb.shape
    if k != k2:
        raise ValueError(f"matmul: inner sizes differ: shapes {ra.shape} and {rb.shape}")
    out = np.empty((m, n), np.float32)
    _mkl().cblas_gemm_bf16bf16f32(  # type: ignore[union-attr]
        _ROW_MAJOR, _TRANS if ra.trans else _NO_TRANS, _TRANS if rb.trans else _NO_TRANS,
        m, n, k, 1.0, ra.bits.ctypes.data, ra.bits.shape[1], rb.bits.ctypes.data,
        rb.bits.shape[1], 0.0, out.ctypes.data, n,
    )  # fmt: skip
    return out


def _float32(r: Rounded) -> np.ndarray:
    """The float32 matrix whose bits `r` holds (its rounded values)."""
    values = (r.bits.astype(np.uint32) << 16).view(np.float32)
    return values.T if r.trans else values


def _wants_bf16(a: Any) -> bool:
    """Whether "medium" rounds `a`: a non-empty float32 matrix, and the setting is on."""
    return (
        _precision[0] == "medium"
        and isinstance(a, np.ndarray)
        and a.dtype == np.float32
        and a.ndim == 2
        and a.size > 0
    )


def _round(x: np.ndarray) -> Rounded:
    """`x (R, C)` float32 rounded to bfloat16 (`kernels.round_bits`: to nearest, ties to
    even, as PyTorch): a transposed view (`W.T`) is rounded as the C-ordered array it views,
    without a copy."""
    trans = not x.flags.c_contiguous and x.T.flags.c_contiguous
    src = x.T if trans else np.ascontiguousarray(x)
    out = np.empty(src.shape, np.uint16)
    round_bits = kernels.compiled().round_bits  # type: ignore[union-attr]  # `_mkl` found it
    round_bits(src.view(np.uint32).reshape(-1), out.reshape(-1))
    return Rounded(out, trans)


@functools.cache
def _mkl() -> ctypes.CDLL | None:
    """oneMKL's runtime library from the `mkl` wheel, with the bfloat16 product declared, if
    it is installed, numba is (`kernels`) and the CPU has bfloat16 instructions; else None."""
    if not _cpu_has_bf16() or kernels.compiled() is None:
        return None
    try:
        files = metadata.files("mkl") or []
    except metadata.PackageNotFoundError:
        return None
    paths = [f.locate() for f in files if f.name.startswith("libmkl_rt.so")]
    if not paths:
        return None
    try:
        lib = ctypes.CDLL(str(Path(paths[0]).resolve()))
    except OSError:  # a broken installation: float32 products, as without it
        return None
    c_int, c_float, ptr = ctypes.c_int, ctypes.c_float, ctypes.c_void_p
    lib.cblas_gemm_bf16bf16f32.argtypes = [c_int] * 6 + [
        c_float, ptr, c_int, ptr, c_int, c_float, ptr, c_int,
    ]  # fmt: skip
    lib.cblas_gemm_bf16bf16f32.restype = None
    threads = None if "MKL_NUM_THREADS" in os.environ else _numpy_blas_threads()
    if threads:
        lib.MKL_Set_Num_Threads(ctypes.c_int(threads))
    return lib


def _numpy_blas_threads() -> int | None:
    """The threads of NumPy's OpenBLAS now (its `threadpoolctl` limits included, if that is
    installed), else `OPENBLAS_NUM_THREADS`; None if neither says."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        value = os.environ.get("OPENBLAS_NUM_THREADS", "")
        return int(value) if value.isdigit() and int(value) > 0 else None
    counts = [i["num_threads"] for i in threadpool_info() if i.get("internal_api") == "openblas"]
    return counts[0] if counts else None


def _cpu_has_bf16() -> bool:
    """Whether the CPU lists bfloat16 instructions in Linux's /proc/cpuinfo (elsewhere False:
    the extras install MKL on Linux only)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    flags = next((line.split() for line in text.splitlines() if line.startswith("flags")), [])
    return "amx_bf16" in flags or "avx512_bf16" in flags
