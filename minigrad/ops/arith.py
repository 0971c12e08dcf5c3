"""Arithmetic with NumPy broadcasting: + - * / ** @ (and mm), unary -, maximum, minimum, where.

Each op is its body (see `minigrad.ops.base`, which converts the operands): the forward in
NumPy and the backward closure beside it. A backward returns gradients in the broadcast
output shape (the engine sums them back to each input's shape) and skips, as None, the
gradient of an input that does not require grad.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad import precision
from minigrad.ops.base import binary, saved_or_recomputed, unary
from minigrad.ops.shape import reshape, swap_last
from minigrad.ops.unary import log
from minigrad.tensor import Backward, Tensor


@binary
def add(a: Tensor, b: Tensor) -> tuple[np.ndarray, Backward]:
    """y = a + b; dy/da = 1, dy/db = 1."""
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy: Any, a: Any, b: Any) -> tuple[Any, Any]:
        return gy if need_a else None, gy if need_b else None

    return a.data + b.data, backward


@binary
def sub(a: Tensor, b: Tensor) -> tuple[np.ndarray, Backward]:
    """y = a - b; dy/da = 1, dy/db = -1."""
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy: Any, a: Any, b: Any) -> tuple[Any, Any]:
        return gy if need_a else None, -gy if need_b else None

    return a.data - b.data, backward


@unary
def neg(x: Tensor) -> tuple[np.ndarray, Backward]:
    """y = -x; dy/dx = -1."""

    def backward(gy: Any, x: Any) -> tuple[Any]:
        return (-gy,)

    return np.negative(x.data), backward


@binary
def mul(a: Tensor, b: Tensor) -> tuple[np.ndarray, Backward]:
    """y = a * b; dy/da = b, dy/db = a."""
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy: Any, a: Any, b: Any) -> tuple[Any, Any]:
        return gy * b if need_a else None, gy * a if need_b else None

    return a.data * b.data, backward


@binary
def div(a: Tensor, b: Tensor) -> tuple[np.ndarray, Backward]:
    """y = a / b; dy/da = 1/b, dy/db = -a/b**2."""
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy: Any, a: Any, b: Any) -> tuple[Any, Any]:
        ga = gy / b
        return ga if need_a else None, -(ga * a) / b if need_b else None

    return a.data / b.data, backward


@binary
def pow(a: Tensor, b: Tensor) -> tuple[np.ndarray, Backward]:
    """y = a ** b; dy/da = b * a**(b-1), dy/db = y * log(a).

    At the edges, as PyTorch: dy/da = 0 where b = 0 (also at a = 0, where a**(b-1) is
    infinite), and dy/db = 0 where a = 0 and b >= 0 (where log(a) is -inf).
    """
    y = np.power(a.data, b.data)
    need_a, need_b = a.requires_grad, b.requires_grad
    exponent_zero = b.data == 0  # a**(b-1) becomes a**1 there: times b = 0, it is 0
    base_zero = (a.data == 0) & (b.data >= 0)  # log(a) becomes log(1) = 0 there

    def backward(gy: Any, a: Any, b: Any) -> tuple[Any, Any]:
        ga = gy * (b * a ** where(exponent_zero, 1.0, b - 1)) if need_a else None
        if not need_b:
            return ga, None
        return ga, gy * (saved_or_recomputed(y, pow, a, b) * log(where(base_zero, 1.0, a)))

    return y, backward


def matmul(a: Any, b: Any) -> Any:
    """y = a @ b for 1-D, 2-D and batched (broadcast) operands, as `np.matmul`.

    For 2-D `a: (N, K)`, `b: (K, M)`: da = dy @ b.T, db = a.T @ dy. A 1-D operand is
    promoted to a matrix and the added axis removed from the result, as NumPy does.
    """
    a_shape, b_shape = np.shape(a), np.shape(b)
    if not a_shape or not b_shape:
        raise ValueError(f"matmul: operands must be at least 1-D, got {a_shape} and {b_shape}")
    if len(b_shape) == 1 or len(a_shape) == 1:
        k = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
        if a_shape[-1] != k:
            raise ValueError(f"matmul: inner sizes differ: shapes {a_shape} and {b_shape}")
    if len(a_shape) == 1 and len(b_shape) == 1:
        return (a * b).sum() if isinstance(a, Tensor) or isinstance(b, Tensor) else np.matmul(a, b)
    if len(a_shape) == 1:
        y = _matmul(reshape(a, (1, -1)), b)
        return reshape(y, y.shape[:-2] + y.shape[-1:])
    if len(b_shape) == 1:
        return reshape(_matmul(a, reshape(b, (-1, 1))), a_shape[:-1])
    return _matmul(a, b)


@binary
def _matmul(a: Tensor, b: Tensor) -> tuple[np.ndarray, Backward]:
    """y = a @ b for matrices (batched); da = dy @ b.T, db = a.T @ dy."""
    try:
        y = precision.matmul(a.data, b.data)
    except ValueError:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not align (inner sizes "
            f"{a.shape[-1]} and {b.shape[-2]}, or batch shapes differ)"
        ) from None
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy: Any, a: Any, b: Any) -> tuple[Any, Any]:
        da = precision.matmul(gy, swap_last(b)) if need_a else None
        return da, precision.matmul(swap_last(a), gy) if need_b else None

    return y, backward


def mm(a: Any, b: Any) -> Any:
    """y = a @ b for two matrices only, PyTorch's `mm`: a (N, K), b (K, M) -> (N, M);
    da = dy @ b.T, db = a.T @ dy (`matmul` also takes vectors and batches)."""
    shapes = np.shape(a), np.shape(b)
    if any(len(s) != 2 for s in shapes):
        raise ValueError(
            f"mm: both operands must be matrices (2-D), got shapes {shapes[0]} and {shapes[1]}; "
            "use matmul (or @) for vectors and batches"
        )
    return matmul(a, b)


@binary
def maximum(a: Tensor, b: Tensor) -> tuple[np.ndarray, Backward]:
    """y = max(a, b) elementwise; dy goes to the larger input, split evenly on ties."""
    return _to_the_winner(np.maximum(a.data, b.data), a, b, 1)


@binary
def minimum(a: Tensor, b: Tensor) -> tuple[np.ndarray, Backward]:
    """y = min(a, b) elementwise; dy goes to the smaller input, split evenly on ties."""
    return _to_the_winner(np.minimum(a.data, b.data), a, b, -1)


def _to_the_winner(y: np.ndarray, a: Tensor, b: Tensor, sign: int) -> tuple[Any, Backward]:
    """`y` with the backward of maximum (sign=1) or minimum (sign=-1): dy goes to `a` where
    it wins, half of it on ties (as PyTorch), none where it loses; the rest to `b`."""
    need_a, need_b = a.requires_grad, b.requires_grad
    a_data, b_data = a.data, b.data

    def backward(gy: Any, a: Any, b: Any) -> tuple[Any, Any]:
        diff = (a_data - b_data) * sign
        share = ((diff > 0) + 0.5 * (diff == 0)).astype(y.dtype)
        return gy * share if need_a else None, gy * (1 - share) if need_b else None

    return y, backward


def where(cond: Any, a: Any, b: Any) -> Any:
    """y = a where cond else b; dy/da = dy where cond (else 0), dy/db = dy where not cond;
    cond carries no gradient."""
    return _where(a, b, np.asarray(cond.data if isinstance(cond, Tensor) else cond, bool))


@binary
def _where(a: Tensor, b: Tensor, cond: np.ndarray) -> tuple[np.ndarray, Backward]:
    """y = a where cond else b; dy/da = dy where cond (else 0), dy/db = dy where not cond."""
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy: Any, a: Any, b: Any) -> tuple[Any, Any]:
        return where(cond, gy, 0.0) if need_a else None, where(cond, 0.0, gy) if need_b else None

    return np.where(cond, a.data, b.data), backward
