"""The public forms of the ops: ``mg.exp``, ``mg.maximum``, ... and ``F.relu``,
``F.softmax``, ...: the ops of ``minigrad.ops`` with plain inputs made Tensors first.

The ops themselves compute plain NumPy when given no Tensor (that is how a first-order
backward runs without wrappers), but a user calling ``mg.tanh(array)`` expects a Tensor, as
``mg.where`` and ``mg.concatenate`` give. Arrays keep their dtype; Python numbers and
lists take the default dtype, as in ``mg.tensor``.
"""

import functools

from minigrad import ops
from minigrad.tensor import Tensor, as_tensor


def _of_one(op):
    @functools.wraps(op)
    def public(x, *args, **kwargs):
        return op(as_tensor(x), *args, **kwargs)

    return public


def _of_two(op):
    @functools.wraps(op)
    def public(a, b):
        if not isinstance(a, Tensor) and not isinstance(b, Tensor):
            a = Tensor(a)
        return op(a, b)

    return public


@functools.wraps(ops.where)
def where(cond, a, b):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    return ops.where(cond, a, b)


def clamp(x, min=None, max=None):
    """``x.clamp(min, max)``: ``clip`` under PyTorch's name (``torch.clamp``)."""
    return as_tensor(x).clamp(min, max)


abs = _of_one(ops.abs)
clip = _of_one(ops.clip)
exp = _of_one(ops.exp)
log = _of_one(ops.log)
log_softmax = _of_one(ops.log_softmax)
logsumexp = _of_one(ops.logsumexp)
norm = _of_one(ops.norm)
prod = _of_one(ops.prod)
relu = _of_one(ops.relu)
sigmoid = _of_one(ops.sigmoid)
softmax = _of_one(ops.softmax)
sqrt = _of_one(ops.sqrt)
std = _of_one(ops.std)
tanh = _of_one(ops.tanh)
var = _of_one(ops.var)
matmul = _of_two(ops.matmul)
mm = _of_two(ops.mm)
maximum = _of_two(ops.maximum)
minimum = _of_two(ops.minimum)
