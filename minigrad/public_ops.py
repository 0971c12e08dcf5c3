"""The public forms of the ops: ``mg.exp``, ``mg.maximum``, ... and ``F.relu``,
``F.softmax``, ...: the ops of ``minigrad.ops`` with plain inputs made Tensors first; and
``mg.sum(x, dim=1)``, ``mg.argmax``, ``mg.flatten``, ...: PyTorch's function forms of the
Tensor methods.

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


def _of_method(name):
    """``mg.name(x, ...)``: ``x.name(...)`` as a function, as ``torch.name`` is."""
    method = getattr(Tensor, name)

    @functools.wraps(method)
    def public(x, *args, **kwargs):
        return method(as_tensor(x), *args, **kwargs)

    public.__module__ = __name__
    return public


def is_tensor(x):
    """True for a minigrad Tensor."""
    return isinstance(x, Tensor)


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
pow = _of_two(ops.pow)
matmul = _of_two(ops.matmul)
mm = _of_two(ops.mm)
maximum = _of_two(ops.maximum)
minimum = _of_two(ops.minimum)

argmax = _of_method("argmax")
argmin = _of_method("argmin")
flatten = _of_method("flatten")
mean = _of_method("mean")
permute = _of_method("permute")
reshape = _of_method("reshape")
squeeze = _of_method("squeeze")
sum = _of_method("sum")
transpose = _of_method("transpose")
unsqueeze = _of_method("unsqueeze")

# What mg.<name> users of torch.<name> reach for, where minigrad has no such function
_INSTEAD = {
    "cuda": "minigrad runs on the CPU only (NumPy underneath): drop the torch.cuda checks "
    "and .to(device) calls (x.to('cpu') is accepted)",
    "device": "minigrad runs on the CPU only: drop the device (x.to('cpu') is accepted)",
    "max": "write x.max(dim=1) for (values, indices) as torch.max(x, 1), x.max() or "
    "x.max(axis=1) for the values",
    "min": "write x.min(dim=1) for (values, indices) as torch.min(x, 1), x.min() or "
    "x.min(axis=1) for the values",
    "Size": "x.size() and x.shape are tuples: compare them with (2, 3)",
}


def missing_attribute(name):
    """The module ``__getattr__`` of ``minigrad`` (run only when a name is not found): a
    PyTorch name minigrad lacks gets an AttributeError saying what to write instead."""
    message = f"module 'minigrad' has no attribute {name!r}"
    advice = _INSTEAD.get(name)
    raise AttributeError(f"{message}: {advice}" if advice else message)
