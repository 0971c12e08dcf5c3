"""The Tensor methods that are not ops (PyTorch's conversions and spellings: `to`, `float`,
`clamp`, `masked_fill`, the in-place operators, ...), and the PyTorch names minigrad lacks on
purpose.

The table in `minigrad/public_ops.py` makes these Tensor methods, beside the ops.
`INSTEAD` is the one table of PyTorch names minigrad lacks (`x.cuda()`, `torch.sort`) and
what to write instead: reading one on a Tensor or on the `minigrad` module raises an
AttributeError that says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad import grad_mode, ops
from minigrad.tensor import Tensor, const


def _reflected(op: Callable[[Any, Any], Any], name: str) -> Callable[[Tensor, Any], Any]:
    """`other (op) x` as the method `name` of x."""

    def method(self: Tensor, other: Any) -> Any:
        return op(other, self)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"`other {name[3:-2]} x`: `ops.{op.__name__}(other, x)`."
    return method


def _in_place(op: Callable[[Tensor, Any], Any], ufunc: Any, name: str) -> Callable[..., Any]:
    """`x op= other`, the method `name`. Outside recording (`mg.no_grad()`, or nothing
    requires grad) the array is updated in place, as PyTorch does (`w -= lr * w.grad`), and
    the tensor stamped again, so a graph that used the old values refuses to backpropagate.
    While recording, a leaf that requires grad cannot change in place (as in PyTorch); any
    other tensor is replaced by the recorded result (`loss += penalty`)."""

    def method(self: Tensor, other: Any) -> Tensor:
        other_requires_grad = isinstance(other, Tensor) and other.requires_grad
        if grad_mode.enabled and (self.requires_grad or other_requires_grad):
            if self.requires_grad and self._backward is None:
                raise RuntimeError(
                    f"in-place {name} on a leaf that requires grad while recording would "
                    "lose its gradient; update it inside `with mg.no_grad():` (as an "
                    "optimizer step does), or write x = x + ... for a new tensor"
                )
            return op(self, other)
        return self._update(f"in-place {name}", ufunc, other)

    method.__name__ = method.__qualname__ = f"__i{name}__"
    return method


def _cast(x: Tensor, dtype: Any) -> Tensor:
    """`x` itself if it has `dtype`; else converted: differentiably to a floating dtype, cut
    from the graph to any other (only floating tensors carry gradients, as in PyTorch)."""
    dtype = np.dtype(dtype)
    if x.dtype == dtype:
        return x
    if dtype.kind != "f":
        return const(x.data.astype(dtype))
    return ops.astype(x, dtype)


def to(
    x: Tensor,
    *args: Any,
    dtype: Any = None,
    device: Any = None,
    non_blocking: bool = False,
    copy: bool = False,
) -> Tensor:
    """PyTorch's `to`: `to(np.float64)`, `to("cpu")`, `to(other_tensor)` (its dtype),
    `to(device, dtype)`. The dtype is a NumPy one; the device must be the CPU. Returns the
    tensor itself when nothing changes (a copy with `copy=True`)."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, str) and not _is_dtype(arg) or type(arg).__name__ == "device":
            device = arg
        else:
            dtype = arg
    if device is not None and not (str(device) == "cpu" or str(device).startswith("cpu:")):
        raise RuntimeError(
            f"to: minigrad runs on the CPU only (NumPy underneath), got device {device!r}; "
            "drop the .to(device) call, or pass 'cpu'"
        )
    if dtype is None:
        return clone(x) if copy else x
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"to: dtypes are NumPy's, e.g. np.float32 or 'float64', got {dtype!r}"
        ) from None
    out = _cast(x, dtype)
    return clone(out) if copy and out is x else out


def square(x: Tensor) -> Tensor:
    """`x * x`; dy/dx = 2x."""
    return ops.mul(x, x)


def reciprocal(x: Tensor) -> Tensor:
    """`1 / x`; dy/dx = -1/x**2."""
    return ops.div(1, x)


def clamp_min(x: Tensor, min: Any) -> Tensor:
    """`clamp(min=min)`."""
    return clamp(x, min=min)


def clamp_max(x: Tensor, max: Any) -> Tensor:
    """`clamp(max=max)`."""
    return clamp(x, max=max)


def as_float32(x: Tensor) -> Tensor:
    """This tensor as float32 (itself if it is already); differentiable."""
    return _cast(x, np.float32)


def as_float64(x: Tensor) -> Tensor:
    """This tensor as float64 (itself if it is already); differentiable."""
    return _cast(x, np.float64)


def as_int64(x: Tensor) -> Tensor:
    """This tensor as int64 (class indices), cut from the graph."""
    return _cast(x, np.int64)


def as_int32(x: Tensor) -> Tensor:
    """This tensor as int32, cut from the graph."""
    return _cast(x, np.int32)


def as_bool(x: Tensor) -> Tensor:
    """This tensor as bool, cut from the graph."""
    return _cast(x, np.bool_)


def itself(x: Tensor) -> Tensor:
    """Itself: `cpu()` (minigrad tensors always live on the CPU) and `contiguous()`
    (minigrad has no strided views; `reshape` copies where NumPy needs to)."""
    return x


def _is_dtype(name: str) -> bool:
    try:
        np.dtype(name)
    except TypeError:
        return False
    return True


def clone(x: Tensor) -> Tensor:
    """A copy with its own array; differentiable (dx = dy), as PyTorch's `clone`."""
    return ops.astype(x, x.dtype)


def clamp(x: Any, min: Any = None, max: Any = None) -> Any:
    """`clip` under PyTorch's name: x limited to [min, max] (numbers); dy/dx = 1 where
    min <= x <= max (bounds included), else 0."""
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        raise TypeError(
            "clamp: bounds must be numbers; for a tensor bound write "
            "mg.maximum(x, lo) / mg.minimum(x, hi)"
        )
    return ops.clip(x, min, max)


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """x with `value` where the bool `mask` (broadcast to x) is True; dy/dx = dy where mask
    is False, 0 where it is True (`mg.where(mask, value, x)`)."""
    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(
            f"masked_fill: mask must be a bool tensor, got dtype {m.dtype}; "
            "compare to make one, e.g. x.masked_fill(x < 0, 0.0)"
        )
    return ops.where(m, value, x)


_NEW = "write mg.zeros(shape, dtype=x.dtype) (or mg.ones, mg.full, mg.tensor)"
_NO_SORT = "minigrad has no differentiable {}; without a gradient, use np.{}(x.numpy(), ...)"
_OUT_OF_PLACE = (  # in-place forms PyTorch has of methods minigrad has only out of place
    "abs clamp clamp_max clamp_min clip exp log masked_fill pow relu sigmoid sqrt squeeze t "
    "tanh transpose unsqueeze"
).split()

# PyTorch names minigrad lacks on purpose -> what to write instead, for `x.<name>` and
# `mg.<name>` alike (a Tensor that has the name, as `x.max`, keeps its own)
INSTEAD = {
    "cuda": "minigrad runs on the CPU only (NumPy underneath): drop .cuda() and torch.cuda "
    "checks (x.to('cpu') is accepted)",
    "device": "minigrad runs on the CPU only: drop the device (x.to('cpu') is accepted)",
    "max": "write x.max(dim=1) for (values, indices) as torch.max(x, 1), x.max() or "
    "x.max(axis=1) for the values",
    "min": "write x.min(dim=1) for (values, indices) as torch.min(x, 1), x.min() or "
    "x.min(axis=1) for the values",
    "Size": "x.size() and x.shape are tuples: compare them with (2, 3)",
    "grad_fn": "minigrad has no grad_fn objects: x.op names the op that made x ('' for a leaf) "
    "and x.parents its inputs",
    "register_hook": "minigrad has no hooks; x.retain_grad() keeps a non-leaf's .grad",
    "detach_": "write x = x.detach() (a new leaf sharing the array)",
    "type": "x.dtype is the (NumPy) dtype; convert with x.to(np.float64) or x.float()",
    "half": "minigrad has no mixed precision; x.astype(np.float16) converts (slowly, in NumPy)",
    "new_zeros": _NEW,
    "new_ones": _NEW,
    "new_full": _NEW,
    "new_empty": _NEW,
    "new_tensor": _NEW,
    "sort": _NO_SORT.format("sort", "sort"),
    "argsort": _NO_SORT.format("argsort", "argsort"),
    "topk": _NO_SORT.format("topk", "argsort") + " (or x.max(dim=...) for k = 1)",
    "cumsum": _NO_SORT.format("cumsum", "cumsum"),
    "cumprod": _NO_SORT.format("cumprod", "cumprod"),
    "gather": "index with integer arrays instead, e.g. x[np.arange(n), labels] (differentiable)",
    "index_select": "index with an integer array instead, e.g. x[idx] or x[:, idx]",
    "uniform_": "use nn.init.uniform_(x, a, b)",
    "normal_": "use nn.init.normal_(x, mean, std)",
    "is_contiguous": "minigrad has no strided views: every tensor can be used as contiguous",
    **{
        f"{name}_": "minigrad's in-place methods are add_, sub_, mul_, div_, fill_, zero_ and "
        f"copy_; write x = x.{name}(...) for a new tensor"
        for name in _OUT_OF_PLACE
    },
}


class _Missing:
    """A PyTorch attribute minigrad lacks on purpose: reading it raises the AttributeError
    any missing attribute raises (so `hasattr` is False), saying what to write instead. A
    class attribute per name, not a `__getattr__`, which would slow every attribute access
    of a Tensor."""

    def __init__(self, name: str, advice: str) -> None:
        self.name, self.advice = name, advice

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        raise AttributeError(f"'Tensor' object has no attribute {self.name!r}: {self.advice}")


def missing_attribute(name: str) -> Any:
    """The module `__getattr__` of `minigrad` (run only when a name is not found): a PyTorch
    name minigrad lacks gets an AttributeError saying what to write instead."""
    message = f"module 'minigrad' has no attribute {name!r}"
    advice = INSTEAD.get(name)
    raise AttributeError(f"{message}: {advice}" if advice else message)
