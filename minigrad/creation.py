"""Tensors made from scratch: zeros, ones, randn, rand and the *_like forms.

Random tensors draw from an explicit ``np.random.Generator`` or seed (``rng=``); without
one, from the default generator that ``mg.manual_seed`` seeds. The global ``np.random``
state is never touched.
"""

import numpy as np

from minigrad.dtypes import get_default_dtype
from minigrad.random import generator
from minigrad.tensor import Tensor


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _dtype(dtype):
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def zeros(*shape, dtype=None, requires_grad=False):
    """A tensor of zeros, e.g. ``mg.zeros(2, 3)`` or ``mg.zeros((2, 3))``."""
    return Tensor(np.zeros(_shape(shape), _dtype(dtype)), requires_grad=requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    """A tensor of ones."""
    return Tensor(np.ones(_shape(shape), _dtype(dtype)), requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    """Zeros with the shape (and, by default, dtype) of ``t``."""
    data = t.data if isinstance(t, Tensor) else np.asarray(t)
    return Tensor(np.zeros_like(data, dtype=dtype), requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    """Ones with the shape (and, by default, dtype) of ``t``."""
    data = t.data if isinstance(t, Tensor) else np.asarray(t)
    return Tensor(np.ones_like(data, dtype=dtype), requires_grad=requires_grad)


def randn(*shape, rng=None, dtype=None, requires_grad=False):
    """Standard normal samples drawn from ``rng`` (a ``np.random.Generator`` or a seed)."""
    rng = generator(rng)
    data = rng.standard_normal(_shape(shape)).astype(_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape, rng=None, dtype=None, requires_grad=False):
    """Uniform samples in [0, 1) drawn from ``rng`` (a ``np.random.Generator`` or a seed)."""
    rng = generator(rng)
    data = rng.random(_shape(shape)).astype(_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)
