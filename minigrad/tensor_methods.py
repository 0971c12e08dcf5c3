"""The array methods of ``Tensor``: reductions, elementwise functions, shape changes, and
the spellings PyTorch users type (``sum(dim=...)``, ``view``, ``permute``, ``size()``,
``float()``, ``clamp``, ``to``, ``add_``). Each is a thin call of an op in ``minigrad.ops``,
which records the graph. A PyTorch name minigrad deliberately lacks (``cuda``, ``grad_fn``)
gets an AttributeError saying what to write instead (``_Missing``: a class attribute per
name, not a ``__getattr__``, which would slow every attribute access of a Tensor).

``ArrayMethods`` is the base class of ``Tensor`` (defined in ``minigrad.tensor``); ``ops`` and
``tensor`` are imported at the end of this module, since they need this class first.
"""

import math

import numpy as np

from minigrad import grad_mode
from minigrad.axes import normalized_axes, numpy_or_torch, reduce_args


class ArrayMethods:
    """Methods of ``Tensor`` that call an op (see the module docstring)."""

    __slots__ = ()

    device = "cpu"  # minigrad computes with NumPy, on the CPU only
    is_cuda = False

    @property
    def size(self):
        """The number of elements, NumPy's ``.size``; called, PyTorch's ``size()``: the
        shape, and ``size(dim)`` the length of one axis."""
        return _Size(self.data.shape)

    def numel(self):
        """The number of elements (PyTorch's name)."""
        return self.data.size

    @property
    def T(self):
        return ops.transpose(self)

    def dim(self):
        """The number of axes (PyTorch's name for ``ndim``)."""
        return self.data.ndim

    def float(self):
        """This tensor as float32 (itself if it is already); differentiable."""
        return self._cast(np.float32)

    def double(self):
        """This tensor as float64 (itself if it is already); differentiable."""
        return self._cast(np.float64)

    def long(self):
        """This tensor as int64 (class indices), cut from the graph."""
        return self._cast(np.int64)

    def int(self):
        """This tensor as int32, cut from the graph."""
        return self._cast(np.int32)

    def bool(self):
        """This tensor as bool, cut from the graph."""
        return self._cast(np.bool_)

    def _cast(self, dtype):
        """Itself if it has ``dtype``; else converted: differentiably to a floating dtype,
        cut from the graph to any other (only floating tensors carry gradients, as in
        PyTorch)."""
        dtype = np.dtype(dtype)
        if self.data.dtype == dtype:
            return self
        if dtype.kind != "f":
            return tensor.const(self.data.astype(dtype))
        return ops.astype(self, dtype)

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False):
        """PyTorch's ``to``: ``to(np.float64)``, ``to("cpu")``, ``to(other_tensor)`` (its
        dtype), ``to(device, dtype)``. The dtype is a NumPy one; the device must be the CPU.
        Returns this tensor itself when nothing changes (a copy with ``copy=True``)."""
        for arg in args:
            if isinstance(arg, tensor.Tensor):
                dtype = arg.dtype
            elif isinstance(arg, str) and not _is_dtype(arg) or type(arg).__name__ == "device":
                device = arg
            else:
                dtype = arg
        if device is not None and not _is_device(str(device)):
            raise RuntimeError(
                f"to: minigrad runs on the CPU only (NumPy underneath), got device {device!r}; "
                "drop the .to(device) call, or pass 'cpu'"
            )
        if dtype is None:
            return self.clone() if copy else self
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(
                f"to: dtypes are NumPy's, e.g. np.float32 or 'float64', got {dtype!r}"
            ) from None
        out = self._cast(dtype)
        return out.clone() if copy and out is self else out

    def cpu(self):
        """Itself: minigrad tensors always live on the CPU."""
        return self

    def contiguous(self):
        """Itself: minigrad has no strided views to make contiguous (``reshape`` copies
        where NumPy needs to)."""
        return self

    def clone(self):
        """A copy with its own array; differentiable (dx = dy), as PyTorch's ``clone``."""
        return ops.astype(self, self.data.dtype)

    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """The max over ``axis``; with PyTorch's ``dim=``, ``(values, indices)`` as there."""
        return ops.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """The min over ``axis``; with PyTorch's ``dim=``, ``(values, indices)`` as there."""
        return ops.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def softmax(self, axis=-1, *, dim=None):
        """``ops.softmax`` along ``axis`` (PyTorch: ``x.softmax(dim=1)``)."""
        return ops.softmax(self, axis, dim=dim)

    def log_softmax(self, axis=-1, *, dim=None):
        """``ops.log_softmax`` along ``axis`` (PyTorch: ``x.log_softmax(dim=1)``)."""
        return ops.log_softmax(self, axis, dim=dim)

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Indices of the maxima along ``axis`` (of the flattened tensor if None), as an
        int64 tensor that carries no graph; the first one among ties."""
        return self._arg(np.argmax, "argmax", axis, keepdims, dim, keepdim)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Indices of the minima along ``axis``, as ``argmax``."""
        return self._arg(np.argmin, "argmin", axis, keepdims, dim, keepdim)

    def _arg(self, fn, name, axis, keepdims, dim, keepdim):
        axis, keepdims = reduce_args(name, axis, keepdims, dim, keepdim)
        return tensor.const(np.asarray(fn(self.data, axis=axis, keepdims=keepdims), np.int64))

    def amax(self, dim=None, keepdim=False):
        """The max over ``dim``, PyTorch's ``amax``: the values only, ties sharing dy."""
        return ops.max(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        """The min over ``dim``, PyTorch's ``amin``: the values only, ties sharing dy."""
        return ops.min(self, dim, keepdim)

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def neg(self):
        return ops.neg(self)

    def square(self):
        """``x * x``; dy/dx = 2x."""
        return ops.mul(self, self)

    def reciprocal(self):
        """``1 / x``; dy/dx = -1/x**2."""
        return ops.div(1, self)

    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def abs(self):
        return ops.abs(self)

    def tanh(self):
        return ops.tanh(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def relu(self):
        return ops.relu(self)

    def clip(self, lo=None, hi=None):
        return ops.clip(self, lo, hi)

    def clamp(self, min=None, max=None):
        """``clip`` under PyTorch's name: x limited to [min, max] (numbers); dy/dx = 1 where
        min <= x <= max (bounds included), else 0."""
        for bound in (min, max):
            if isinstance(bound, tensor.Tensor):
                raise TypeError(
                    "clamp: bounds must be numbers; for a tensor bound write "
                    "mg.maximum(x, lo) / mg.minimum(x, hi)"
                )
        return ops.clip(self, min, max)

    def clamp_min(self, min):
        """``clamp(min=min)``."""
        return self.clamp(min=min)

    def clamp_max(self, max):
        """``clamp(max=max)``."""
        return self.clamp(max=max)

    def pow(self, exponent):
        """``self ** exponent``."""
        return ops.pow(self, exponent)

    def mm(self, other):
        """``ops.mm``: the product of two matrices (PyTorch's ``x.mm(y)``)."""
        return ops.mm(self, other)

    def prod(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return ops.prod(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def var(
        self, axis=None, unbiased=None, keepdims=False, *, dim=None, keepdim=None, **correction
    ):
        """``ops.var``: unbiased by default, as PyTorch (``correction=0``, ``ddof=0`` or
        ``unbiased=False`` for NumPy's population variance)."""
        return ops.var(self, axis, unbiased, keepdims, dim=dim, keepdim=keepdim, **correction)

    def std(
        self, axis=None, unbiased=None, keepdims=False, *, dim=None, keepdim=None, **correction
    ):
        """``ops.std``: unbiased by default, as PyTorch (see ``var``)."""
        return ops.std(self, axis, unbiased, keepdims, dim=dim, keepdim=keepdim, **correction)

    def norm(self, p="fro", dim=None, keepdim=None, *, axis=None, keepdims=False):
        """``ops.norm``: the 2-norm of all elements by default, as PyTorch's ``x.norm()``."""
        return ops.norm(self, p, dim, keepdim, axis=axis, keepdims=keepdims)

    def masked_fill(self, mask, value):
        """x with ``value`` where the bool ``mask`` (broadcast to x) is True; dy/dx = dy
        where mask is False, 0 where it is True (``mg.where(mask, value, x)``)."""
        m = mask.data if isinstance(mask, tensor.Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise TypeError(
                f"masked_fill: mask must be a bool tensor, got dtype {m.dtype}; "
                "compare to make one, e.g. x.masked_fill(x < 0, 0.0)"
            )
        return ops.where(m, value, self)

    def reshape(self, *shape):
        return ops.reshape(self, _shape_arg(shape))

    def view(self, *shape):
        """``reshape`` under PyTorch's name (minigrad does not share storage between views)."""
        return ops.reshape(self, _shape_arg(shape))

    def flatten(self, start_axis=0, end_axis=-1, *, start_dim=None, end_dim=None):
        """Merge the axes ``start_axis`` to ``end_axis`` (PyTorch: ``start_dim``, ``end_dim``)
        into one: (N, C, H, W) -> (N, C*H*W) for ``start_axis=1``."""
        start = numpy_or_torch("flatten", ("start_axis", "start_dim"), start_axis, start_dim, 0)
        end = numpy_or_torch("flatten", ("end_axis", "end_dim"), end_axis, end_dim, -1)
        if self.data.ndim == 0:
            return ops.reshape(self, (1,))
        start, end = (a % self.data.ndim for a in (start, end))
        return ops.reshape(self, self.shape[:start] + (-1,) + self.shape[end + 1 :])

    def unsqueeze(self, dim):
        """A new axis of length 1 at ``dim`` (in -ndim-1 .. ndim), as PyTorch."""
        ndim = self.data.ndim + 1
        if not -ndim <= dim < ndim:
            raise IndexError(f"unsqueeze: dim {dim} is out of range for {ndim - 1} dims")
        shape = list(self.shape)
        shape.insert(dim % ndim, 1)
        return ops.reshape(self, tuple(shape))

    def squeeze(self, dim=None):
        """Drop axes of length 1: all of them, or those of ``dim`` (an int or tuple) that
        have length 1 (others are left as they are, as in PyTorch)."""
        drop = normalized_axes(dim, self.data.ndim)
        shape = tuple(n for i, n in enumerate(self.shape) if not (i in drop and n == 1))
        return ops.reshape(self, shape)

    def transpose(self, *axes):
        """``transpose()`` reverses the axes (as ``.T``); ``transpose(a, b)`` swaps axes a and
        b, as PyTorch does (NumPy would read ``(0, 1)`` as the identity permutation); a full
        permutation, ``transpose((2, 0, 1))`` or ``transpose(2, 0, 1)``, is ``permute``."""
        if len(axes) == 2 and all(isinstance(a, int) for a in axes):
            order = list(range(self.data.ndim))
            a, b = normalized_axes(axes, self.data.ndim) if axes[0] != axes[1] else axes[:1] * 2
            order[a], order[b] = order[b], order[a]
            return ops.transpose(self, tuple(order))
        return self.permute(*axes) if axes else ops.transpose(self)

    def permute(self, *axes):
        """The axes reordered: output axis i is input axis ``axes[i]`` (``permute(2, 0, 1)``
        or ``permute((2, 0, 1))``)."""
        axes = _shape_arg(axes)
        if sorted(a % max(self.data.ndim, 1) for a in axes) != list(range(self.data.ndim)):
            raise ValueError(
                f"permute: {axes} is not a permutation of the {self.data.ndim} axes of a "
                f"tensor of shape {self.shape}"
            )
        return ops.transpose(self, axes)

    def t(self):
        """The transpose of a matrix (a vector or a scalar as it is), PyTorch's ``t()``."""
        if self.data.ndim > 2:
            raise ValueError(
                f"t: expects at most 2 dims, got shape {self.shape}; use transpose(a, b) or "
                "permute(...) for more"
            )
        return ops.transpose(self)

    def expand(self, *sizes):
        """x broadcast to ``sizes`` (new axes in front; -1 keeps an axis), PyTorch's
        ``expand``; dx = dy summed over the broadcast axes."""
        sizes = _shape_arg(sizes)
        lead = len(sizes) - self.data.ndim
        if lead < 0 or any(n == -1 for n in sizes[:lead]):
            raise ValueError(
                f"expand: sizes {sizes} must give every axis of shape {self.shape} "
                "(-1 keeps an axis; new leading axes need a size)"
            )
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        try:
            return ops.broadcast_to(self, shape)
        except ValueError:
            raise ValueError(
                f"expand: shape {self.shape} cannot expand to {shape} (only axes of length 1 "
                "stretch; use repeat to tile)"
            ) from None

    def repeat(self, *sizes):
        """x tiled ``sizes[i]`` times along axis i (new axes in front), PyTorch's ``repeat``
        (NumPy's ``np.tile``); dx = dy summed over the copies."""
        sizes = _shape_arg(sizes)
        if len(sizes) < self.data.ndim:
            raise ValueError(
                f"repeat: give at least one count per axis of shape {self.shape}, got {sizes}"
            )
        shape = (1,) * (len(sizes) - self.data.ndim) + self.shape
        spread = ops.reshape(self, tuple(d for n in shape for d in (1, n)))
        tiled = ops.broadcast_to(spread, tuple(d for r, n in zip(sizes, shape) for d in (r, n)))
        return ops.reshape(tiled, tuple(r * n for r, n in zip(sizes, shape)))

    def astype(self, dtype):
        return ops.astype(self, dtype)

    # in-place methods: outside recording they change the array, as ``x -= ...`` does

    def add_(self, other, alpha=1):
        """``x += alpha * other`` in place (see ``_change``)."""
        return self._change("add_", np.add, other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha=1):
        """``x -= alpha * other`` in place (see ``_change``)."""
        return self._change("sub_", np.subtract, other if alpha == 1 else other * alpha)

    def mul_(self, other):
        """``x *= other`` in place (see ``_change``)."""
        return self._change("mul_", np.multiply, other)

    def div_(self, other):
        """``x /= other`` in place (see ``_change``)."""
        return self._change("div_", np.divide, other)

    def fill_(self, value):
        """Every element set to ``value`` in place (see ``_change``)."""
        return self._change("fill_", _assign, value)

    def zero_(self):
        """Every element set to 0 in place (``x.grad.zero_()``; see ``_change``)."""
        return self._change("zero_", _assign, 0)

    def copy_(self, src):
        """The values of ``src`` (broadcast to x's shape) copied in place (see ``_change``)."""
        return self._change("copy_", _assign, src)

    def _change(self, name, ufunc, other):
        """An in-place method: outside recording (``mg.no_grad()``, or nothing requires
        grad) the array is changed and the tensor stamped again, so a graph that used the old
        values refuses to backpropagate, as ``x -= ...`` does. While recording it raises:
        PyTorch refuses it on a leaf that requires grad, and elsewhere ``x += y`` (which
        rebinds x to the recorded result) is the spelling that keeps the graph."""
        if grad_mode.enabled and (
            self.requires_grad or isinstance(other, tensor.Tensor) and other.requires_grad
        ):
            raise RuntimeError(
                f"{name}: cannot change a tensor in place while recording a graph that "
                "needs its old values; write x = x + y (or x += y) for a recorded result, or "
                "change it inside `with mg.no_grad():` (as an optimizer step does)"
            )
        return self._update(name, ufunc, other)


def _assign(a, value, out):
    """``out[...] = value`` (broadcast), shaped as a ufunc call for ``Tensor._update``."""
    np.copyto(out, value)


def _is_dtype(name):
    try:
        np.dtype(name)
    except TypeError:
        return False
    return True


def _is_device(name):
    """True for the device names minigrad accepts: the CPU's."""
    return name == "cpu" or name.startswith("cpu:")


_NEW = "write mg.zeros(shape, dtype=x.dtype) (or mg.ones, mg.full, mg.tensor)"
_NO_SORT = "minigrad has no differentiable {}; without a gradient, use np.{}(x.numpy(), ...)"

# PyTorch names minigrad lacks on purpose -> what to write instead (see _Missing)
_INSTEAD = {
    "cuda": "minigrad runs on the CPU only (NumPy underneath): drop .cuda()",
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
}


class _Missing:
    """A PyTorch attribute minigrad lacks on purpose: reading it raises the AttributeError
    any missing attribute raises (so ``hasattr`` is False), saying what to write instead."""

    def __init__(self, name, advice):
        self.name, self.advice = name, advice

    def __get__(self, obj, owner=None):
        raise AttributeError(f"'Tensor' object has no attribute {self.name!r}: {self.advice}")


# In-place forms PyTorch has of methods minigrad has only out of place
_OUT_OF_PLACE = (
    "abs clamp clamp_max clamp_min clip exp log masked_fill pow relu sigmoid sqrt squeeze t "
    "tanh transpose unsqueeze"
).split()
_INSTEAD.update(
    {
        f"{name}_": "minigrad's in-place methods are add_, sub_, mul_, div_, fill_, zero_ and "
        f"copy_; write x = x.{name}(...) for a new tensor"
        for name in _OUT_OF_PLACE
    }
)
for _name, _advice in _INSTEAD.items():
    setattr(ArrayMethods, _name, _Missing(_name, _advice))


def _shape_arg(args):
    """``f(2, 3)`` and ``f((2, 3))`` alike: the shape or axes as one tuple."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


class _Size(int):
    """What ``t.size`` gives: the number of elements (an int, as NumPy's ``.size``), which
    can also be called as PyTorch's ``t.size()`` (the shape) and ``t.size(dim)``."""

    def __new__(cls, shape):
        size = super().__new__(cls, math.prod(shape))
        size.shape = shape
        return size

    def __call__(self, dim=None):
        if dim is None:
            return self.shape
        if not -len(self.shape) <= dim < len(self.shape):
            raise IndexError(f"size: dim {dim} is out of range for {len(self.shape)} dims")
        return self.shape[dim]


from minigrad import ops, tensor  # noqa: E402  (see the module docstring)
