"""The ``Tensor``: an ndarray plus what reverse mode needs to send gradients back.

A tensor is a leaf (made by the user: ``mg.tensor``, ``nn.Parameter``) or a node (made by
an op while recording). A node keeps its ``_parents`` and the op's ``_backward`` closure,
which maps the output gradient ``gy`` (and the parents' values) to one gradient per parent.
``_fill`` sets every slot of both kinds; ``record`` is the lean per-op wrapper every op goes
through.

``_stamp`` orders the graph: each node gets a fresh number from one global counter when it
is made, so a node's inputs always carry older stamps than the node, which is the order the
backward walk needs. A leaf's stamp is 0 until minigrad changes its data in place (optimizer
steps, ``nn.init``, ``load_state_dict``), which stamps it again (``_mark_changed``): a node
that used the old values then has a parent newer than itself, and backward raises.

In-place safety: an array that an op produced while recording is made read-only, so
writing into it raises instead of corrupting a later backward. A leaf changed after a node
used it is stamped again (an optimizer step, ``nn.init``, ``x.data = ...``, ``x.data += 1``,
``x -= ...`` under ``no_grad``), and backward then raises. Writes into the array itself
(``x.data[0] = 1``, ``np.add(x.data, 1, out=x.data)``) are not seen.

The operator methods are thin aliases of the functions in ``minigrad.ops``, imported at the
end of this module (``ops`` needs the class, the class's methods need ``ops``).
"""

import itertools

import numpy as np

import minigrad._import_guard  # noqa: F401  (first: a folder named minigrad may hide us)
from minigrad import grad_mode
from minigrad.dtypes import as_array
from minigrad.tensor_methods import ArrayMethods

_new = object.__new__


class Tensor(ArrayMethods):
    """An n-dimensional array that can record the operations applied to it.

    Args:
        data: an ndarray (wrapped without copying), a Python number or nested list
            (converted to the default dtype, float32 unless changed).
        requires_grad: whether backward should compute ``.grad`` for this leaf.
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

    def __init__(self, data, requires_grad=False):
        _fill(self, as_array(data.data if isinstance(data, Tensor) else data))
        if requires_grad:
            self.requires_grad_(True)

    # attributes

    @property
    def data(self):
        """The ndarray holding the values.

        Assigning it (``x.data = a``, or ``x.data += 1``, which assigns too) stamps the tensor
        again, so a graph that used the old values refuses to backpropagate instead of giving
        a wrong gradient. Writes into the array itself (``x.data[0] = 1``) are not seen.
        """
        return self._data

    @data.setter
    def data(self, value):
        self._data = as_array(value)
        self._stamp = _next_stamp()

    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def is_leaf(self):
        """True for tensors not made by a recorded op (their ``.grad`` is kept)."""
        return self._backward is None

    @property
    def op(self):
        """Name of the op that made this tensor ('' for leaves)."""
        return self._op

    @property
    def parents(self):
        """The tensors this one was computed from, in the op's argument order (``()`` for
        leaves, and once a ``backward`` without ``retain_graph`` has freed the node)."""
        return self._parents

    def __len__(self):
        return len(self._data)

    def __array__(self, dtype=None, copy=None):
        if dtype is None:
            return self._data
        return self._data.astype(dtype, copy=bool(copy))

    def __repr__(self):
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

    def __bool__(self):
        return bool(self._data)

    def __float__(self):
        return float(self._data)

    def __int__(self):
        return int(self._data)

    # methods

    def numpy(self):
        """Return the underlying ndarray (shared, not copied)."""
        return self._data

    def item(self):
        """Return the value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item: only one-element tensors convert, got shape {self.shape}")
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def detach(self):
        """A new leaf sharing this tensor's data, cut from the graph."""
        return Tensor(self._data)

    def requires_grad_(self, flag=True):
        """Mark this leaf as needing ``.grad`` (floating dtypes only). Returns self."""
        if flag and self._data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require grad, got dtype {self._data.dtype}; "
                "convert first, e.g. mg.tensor(x, dtype=np.float32, requires_grad=True)"
            )
        if not flag and self._backward is not None:
            raise RuntimeError("requires_grad_(False) applies to leaves only; use detach()")
        self.requires_grad = bool(flag)
        return self

    def _mark_changed(self):
        """Stamp this tensor again after its data changed in place, so that a graph that
        used the old values refuses to backpropagate (see the module docstring)."""
        self._stamp = _next_stamp()

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require grad")
        self._retains_grad = True
        return self

    def backward(self, gradient=None, retain_graph=False, create_graph=False):
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        Args:
            gradient: dL/d(self), same shape as self; optional for a one-element tensor.
            retain_graph: keep the graph's saved buffers for another backward.
            create_graph: record the backward itself, so ``.grad`` can be differentiated.
        """
        autograd.backward(self, gradient, retain_graph, create_graph)

    # operators (NumPy broadcasting; see minigrad.ops for forward and backward)

    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.neg(self)

    # in-place operators: x += y changes x itself, as in PyTorch (see _in_place)

    def __iadd__(self, other):
        return self._in_place(ops.add, np.add, other)

    def __isub__(self, other):
        return self._in_place(ops.sub, np.subtract, other)

    def __imul__(self, other):
        return self._in_place(ops.mul, np.multiply, other)

    def __itruediv__(self, other):
        return self._in_place(ops.div, np.divide, other)

    def __ipow__(self, other):
        return self._in_place(ops.pow, np.power, other)

    def _in_place(self, op, ufunc, other):
        """``self op= other``. Outside recording (``mg.no_grad()``, or nothing requires grad)
        the array is updated in place, as PyTorch does (``w -= lr * w.grad``), and the
        tensor stamped again, so a graph that used the old values refuses to backpropagate.
        While recording, a leaf that requires grad cannot change in place (as in PyTorch);
        any other tensor is replaced by the recorded result (``loss += penalty``)."""
        other_requires_grad = isinstance(other, Tensor) and other.requires_grad
        if grad_mode.enabled and (self.requires_grad or other_requires_grad):
            if self.requires_grad and self._backward is None:
                raise RuntimeError(
                    f"in-place {op.__name__} on a leaf that requires grad while recording "
                    "would lose its gradient; update it inside `with mg.no_grad():` (as an "
                    "optimizer step does), or write x = x + ... for a new tensor"
                )
            return op(self, other)
        return self._update(f"in-place {op.__name__}", ufunc, other)

    def _update(self, name, ufunc, other):
        """Write ``ufunc(array, other)`` into this tensor's array and stamp it again: the
        array side of an in-place change, which ``name`` (for errors) asked for."""
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

    def __pos__(self):
        return self

    def __getitem__(self, index):
        return ops.getitem(self, index)

    def __lt__(self, other):
        return Tensor(self._data < _raw(other))

    def __le__(self, other):
        return Tensor(self._data <= _raw(other))

    def __gt__(self, other):
        return Tensor(self._data > _raw(other))

    def __ge__(self, other):
        return Tensor(self._data >= _raw(other))

    def __eq__(self, other):
        return Tensor(self._data == _raw(other))

    def __ne__(self, other):
        return Tensor(self._data != _raw(other))


def _raw(x):
    return x.data if isinstance(x, Tensor) else x


_ndarray = np.ndarray
_next_stamp = itertools.count(1).__next__  # see the module docstring on ``_stamp``


def _fill(t, data, op="", parents=(), backward=None):
    """Set every slot of ``t``, the one place a Tensor is set up, and return it.

    Given a ``backward``, ``t`` is a recorded node: it requires grad and gets a fresh
    stamp. Otherwise it is a leaf (``requires_grad_`` may mark it afterwards).
    """
    t._data = data
    t.grad = None
    t.requires_grad = backward is not None
    t._parents = parents
    t._backward = backward
    t._op = op
    t._stamp = 0 if backward is None else _next_stamp()
    t._retains_grad = False
    return t


def record(data, op, parents, backward):
    """Wrap an op's output ``data``; keep the graph link if recording and a parent needs grad.

    ``backward(gy, *xs)`` gets the output gradient and the parents' values and returns one
    gradient (or None) per parent. In a first-order backward these are plain ndarrays; under
    ``create_graph`` they are Tensors (the parents themselves). The closure is written once,
    with operators and minigrad ops, which compute plain NumPy on ndarrays and record on
    Tensors, so the same expression is both the fast backward and a differentiable one. The
    engine sums broadcast gradients back to each parent's shape.
    """
    if type(data) is not _ndarray:
        data = np.asarray(data)  # NumPy returns scalars, not 0-d arrays, from 0-d ops
    if grad_mode.enabled:
        for p in parents:
            if p.requires_grad:
                data.setflags(False)  # write=False; positional skips keyword parsing (~80 ns)
                return _fill(_new(Tensor), data, op, parents, backward)
    return _fill(_new(Tensor), data, op)


def const(data):
    """Wrap an ndarray as a leaf that needs no grad, skipping ``Tensor.__init__``'s checks
    (the engine wraps first-order gradients with it when it hands them to the user)."""
    return _fill(_new(Tensor), data)


def as_tensor(x):
    """``x`` itself if it is a Tensor, else ``Tensor(x)`` (an ndarray is wrapped, not
    copied): how functions accept arrays, lists and numbers where a Tensor is expected."""
    return x if isinstance(x, Tensor) else Tensor(x)


def tensor(data, dtype=None, requires_grad=False):
    """Build a leaf tensor holding a copy of ``data``.

    Python floats and lists become the default dtype (float32); a NumPy array keeps its
    dtype unless ``dtype`` is given. Integer and bool tensors cannot require grad.
    """
    if isinstance(data, Tensor):
        data = data.data
    arr = as_array(data, dtype)
    if arr is data or not arr.flags.owndata:
        arr = arr.copy()
    return Tensor(arr, requires_grad=requires_grad)


from minigrad import autograd, ops  # noqa: E402  (see the module docstring)
