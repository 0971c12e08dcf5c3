"""Layers: Linear, activations, Identity, Flatten, Dropout, BatchNorm1d."""

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from minigrad.axes import numpy_or_torch
from minigrad.dtypes import get_default_dtype
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter
from minigrad.ops import reshape
from minigrad.random import generator
from minigrad.tensor import Tensor

__all__ = [
    "BatchNorm1d",
    "Dropout",
    "Flatten",
    "Identity",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
]


def _float_dtype(dtype: DTypeLike | None) -> np.dtype[Any]:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


class Linear(Module):
    """y = x @ W.T + b with weight (out_features, in_features) and bias (out_features,),
    PyTorch's layout and default initialisation: W and b uniform in +-1/sqrt(in_features)
    (kaiming_uniform_ with a=sqrt(5)), drawn from `rng` (a Generator or seed; None: the
    default generator that `mg.manual_seed` seeds)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        dtype = _float_dtype(dtype)
        self.weight = Parameter(np.empty((out_features, in_features), dtype))
        self.bias = Parameter(np.empty(out_features, dtype)) if bias else None
        self.reset_parameters(rng)

    def reset_parameters(self, rng: np.random.Generator | int | None = None) -> None:
        """Redraw weight and bias with PyTorch's default initialisation."""
        rng = generator(rng)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class ReLU(Module):
    """y = max(x, 0)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    """y = x for x > 0, negative_slope * x otherwise."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x))."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """y = tanh(x)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


def _implicit_dim(ndim: int) -> int:
    """PyTorch's choice when `nn.Softmax()` is given no `dim`: 0 for 0-, 1- and 3-d
    input, else 1 (the classes of a batch (N, C) are axis 1)."""
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """y = softmax(x) along `dim`, as `nn.Softmax`; with no `dim`, PyTorch's implicit
    choice (axis 1 of a batch (N, C); see `_implicit_dim`)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    function: Callable[..., Tensor] = staticmethod(F.softmax)

    def forward(self, x: Tensor) -> Tensor:
        return self.function(x, dim=_implicit_dim(x.ndim) if self.dim is None else self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """y = log_softmax(x) along `dim`, as `nn.LogSoftmax` (the same `dim` rule)."""

    function = staticmethod(F.log_softmax)


class Identity(Module):
    """y = x (accepts and ignores any constructor arguments, as PyTorch's)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Merge axes `start_axis` .. `end_axis` into one: (N, C, H, W) -> (N, C*H*W).
    PyTorch's names `start_dim`, `end_dim` are accepted too."""

    def __init__(
        self,
        start_axis: int = 1,
        end_axis: int = -1,
        *,
        start_dim: int | None = None,
        end_dim: int | None = None,
    ) -> None:
        super().__init__()
        names = ("start_axis", "start_dim"), ("end_axis", "end_dim")
        self.start_axis = numpy_or_torch("Flatten", names[0], start_axis, start_dim, 1)
        self.end_axis = numpy_or_torch("Flatten", names[1], end_axis, end_dim, -1)

    def forward(self, x: Tensor | ArrayLike) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        shape = x.shape
        start = self.start_axis % max(len(shape), 1)
        end = self.end_axis % max(len(shape), 1)
        return reshape(x, shape[:start] + (-1,) + shape[end + 1 :])

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"


class Dropout(Module):
    """Inverted dropout with probability `p` in training, the identity in eval. Masks
    are drawn from `rng` (a Generator or seed), kept for the module's lifetime; with None,
    from the default generator at each call (the one `mg.manual_seed` seeds)."""

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must lie in [0, 1], got {p}")
        self.p = p
        self.rng = None if rng is None else generator(rng)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(Module):
    """Batch normalisation of (N, C) or (N, C, L) inputs over N (and L), as PyTorch's.

    Training normalises with batch statistics and updates the buffers
    `running_mean`/`running_var` (unbiased) as `r = (1 - momentum) r + momentum b`;
    `momentum=None` gives the cumulative average over `num_batches_tracked` batches.
    Eval normalises with the running statistics. weight, bias: (C,).
    """

    running_mean: Tensor | None
    running_var: Tensor | None
    num_batches_tracked: Tensor | None

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: DTypeLike | None = None,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = _float_dtype(dtype)
        self.weight = Parameter(np.ones(num_features, dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), np.int64)))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def forward(self, x: Tensor) -> Tensor:
        return self._normalize(x, F.batch_norm)

    def forward_relu(self, x: Tensor) -> Tensor:
        """`relu(self(x))`, in training as one fused op (`F.batch_norm_relu`)."""
        return self._normalize(x, F.batch_norm_relu)

    def _normalize(self, x: Tensor, fn: Callable[..., Tensor]) -> Tensor:
        counter = self.num_batches_tracked if self.training and self.track_running_stats else None
        factor = self.momentum
        if counter is not None and factor is None:
            factor = 1.0 / (int(counter.data) + 1)
        y = fn(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=self.training or not self.track_running_stats,
            momentum=factor or 0.0,
            eps=self.eps,
        )
        if counter is not None:
            counter.data = counter.data + 1
        return y

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )
