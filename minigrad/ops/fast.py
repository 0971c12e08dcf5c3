"""The speed tricks of minigrad, in one place: the operators with a Python number, and the
optimizers' updates done in cache-sized blocks (`in_blocks`, at the end).

Through the ops themselves, `x * 0.9` makes 0.9 a constant Tensor and the node has two
parents. These operators make `x (op) c` a node with the one parent `x` and the number in
its closure (as a memoised 0-d array of x's dtype: `constant`, looked up here without a
call), after one check of the operand's exact type; anything else goes to the op. Their
docstrings state no derivative on purpose: the graph explorer shows the rule of the op
itself (`ops.mul`'s for `x * 0.9`). Each trick names its row of `benchmarks/run_all.py`,
or the chain of 100 such ops on 4x4 (forward and backward) that it speeds up.

Fused ops are ops, each beside its parts with its own derivative: `F.linear`,
`F.cross_entropy`, and `F.batch_norm_relu` (the row "BatchNorm + ReLU" of
`benchmarks/bench_epoch_phases.py`), which the training app's model runs for each
`BatchNorm1d` followed by a `ReLU`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad.ops.arith import add, div, mul, pow, sub
from minigrad.ops.base import CONSTANTS, NUMBERS, constant, scalar, zeros_like
from minigrad.tensor import Backward, Tensor, record

# The row "100 elementwise ops on 4x4, fwd+bwd" (`(y * 0.9 + 0.1).tanh() * 1.1`): 1.7 us/op
# with these, 2.6 through the ops (best of 60 runs of 20 chains, the same machine).


def add_number(x: Tensor, other: Any) -> Tensor:
    """`x + other`: `ops.add`, with a Python number as a node of the one parent x."""
    if type(other) in NUMBERS:
        data = x._data
        c = CONSTANTS.get((other, data.dtype))
        if c is None:
            c = constant(other, data)
        return record(data + c._data, "add", (x,), _unchanged)
    return add(x, other)


def radd_number(x: Tensor, other: Any) -> Tensor:
    """`other + x` (see `add_number`)."""
    return add_number(x, other) if type(other) in NUMBERS else add(other, x)


def mul_number(x: Tensor, other: Any) -> Tensor:
    """`x * other`: `ops.mul`, with a Python number as a node of the one parent x."""
    if type(other) in NUMBERS:
        data = x._data
        times = _TIMES.get((other, data.dtype))
        if times is None:
            times = _times(other, data)
        return record(data * times[0], "mul", (x,), times[1])
    return mul(x, other)


def rmul_number(x: Tensor, other: Any) -> Tensor:
    """`other * x` (see `mul_number`)."""
    return mul_number(x, other) if type(other) in NUMBERS else mul(other, x)


_TIMES: dict[tuple[float, Any], tuple[Any, Backward]] = {}  # (c, dtype) -> (c, its closure)


def _times(number: float, like: np.ndarray) -> tuple[Any, Backward]:
    """The operand `c` of `x * number` and the closure of x * c, made once per (number,
    dtype) as `constant` makes the operand (a closure per op would cost 0.04 us/op)."""
    c = scalar(number, like)

    def backward(gy: Any, x: Any) -> tuple[Any]:
        return (gy * c,)

    if CONSTANTS.get((number, like.dtype)) is not None:  # memoised (not 0): keep it too
        if len(_TIMES) >= 1024:
            _TIMES.clear()  # bounded, as `CONSTANTS`
        _TIMES[(number, like.dtype)] = c, backward
    return c, backward


# The row "100 mixed ops on 4x4 ((y * W + b).sigmoid() - 0.5)": x - c as one node.


def sub_number(x: Tensor, other: Any) -> Tensor:
    """`x - other`: `ops.sub`, with a Python number as a node of the one parent x."""
    if type(other) in NUMBERS:
        data = x._data
        return record(data - scalar(other, data), "sub", (x,), _unchanged)
    return sub(x, other)


def _unchanged(gy: Any, x: Any) -> tuple[Any]:
    """The gradient of x + c and x - c passes through unchanged (saves nothing, so it is
    not a closure)."""
    return (gy,)


# No row of run_all.py: chains of 100 `1.0 - x`, `x / 2.0` and `x ** 1.0` on 4x4 take 1.5,
# 1.7 and 2.7 us/op with these, 2.6, 2.4 and 10.3 through the ops (best of 150 runs).


def rsub_number(x: Tensor, other: Any) -> Tensor:
    """`other - x`: `ops.sub`, with a Python number as a node of the one parent x."""
    if type(other) in NUMBERS:
        data = x._data
        return record(scalar(other, data) - data, "sub", (x,), _negated)
    return sub(other, x)


def _negated(gy: Any, x: Any) -> tuple[Any]:
    """The gradient of c - x, negated (saves nothing, so it is not a closure)."""
    return (-gy,)


def div_number(x: Tensor, other: Any) -> Tensor:
    """`x / other`: `ops.div`, with a Python number as a node of the one parent x."""
    if type(other) in NUMBERS:
        data = x._data
        c = scalar(other, data)

        def backward(gy: Any, x: Any) -> tuple[Any]:
            return (gy / c,)

        return record(data / c, "div", (x,), backward)
    return div(x, other)


def rdiv_number(x: Tensor, other: Any) -> Tensor:
    """`other / x`: `ops.div`, with a Python number as a node of the one parent x."""
    if type(other) in NUMBERS:
        data = x._data
        c = scalar(other, data)
        minus_c = scalar(-other, data)

        def backward(gy: Any, x: Any) -> tuple[Any]:
            return (gy / x / x * minus_c,)

        return record(c / data, "div", (x,), backward)
    return div(other, x)


def pow_number(x: Tensor, other: Any) -> Tensor:
    """`x ** other`: `ops.pow`, with a Python number as a node of the one parent x (and the
    gradient 0 where the exponent is 0, as `ops.pow`)."""
    if type(other) in NUMBERS:

        def backward(gy: Any, x: Any) -> tuple[Any]:
            return (zeros_like(x),) if other == 0 else (gy * (x ** (other - 1) * other),)

        return record(x._data**other, "pow", (x,), backward)
    return pow(x, other)


# The row "update" of `benchmarks/bench_epoch_phases.py`: the AdamW update of the CIFAR-10
# recipe's 3.7 M parameters takes about a dozen NumPy passes over each array; done one block
# at a time, through one small work block, the temporaries stay in the core's cache instead
# of going to memory and back. Best of 30 updates right after a matrix product, two BLAS
# threads (`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`): 17.1 ms whole, 13.3 / 11.9 /
# 10.8 / 11.2 ms in blocks of 8k / 16k / 32k / 64k elements. Splitting the blocks over two
# Python threads was slower in the training loop (update 18.6-25 ms a step against 13-15 in
# one thread, two threads each taking half the blocks: GIL hand-overs, and OpenBLAS's idle
# worker spinning on the other core after each product). Blocks take the same NumPy
# operations as whole arrays, so results are the same bit for bit.

BLOCK = 32768  # elements: w, g, m, v and a work block of float32, 5 x 128 kB, fit in L2


def in_blocks(
    fn: Callable[..., None], arrays: list[np.ndarray], work: np.ndarray, block: int = BLOCK
) -> None:
    """Call `fn(*blocks, work_block)` on consecutive blocks of `block` elements of the equally
    sized `arrays` (flattened), which `fn` updates in place; `work_block` is the start of the
    work array `work` (shaped like the arrays), the same memory for every block, so it stays
    in cache. Arrays of at most one block, or not C-contiguous, are done whole, in one call,
    with `work` (the deep MLP's 256x256 layers: no slicing for nothing)."""
    if arrays[0].size <= block or not all(a.flags.c_contiguous for a in (*arrays, work)):
        fn(*arrays, work)
        return
    flat = [a.reshape(-1) for a in arrays]
    tmp = work.reshape(-1)
    n = flat[0].size
    for i in range(0, n, block):
        fn(*[a[i : i + block] for a in flat], tmp[: min(block, n - i)])


# The row "wide MLP 3072-1024-512-10, batch 64" of `benchmarks/run_all.py`: SGD's
# `w -= lr * g` through a work block of 1 MB of float32 written to and read back from cache,
# not memory, made the update of a 3072x1024 weight about 20% faster (the whole SGD step at
# batch 64: 2.1 -> 1.7 ms, 3% of the row).
SGD_BLOCK = 1 << 18
