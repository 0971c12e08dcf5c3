"""Binary arithmetic with NumPy broadcasting: + - * / ** @, maximum, minimum, where.

Given no Tensor (plain ndarrays, as inside a first-order backward), an op returns NumPy's
result and records nothing; see ``minigrad.tensor.record``.

Each backward returns the gradient in the broadcast output shape; the engine sums it back
to each input's shape (``sum_to``). Gradients for inputs that do not require grad are
skipped (``None``).
"""

import numpy as np

from minigrad.ops.base import SCALARS, apply, operand, pair, reuse
from minigrad.ops.shape import reshape, swap_last
from minigrad.tensor import Tensor, record


def add(a, b):
    """y = a + b; dy/da = 1, dy/db = 1."""
    if type(b) in SCALARS:
        return _add_const(a, b)
    if type(a) in SCALARS:
        return _add_const(b, a)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return np.add(a, b)
    a, b = pair(a, b)
    y = apply(np.add, "add", a.data, b.data)
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy, a, b):
        return gy if need_a else None, gy if need_b else None

    return record(y, "add", (a, b), backward)


def sub(a, b):
    """y = a - b; dy/da = 1, dy/db = -1."""
    if type(b) in SCALARS:
        return _add_const(a, -b)
    if type(a) in SCALARS:
        return _rsub_const(a, b)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return np.subtract(a, b)
    a, b = pair(a, b)
    y = apply(np.subtract, "sub", a.data, b.data)
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy, a, b):
        return gy if need_a else None, -gy if need_b else None

    return record(y, "sub", (a, b), backward)


def mul(a, b):
    """y = a * b; dy/da = b, dy/db = a."""
    if type(b) in SCALARS:
        return _mul_const(a, b)
    if type(a) in SCALARS:
        return _mul_const(b, a)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return np.multiply(a, b)
    a, b = pair(a, b)
    y = apply(np.multiply, "mul", a.data, b.data)
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy, a, b):
        return gy * b if need_a else None, gy * a if need_b else None

    return record(y, "mul", (a, b), backward)


def div(a, b):
    """y = a / b; dy/da = 1/b, dy/db = -a/b**2."""
    if type(b) in SCALARS:
        return _div_const(a, b)
    if type(a) in SCALARS:
        return _rdiv_const(a, b)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return np.divide(a, b)
    a, b = pair(a, b)
    y = apply(np.divide, "div", a.data, b.data)
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy, a, b):
        ga = gy / b
        return ga if need_a else None, -(ga * a) / b if need_b else None

    return record(y, "div", (a, b), backward)


def _add_const(x, c):
    """y = x + c for a Python number c (kept out of the graph); dy/dx = 1."""
    if not isinstance(x, Tensor):
        return x + operand(c, x)
    return record(x.data + operand(c, x.data), "add", (x,), _pass)


def _pass(gy, x):
    """The backward of x + c: dy/dx = 1 (module-level: it saves nothing, so no closure)."""
    return (gy,)


def _rsub_const(c, x):
    """y = c - x; dy/dx = -1."""
    if not isinstance(x, Tensor):
        return operand(c, x) - x
    return record(operand(c, x.data) - x.data, "sub", (x,), _negate)


def _negate(gy, x):
    """The backward of -x and of c - x: dy/dx = -1."""
    return (-gy,)


def _mul_const(x, c):
    """y = x * c; dy/dx = c."""
    if not isinstance(x, Tensor):
        return x * operand(c, x)
    c = operand(c, x.data)

    def backward(gy, x):
        return (gy * c,)

    return record(x.data * c, "mul", (x,), backward)


def _div_const(x, c):
    """y = x / c; dy/dx = 1 / c."""
    if not isinstance(x, Tensor):
        return x / operand(c, x)
    c = operand(c, x.data)

    def backward(gy, x):
        return (gy / c,)

    return record(x.data / c, "div", (x,), backward)


def _rdiv_const(c, x):
    """y = c / x; dy/dx = -c / x**2."""
    if not isinstance(x, Tensor):
        return operand(c, x) / x

    def backward(gy, x):
        return (gy / x / x * -c,)

    return record(operand(c, x.data) / x.data, "div", (x,), backward)


def neg(x):
    """y = -x; dy/dx = -1."""
    if not isinstance(x, Tensor):
        return np.negative(x)
    return record(np.negative(x.data), "neg", (x,), _negate)


def pow(a, b):
    """y = a ** b; dy/da = b * a**(b-1), dy/db = y * log(a) (needs a > 0).

    A Python-number exponent stays a constant of the closure: ``x ** 2`` has one parent.
    """
    if isinstance(b, (int, float)) and not isinstance(b, bool):
        return _pow_const(a, b)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return np.power(a, b)
    a, b = pair(a, b)
    y = apply(np.power, "pow", a.data, b.data)
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy, a, b):
        ga = gy * (b * a ** (b - 1)) if need_a else None
        gb = gy * (reuse(y, pow, a, b) * log(a)) if need_b else None
        return ga, gb

    return record(y, "pow", (a, b), backward)


def _pow_const(x, c):
    """y = x ** c for a Python number c; dy/dx = c * x**(c-1)."""
    if not isinstance(x, Tensor):
        return x**c
    y = x.data**c

    def backward(gy, x):
        if c == 2:
            return (gy * (x * 2.0),)
        return (gy * (x ** (c - 1) * float(c)),)

    return record(y, "pow", (x,), backward)


def log(x):
    """y = log(x); dy/dx = 1/x."""
    if not isinstance(x, Tensor):
        return np.log(x)

    def backward(gy, x):
        return (gy / x,)

    return record(np.log(x.data), "log", (x,), backward)


def matmul(a, b):
    """y = a @ b for 1-D, 2-D and batched (broadcast) operands, as ``np.matmul``.

    For 2-D ``a: (N, K)``, ``b: (K, M)``: da = dy @ b.T, db = a.T @ dy. A 1-D operand is
    promoted to a matrix and the added axis removed from the result, as NumPy does.
    """
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return np.matmul(a, b)
    a, b = pair(a, b)
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


def _extremum(a, b, fn, name, sign):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return fn(a, b)
    a, b = pair(a, b)
    y = apply(fn, name, a.data, b.data)
    need_a, need_b = a.requires_grad, b.requires_grad
    a_data, b_data = a.data, b.data

    def backward(gy, a, b):
        share = _tie_split(a_data, b_data, sign).astype(y.dtype)
        return gy * share if need_a else None, gy * (1 - share) if need_b else None

    return record(y, name, (a, b), backward)


def maximum(a, b):
    """y = max(a, b) elementwise; dy goes to the larger input, split evenly on ties."""
    return _extremum(a, b, np.maximum, "maximum", 1)


def minimum(a, b):
    """y = min(a, b) elementwise; dy goes to the smaller input, split evenly on ties."""
    return _extremum(a, b, np.minimum, "minimum", -1)


def where(cond, a, b):
    """y = a where cond else b; dy/da = cond, dy/db = not cond (cond carries no gradient)."""
    cond = np.asarray(cond.data if isinstance(cond, Tensor) else cond, dtype=bool)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    a, b = pair(a, b)
    y = apply(np.where, "where", cond, a.data, b.data)
    need_a, need_b = a.requires_grad, b.requires_grad

    def backward(gy, a, b):
        return gy * cond if need_a else None, gy * ~cond if need_b else None

    return record(y, "where", (a, b), backward)
