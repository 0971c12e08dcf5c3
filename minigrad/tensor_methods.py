"""The array methods of ``Tensor``: reductions, elementwise functions, shape changes, and
the spellings PyTorch users type (``sum(dim=...)``, ``view``, ``permute``, ``size()``,
``float()``). Each is a thin call of an op in ``minigrad.ops``, which records the graph.

``ArrayMethods`` is the base class of ``Tensor`` (defined in ``minigrad.tensor``); ``ops`` and
``tensor`` are imported at the end of this module, since they need this class first.
"""

import math

import numpy as np

from minigrad.axes import normalized_axes, numpy_or_torch, reduce_args


class ArrayMethods:
    """Methods of ``Tensor`` that call an op (see the module docstring)."""

    __slots__ = ()

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

    def float(self):
        """This tensor as float32 (itself if it is already); differentiable."""
        return self if self.data.dtype == np.float32 else ops.astype(self, np.float32)

    def double(self):
        """This tensor as float64 (itself if it is already); differentiable."""
        return self if self.data.dtype == np.float64 else ops.astype(self, np.float64)

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

    def astype(self, dtype):
        return ops.astype(self, dtype)


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
