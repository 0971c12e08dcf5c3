"""The one place an op's inputs are converted and its output recorded, and what backward
closures share.

An op is written as a body `fn(x, ...) -> (y, backward)`: it gets its tensor inputs as
Tensors, computes `y` with NumPy on their `.data`, and returns it with its backward closure.
The decorators `unary` (one tensor input, then parameters) and `binary` (two) make the op
users call from it, doing every conversion once, here:

- a Python number operand becomes a constant of the other operand's dtype (as NumPy would
  cast it), and an ndarray or list operand a constant too: neither is recorded as needing a
  gradient;
- given no Tensor at all (plain ndarrays, as inside a first-order backward) the op returns
  NumPy's result and records nothing;
- operands whose shapes do not broadcast raise a ValueError naming the op and both shapes;
- `record` links the output to its inputs when recording.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from minigrad import grad_mode
from minigrad.dtypes import as_array
from minigrad.tensor import Backward, Tensor, const, record

NUMBERS = (int, float)  # exact types of a Python number operand (bool and np.float64 are not)

Body = TypeVar("Body", bound=Callable[..., tuple[Any, Backward]])

CONSTANTS: dict[tuple[Any, np.dtype[Any]], Tensor] = {}  # see constant


def constant(x: Any, like: np.ndarray | None = None) -> Tensor:
    """`x` (not a Tensor) as a constant Tensor: a number (Python's or a NumPy scalar) beside
    the array `like` is a 0-d array of `like`'s dtype when that is floating (a scalar does
    not promote, as in PyTorch), else of NumPy's promotion; an ndarray is wrapped as it is, a
    list becomes an array of the default dtype (as in `mg.tensor`).

    A 0-d array operand skips NumPy's per-call conversion of a Python scalar (about half the
    cost of an op on a 4x4 array), and the number constants are memoised per (number, dtype):
    `x * 0.9` in a loop makes its constant once (the row "100 elementwise ops on 4x4" of
    `benchmarks/run_all.py`). They are read-only; zero is not memoised, since 0.0 and -0.0
    are equal keys but different constants.
    """
    if not isinstance(x, int | float | np.number) or isinstance(x, bool) or like is None:
        return const(as_array(x))
    key = (x, like.dtype)
    number = CONSTANTS.get(key)
    if number is None:
        kind = like.dtype.kind
        same = kind == "f" or kind in "iu" and isinstance(x, int | np.integer)
        number = const(np.asarray(x, like.dtype if same else np.result_type(like.dtype, x)))
        if x:
            number._data.setflags(write=False)
            if len(CONSTANTS) >= 1024:
                CONSTANTS.clear()  # bounded: NaNs never match themselves, so never hit
            CONSTANTS[key] = number
    return number


def scalar(c: float, like: np.ndarray) -> np.ndarray:
    """The Python number `c` as a 0-d array operand beside the array `like` (`constant`,
    looked up first without a call: `ops/fast.py` takes its operands from here)."""
    number = CONSTANTS.get((c, like.dtype))
    return (constant(c, like) if number is None else number)._data


def unary(fn: Body) -> Callable[..., Any]:
    """The op `name(x, *params)` from its body `fn(x: Tensor, *params) -> (y, backward)`
    (see the module docstring): `backward(gy, x)` returns the one gradient `(gx,)`."""
    name = fn.__name__.lstrip("_")

    @functools.wraps(fn)
    def op(x: Any, *params: Any, **kwargs: Any) -> Any:
        if not isinstance(x, Tensor):
            return fn(const(np.asarray(x)), *params, **kwargs)[0]
        y, backward = fn(x, *params, **kwargs)
        return record(y, name, (x,), backward)

    # A body of x alone (exp, tanh, ...) gets a wrapper without the parameter packing
    # (the row "100 elementwise ops on 4x4" of `benchmarks/run_all.py`).
    @functools.wraps(fn)
    def elementwise(x: Any) -> Any:
        if not isinstance(x, Tensor):
            return fn(const(np.asarray(x)))[0]
        y, backward = fn(x)
        return record(y, name, (x,), backward)

    return _as_op(elementwise if len(inspect.signature(fn).parameters) == 1 else op, fn)


def binary(fn: Body) -> Callable[..., Any]:
    """The op `name(a, b, *params)` from its body `fn(a: Tensor, b: Tensor, *params) -> (y,
    backward)` (see the module docstring): `backward(gy, a, b)` returns `(ga, gb)`, each
    None when that input does not require grad, in the broadcast shape of `y` (the engine
    sums it back to its input's shape)."""
    name = fn.__name__.lstrip("_")

    @functools.wraps(fn)
    def op(a: Any, b: Any, *params: Any) -> Any:
        plain = False
        if isinstance(a, Tensor):
            if not isinstance(b, Tensor):
                b = constant(b, a.data)
        elif isinstance(b, Tensor):
            a = constant(a, b.data)
        else:  # plain arrays, as inside a first-order backward: NumPy's result
            plain = True
            a = constant(a, np.asarray(b))
            b = constant(b, a.data)
        try:
            y, backward = fn(a, b, *params)
        except ValueError as e:
            if "broadcast" not in str(e):
                raise
            raise ValueError(
                f"{name}: operands with shapes {a.shape} and {b.shape} cannot be broadcast "
                f"together ({e})"
            ) from None
        return y if plain else record(y, name, (a, b), backward)

    return _as_op(op, fn)


def _as_op(op: Callable[..., Any], fn: Body) -> Callable[..., Any]:
    """`op` as users see it in `help()` and the API pages: the body's parameters, taking
    Tensors, arrays or numbers, and a Tensor out (not the body's `(y, backward)`)."""
    sig = inspect.signature(fn)
    params = [
        p.replace(annotation="Tensor | ArrayLike") if p.annotation in ("Tensor", Tensor) else p
        for p in sig.parameters.values()
    ]
    sig = sig.replace(parameters=params, return_annotation="Tensor")
    op.__signature__ = sig  # type: ignore[attr-defined]
    op.__annotations__ = {**fn.__annotations__, "return": "Tensor"}
    return op


def zeros_like(x: Any) -> Any:
    """Zeros shaped and typed like `x`: an ndarray, or a constant Tensor for a Tensor (a
    gradient that is 0 whatever the output gradient, inf and NaN included)."""
    zeros = np.zeros(x.shape, x.dtype)
    return const(zeros) if isinstance(x, Tensor) else zeros


def saved_or_recomputed(y: Any, fn: Callable[..., Any], *args: Any) -> Any:
    """A value the forward saved (`y`) in a first-order backward; under `create_graph`,
    recomputed as `fn(*args)` from the backward's Tensor arguments.

    A saved array is a constant with no derivative, so with it the second derivative would
    silently come out as zero; recomputed, it is a graph node that can be differentiated
    again. The engine records a backward only under `create_graph`, so this is the switch.
    """
    return fn(*args) if grad_mode.enabled else y
