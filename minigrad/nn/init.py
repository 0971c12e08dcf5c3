"""Initialisers that fill a tensor's data in place (PyTorch's formulas), drawing from an
explicit `rng` (a `np.random.Generator` or seed; None: the default generator, which
`mg.manual_seed` seeds).

Each stamps the tensor again (`_mark_changed`, so a graph that used the old values refuses
to backpropagate) and returns the tensor. Fans of a weight (out, in, *k):
fan_in = in * prod(k), fan_out = out * prod(k).
"""

import math

import numpy as np
from numpy.typing import ArrayLike

from minigrad.random import generator
from minigrad.tensor import Tensor

__all__ = [
    "calculate_gain",
    "constant_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def _fill(t: Tensor, values: ArrayLike) -> Tensor:
    t.data[...] = values
    t._mark_changed()
    return t


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """PyTorch's recommended gain: 1 (linear, sigmoid), 5/3 (tanh), sqrt(2) (relu),
    sqrt(2 / (1 + a**2)) (leaky_relu with slope a, default 0.01)."""
    if nonlinearity in ("linear", "identity", "sigmoid", "conv1d", "conv2d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + a**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fans(t: Tensor) -> tuple[int, int]:
    shape = t.data.shape
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a tensor with >= 2 dims, got shape {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fan(t: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(t)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(
    t: Tensor, a: float = 0.0, b: float = 1.0, rng: np.random.Generator | int | None = None
) -> Tensor:
    """Fill with U(a, b)."""
    return _fill(t, generator(rng).uniform(a, b, t.data.shape))


def normal_(
    t: Tensor, mean: float = 0.0, std: float = 1.0, rng: np.random.Generator | int | None = None
) -> Tensor:
    """Fill with N(mean, std**2)."""
    return _fill(t, generator(rng).normal(mean, std, t.data.shape))


def constant_(t: Tensor, value: float) -> Tensor:
    """Fill with `value`."""
    return _fill(t, value)


def zeros_(t: Tensor) -> Tensor:
    """Fill with 0."""
    return _fill(t, 0)


def ones_(t: Tensor) -> Tensor:
    """Fill with 1."""
    return _fill(t, 1)


def kaiming_uniform_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: np.random.Generator | int | None = None,
) -> Tensor:
    """He init: U(-bound, bound), bound = gain * sqrt(3 / fan), gain from
    `calculate_gain(nonlinearity, a)`."""
    fan = _fan(t, mode)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan) if fan else 0.0
    return uniform_(t, -bound, bound, rng)


def kaiming_normal_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: np.random.Generator | int | None = None,
) -> Tensor:
    """He init: N(0, std**2), std = gain / sqrt(fan)."""
    fan = _fan(t, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan else 0.0
    return normal_(t, 0.0, std, rng)


def xavier_uniform_(
    t: Tensor, gain: float = 1.0, rng: np.random.Generator | int | None = None
) -> Tensor:
    """Glorot init: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return uniform_(t, -bound, bound, rng)


def xavier_normal_(
    t: Tensor, gain: float = 1.0, rng: np.random.Generator | int | None = None
) -> Tensor:
    """Glorot init: N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(t)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return normal_(t, 0.0, std, rng)
