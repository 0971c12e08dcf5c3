"""The `Tensor`: an ndarray plus what reverse mode needs to send gradients back.

A tensor is a leaf (made by the user: `mg.tensor`, `nn.Parameter`) or a node (made by an op
while recording). A node keeps its `_parents` and the op's `_backward` closure, which maps
the output gradient `gy` (and the parents' values) to one gradient per parent. `record` is
the one place a node is made.

`_stamp` orders the graph: each node gets a fresh number from one global counter when it is
made, so a node's inputs always carry older stamps than the node, which is the order the
backward walk needs. A leaf's stamp is 0 until minigrad changes its data in place (optimizer
steps, `nn.init`, `load_state_dict`, `x.data = ...`, `x -= ...` under `no_grad`), which
stamps it again (`_mark_changed`): a node that used the old values then has a parent newer
than itself, and backward raises. An array an op produced while recording is read-only, so
writing into it raises instead of corrupting a later backward; writes into a leaf's array
itself (`x.data[0] = 1`) are not seen.

This module imports no op. The operators and array methods (`+`, `exp`, `sum`, `backward`,
...) are the ops of `minigrad.ops` and the engine's `backward`, attached to the class in one
place, the table `TensorMethods` in `minigrad/public_ops.py`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

import minigrad._import_guard  # noqa: F401  (first: a folder named minigrad may hide us)
from minigrad import grad_mode
from minigrad.dtypes import as_array

if TYPE_CHECKING:  # the attached methods, for type checkers (see the module docstring)
    from minigrad.public_ops import TensorMethods
else:
    TensorMethods = object

Backward = Callable[..., tuple[Any, ...]]  # backward(gy, *parent_values) -> one grad per parent

_new = object.__new__
_ndarray = np.ndarray
_next_stamp = itertools.count(1).__next__  # see the module docstring on `_stamp`


class Tensor(TensorMethods):
    """An n-dimensional array that can record the operations applied to it.

    Args:
        data: an ndarray (wrapped without copying), a Python number or nested list
            (converted to the default dtype, float32 unless changed).
        requires_grad: whether backward should compute `.grad` for this leaf.
    """

    __slots__ = (
        "_data",
        "grad",
        "requires_grad",
        "_parents",
        "_backward",
        "_op",
        "_stamp",
        "_retains_grad",
        "__weakref__",
    )
    # ndarray (op) Tensor defers to Tensor's reflected operator instead of broadcasting
    # over an object array.
    __array_ufunc__ = None
    device = "cpu"  # minigrad computes with NumPy, on the CPU only
    is_cuda = False

    _data: np.ndarray
    grad: Tensor | None
    requires_grad: bool
    _parents: tuple[Tensor, ...]
    _backward: Backward | None
    _op: str
    _stamp: int
    _retains_grad: bool

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        self._data = as_array(data._data if isinstance(data, Tensor) else data)
        self.grad = self._backward = None
        self.requires_grad = self._retains_grad = False
        self._parents, self._op, self._stamp = (), "", 0
        if requires_grad:
            self.requires_grad_(True)

    @property
    def data(self) -> np.ndarray:
        """The ndarray holding the values.

        Assigning it (`x.data = a`, or `x.data += 1`, which assigns too) stamps the tensor
        again, so a graph that used the old values refuses to backpropagate instead of giving
        a wrong gradient. Writes into the array itself (`x.data[0] = 1`) are not seen.
        """
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = as_array(value)
        self._stamp = _next_stamp()

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._data.dtype

    @property
    def size(self) -> _Size:
        """The number of elements, NumPy's `.size`; called, PyTorch's `size()`: the shape,
        and `size(dim)` the length of one axis."""
        return _Size(self._data.shape)

    def numel(self) -> int:
        """The number of elements (PyTorch's name)."""
        return self._data.size

    def dim(self) -> int:
        """The number of axes (PyTorch's name for `ndim`)."""
        return self._data.ndim

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (their `.grad` is kept)."""
        return self._backward is None

    @property
    def op(self) -> str:
        """Name of the op that made this tensor ('' for leaves)."""
        return self._op

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The tensors this one was computed from, in the op's argument order (`()` for
        leaves, and once a `backward` without `retain_graph` has freed the node)."""
        return self._parents

    def __len__(self) -> int:
        return len(self._data)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is None:
            return self._data
        return self._data.astype(dtype, copy=bool(copy))

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(")
        extra = ""
        if self._data.dtype != np.float32:
            extra += f", dtype={self._data.dtype}"
        if self._op:
            extra += f", op={self._op}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        return bool(self._data)

    def __float__(self) -> float:
        return float(self._data)

    def __int__(self) -> int:
        return int(self._data)

    def numpy(self) -> np.ndarray:
        """Return the underlying ndarray (shared, not copied)."""
        return self._data

    def item(self) -> Any:
        """Return the value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item: only one-element tensors convert, got shape {self.shape}")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, cut from the graph."""
        return const(self._data)

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Mark this leaf as needing `.grad` (floating dtypes only). Returns self."""
        if flag and self._data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require grad, got dtype {self._data.dtype}; "
                "convert first, e.g. mg.tensor(x, dtype=np.float32, requires_grad=True)"
            )
        if not flag and self._backward is not None:
            raise RuntimeError("requires_grad_(False) applies to leaves only; use detach()")
        self.requires_grad = bool(flag)
        return self

    def retain_grad(self) -> Tensor:
        """Keep `.grad` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require grad")
        self._retains_grad = True
        return self

    def _mark_changed(self) -> None:
        """Stamp this tensor again after its data changed in place, so that a graph that
        used the old values refuses to backpropagate (see the module docstring)."""
        self._stamp = _next_stamp()

    # comparisons carry no graph

    def __lt__(self, other: Any) -> Tensor:
        return const(np.asarray(self._data < _raw(other)))

    def __le__(self, other: Any) -> Tensor:
        return const(np.asarray(self._data <= _raw(other)))

    def __gt__(self, other: Any) -> Tensor:
        return const(np.asarray(self._data > _raw(other)))

    def __ge__(self, other: Any) -> Tensor:
        return const(np.asarray(self._data >= _raw(other)))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return const(np.asarray(self._data == _raw(other)))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return const(np.asarray(self._data != _raw(other)))

    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__

    def __pos__(self) -> Tensor:
        return self

    # in place, outside recording: the array changes, the tensor is stamped again

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        """`x += alpha * other` in place (see `_change`)."""
        return self._change("add_", np.add, other if alpha == 1 else other * alpha)

    def sub_(self, other: Any, alpha: float = 1) -> Tensor:
        """`x -= alpha * other` in place (see `_change`)."""
        return self._change("sub_", np.subtract, other if alpha == 1 else other * alpha)

    def mul_(self, other: Any) -> Tensor:
        """`x *= other` in place (see `_change`)."""
        return self._change("mul_", np.multiply, other)

    def div_(self, other: Any) -> Tensor:
        """`x /= other` in place (see `_change`)."""
        return self._change("div_", np.divide, other)

    def fill_(self, value: Any) -> Tensor:
        """Every element set to `value` in place (see `_change`)."""
        return self._change("fill_", _assign, value)

    def zero_(self) -> Tensor:
        """Every element set to 0 in place (`x.grad.zero_()`; see `_change`)."""
        return self._change("zero_", _assign, 0)

    def copy_(self, src: Any) -> Tensor:
        """The values of `src` (broadcast to x's shape) copied in place (see `_change`)."""
        return self._change("copy_", _assign, src)

    def _change(self, name: str, ufunc: Callable[..., Any], other: Any) -> Tensor:
        """An in-place method: outside recording (`mg.no_grad()`, or nothing requires grad)
        the array is changed and the tensor stamped again, so a graph that used the old
        values refuses to backpropagate, as `x -= ...` does. While recording it raises:
        PyTorch refuses it on a leaf that requires grad, and elsewhere `x += y` (which
        rebinds x to the recorded result) is the spelling that keeps the graph."""
        if grad_mode.enabled and (
            self.requires_grad or isinstance(other, Tensor) and other.requires_grad
        ):
            raise RuntimeError(
                f"{name}: cannot change a tensor in place while recording a graph that "
                "needs its old values; write x = x + y (or x += y) for a recorded result, or "
                "change it inside `with mg.no_grad():` (as an optimizer step does)"
            )
        return self._update(name, ufunc, other)

    def _update(self, name: str, ufunc: Callable[..., Any], other: Any) -> Tensor:
        """Write `ufunc(array, other)` into this tensor's array and stamp it again: the
        array side of an in-place change, which `name` (for errors) asked for."""
        if not self._data.flags.writeable:
            raise ValueError(
                f"{name}: this tensor's array is read-only (an op's output "
                "saved for backward, or a read-only array); write x = x + ... for a new tensor"
            )
        try:
            ufunc(self._data, _raw(other), out=self._data)
        except ValueError as e:
            raise ValueError(
                f"{name}: an operand of shape {np.shape(_raw(other))} cannot "
                f"update a tensor of shape {self.shape} in place ({e})"
            ) from None
        self._mark_changed()
        return self


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _assign(a: np.ndarray, value: Any, out: np.ndarray) -> None:
    """`out[...] = value` (broadcast), shaped as a ufunc call for `Tensor._update`."""
    np.copyto(out, value)


class _Size(int):
    """What `t.size` gives: the number of elements (an int, as NumPy's `.size`), which can
    also be called as PyTorch's `t.size()` (the shape) and `t.size(dim)`."""

    shape: tuple[int, ...]

    def __new__(cls, shape: tuple[int, ...]) -> _Size:
        size = super().__new__(cls, math.prod(shape))
        size.shape = shape
        return size

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        if not -len(self.shape) <= dim < len(self.shape):
            raise IndexError(f"size: dim {dim} is out of range for {len(self.shape)} dims")
        return self.shape[dim]


def record(data: Any, op: str, parents: tuple[Tensor, ...], backward: Backward | None) -> Tensor:
    """Wrap an op's output `data`; keep the graph link if recording and a parent needs grad.

    `backward(gy, *xs)` gets the output gradient and the parents' values and returns one
    gradient (or None) per parent. In a first-order backward these are plain ndarrays; under
    `create_graph` they are Tensors (the parents themselves). The closure is written once,
    with operators and minigrad ops, which compute plain NumPy on ndarrays and record on
    Tensors, so the same expression is both the fast backward and a differentiable one. The
    engine sums broadcast gradients back to each parent's shape; the gradient of a lone
    parent it passes on as it is (only broadcasting, of two or more inputs, changes shapes).
    """
    if type(data) is not _ndarray:
        data = np.asarray(data)  # NumPy returns scalars, not 0-d arrays, from 0-d ops
    out = _new(Tensor)
    out._data = data
    out.grad = None
    out._op = op
    out._retains_grad = False
    if grad_mode.enabled:
        for p in parents:
            if p.requires_grad:
                data.setflags(False)  # type: ignore[call-arg]  # write=False, positional: ~80 ns
                out.requires_grad = True
                out._parents = parents
                out._backward = backward
                out._stamp = _next_stamp()
                return out
    out.requires_grad = False
    out._parents = ()
    out._backward = None
    out._stamp = 0
    return out


def const(data: np.ndarray) -> Tensor:
    """Wrap an ndarray as a leaf that needs no grad, skipping `Tensor.__init__`'s checks
    (the engine wraps first-order gradients with it when it hands them to the user)."""
    return record(data, "", (), None)


def as_tensor(x: Any) -> Tensor:
    """`x` itself if it is a Tensor, else `Tensor(x)` (an ndarray is wrapped, not copied):
    how functions accept arrays, lists and numbers where a Tensor is expected."""
    return x if isinstance(x, Tensor) else Tensor(x)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Build a leaf tensor holding a copy of `data`.

    Python floats and lists become the default dtype (float32); a NumPy array keeps its
    dtype unless `dtype` is given. Integer and bool tensors cannot require grad.
    """
    if isinstance(data, Tensor):
        data = data._data
    arr = as_array(data, dtype)
    if arr is data or not arr.flags.owndata:
        arr = arr.copy()
    return Tensor(arr, requires_grad=requires_grad)


def is_tensor(x: object) -> bool:
    """True for a minigrad Tensor."""
    return isinstance(x, Tensor)
