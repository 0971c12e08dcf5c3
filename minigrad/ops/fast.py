"""The speed tricks of the ops, in one place: the operators `+`, `-` and `*` with a Python
number.

Through `ops.add` and `ops.mul`, `x * 0.9` would make 0.9 a constant Tensor and the node
two parents. These operators make `x * c` a node with the one parent `x` and the number in
its closure (as a memoised 0-d array of x's dtype, `scalar`, looked up here without a call),
and run no conversion: one check of the operand's exact type. Anything else goes to the op
itself. Each trick names the row of `benchmarks/run_all.py` it earns its place on. Their
docstrings state no derivative: the graph explorer shows the rule of the op itself (`ops.mul`'s
for `x * 0.9`).
"""

from __future__ import annotations

from typing import Any

from minigrad.ops.arith import add, mul, sub
from minigrad.ops.base import NUMBERS, SCALARS, scalar
from minigrad.tensor import Tensor, record

# The row "100 elementwise ops on 4x4, fwd+bwd" (`y * 0.9 + 0.1`): 2.1 -> 1.6 us/op.


def add_number(x: Tensor, other: Any) -> Tensor:
    """`x + other`: `ops.add`, but with a Python number as a node with the one parent x."""
    if type(other) in NUMBERS:
        data = x._data
        c = SCALARS.get((other, data.dtype))
        if c is None:
            c = scalar(other, data)
        return record(data + c, "add", (x,), _unchanged)
    return add(x, other)


def radd_number(x: Tensor, other: Any) -> Tensor:
    """`other + x` (see `add_number`)."""
    return add_number(x, other) if type(other) in NUMBERS else add(other, x)


def mul_number(x: Tensor, other: Any) -> Tensor:
    """`x * other`: `ops.mul`, but with a Python number as a node with the one parent x."""
    if type(other) in NUMBERS:
        data = x._data
        c = SCALARS.get((other, data.dtype))
        if c is None:
            c = scalar(other, data)

        def backward(gy: Any, x: Any) -> tuple[Any]:
            return (gy * c,)

        return record(data * c, "mul", (x,), backward)
    return mul(x, other)


def rmul_number(x: Tensor, other: Any) -> Tensor:
    """`other * x` (see `mul_number`)."""
    return mul_number(x, other) if type(other) in NUMBERS else mul(other, x)


# The row "100 mixed ops on 4x4 ((y * W + b).sigmoid() - 0.5)": x - c as one node.


def sub_number(x: Tensor, other: Any) -> Tensor:
    """`x - other`: `ops.sub`, but with a Python number as a node with the one parent x."""
    if type(other) in NUMBERS:
        data = x._data
        c = SCALARS.get((other, data.dtype))
        if c is None:
            c = scalar(other, data)
        return record(data - c, "sub", (x,), _unchanged)
    return sub(x, other)


def _unchanged(gy: Any, x: Any) -> tuple[Any]:
    """The gradient of x + c and x - c passes through unchanged (saves nothing, so it is
    not a closure)."""
    return (gy,)
