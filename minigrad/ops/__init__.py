"""Every differentiable op of minigrad, one short function each (forward + backward)."""

from minigrad.ops.arith import add, div, log, matmul, maximum, minimum, mul, neg, pow, sub, where
from minigrad.ops.reduce import logsumexp, max, mean, min, sum
from minigrad.ops.shape import (
    astype,
    broadcast_to,
    concatenate,
    getitem,
    index_add,
    reshape,
    stack,
    sum_to,
    transpose,
)
from minigrad.ops.unary import abs, clip, exp, relu, sigmoid, sqrt, tanh

__all__ = [
    "abs",
    "add",
    "astype",
    "broadcast_to",
    "clip",
    "concatenate",
    "div",
    "exp",
    "getitem",
    "index_add",
    "log",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mul",
    "neg",
    "pow",
    "relu",
    "reshape",
    "sigmoid",
    "sqrt",
    "stack",
    "sub",
    "sum",
    "sum_to",
    "tanh",
    "transpose",
    "where",
]
