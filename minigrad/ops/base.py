"""What the ops share: constants as operands, shape errors that name the op, and the switch
between a first-order and a recorded backward (``saved_output``)."""

import numpy as np

from minigrad import grad_mode
from minigrad.tensor import Tensor, const

NUMBERS = (int, float)  # exact types of a Python number operand (bool and np.float64 are not)

_SCALAR_OPERANDS = {}  # (number, dtype) -> its operand; see scalar


def scalar(c, like):
    """The Python number ``c`` as an operand beside the array ``like``: a 0-d array of
    ``like``'s dtype when that is floating, else ``c`` itself.

    NumPy casts a Python number to a float array's dtype anyway, so results are unchanged,
    but a 0-d array operand skips NumPy's per-call conversion of a Python scalar (about half
    the cost of an op on a 4x4 array). The operands are memoised per (number, dtype), which
    saves making one per op (``x * 0.9`` in the row "100 elementwise ops on 4x4" of
    benchmarks/run_all.py); the arrays are read-only, and zero is not memoised, since 0.0 and
    -0.0 are equal keys but different operands.
    """
    key = (c, like.dtype)
    operand = _SCALAR_OPERANDS.get(key)
    if operand is None:
        if like.dtype.kind != "f":
            return c
        operand = np.array(c, like.dtype)
        if c:
            operand.setflags(write=False)
            if len(_SCALAR_OPERANDS) >= 1024:
                _SCALAR_OPERANDS.clear()  # bounded: NaNs never match themselves, so never hit
            _SCALAR_OPERANDS[key] = operand
    return operand


def as_constant(x, like):
    """``x`` as a Tensor; a Python number becomes a constant of ``like``'s dtype (as NumPy
    would cast it), an array or list is wrapped as it is."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        kind = like.data.dtype.kind
        if kind == "f" or (kind in "iu" and isinstance(x, int)):
            return Tensor(np.array(x, dtype=like.data.dtype))
        return Tensor(np.array(x, dtype=np.result_type(like.data.dtype, x)))
    return Tensor(x)


def as_tensors(a, b):
    """Both operands of a binary op as Tensors: the one that is not becomes a constant
    (see ``as_constant``) of the other's dtype."""
    if not isinstance(a, Tensor):
        a = as_constant(a, b)
    elif not isinstance(b, Tensor):
        b = as_constant(b, a)
    return a, b


def broadcast_call(fn, name, *arrays):
    """``fn(*arrays)`` for a NumPy function that broadcasts; when the shapes do not
    broadcast, a ValueError naming the op and every operand's shape."""
    try:
        return fn(*arrays)
    except ValueError as e:
        shapes = " and ".join(str(a.shape) for a in arrays)
        raise ValueError(
            f"{name}: operands with shapes {shapes} cannot be broadcast together ({e})"
        ) from None


def zeros_like(x):
    """Zeros shaped and typed like ``x``: an ndarray, or a constant Tensor for a Tensor (a
    gradient that is 0 whatever the output gradient, inf and NaN included)."""
    zeros = np.zeros(x.shape, x.dtype)
    return const(zeros) if isinstance(x, Tensor) else zeros


def saved_output(y, fn, *args):
    """A value saved by the forward (``y``), as a backward should use it.

    In a first-order backward that is ``y`` itself. When the backward is being recorded
    (``create_graph``), a saved array would be a constant with no derivative, and the second
    derivative would silently come out as zero; so ``y`` is recomputed as ``fn(*args)`` from
    the backward's Tensor arguments, a graph node that can be differentiated again.
    """
    return fn(*args) if grad_mode.enabled else y
