"""The public spellings of the ops, in one table: each op of `minigrad.ops` is defined once,
and this module makes it a Tensor method (`x.exp()`) and an `mg.` function (`mg.exp(x)`).

`TensorMethods` is the table of methods: each line names a method and the function it is,
an op (or, for PyTorch's conversions such as `to` and `float`, a function of
`minigrad.tensor_methods`). `attach` copies it onto `Tensor` when `minigrad` is imported
(`minigrad.tensor` cannot import the ops, which are built on it); type checkers read the
table as a base class of `Tensor` instead. The `mg.` functions below are the same ops,
with a plain array argument made a Tensor first (`public`): given no Tensor, an op itself
returns NumPy's result, which is how a first-order backward runs, but a user calling
`mg.tanh(array)` expects a Tensor.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from minigrad import autograd, ops
from minigrad import tensor_methods as tm
from minigrad.ops import fast
from minigrad.tensor import Tensor, as_tensor, is_tensor

F = TypeVar("F", bound=Callable[..., Any])


class TensorMethods:
    """The methods of `Tensor`: name = the function it is (see the module docstring)."""

    __slots__ = ()

    backward = autograd.backward
    __add__, __radd__ = fast.add_number, fast.radd_number
    __sub__, __rsub__ = fast.sub_number, fast.rsub_number
    __mul__, __rmul__ = fast.mul_number, fast.rmul_number
    __truediv__, __rtruediv__ = fast.div_number, fast.rdiv_number
    __pow__, __rpow__ = fast.pow_number, tm._reflected(ops.pow, "__rpow__")
    __matmul__, __rmatmul__ = ops.matmul, tm._reflected(ops.matmul, "__rmatmul__")
    __iadd__ = tm._in_place(fast.add_number, np.add, "add")
    __isub__ = tm._in_place(fast.sub_number, np.subtract, "sub")
    __imul__ = tm._in_place(fast.mul_number, np.multiply, "mul")
    __itruediv__ = tm._in_place(fast.div_number, np.divide, "div")
    __ipow__ = tm._in_place(fast.pow_number, np.power, "pow")
    __neg__ = neg = ops.neg
    __getitem__ = ops.getitem
    pow, mm = ops.pow, ops.mm
    exp, log, sqrt, abs, tanh = ops.exp, ops.log, ops.sqrt, ops.abs, ops.tanh
    sigmoid, relu, clip, clamp = ops.sigmoid, ops.relu, ops.clip, tm.clamp
    clamp_min, clamp_max, masked_fill = tm.clamp_min, tm.clamp_max, tm.masked_fill
    square, reciprocal = tm.square, tm.reciprocal
    sum, mean, prod, var, std, norm = ops.sum, ops.mean, ops.prod, ops.var, ops.std, ops.norm
    max, min, amax, amin = ops.max, ops.min, ops.amax, ops.amin
    argmax, argmin, logsumexp = ops.argmax, ops.argmin, ops.logsumexp
    softmax, log_softmax = ops.softmax, ops.log_softmax
    reshape, view, flatten = ops.reshape, ops.view, ops.flatten
    T = property(ops.transpose)
    transpose, permute, t = ops.transpose, ops.permute, ops.t
    unsqueeze, squeeze, expand, repeat = ops.unsqueeze, ops.squeeze, ops.expand, ops.repeat
    astype, to, clone = ops.astype, tm.to, tm.clone
    float, double, long = tm.as_float32, tm.as_float64, tm.as_int64
    int, bool = tm.as_int32, tm.as_bool
    cpu = contiguous = tm.itself


def attach() -> None:
    """Copy the table onto `Tensor`, and for each name of `tm.INSTEAD` that a Tensor lacks,
    an attribute that raises an AttributeError saying what to write instead."""
    for name, value in vars(TensorMethods).items():
        if callable(value) or isinstance(value, property):
            setattr(Tensor, name, value)
    for name, advice in tm.INSTEAD.items():
        if not hasattr(Tensor, name):
            setattr(Tensor, name, tm._Missing(name, advice))


attach()


def public(op: F, position: int = 0) -> F:
    """`mg.<name>` of the op: the same function, except that given no Tensor at all, the
    plain array (or list, or number) at `position` is made a Tensor first, so that the result
    is a Tensor."""

    @functools.wraps(op)
    def function(*args: Any, **kwargs: Any) -> Any:
        if not isinstance(args[position], Tensor) and not any(map(is_tensor, args)):
            args = args[:position] + (as_tensor(args[position]),) + args[position + 1 :]
        return op(*args, **kwargs)

    return function  # type: ignore[return-value]


abs = public(ops.abs)
argmax = public(ops.argmax)
argmin = public(ops.argmin)
clamp = public(tm.clamp)
clip = public(ops.clip)
exp = public(ops.exp)
flatten = public(ops.flatten)
log = public(ops.log)
log_softmax = public(ops.log_softmax)
logsumexp = public(ops.logsumexp)
matmul = public(ops.matmul)
maximum = public(ops.maximum)
mean = public(ops.mean)
minimum = public(ops.minimum)
mm = public(ops.mm)
norm = public(ops.norm)
permute = public(ops.permute)
pow = public(ops.pow)
prod = public(ops.prod)
relu = public(ops.relu)
reshape = public(ops.reshape)
sigmoid = public(ops.sigmoid)
softmax = public(ops.softmax)
sqrt = public(ops.sqrt)
squeeze = public(ops.squeeze)
std = public(ops.std)
sum = public(ops.sum)
tanh = public(ops.tanh)
transpose = public(ops.transpose)
unsqueeze = public(ops.unsqueeze)
var = public(ops.var)
where = public(ops.where, position=1)
