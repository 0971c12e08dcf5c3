"""Layer functions: linear (one fused op), dropout, batch_norm and batch_norm_relu."""

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from minigrad import grad_mode, kernels, precision
from minigrad.ops import add, div, mean, mul, relu, reshape, sqrt, sub
from minigrad.random import generator
from minigrad.tensor import Tensor, as_tensor, const, record

__all__ = ["batch_norm", "batch_norm_relu", "dropout", "linear"]


def linear(x: Tensor | ArrayLike, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x @ W.T + b as one fused op (one graph node).

    Shapes: x (..., in), weight (out, in), bias (out,) -> y (..., out).
    Backward, with x and dy flattened to (M, in) and (M, out):
    dx = dy @ W, dW = dy.T @ x, db = dy summed over the M rows. dx is skipped when x does
    not require grad (the first layer's input is data).
    """
    x = as_tensor(x)
    if weight.data.ndim != 2 or x.data.ndim == 0 or x.data.shape[-1] != weight.data.shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not match weight of shape {weight.shape} "
            "(expected input (..., in_features) and weight (out_features, in_features))"
        )
    n_out, n_in = weight.data.shape
    if bias is not None and bias.data.shape != (n_out,):
        raise ValueError(f"linear: bias has shape {bias.shape}, expected ({n_out},)")
    xr, wr = precision.rounded(x.data), precision.rounded(weight.data)
    y = precision.matmul(xr, wr.T)
    if bias is not None:
        if y.ndim and np.can_cast(bias.data.dtype, y.dtype, "same_kind"):
            y += bias.data  # y is freshly allocated: add the bias in place
        else:
            y = y + bias.data
    parents = (x, weight) if bias is None else (x, weight, bias)

    need = [t.requires_grad for t in parents]

    def backward(
        gy: Tensor, x: Tensor, weight: Tensor, bias: Tensor | None = None
    ) -> tuple[Tensor | None, ...]:
        flat = gy if gy.ndim == 2 else gy.reshape((-1, n_out))
        g = flat
        if isinstance(gy, np.ndarray) and gy.ndim == 2:  # arrays: reuse forward's rounding
            g, x, weight = precision.rounded(gy), xr, wr
        gx = precision.matmul(g if gy.ndim == 2 else gy, weight) if need[0] else None
        x2 = x if x.ndim == 2 else x.reshape((-1, n_in))
        gw = precision.matmul(g.T, x2) if need[1] else None
        if bias is None:
            return gx, gw
        return gx, gw, flat.sum(axis=0) if need[2] else None

    return record(y, "linear", parents, backward)


def dropout(
    x: Tensor | ArrayLike,
    p: float = 0.5,
    training: bool = True,
    rng: np.random.Generator | int | None = None,
) -> Tensor:
    """Inverted dropout: each element is zeroed with probability p and the survivors are
    scaled by 1/(1-p), so the expected output is x; the identity when not training.

    dy/dx = mask / (1 - p). `rng`: a `np.random.Generator` or seed (None: the default one).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must lie in [0, 1], got {p}")
    x = as_tensor(x)
    if not training or p == 0.0:
        return x
    rng = generator(rng)
    dtype = x.data.dtype if x.data.dtype.kind == "f" else np.float64
    if p == 1.0:
        mask = np.zeros(x.data.shape, dtype)
    else:
        keep = rng.random(x.data.shape, dtype=np.float32 if dtype == np.float32 else np.float64)
        mask = (keep >= p).astype(dtype)
        mask *= 1.0 / (1.0 - p)

    def backward(gy: Tensor, x: Tensor) -> tuple[Tensor]:
        return (gy * mask,)

    return record(x.data * mask, "dropout", (x,), backward)


def _bn_axes(
    x: Tensor, per_feature: Mapping[str, Tensor | ArrayLike | None]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Axes to average over and the broadcast shape of per-feature arrays for (N, C[, L])."""
    if x.data.ndim not in (2, 3):
        raise ValueError(f"batch_norm: expected a 2-D (N, C) or 3-D (N, C, L) input, got {x.shape}")
    c = x.data.shape[1]
    for name, a in per_feature.items():
        if a is not None and np.shape(a.data if isinstance(a, Tensor) else a) != (c,):
            raise ValueError(
                f"batch_norm: input of shape {x.shape} has {c} features but {name} has "
                f"shape {np.shape(a.data if isinstance(a, Tensor) else a)}"
            )
    if x.data.ndim == 2:
        return (0,), (1, c)
    return (0, 2), (1, c, 1)


def _normalized(x: Tensor, axes: tuple[int, ...], eps: float) -> tuple[Tensor, Tensor]:
    """(x - mean) / sqrt(var + eps) and 1 / sqrt(var + eps) as graph nodes (for create_graph)."""
    d = sub(x, mean(x, axes, keepdims=True))
    inv_std = div(1.0, sqrt(add(mean(mul(d, d), axes, keepdims=True), eps)))
    return mul(d, inv_std), inv_std


def _batch_norm_train(
    x: Tensor,
    weight: Tensor | None,
    bias: Tensor | None,
    axes: tuple[int, ...],
    shape: tuple[int, ...],
    eps: float,
    relu_after: bool,
) -> tuple[Tensor, NDArray[Any], NDArray[Any]]:
    """One fused op: z = xhat * weight + bias with xhat = (x - mean) / sqrt(var + eps) over
    the batch (biased var), and y = max(z, 0) when `relu_after` (else y = z). With g = dy, or
    dy * (z > 0) for the ReLU (0 at z = 0, as PyTorch), shapes (N, C) or (N, C, L):
    dx = (g - mean(g) - xhat * mean(g * xhat)) * weight / sqrt(var + eps),
    dweight = sum(g * xhat), dbias = sum(g), means and sums over `axes`.
    Returns the output and the batch mean and biased variance (for the running stats).

    The arrays are computed in a few passes with no temporary the size of x beyond the
    output and the centred x kept for the backward (`_backward_arrays`), or, for a float32
    (N, C) batch where numba is installed, in compiled loops that keep nothing but the
    output (`kernels.bn_relu_forward`, `_compiled_backward`); under `create_graph` the
    backward is written in ops, recomputing xhat as graph nodes."""
    parents = tuple(t for t in (x, weight, bias) if t is not None)
    need = [t.requires_grad for t in parents]
    n = x.data.size // x.data.shape[1]
    k = kernels.compiled() if x.data.dtype == np.float32 and x.data.ndim == 2 else None
    if k is not None:  # one compiled loop for each pass (`kernels.bn_relu_forward`)
        xd = np.ascontiguousarray(x.data)
        c = xd.shape[1]
        stats = np.empty((4, c), np.float32)
        w = np.ones(c, np.float32) if weight is None else weight.data.astype(np.float32)
        b = np.zeros(c, np.float32) if bias is None else bias.data.astype(np.float32)
        y = np.empty_like(xd)
        k.bn_relu_forward(xd, w, b, eps, relu_after, y, stats)
        mu, var = stats[0], stats[1]

        def arrays(gy: NDArray[Any]) -> tuple[NDArray[Any] | None, ...]:
            return _compiled_backward(k, y, xd, stats, relu_after, need, weight, bias, gy)

    else:
        mu = x.data.mean(axis=axes, keepdims=True)
        d = x.data - mu
        y = np.multiply(d, d)  # the squares, then the output in the same memory
        var = y.mean(axis=axes, keepdims=True)
        inv_std = 1.0 / np.sqrt(var + eps)
        scale = inv_std if weight is None else inv_std * weight.data.reshape(shape)
        np.multiply(d, scale, out=y)
        if bias is not None:
            y += bias.data.reshape(shape)
        if relu_after:
            np.maximum(y, 0, out=y)

        def arrays(gy: NDArray[Any]) -> tuple[NDArray[Any] | None, ...]:
            g = gy * (y > 0) if relu_after else gy
            return _backward_arrays(g, d, inv_std, scale, axes, n, need, weight, bias)

    def backward(gy: Any, x: Any, *affine: Any) -> tuple[Any, ...]:
        if not grad_mode.enabled:
            return arrays(gy)
        g = gy * (y > 0) if relu_after else gy
        xh, inv = _normalized(x, axes, eps)
        g_xh = (g * xh).sum(axis=axes, keepdims=True)
        gx = None
        if need[0]:
            scaled = inv if weight is None else inv * affine[0].reshape(shape)
            gx = (g - g.mean(axis=axes, keepdims=True) - xh * (g_xh / n)) * scaled
        grads = [gx]
        if weight is not None:
            grads.append(g_xh.reshape(weight.data.shape) if need[1] else None)
        if bias is not None:
            grads.append(g.sum(axis=axes) if need[-1] else None)
        return tuple(grads)

    out = record(y, "batch_norm_relu" if relu_after else "batch_norm", parents, backward)
    return out, mu.reshape(-1), var.reshape(-1)


def _backward_arrays(
    g: NDArray[Any],
    d: NDArray[Any],
    inv_std: NDArray[Any],
    scale: NDArray[Any],
    axes: tuple[int, ...],
    n: int,
    need: list[bool],
    weight: Tensor | None,
    bias: Tensor | None,
) -> tuple[NDArray[Any] | None, ...]:
    """`_batch_norm_train`'s gradients on arrays, from d = x - mean and scale = weight *
    inv_std: dx = g * scale - d * (scale * inv_std**2 * sum(g * d) / n) - scale * sum(g) / n,
    in three passes over the data after the two sums (the same formula as the op's)."""
    sum_g = g.sum(axis=axes, keepdims=True)
    sub_in = "ij,ij->j" if d.ndim == 2 else "ijk,ijk->j"
    sum_gd = np.einsum(sub_in, g, d).reshape(sum_g.shape)  # no temporary the size of x
    gx = None
    if need[0]:
        gx = g * scale
        gx -= d * (scale * inv_std * inv_std * sum_gd / n)
        gx -= scale * sum_g / n
    grads = [gx]
    if weight is not None:
        grads.append((sum_gd * inv_std).reshape(weight.data.shape) if need[1] else None)
    if bias is not None:
        grads.append(sum_g.reshape(bias.data.shape) if need[-1] else None)
    return tuple(grads)


def _compiled_backward(
    k: Any,
    y: NDArray[Any],
    x: NDArray[Any],
    stats: NDArray[Any],
    relu_after: bool,
    need: list[bool],
    weight: Tensor | None,
    bias: Tensor | None,
    gy: NDArray[Any],
) -> tuple[NDArray[Any] | None, ...]:
    """`_batch_norm_train`'s gradients on arrays through `kernels.bn_relu_backward`, from
    the forward's output y, its input x and `stats` (mean, var, inv_std, scale)."""
    sums = np.zeros((2, x.shape[1]), np.float64)
    gx = np.empty_like(x) if need[0] else np.empty((0, 0), np.float32)
    g = np.ascontiguousarray(gy, dtype=np.float32)
    k.bn_relu_backward(g, y, x, stats, relu_after, gx, sums)
    grads = [gx if need[0] else None]
    if weight is not None:
        gw = (sums[1] * stats[2]).astype(weight.data.dtype)
        grads.append(gw if need[1] else None)
    if bias is not None:
        grads.append(sums[0].astype(bias.data.dtype) if need[-1] else None)
    return tuple(grads)


def _update_running(stat: Tensor | NDArray[Any], value: NDArray[Any], momentum: float) -> None:
    arr = stat.data if isinstance(stat, Tensor) else stat
    arr *= 1.0 - momentum
    arr += momentum * value
    if isinstance(stat, Tensor):
        stat._mark_changed()


def batch_norm(
    x: Tensor | ArrayLike,
    running_mean: Tensor | NDArray[Any] | None = None,
    running_var: Tensor | NDArray[Any] | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over N (and L) for x of shape (N, C) or (N, C, L), as PyTorch.

    Training: normalise with the batch mean and biased variance, and update the running
    stats in place (when given): `r = (1 - momentum) * r + momentum * batch_stat`, the
    variance entering unbiased (times n / (n - 1)). Evaluation: normalise with the running
    stats. weight, bias, running_mean, running_var: (C,). See `_batch_norm_train` for
    the backward.
    """
    return _batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)


def batch_norm_relu(
    x: Tensor | ArrayLike,
    running_mean: Tensor | NDArray[Any] | None = None,
    running_var: Tensor | NDArray[Any] | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """`relu(batch_norm(x, ...))` (same arguments), in training as one fused op: the output
    computed in the normalisation's memory, and one backward for both (`_batch_norm_train`),
    with the gradient 0 where the normalised value is exactly 0, as PyTorch's ReLU. About
    half the time of the two ops on a (512, 1024) float32 batch (the row "BatchNorm + ReLU"
    of `benchmarks/bench_epoch_phases.py`)."""
    return _batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps, True)


def _batch_norm(
    x: Tensor | ArrayLike,
    running_mean: Tensor | NDArray[Any] | None,
    running_var: Tensor | NDArray[Any] | None,
    weight: Tensor | None,
    bias: Tensor | None,
    training: bool,
    momentum: float,
    eps: float,
    relu_after: bool = False,
) -> Tensor:
    """`batch_norm`, followed by a ReLU when `relu_after`."""
    x = as_tensor(x)
    per_feature = dict(running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
    axes, shape = _bn_axes(x, per_feature)
    if training:
        n = x.data.size // x.data.shape[1]
        if n < 2:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got "
                f"input of shape {x.shape}"
            )
        y, mu, var = _batch_norm_train(x, weight, bias, axes, shape, eps, relu_after)
        if running_mean is not None:
            _update_running(running_mean, mu, momentum)
        if running_var is not None:
            _update_running(running_var, var * (n / (n - 1)), momentum)
        return y
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var are needed when not training")
    rm = np.asarray(running_mean.data if isinstance(running_mean, Tensor) else running_mean)
    rv = np.asarray(running_var.data if isinstance(running_var, Tensor) else running_var)
    inv_std = (1.0 / np.sqrt(rv + eps)).astype(x.data.dtype, copy=False).reshape(shape)
    y = mul(sub(x, const(rm.astype(x.data.dtype, copy=False).reshape(shape))), const(inv_std))
    if weight is not None:
        y = mul(y, reshape(weight, shape))
    if bias is not None:
        y = add(y, reshape(bias, shape))
    return relu(y) if relu_after else y
