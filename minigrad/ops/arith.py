"""Arithmetic with NumPy broadcasting: + - * / ** @ (and mm), unary -, maximum, minimum, where.

Each op is one function: the forward in NumPy, the backward closure beside it, ``record``.
A backward returns gradients in the broadcast output shape; the engine sums them back to
each input's shape (``sum_to``). Gradients for inputs that do not require grad are skipped
(``None``).

A Python number operand (``x * 0.9``, ``1 - x``) is a constant, not a graph node: it stays in
the closure as a 0-d array of x's dtype (``scalar``), and x is the node's only parent. Given
no Tensor (plain ndarrays, as inside a first-order backward), an op returns NumPy's result
and records nothing (see ``minigrad.tensor.record``).
"""

import numpy as np

from minigrad.ops.base import (
    NUMBERS,
    as_tensors,
    broadcast_call,
    saved_output,
    scalar,
    zeros_like,
)
from minigrad.ops.shape import reshape, swap_last
from minigrad.ops.unary import log
from minigrad.tensor import Tensor, record


def add(a, b):
    """y = a + b; dy/da = 1, dy/db = 1."""
    if type(a) in NUMBERS:
        a, b = b, a
    if type(b) in NUMBERS and isinstance(a, Tensor):  # x + c
        x = a.data
        return record(x + scalar(b, x), "add", (a,), _unchanged)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return np.add(a, b)
    a, b = as_tensors(a, b)
    y = broadcast_call(np.add, "add", a.data, b.data)
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy, a, b):
        return gy if need_a else None, gy if need_b else None

    return record(y, "add", (a, b), backward)


def _unchanged(gy, x):
    """The backward of x + c and x - c: dy/dx = 1 (saves nothing, so not a closure)."""
    return (gy,)


def _negated(gy, x):
    """The backward of -x and c - x: dy/dx = -1."""
    return (-gy,)


def sub(a, b):
    """y = a - b; dy/da = 1, dy/db = -1."""
    if type(b) in NUMBERS and isinstance(a, Tensor):  # x - c
        x = a.data
        return record(x - scalar(b, x), "sub", (a,), _unchanged)
    if type(a) in NUMBERS and isinstance(b, Tensor):  # c - x
        x = b.data
        return record(scalar(a, x) - x, "sub", (b,), _negated)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return np.subtract(a, b)
    a, b = as_tensors(a, b)
    y = broadcast_call(np.subtract, "sub", a.data, b.data)
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy, a, b):
        return gy if need_a else None, -gy if need_b else None

    return record(y, "sub", (a, b), backward)


def neg(x):
    """y = -x; dy/dx = -1."""
    if not isinstance(x, Tensor):
        return np.negative(x)
    return record(np.negative(x.data), "neg", (x,), _negated)


def mul(a, b):
    """y = a * b; dy/da = b, dy/db = a.

    A Python number operand is a constant c: y = x * c has the one parent x.
    """
    if type(a) in NUMBERS:
        a, b = b, a
    if type(b) in NUMBERS and isinstance(a, Tensor):  # x * c: dy/dx = c
        x = a.data
        c = scalar(b, x)

        def backward_c(gy, x):
            return (gy * c,)

        return record(x * c, "mul", (a,), backward_c)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return np.multiply(a, b)
    a, b = as_tensors(a, b)
    y = broadcast_call(np.multiply, "mul", a.data, b.data)
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy, a, b):
        return gy * b if need_a else None, gy * a if need_b else None

    return record(y, "mul", (a, b), backward)


def div(a, b):
    """y = a / b; dy/da = 1/b, dy/db = -a/b**2."""
    if type(b) in NUMBERS and isinstance(a, Tensor):  # x / c: dy/dx = 1/c
        x = a.data
        c = scalar(b, x)

        def backward_c(gy, x):
            return (gy / c,)

        return record(x / c, "div", (a,), backward_c)
    if type(a) in NUMBERS and isinstance(b, Tensor):  # c / x: dy/dx = -c/x**2
        minus_c = scalar(-a, b.data)

        def backward_over_x(gy, x):
            return (gy / x / x * minus_c,)

        return record(scalar(a, b.data) / b.data, "div", (b,), backward_over_x)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return np.divide(a, b)
    a, b = as_tensors(a, b)
    y = broadcast_call(np.divide, "div", a.data, b.data)
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy, a, b):
        ga = gy / b
        return ga if need_a else None, -(ga * a) / b if need_b else None

    return record(y, "div", (a, b), backward)


def pow(a, b):
    """y = a ** b; dy/da = b * a**(b-1), dy/db = y * log(a).

    At the edges, as PyTorch: dy/da = 0 where b = 0 (also at a = 0, where a**(b-1) is
    infinite), and dy/db = 0 where a = 0 and b >= 0 (where log(a) is -inf).
    """
    if type(b) in NUMBERS and isinstance(a, Tensor):  # x ** c: dy/dx = c * x**(c-1)

        def backward_c(gy, x):
            if b == 0:
                return (zeros_like(x),)
            return (gy * (x ** (b - 1) * b),)

        return record(a.data**b, "pow", (a,), backward_c)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return np.power(a, b)
    a, b = as_tensors(a, b)
    y = broadcast_call(np.power, "pow", a.data, b.data)
    need_a, need_b = a.requires_grad, b.requires_grad
    exponent_zero = b.data == 0  # a**(b-1) becomes a**1 there: times b = 0, it is 0
    base_zero = (a.data == 0) & (b.data >= 0)  # log(a) becomes log(1) = 0 there

    def backward(gy, a, b):
        ga = gy * (b * a ** where(exponent_zero, 1.0, b - 1)) if need_a else None
        gb = gy * (saved_output(y, pow, a, b) * log(where(base_zero, 1.0, a))) if need_b else None
        return ga, gb

    return record(y, "pow", (a, b), backward)


def matmul(a, b):
    """y = a @ b for 1-D, 2-D and batched (broadcast) operands, as ``np.matmul``.

    For 2-D ``a: (N, K)``, ``b: (K, M)``: da = dy @ b.T, db = a.T @ dy. A 1-D operand is
    promoted to a matrix and the added axis removed from the result, as NumPy does.
    """
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return np.matmul(a, b)
    a, b = as_tensors(a, b)
    if a.data.ndim == 0 or b.data.ndim == 0:
        raise ValueError(f"matmul: operands must be at least 1-D, got {a.shape} and {b.shape}")
    if a.data.ndim == 1 and b.data.ndim == 1:
        _check_inner(a, b)
        return (a * b).sum()
    if a.data.ndim == 1:
        _check_inner(a, b)
        y = _matmul(reshape(a, (1, -1)), b)
        return reshape(y, y.shape[:-2] + y.shape[-1:])
    if b.data.ndim == 1:
        return reshape(_matmul(a, reshape(b, (-1, 1))), a.shape[:-1])
    return _matmul(a, b)


def mm(a, b):
    """y = a @ b for two matrices only, PyTorch's ``mm``: a (N, K), b (K, M) -> (N, M);
    da = dy @ b.T, db = a.T @ dy (``matmul`` also takes vectors and batches)."""
    shapes = [np.shape(t.data if isinstance(t, Tensor) else t) for t in (a, b)]
    if any(len(s) != 2 for s in shapes):
        raise ValueError(
            f"mm: both operands must be matrices (2-D), got shapes {shapes[0]} and {shapes[1]}; "
            "use matmul (or @) for vectors and batches"
        )
    return matmul(a, b)


def _check_inner(a, b):
    k = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != k:
        raise ValueError(f"matmul: inner sizes differ: shapes {a.shape} and {b.shape}")


def _matmul(a, b):
    try:
        y = np.matmul(a.data, b.data)
    except ValueError:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not align (inner sizes "
            f"{a.shape[-1]} and {b.shape[-2]}, or batch shapes differ)"
        ) from None

    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy, a, b):
        return gy @ swap_last(b) if need_a else None, swap_last(a) @ gy if need_b else None

    return record(y, "matmul", (a, b), backward)


def _tie_split(a, b, sign):
    """Share of dy going to ``a`` in maximum (sign=1) or minimum (sign=-1): 1 where a
    wins, 1/2 on ties (as PyTorch), 0 where it loses."""
    diff = (a - b) * sign
    return (diff > 0) + 0.5 * (diff == 0)


def _maximum_or_minimum(a, b, fn, name, sign):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return fn(a, b)
    a, b = as_tensors(a, b)
    y = broadcast_call(fn, name, a.data, b.data)
    need_a, need_b = a.requires_grad, b.requires_grad
    a_data, b_data = a.data, b.data

    def backward(gy, a, b):
        share = _tie_split(a_data, b_data, sign).astype(y.dtype)
        return gy * share if need_a else None, gy * (1 - share) if need_b else None

    return record(y, name, (a, b), backward)


def maximum(a, b):
    """y = max(a, b) elementwise; dy goes to the larger input, split evenly on ties."""
    return _maximum_or_minimum(a, b, np.maximum, "maximum", 1)


def minimum(a, b):
    """y = min(a, b) elementwise; dy goes to the smaller input, split evenly on ties."""
    return _maximum_or_minimum(a, b, np.minimum, "minimum", -1)


def where(cond, a, b):
    """y = a where cond else b; dy/da = dy where cond (else 0), dy/db = dy where not cond;
    cond carries no gradient."""
    cond = np.asarray(cond.data if isinstance(cond, Tensor) else cond, dtype=bool)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return np.where(cond, a, b)
    a, b = as_tensors(a, b)
    y = broadcast_call(np.where, "where", cond, a.data, b.data)
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy, a, b):
        return where(cond, gy, 0.0) if need_a else None, where(cond, 0.0, gy) if need_b else None

    return record(y, "where", (a, b), backward)
