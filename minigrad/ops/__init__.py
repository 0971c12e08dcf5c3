"""Every differentiable op of minigrad, one short function each (forward + backward)."""

from minigrad.ops.arith import add, div, matmul, maximum, minimum, mul, neg, pow, sub, where
from minigrad.ops.reduce import log_softmax, logsumexp, max, mean, min, softmax, sum
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
from minigrad.ops.unary import abs, clip, exp, log, relu, sigmoid, sqrt, tanh

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
    "log_softmax",
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
    "softmax",
    "sqrt",
    "stack",
    "sub",
    "sum",
    "sum_to",
    "tanh",
    "transpose",
    "where",
]
