"""Losses (cross_entropy, svm_loss, mse_loss) and regularisation terms (l1, l2 penalties).

cross_entropy and svm_loss are fused ops over scores of shape (N, C) and integer class
targets of shape (N,): one graph node each, with the gradient written in closed form.
"""

import numpy as np

from minigrad.dtypes import get_default_dtype
from minigrad.ops import exp, log_softmax, mean, mul, sub, sum
from minigrad.ops.base import saved_output
from minigrad.ops.reduce import stable_logsumexp
from minigrad.tensor import Tensor, as_tensor, record

__all__ = ["cross_entropy", "l1_penalty", "l2_penalty", "mse_loss", "svm_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction, name):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _scores(x, name):
    x = as_tensor(x)
    if x.data.ndim != 2 or x.data.dtype.kind != "f":
        raise ValueError(
            f"{name}: expected floating scores of shape (N, C), got shape {x.shape} and "
            f"dtype {x.dtype}"
        )
    return x


def class_targets(target, scores_shape, name):
    """``target`` (int ndarray, list or int Tensor) as an int ndarray of shape (N,) with
    values in [0, C); anything else raises a ValueError naming what is wrong."""
    n, c = scores_shape
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if n == 0:
        raise ValueError(f"{name}: empty batch (scores of shape {scores_shape})")
    if t.ndim == 2 and t.shape == (n, c):
        raise ValueError(
            f"{name}: target of shape {t.shape} looks one-hot (or like probabilities); "
            "pass class indices of shape (N,), e.g. target.argmax(axis=1)"
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


def _reduce(per_sample, reduction):
    if reduction == "mean":
        return per_sample.mean()
    if reduction == "sum":
        return per_sample.sum()
    return per_sample


def _scaled(coef, gy, reduction, n):
    """coef * dL/dloss: gy is 0-d for mean/sum (divided by N for mean), (N,) for none."""
    if reduction == "none":
        return coef * gy.reshape((n, 1))
    return coef * (gy if reduction == "sum" else gy * (1.0 / n))


def cross_entropy(logits, target, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of logits (N, C) against class indices target (N,), as PyTorch.

    With q = (1 - ls) * onehot(target) + ls / C (ls = label_smoothing):
    loss_i = -sum_j q_ij * log_softmax(logits)_ij, averaged over N for "mean".
    dloss_i/dlogits_i = softmax(logits_i) - q_i. Forward is max-shifted: logits of +-1e4
    give finite losses and gradients.
    """
    check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing}"
        )
    logits = _scores(logits, "cross_entropy")
    t = class_targets(target, logits.shape, "cross_entropy")
    n, c = logits.data.shape
    rows = np.arange(n)
    logp, lse, _ = stable_logsumexp(logits.data, (1,))
    logp -= lse
    loss = -logp[rows, t]
    if label_smoothing:
        loss *= 1.0 - label_smoothing
        loss -= (label_smoothing / c) * logp.sum(axis=1)

    def backward(gy, logits):
        p = exp(saved_output(logp, log_softmax, logits, 1))
        q = np.full((n, c), label_smoothing / c, dtype=logp.dtype)
        q[rows, t] += 1.0 - label_smoothing
        return (_scaled(p - q, gy, reduction, n),)

    return record(_reduce(loss, reduction), "cross_entropy", (logits,), backward)


def svm_loss(scores, target, margin=1.0, reduction="mean"):
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

    def backward(gy, scores):
        coef = (margins > 0).astype(gy.dtype)
        coef[rows, t] = -coef.sum(axis=1)
        return (_scaled(coef, gy, reduction, n),)

    return record(_reduce(margins.sum(axis=1), reduction), "svm_loss", (scores,), backward)


def mse_loss(input, target, reduction="mean"):
    """Mean squared error: loss = (input - target)**2, reduced; d/dinput = 2 (input - target).

    input and target must have the same shape (no silent broadcasting).
    """
    check_reduction(reduction, "mse_loss")
    input, target = as_tensor(input), as_tensor(target)
    if input.shape != target.shape:
        raise ValueError(
            f"mse_loss: input has shape {input.shape} but target has shape {target.shape}"
        )
    d = sub(input, target)
    sq = mul(d, d)
    if reduction == "mean":
        return mean(sq)
    return sum(sq) if reduction == "sum" else sq


def _tensors(params):
    params = [params] if isinstance(params, Tensor) else list(params)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"penalty: expected Tensors, got {type(p).__name__}")
    return tuple(params)


def _penalty(params, name, term, grad):
    params = _tensors(params)
    if not params:
        return Tensor(np.zeros((), get_default_dtype()))
    dtype = np.result_type(*[p.data.dtype for p in params])
    y = np.zeros((), dtype)
    for p in params:
        y += term(p.data)

    need = [p.requires_grad for p in params]

    def backward(gy, *xs):
        return tuple(grad(x, gy) if n else None for x, n in zip(xs, need))

    return record(y, name, params, backward)


def l2_penalty(params):
    """y = sum over the tensors of sum(p**2); dy/dp = 2p. ``params``: a tensor or iterable."""

    def square_sum(a):
        flat = a.reshape(-1)
        return np.dot(flat, flat)

    return _penalty(params, "l2_penalty", square_sum, lambda p, gy: p * (gy * 2.0))


def l1_penalty(params):
    """y = sum over the tensors of sum(|p|); dy/dp = sign(p) (0 at 0)."""

    def abs_sum(a):
        return np.abs(a).sum()

    return _penalty(params, "l1_penalty", abs_sum, lambda p, gy: gy * np.sign(np.asarray(p)))
