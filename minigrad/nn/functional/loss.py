"""Losses (cross_entropy, nll_loss, svm_loss, mse_loss, l1_loss, binary_cross_entropy and
its with_logits form) and regularisation terms (l1, l2 penalties).

cross_entropy and svm_loss are fused ops over scores of shape (N, C) and integer class
targets of shape (N,) (cross_entropy also takes class probabilities of shape (N, C)): one
graph node each, with the gradient written in closed form; so are the two binary
cross-entropies (elementwise, over any shape), whose edges follow PyTorch's.
"""

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from minigrad.dtypes import get_default_dtype
from minigrad.ops import (
    abs,
    exp,
    getitem,
    log,
    log_softmax,
    mean,
    mul,
    neg,
    sigmoid,
    sub,
    sum,
    where,
)
from minigrad.ops.base import saved_or_recomputed
from minigrad.ops.reduce import stable_logsumexp
from minigrad.tensor import Tensor, as_tensor, record

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "l1_loss",
    "l1_penalty",
    "l2_penalty",
    "mse_loss",
    "nll_loss",
    "svm_loss",
]

_REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str, name: str) -> None:
    """Raise a ValueError unless `reduction` is "mean", "sum" or "none"."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _scores(x: Tensor | ArrayLike, name: str) -> Tensor:
    x = as_tensor(x)
    if x.data.ndim != 2 or x.data.dtype.kind != "f":
        raise ValueError(
            f"{name}: expected floating scores of shape (N, C), got shape {x.shape} and "
            f"dtype {x.dtype}"
        )
    return x


def class_targets(
    target: Tensor | ArrayLike, scores_shape: tuple[int, ...], name: str
) -> NDArray[np.integer[Any]]:
    """`target` (int ndarray, list or int Tensor) as an int ndarray of shape (N,) with
    values in [0, C); anything else raises a ValueError naming what is wrong."""
    n, c = scores_shape
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if n == 0:
        raise ValueError(f"{name}: empty batch (scores of shape {scores_shape})")
    if t.ndim == 2 and t.shape == (n, c):
        raise ValueError(
            f"{name}: target of shape {t.shape} looks one-hot (or like probabilities); "
            "pass class indices of shape (N,), e.g. target.argmax(axis=1)"
            + (", or probabilities as floats" if name == "cross_entropy" else "")
        )
    if t.dtype.kind not in "iu":
        raise ValueError(
            f"{name}: target must hold integer class indices, got dtype {t.dtype} "
            "(convert with target.astype(np.int64) if the values are whole numbers)"
        )
    if t.shape != (n,):
        raise ValueError(
            f"{name}: target has shape {t.shape} but scores have shape {scores_shape}; "
            f"expected a target of shape ({n},)"
        )
    bad = (t < 0) | (t >= c)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{name}: target values must lie in [0, {c}) for {c} classes; got {int(t[i])} "
            f"at index {i} ({int(bad.sum())} out of range)"
        )
    return t


def _reduce(per_sample: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return per_sample.mean()
    if reduction == "sum":
        return per_sample.sum()
    return per_sample


def _scaled(coef: Tensor | NDArray[Any], gy: Tensor, reduction: str, n: int) -> Tensor:
    """dL/dloss * coef: gy is 0-d for mean/sum (divided by N for mean), (N,) for none."""
    if reduction == "none":
        return gy.reshape((n, 1)) * coef
    return (gy if reduction == "sum" else gy * (1.0 / n)) * coef


def cross_entropy(
    logits: Tensor | ArrayLike,
    target: Tensor | ArrayLike,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of logits (N, C) against a target, as PyTorch: class indices
    (integers, shape (N,)) or class probabilities (floats, shape (N, C), rows that need not
    sum to 1).

    With q = (1 - ls) * onehot(target) + ls / C for indices, q = (1 - ls) * target + ls / C
    for probabilities (ls = label_smoothing): loss_i = -sum_j q_ij * log_softmax(logits)_ij,
    averaged over N for "mean". dloss_i/dlogits_i = sum_j q_ij * softmax(logits_i) - q_i
    (the sum is 1 for indices); for probabilities dloss_i/dtarget_i =
    -(1 - ls) * log_softmax(logits_i) too. Forward is max-shifted: logits of +-1e4 give
    finite losses and gradients.
    """
    check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing}"
        )
    logits = _scores(logits, "cross_entropy")
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if t.dtype.kind == "f" and t.ndim != 1:  # a 1-D float target: indices of the wrong dtype
        return _probability_cross_entropy(logits, target, reduction, label_smoothing)
    t = class_targets(target, logits.shape, "cross_entropy")
    n, c = logits.data.shape
    rows = np.arange(n)
    logp, lse, _ = stable_logsumexp(logits.data, (1,))
    logp -= lse
    loss = -logp[rows, t]
    if label_smoothing:
        loss *= 1.0 - label_smoothing
        loss -= (label_smoothing / c) * logp.sum(axis=1)

    def backward(gy: Tensor, logits: Tensor) -> tuple[Tensor]:
        p = exp(saved_or_recomputed(logp, log_softmax, logits, 1))
        q = np.full((n, c), label_smoothing / c, dtype=logp.dtype)
        q[rows, t] += 1.0 - label_smoothing
        return (_scaled(p - q, gy, reduction, n),)

    return record(_reduce(loss, reduction), "cross_entropy", (logits,), backward)


def _probability_cross_entropy(
    logits: Tensor, target: Tensor | ArrayLike, reduction: str, ls: float
) -> Tensor:
    """`cross_entropy` against class probabilities `target`, floats of shape (N, C)."""
    target = as_tensor(target)
    n, c = logits.data.shape
    if target.shape != (n, c):
        raise ValueError(
            f"cross_entropy: a float target holds class probabilities and must have the "
            f"logits' shape {logits.shape}, got {target.shape}; class indices are integers "
            f"of shape ({n},)"
        )
    logp, lse, _ = stable_logsumexp(logits.data, (1,))
    logp -= lse
    per_sample = -((target.data * (1.0 - ls) + ls / c) * logp).sum(axis=1)
    need_x, need_t = logits.requires_grad, target.requires_grad

    def backward(gy: Tensor, x: Tensor, t: Tensor) -> tuple[Tensor | None, Tensor | None]:
        logp_x = saved_or_recomputed(logp, log_softmax, x, 1)
        gx = gt = None
        if need_x:
            q = t * (1.0 - ls) + ls / c
            gx = _scaled(exp(logp_x) * sum(q, 1, True) - q, gy, reduction, n)
        if need_t:
            gt = _scaled(logp_x * -(1.0 - ls), gy, reduction, n)
        return gx, gt

    return record(_reduce(per_sample, reduction), "cross_entropy", (logits, target), backward)


def nll_loss(
    input: Tensor | ArrayLike, target: Tensor | ArrayLike, reduction: str = "mean"
) -> Tensor:
    """Negative log-likelihood of log-probabilities input (N, C) at class indices target
    (N,), as PyTorch: loss_i = -input[i, target_i], averaged over N for "mean";
    dloss_i/dinput_ij = -1 for j = target_i, else 0. `nll_loss(log_softmax(x, 1), t)` is
    `cross_entropy(x, t)`.
    """
    check_reduction(reduction, "nll_loss")
    input = _scores(input, "nll_loss")
    t = class_targets(target, input.shape, "nll_loss")
    return _reduce(neg(getitem(input, (np.arange(len(t)), t))), reduction)


def svm_loss(
    scores: Tensor | ArrayLike,
    target: Tensor | ArrayLike,
    margin: float = 1.0,
    reduction: str = "mean",
) -> Tensor:
    """Multiclass SVM (hinge) loss, as in cs231n: scores (N, C), target (N,).

    loss_i = sum_{j != y_i} max(0, s_ij - s_iy_i + margin), averaged over N for "mean"
    (not divided by C). dloss_i/ds_ij = 1 where the margin is violated (> 0; a tie at the
    margin gives 0), and dloss_i/ds_iy_i = -(number of violations in row i).
    """
    check_reduction(reduction, "svm_loss")
    scores = _scores(scores, "svm_loss")
    t = class_targets(target, scores.shape, "svm_loss")
    n = scores.data.shape[0]
    rows = np.arange(n)
    margins = scores.data - scores.data[rows, t][:, None]
    margins += margin
    margins[rows, t] = 0
    np.maximum(margins, 0, out=margins)

    def backward(gy: Tensor, scores: Tensor) -> tuple[Tensor]:
        coef = (margins > 0).astype(gy.dtype)
        coef[rows, t] = -coef.sum(axis=1)
        return (_scaled(coef, gy, reduction, n),)

    return record(_reduce(margins.sum(axis=1), reduction), "svm_loss", (scores,), backward)


def mse_loss(
    input: Tensor | ArrayLike, target: Tensor | ArrayLike, reduction: str = "mean"
) -> Tensor:
    """Mean squared error: loss = (input - target)**2, reduced; d/dinput = 2 (input - target).

    input and target must have the same shape (no silent broadcasting).
    """
    check_reduction(reduction, "mse_loss")
    input, target = _same_shape(input, target, "mse_loss")
    d = sub(input, target)
    sq = mul(d, d)
    if reduction == "mean":
        return mean(sq)
    return sum(sq) if reduction == "sum" else sq


def _same_shape(
    input: Tensor | ArrayLike, target: Tensor | ArrayLike, name: str
) -> tuple[Tensor, Tensor]:
    """Both as Tensors, of one shape (no silent broadcasting)."""
    input, target = as_tensor(input), as_tensor(target)
    if input.shape != target.shape:
        raise ValueError(
            f"{name}: input has shape {input.shape} but target has shape {target.shape}; "
            "give them the same shape"
        )
    return input, target


def _floating_pair(
    input: Tensor | ArrayLike, target: Tensor | ArrayLike, name: str
) -> tuple[Tensor, Tensor]:
    """`_same_shape`, and both floating."""
    input, target = _same_shape(input, target, name)
    if input.data.dtype.kind != "f" or target.data.dtype.kind != "f":
        raise ValueError(
            f"{name}: input and target must be floating, got dtypes {input.dtype} and "
            f"{target.dtype} (convert the target with target.float())"
        )
    return input, target


_LOG_FLOOR = -100.0  # PyTorch clamps the logs of binary_cross_entropy here
_BCE_EPS = float(np.float32(1e-12))  # and divides by at least this (its float constant 1e-12)


def _floored_log(fn: np.ufunc, a: NDArray[Any], where: NDArray[np.bool_]) -> NDArray[Any]:
    """`max(fn(a), -100)` where `where` holds, -100 elsewhere (log of 0), no warning."""
    out = np.full(a.shape, _LOG_FLOOR, a.dtype)
    fn(a, out=out, where=where)
    return np.maximum(out, _LOG_FLOOR, out=out)


def binary_cross_entropy(
    input: Tensor | ArrayLike, target: Tensor | ArrayLike, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy of probabilities `input` against `target` (same shape,
    values in [0, 1]), as PyTorch: loss = -(t log p + (1 - t) log(1 - p)) elementwise, each
    log clamped at -100 (so p = 0 or 1 gives a finite loss), then reduced.

    dloss/dp = (p - t) / max(p (1 - p), 1e-12) and dloss/dt = log(1 - p) - log(p), PyTorch's
    gradients, also at p = 0 and 1 (where the second is infinite).
    """
    check_reduction(reduction, "binary_cross_entropy")
    input, target = _floating_pair(input, target, "binary_cross_entropy")
    p, t = input.data, target.data
    if np.any((p < 0) | (p > 1)) or np.isnan(p).any():
        raise ValueError(
            "binary_cross_entropy: input must hold probabilities in [0, 1] (apply sigmoid "
            "first, or use binary_cross_entropy_with_logits on the raw scores)"
        )
    loss = (t - 1) * _floored_log(np.log1p, -p, p < 1) - t * _floored_log(np.log, p, p > 0)
    flat = p * (1 - p) < _BCE_EPS  # where PyTorch's gradient divides by 1e-12 instead
    need_p, need_t = input.requires_grad, target.requires_grad

    def backward(gy: Tensor, p: Tensor, t: Tensor) -> tuple[Tensor | None, Tensor | None]:
        gp = gy * (p - t) / where(flat, _BCE_EPS, p * (1 - p)) if need_p else None
        return gp, gy * (log(1 - p) - log(p)) if need_t else None

    elementwise = record(loss, "binary_cross_entropy", (input, target), backward)
    return _reduce(elementwise, reduction)


def _exp_of_minus(a: NDArray[Any]) -> NDArray[Any]:
    """exp(-a) for a >= 0, as 0 where it would underflow (below the dtype's smallest normal
    number, where log1p(exp(-a)) = exp(-a) is below any tolerance anyway), without the
    underflow warning."""
    out = np.zeros_like(a)
    return np.exp(-a, out=out, where=a < -np.log(np.finfo(a.dtype).tiny))


def binary_cross_entropy_with_logits(
    input: Tensor | ArrayLike, target: Tensor | ArrayLike, reduction: str = "mean"
) -> Tensor:
    """`binary_cross_entropy(sigmoid(input), target)` computed from the logits without
    overflow, as PyTorch: loss = max(x, 0) - x t + log(1 + exp(-|x|)) elementwise, reduced.

    dloss/dx = sigmoid(x) - t, dloss/dt = -x.
    """
    check_reduction(reduction, "binary_cross_entropy_with_logits")
    input, target = _floating_pair(input, target, "binary_cross_entropy_with_logits")
    x, t = input.data, target.data
    loss = np.maximum(x, 0) - x * t + np.log1p(_exp_of_minus(np.abs(x)))
    need_x, need_t = input.requires_grad, target.requires_grad

    def backward(gy: Tensor, x: Tensor, t: Tensor) -> tuple[Tensor | None, Tensor | None]:
        return gy * (sigmoid(x) - t) if need_x else None, gy * -x if need_t else None

    elementwise = record(loss, "binary_cross_entropy_with_logits", (input, target), backward)
    return _reduce(elementwise, reduction)


def l1_loss(
    input: Tensor | ArrayLike, target: Tensor | ArrayLike, reduction: str = "mean"
) -> Tensor:
    """Mean absolute error: loss = |input - target|, reduced; d/dinput = sign(input - target)
    (0 where they are equal, as PyTorch). input and target must have the same shape."""
    check_reduction(reduction, "l1_loss")
    input, target = _floating_pair(input, target, "l1_loss")
    return _reduce(abs(sub(input, target)), reduction)


def _tensors(params: Tensor | Iterable[Tensor]) -> tuple[Tensor, ...]:
    params = [params] if isinstance(params, Tensor) else list(params)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"penalty: expected Tensors, got {type(p).__name__}")
    return tuple(params)


def _penalty(
    params: Tensor | Iterable[Tensor],
    name: str,
    term: Callable[[NDArray[Any]], Any],
    grad: Callable[[Tensor, Tensor], Tensor],
) -> Tensor:
    params = _tensors(params)
    if not params:
        return Tensor(np.zeros((), get_default_dtype()))
    dtype = np.result_type(*[p.data.dtype for p in params])
    y = np.zeros((), dtype)
    for p in params:
        y += term(p.data)

    need = [p.requires_grad for p in params]

    def backward(gy: Tensor, *xs: Tensor) -> tuple[Tensor | None, ...]:
        return tuple(grad(x, gy) if n else None for x, n in zip(xs, need))

    return record(y, name, params, backward)


def l2_penalty(params: Tensor | Iterable[Tensor]) -> Tensor:
    """y = sum over the tensors of sum(p**2); dy/dp = 2p. `params`: a tensor or iterable."""

    def square_sum(a: NDArray[Any]) -> Any:
        flat = a.reshape(-1)
        return np.dot(flat, flat)

    return _penalty(params, "l2_penalty", square_sum, lambda p, gy: p * (gy * 2.0))


def l1_penalty(params: Tensor | Iterable[Tensor]) -> Tensor:
    """y = sum over the tensors of sum(|p|); dy/dp = sign(p) (0 at 0)."""

    def abs_sum(a: NDArray[Any]) -> Any:
        return np.abs(a).sum()

    return _penalty(params, "l1_penalty", abs_sum, lambda p, gy: gy * np.sign(np.asarray(p)))
