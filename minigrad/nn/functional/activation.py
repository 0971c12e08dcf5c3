"""Activations: relu, sigmoid, tanh, softmax and log_softmax (the core ops, which accept
arrays too), and leaky_relu; one_hot, which makes targets (no gradient).

softmax and log_softmax are fused ops built on the one max-shifted logsumexp of
`minigrad.ops.reduce`: no overflow for logits of any size.
"""

import numpy as np
from numpy.typing import ArrayLike

from minigrad.public_ops import log_softmax, relu, sigmoid, softmax, tanh
from minigrad.tensor import Tensor, as_tensor, record

__all__ = ["leaky_relu", "log_softmax", "one_hot", "relu", "sigmoid", "softmax", "tanh"]


def leaky_relu(x: Tensor | ArrayLike, negative_slope: float = 0.01) -> Tensor:
    """y = x where x > 0, else negative_slope * x; dy/dx = 1 or negative_slope (at 0)."""
    x = as_tensor(x)
    positive = x.data > 0
    y = np.where(positive, x.data, x.data * negative_slope).astype(x.data.dtype, copy=False)

    def backward(gy: Tensor, x: Tensor) -> tuple[Tensor]:
        return (gy * np.where(positive, 1.0, negative_slope).astype(gy.dtype),)

    return record(y, "leaky_relu", (x,), backward)


def one_hot(target: Tensor | ArrayLike, num_classes: int = -1) -> Tensor:
    """Class indices of any shape (S) -> int64 one-hot rows (S..., C), as PyTorch's
    `F.one_hot`: `num_classes=-1` takes C = max(target) + 1. Not differentiable (indices
    have no gradient); `.float()` the result to use it in arithmetic."""
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"one_hot: target must hold integer class indices, got dtype {t.dtype}")
    if num_classes == -1:
        if t.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty target; give it")
        num_classes = int(t.max()) + 1
    if t.size and (t.min() < 0 or t.max() >= num_classes):
        raise ValueError(
            f"one_hot: class indices must lie in [0, {num_classes}), got values from "
            f"{t.min()} to {t.max()}"
        )
    return Tensor(np.eye(num_classes, dtype=np.int64)[t])
